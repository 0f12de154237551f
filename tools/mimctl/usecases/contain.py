"""Contain: containment actions, each with its rollback, and their later state; or why none is possible."""

from __future__ import annotations

from ..model import Incident
from ..store import Tracker
from ..timing import When
from ..transaction import Change
from . import Invalid
from .records import new_short_id, record


def add_containment(
    tracker: Tracker, incident: Incident, action: str, rollback: str | None, at: When, by: str, *, irreversible: str | None = None
) -> Change:
    """A containment action and how to roll it back, or why it cannot be; its new id (``C-…``) is ``summary['action_id']``."""
    if bool(rollback and rollback.strip()) == bool(irreversible and irreversible.strip()):
        raise Invalid("give how to roll the action back, or why it cannot be (irreversible), not both", param="rollback")
    action_id = new_short_id("C")
    fields = {"id": action_id, "action": action, "rollback": rollback, "irreversible": irreversible}
    return record(
        tracker, incident, "containment", at, by, f"containment {action_id}: {action[:60]}", fields, summary={"action_id": action_id}
    )


def set_containment(tracker: Tracker, incident: Incident, action_id: str, state: str, at: When, by: str, text: str | None = None) -> Change:
    """A containment action's new state: effective, ineffective, superseded, rolled back or made permanent."""
    if action_id not in {a.id for a in incident.containment()}:
        known_ids = ", ".join(a.id for a in incident.containment()) or "none yet"
        raise Invalid(f"{incident.id} has no containment action {action_id!r} (actions: {known_ids})", param="action_id")
    fields = {"action_id": action_id, "state": state, "text": text}
    return record(tracker, incident, "containment-update", at, by, f"containment {action_id} {state}", fields)


def containment_not_possible(tracker: Tracker, incident: Incident, reason: str, at: When, by: str) -> Change:
    """Why no containment action is possible (the contain gate accepts this instead of an action)."""
    text = f"Containment not possible: {reason}"
    return record(tracker, incident, "note", at, by, "containment not possible", {"text": text}, {"containment_not_possible": reason})
