"""Containment actions, hypotheses and evidence: what responders try and find."""

from __future__ import annotations

import click

from .. import vocabulary
from ..usecases import contain
from ..usecases import investigate as diagnosis
from .common import INCIDENT, Recording, record_with, recording


@click.group()
def containment() -> None:
    """Containment actions: log each with its rollback; later mark it rolled back or permanent.

    \b
    Examples:
      mimctl containment add INC-0042 --action "Disabled the new pricing flag" \\
        --rollback "Re-enable flag pricing-v2"
      mimctl containment set INC-0042 C-1a2b made-permanent
      mimctl containment none INC-0042 --reason "Third-party outage; nothing to isolate"
    """


@containment.command("add")
@INCIDENT
@click.option("--action", required=True, help="What was done.")
@click.option("--rollback", help="How to undo it.")
@click.option("--irreversible", metavar="REASON", help="It cannot be undone: why (instead of --rollback).")
@recording
def containment_add(incident_id: str, action: str, rollback: str | None, irreversible: str | None, rec: Recording) -> int:
    """Log a containment action with its rollback (or why it has none); prints its id (C-xxxx).

    --at is when the action was taken; the mitigated milestone is when one
    was recorded effective (containment set ID effective --at TIME). If the
    source gives no time for the action, --at unknown places it after what
    is recorded so far, and nothing is measured from it.

    \b
    Examples:
      mimctl containment add INC-0042 --action "Disabled flag pricing-v2" --rollback "Re-enable flag pricing-v2"
      mimctl containment add INC-0042 --action "Purged the poisoned cache" --irreversible "Purged entries cannot be restored"
    """
    return record_with(rec, incident_id, contain.add_containment, action, rollback, irreversible=irreversible)


@containment.command("set")
@INCIDENT
@click.argument("action_id")
@click.argument("state", type=click.Choice(vocabulary.CONTAINMENT_STATES))
@click.option("--text", help="Details.")
@recording
def containment_set(incident_id: str, action_id: str, state: str, text: str | None, rec: Recording) -> int:
    """Record a containment action's new state.

    effective: it stopped the impact (the mitigated milestone is the first of
    these); ineffective or superseded: it changed nothing left to undo;
    rolled-back or made-permanent: settled once the incident recovers.

    \b
    Example:
      mimctl containment set INC-0042 C-1a2b effective --at 2026-11-27T09:12Z
    """
    return record_with(rec, incident_id, contain.set_containment, action_id, state, text=text)


@containment.command("none")
@INCIDENT
@click.option("--reason", required=True, help="Why no containment action is possible.")
@recording
def containment_none(incident_id: str, reason: str, rec: Recording) -> int:
    """Record why containment is not possible."""
    return record_with(rec, incident_id, contain.containment_not_possible, reason)


@click.group()
def hypothesis() -> None:
    """Hypotheses: record theories and confirm or refute them with evidence.

    \b
    Examples:
      mimctl hypothesis add INC-0042 "Connection pool exhausted after the deploy"
      mimctl hypothesis set INC-0042 H-9f3c confirmed --evidence "pool at 100% from 08:01"
    """


@hypothesis.command("add")
@INCIDENT
@click.argument("text")
@click.option("--evidence", multiple=True, help="Evidence so far (repeatable).")
@recording
def hypothesis_add(incident_id: str, text: str, evidence: tuple[str, ...], rec: Recording) -> int:
    """Record an open hypothesis; prints its id (H-xxxx)."""
    return record_with(rec, incident_id, diagnosis.add_hypothesis, text, evidence=evidence)


@hypothesis.command("set")
@INCIDENT
@click.argument("hypothesis_id")
@click.argument("state", type=click.Choice(vocabulary.HYPOTHESIS_STATES))
@click.option("--evidence", multiple=True, help="Evidence for the verdict (repeatable).")
@recording
def hypothesis_set(incident_id: str, hypothesis_id: str, state: str, evidence: tuple[str, ...], rec: Recording) -> int:
    """Confirm or refute a hypothesis (or re-open it)."""
    return record_with(rec, incident_id, diagnosis.set_hypothesis, hypothesis_id, state, evidence=evidence)


@click.command()
@INCIDENT
@click.argument("text")
@click.option("--link", "links", multiple=True, help="A link to a dashboard, log query... (repeatable).")
@recording
def evidence(incident_id: str, text: str, links: tuple[str, ...], rec: Recording) -> int:
    """Record evidence examined: a log excerpt, a graph, a finding."""
    return record_with(rec, incident_id, diagnosis.add_evidence, text, links=links)
