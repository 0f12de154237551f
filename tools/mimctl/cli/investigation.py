"""Containment actions, hypotheses and evidence: what responders try and find."""

from __future__ import annotations

import click

from .. import operations as ops
from .common import Recording, guarded, recording
from .record import INCIDENT, _record


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
@click.option("--rollback", required=True, help="How to undo it.")
@recording
@guarded
def containment_add(incident_id: str, action: str, rollback: str, rec: Recording) -> int:
    """Log a containment action with its rollback; prints its id (C-xxxx)."""
    action_id = ops.new_short_id("C")
    return _record(
        rec,
        incident_id,
        "containment",
        f"containment {action_id}: {action[:60]}",
        {"id": action_id, "action": action, "rollback": rollback},
        summary={"action_id": action_id},
    )


@containment.command("set")
@INCIDENT
@click.argument("action_id")
@click.argument("state", type=click.Choice(["effective", "ineffective", "rolled-back", "made-permanent"]))
@click.option("--text", help="Details.")
@recording
@guarded
def containment_set(incident_id: str, action_id: str, state: str, text: str | None, rec: Recording) -> int:
    """Record a containment action's new state."""
    return _record(
        rec,
        incident_id,
        "containment-update",
        f"containment {action_id} {state}",
        {"action_id": action_id, "state": state, "text": text},
    )


@containment.command("none")
@INCIDENT
@click.option("--reason", required=True, help="Why no containment action is possible.")
@recording
@guarded
def containment_none(incident_id: str, reason: str, rec: Recording) -> int:
    """Record why containment is not possible."""
    return _record(
        rec,
        incident_id,
        "note",
        "containment not possible",
        {"text": f"Containment not possible: {reason}"},
        {"containment_not_possible": reason},
    )


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
@guarded
def hypothesis_add(incident_id: str, text: str, evidence: tuple[str, ...], rec: Recording) -> int:
    """Record an open hypothesis; prints its id (H-xxxx)."""
    hypothesis_id = ops.new_short_id("H")
    return _record(
        rec,
        incident_id,
        "hypothesis",
        f"hypothesis {hypothesis_id}",
        {"id": hypothesis_id, "text": text, "evidence": list(evidence)},
        summary={"hypothesis_id": hypothesis_id},
    )


@hypothesis.command("set")
@INCIDENT
@click.argument("hypothesis_id")
@click.argument("state", type=click.Choice(["confirmed", "refuted", "open"]))
@click.option("--evidence", multiple=True, help="Evidence for the verdict (repeatable).")
@recording
@guarded
def hypothesis_set(incident_id: str, hypothesis_id: str, state: str, evidence: tuple[str, ...], rec: Recording) -> int:
    """Confirm or refute a hypothesis (or re-open it)."""
    return _record(
        rec,
        incident_id,
        "hypothesis-update",
        f"hypothesis {hypothesis_id} {state}",
        {"hypothesis_id": hypothesis_id, "state": state, "evidence": list(evidence)},
    )


@click.command()
@INCIDENT
@click.argument("text")
@click.option("--link", "links", multiple=True, help="A link to a dashboard, log query... (repeatable).")
@recording
@guarded
def evidence(incident_id: str, text: str, links: tuple[str, ...], rec: Recording) -> int:
    """Record evidence examined: a log excerpt, a graph, a finding."""
    return _record(rec, incident_id, "evidence", "evidence", {"text": text, "links": list(links)})
