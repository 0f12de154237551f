"""Investigate and diagnose: hypotheses and their verdicts, evidence, the cause, the resolution plan."""

from __future__ import annotations

from collections.abc import Sequence

from ..model import Incident
from ..store import Tracker
from ..timing import When
from ..transaction import Change
from .records import new_short_id, record


def add_hypothesis(tracker: Tracker, incident: Incident, text: str, at: When, by: str, evidence: Sequence[str] = ()) -> Change:
    """An open hypothesis with the evidence so far; its new id (``H-…``) is ``summary['hypothesis_id']``."""
    hypothesis_id = new_short_id("H")
    fields = {"id": hypothesis_id, "text": text, "evidence": list(evidence)}
    return record(tracker, incident, "hypothesis", at, by, f"hypothesis {hypothesis_id}", fields, summary={"hypothesis_id": hypothesis_id})


def set_hypothesis(
    tracker: Tracker, incident: Incident, hypothesis_id: str, state: str, at: When, by: str, evidence: Sequence[str] = ()
) -> Change:
    """A verdict on a hypothesis (confirmed, refuted, or open again) with its evidence."""
    fields = {"hypothesis_id": hypothesis_id, "state": state, "evidence": list(evidence)}
    return record(tracker, incident, "hypothesis-update", at, by, f"hypothesis {hypothesis_id} {state}", fields)


def add_evidence(tracker: Tracker, incident: Incident, text: str, at: When, by: str, links: Sequence[str] = ()) -> Change:
    """Evidence examined: a log excerpt, a graph, a finding, with links."""
    return record(tracker, incident, "evidence", at, by, "evidence", {"text": text, "links": list(links)})


def confirm_cause(tracker: Tracker, incident: Incident, summary: str, at: When, by: str, changes: Sequence[str] = ()) -> Change:
    """The cause, confirmed, and the changes implicated in it (change records, deployments, commits)."""
    edits: dict[str, object] = {"cause": {"status": "confirmed", "summary": summary, **({"changes": list(changes)} if changes else {})}}
    return record(tracker, incident, "note", at, by, "cause recorded", {"text": f"Cause confirmed: {summary}"}, edits)


def cause_unknown(tracker: Tracker, incident: Incident, reason: str, at: When, by: str) -> Change:
    """Why the cause is still unknown (the investigate gate accepts this with a reason)."""
    edits = {"cause": {"status": "unknown", "unknown_reason": reason}}
    return record(tracker, incident, "note", at, by, "cause recorded", {"text": f"Cause still unknown: {reason}"}, edits)


def plan(tracker: Tracker, incident: Incident, text: str, at: When, by: str) -> Change:
    """The resolution plan."""
    return record(tracker, incident, "note", at, by, "resolution plan", {"text": f"Resolution plan: {text}"}, {"resolution_plan": text})
