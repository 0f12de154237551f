"""Commands that move incidents through the lifecycle and show where they are."""

from __future__ import annotations

from pathlib import Path

import click

from .. import views
from ..output import terminal_safe
from ..usecases import identify
from ..usecases.advance import advance as judge_and_advance
from ..usecases.records import load_incident, place, valid_incidents
from .common import EXIT_FAILED, INCIDENT, Recording, apply_change, emit, format_option, record_with, recording, repo_option, tracker


@click.command()
@INCIDENT
@click.option("--to", "target", help="Target stage (default: the next one). Skipping stages needs --reason.")
@click.option("--reason", help="Why stages are skipped, or why the incident moves back.")
@recording
def advance(incident_id: str, target: str | None, reason: str | None, rec: Recording) -> int:
    """Check the exit gate of the current stage and move to the next stage.

    On success: sets stage:, adds the stage event and commits with trailers
    (Incident:, Stage:, Previous-Stage:, Gate:). If the gate is not met:
    exit 1, every missing item listed, nothing changed.

    \b
    Examples:
      mimctl advance INC-0042
      mimctl advance INC-0042 --to investigate --reason "Nothing to contain: upstream outage"
      mimctl advance INC-0042 --to investigate --reason "Fix did not hold"   # back, if process.yaml allows
    """
    tr = tracker(rec.repo)
    incident = load_incident(tr, incident_id)
    move = judge_and_advance(tr, incident, place(rec.when, incident), rec.person, target, reason)
    transition = move.transition
    if move.change is None:
        data = {
            "incident": incident.id,
            "changed": False,
            "from": transition.source,
            "to": transition.target,
            "problems": list(transition.problems),
            "missing": [{"item": i.name, "description": i.description} for i in transition.gate if not i.holds],
        }
        if rec.output_format == "json":
            emit("json", data, "")
        else:
            click.echo(terminal_safe(f"{incident.id}: " + views.render_gate_failure(transition)), err=True)
        return EXIT_FAILED
    return apply_change(tr, move.change, rec)


@click.command()
@INCIDENT
@format_option("text", "json")
@repo_option
def show(incident_id: str, output_format: str, repo: Path | None) -> int:
    """Show an incident: stage, time in each stage, roles, and the next gate's checklist.

    \b
    Example:
      mimctl show INC-0042 --format json | jq .stage_changes
    """
    tr = tracker(repo)
    info = views.describe(load_incident(tr, incident_id), tr.process)
    emit(output_format, info, views.render_show(info))
    return 0


@click.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include completed incidents.")
@click.option("--stage", "stages", multiple=True, help="Only these stages (repeatable).")
@click.option("--severity", "severities", multiple=True, help="Only these severities (repeatable).")
@format_option("text", "json")
@repo_option
def list_incidents(show_all: bool, stages: tuple[str, ...], severities: tuple[str, ...], output_format: str, repo: Path | None) -> int:
    """List open incidents, grouped by stage, most severe first.

    \b
    Examples:
      mimctl list
      mimctl list --severity SEV1 --format json
    """
    from ..heads import open_incidents

    tr = tracker(repo)
    loaded = valid_incidents(tr, None if show_all else open_incidents(tr))  # heads pick the open ones out of the history
    rows = views.list_rows(loaded.incidents, tr.process, show_all=show_all, stages=stages, severities=severities)
    emit(output_format, {"incidents": rows, "invalid": list(loaded.skipped)}, views.render_list(rows, loaded.skipped))
    return 0


@click.command()
@INCIDENT
@click.argument("items", nargs=-1, required=True, metavar="ITEM...")
@click.option("--reason", required=True, help="Why the records cannot hold it (e.g. the postmortem does not say).")
@recording
def exempt(incident_id: str, items: tuple[str, ...], reason: str, rec: Recording) -> int:
    """Exempt an incident recorded after the fact from gate items only a live response produces.

    ITEM is a gate item name, as `mimctl show` and `mimctl advance` list it
    (bridge_recorded, manager_assigned, ...). Only a retrospective incident
    (mimctl new --retrospective) may be exempt, and only from items marked
    live_only: what a record can state (the cause, the times) must be recorded.
    The stage change records the items it was exempt from.

    \b
    Example:
      mimctl exempt INC-0042 bridge_recorded manager_assigned \\
        --reason "Recorded from the published postmortem, which names no bridge and no manager"
    """
    return record_with(rec, incident_id, identify.exempt, items, reason)
