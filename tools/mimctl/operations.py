"""Moved: what responders do is ``mimctl.usecases`` now (one module per part of the lifecycle).

These names stay importable for modules that still use them (the escalation
run, ``mimctl escalate``); new code imports from ``mimctl.usecases``.
"""

from __future__ import annotations

from .usecases.records import event_text, load_incident, new_short_id, record, set_path

__all__ = ["event_text", "load_incident", "new_short_id", "record", "set_path"]
