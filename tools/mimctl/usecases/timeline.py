"""What any stage may add: a note, or a field of incident.yaml set by hand."""

from __future__ import annotations

from typing import Any

from ..model import Incident
from ..store import Tracker
from ..timing import When
from ..transaction import Change
from . import Invalid
from .records import record

# Fields only ``advance`` (stage) or nobody (id) may change.
PROTECTED_FIELDS = ("id", "stage")


def note(tracker: Tracker, incident: Incident, text: str, at: When, by: str) -> Change:
    """A note on the timeline."""
    return record(tracker, incident, "note", at, by, "note", {"text": text})


def set_field(tracker: Tracker, incident: Incident, field: str, value: Any, at: When, by: str) -> Change:
    """Set any field of incident.yaml (dotted path) to ``value``; the result must still validate."""
    if field in PROTECTED_FIELDS:
        raise Invalid("id and stage are changed by 'mimctl advance' only", param="field")
    return record(tracker, incident, "field", at, by, f"set {field}", {"field": field, "value": value}, {field: value})
