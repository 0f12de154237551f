"""Moving an incident to another stage: judged by the lifecycle, recorded as a stage event."""

from __future__ import annotations

from dataclasses import dataclass

from .. import lifecycle
from ..model import Incident
from ..store import Tracker
from ..timing import When, known
from ..transaction import Change
from .records import record


@dataclass(frozen=True)
class Move:
    """A stage change as judged, and the change that makes it (None when it is not allowed)."""

    transition: lifecycle.Transition
    change: Change | None


def advance(tracker: Tracker, incident: Incident, at: When, by: str, target: str | None = None, reason: str | None = None) -> Move:
    """Judge the move to ``target`` (default: the next stage); when allowed, the change that makes it."""
    when = known(at)
    transition = lifecycle.judge(incident, tracker.process, target, reason, at=when.at)
    if not transition.allowed:
        return Move(transition, None)
    fields: dict[str, object] = {"from": transition.source, "to": transition.target, "reason": reason}
    if transition.skipped:
        fields["skipped"] = list(transition.skipped)
    exempt = transition.exempt
    if exempt:
        fields["exempt"] = exempt
    edits: dict[str, object] = {"stage": transition.target}
    stage = tracker.process.stage(transition.target)
    if stage is not None and stage.final:
        edits["completed_at"] = when
    verb = "reopen" if transition.backward else "advance"
    trailers = {
        "Stage": transition.target,
        "Previous-Stage": transition.source,
        "Gate": ", ".join(item.name for item in transition.gate) or "none",
    }
    if exempt:
        trailers["Exempt"] = ", ".join(exempt)
    summary: dict[str, object] = {"from": transition.source, "to": transition.target, "skipped": list(transition.skipped)}
    if exempt:
        summary["exempt"] = exempt
    change = record(
        tracker, incident, "stage", at, by, f"{verb} {transition.source} \u2192 {transition.target}", fields, edits, trailers, summary
    )
    return Move(transition, change)
