"""Close: the closure details and the hand-over to Problem Management; the review scheduled (or why none)."""

from __future__ import annotations

from collections.abc import Sequence

from ..model import Incident
from ..store import Tracker
from ..timing import When, known
from ..transaction import Change
from . import Invalid
from .records import record


def close(
    tracker: Tracker,
    incident: Incident,
    summary: str,
    at: When,
    by: str,
    *,
    problem_ref: str | Sequence[str] | None = None,
    no_problem_reason: str | None = None,
    users_restored: bool = True,
) -> Change:
    """Closure: what happened and how it was resolved, who closed it, and the problem record(s) (or why none)."""
    refs = [problem_ref] if isinstance(problem_ref, str) else list(problem_ref or ())
    if refs and no_problem_reason:
        raise Invalid("give problem references or a reason none is needed, not both", param="no_problem_reason")
    edits = {
        "closure.summary": summary,
        "closure.closed_at": known(at),
        "closure.closed_by": by,
        "closure.users_restored": users_restored,
        "closure.problem_ref": (refs[0] if len(refs) == 1 else refs) or None,
        "closure.no_problem_reason": no_problem_reason,
    }
    given = {k: v for k, v in edits.items() if v is not None}
    return record(tracker, incident, "closure", at, by, "closure recorded", {"text": summary}, given)


def schedule_review(tracker: Tracker, incident: Incident, when: When, attendees: Sequence[str], at: When, by: str) -> Change:
    """The post-incident review meeting: when, and who is invited."""
    meeting = known(when)
    text = f"PIR scheduled for {meeting.text()}"
    edits = {"pir.scheduled_at": meeting, "pir.attendees": list(attendees)}
    return record(tracker, incident, "note", at, by, text, {"text": text}, edits)


def review_not_required(tracker: Tracker, incident: Incident, reason: str, at: When, by: str) -> Change:
    """Why this incident needs no post-incident review."""
    text = f"PIR not required: {reason}"
    return record(tracker, incident, "note", at, by, "PIR not required", {"text": text}, {"pir.not_required_reason": reason})
