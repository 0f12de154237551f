"""Close: the closure details and the hand-over to Problem Management; the review scheduled (or why none)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ..model import Incident, format_time
from ..store import Tracker
from ..transaction import Change
from .records import record


def close(
    tracker: Tracker,
    incident: Incident,
    summary: str,
    at: datetime,
    by: str,
    *,
    problem_ref: str | None = None,
    no_problem_reason: str | None = None,
    users_restored: bool = True,
) -> Change:
    """Closure: what happened and how it was resolved, who closed it, and the problem record (or why none)."""
    edits = {
        "closure.summary": summary,
        "closure.closed_at": format_time(at),
        "closure.closed_by": by,
        "closure.users_restored": users_restored,
        "closure.problem_ref": problem_ref,
        "closure.no_problem_reason": no_problem_reason,
    }
    given = {k: v for k, v in edits.items() if v is not None}
    return record(tracker, incident, "closure", at, by, "closure recorded", {"text": summary}, given)


def schedule_review(tracker: Tracker, incident: Incident, when: datetime, attendees: Sequence[str], at: datetime, by: str) -> Change:
    """The post-incident review meeting: when, and who is invited."""
    text = f"PIR scheduled for {format_time(when)}"
    edits = {"pir.scheduled_at": format_time(when), "pir.attendees": list(attendees)}
    return record(tracker, incident, "note", at, by, text, {"text": text}, edits)


def review_not_required(tracker: Tracker, incident: Incident, reason: str, at: datetime, by: str) -> Change:
    """Why this incident needs no post-incident review."""
    text = f"PIR not required: {reason}"
    return record(tracker, incident, "note", at, by, "PIR not required", {"text": text}, {"pir.not_required_reason": reason})
