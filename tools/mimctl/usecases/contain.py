"""Contain: containment actions, each with its rollback, and their later state; or why none is possible."""

from __future__ import annotations

from datetime import datetime

from ..model import Incident
from ..store import Tracker
from ..transaction import Change
from .records import new_short_id, record


def add_containment(tracker: Tracker, incident: Incident, action: str, rollback: str, at: datetime, by: str) -> Change:
    """A containment action and how to roll it back; its new id (``C-…``) is ``summary['action_id']``."""
    action_id = new_short_id("C")
    fields = {"id": action_id, "action": action, "rollback": rollback}
    return record(
        tracker, incident, "containment", at, by, f"containment {action_id}: {action[:60]}", fields, summary={"action_id": action_id}
    )


def set_containment(
    tracker: Tracker, incident: Incident, action_id: str, state: str, at: datetime, by: str, text: str | None = None
) -> Change:
    """A containment action's new state: effective, ineffective, rolled back or made permanent."""
    fields = {"action_id": action_id, "state": state, "text": text}
    return record(tracker, incident, "containment-update", at, by, f"containment {action_id} {state}", fields)


def containment_not_possible(tracker: Tracker, incident: Incident, reason: str, at: datetime, by: str) -> Change:
    """Why no containment action is possible (the contain gate accepts this instead of an action)."""
    text = f"Containment not possible: {reason}"
    return record(tracker, incident, "note", at, by, "containment not possible", {"text": text}, {"containment_not_possible": reason})
