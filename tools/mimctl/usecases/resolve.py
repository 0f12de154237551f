"""Resolve and recover: the fix, its stability and its confirmation; services restored, dependents validated."""

from __future__ import annotations

from ..model import Incident
from ..store import Tracker
from ..timing import When, known
from ..transaction import Change
from . import Invalid
from .records import record


def resolution(
    tracker: Tracker,
    incident: Incident,
    at: When,
    by: str,
    *,
    change_ref: str | None = None,
    summary: str | None = None,
    validated_in: str | None = None,
    stable: bool = False,
    service_restored: bool = False,
    confirmed_by: str | None = None,
) -> Change:
    """Any of: the fix in production at ``at`` (``change_ref``), what it was, where it was tested, stable since ``at``,
    service restored for users at ``at`` (the resolved milestone), who confirmed it."""
    stamp = known(at)
    edits: dict[str, object] = {}
    done = []
    if change_ref:
        edits.update({"resolution.change_ref": change_ref, "resolution.implemented_at": stamp, "resolution.implemented_by": by})
        done.append(f"fix implemented ({change_ref})")
    if summary:
        edits["resolution.summary"] = summary
    if validated_in:
        edits["resolution.validated_in"] = validated_in
    if service_restored:
        edits["resolution.service_restored_at"] = stamp
        done.append("service restored")
    if stable:
        edits["resolution.stable_since"] = stamp
        done.append("stable")
    if confirmed_by:
        edits.update({"resolution.confirmed_by": confirmed_by, "resolution.confirmed_at": stamp})
        done.append(f"confirmed by {confirmed_by}")
    if not edits:
        raise Invalid(
            "nothing to record: give a change reference, a summary, where it was validated, service restored, stability or a confirmation"
        )
    text = "; ".join(done) or "resolution details"
    return record(tracker, incident, "resolution", at, by, f"resolution: {text}", {"text": summary or text}, edits)


def recovery(
    tracker: Tracker,
    incident: Incident,
    at: When,
    by: str,
    *,
    summary: str | None = None,
    restored: bool = False,
    dependents_validated: bool = False,
) -> Change:
    """Recovery: what was restored, everything restored at ``at``, dependent services validated at ``at``."""
    stamp = known(at)
    edits: dict[str, object] = {}
    if summary is not None:
        edits["recovery.summary"] = summary
    if restored:
        edits["recovery.restored_at"] = stamp
    if dependents_validated:
        edits.update({"recovery.dependents_validated_at": stamp, "recovery.dependents_validated_by": by})
    if not edits:
        raise Invalid("nothing to record: give a summary, restored or dependents validated")
    return record(tracker, incident, "recovery", at, by, "recovery", {"text": summary}, edits)
