"""The post-incident review: schedule it, write it, complete it, invite to it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click

from .. import operations as ops
from ..model import format_time
from .common import TIME, Recording, guarded, json_value, recording, tracker
from .record import INCIDENT, _finish, _record


@click.group()
def pir() -> None:
    """The post-incident review: schedule it, write it, complete it.

    \b
    Examples:
      mimctl pir schedule INC-0042 --when 2026-12-02T14:00Z --attendee alice --attendee bob
      mimctl pir new INC-0042
      mimctl pir set INC-0042 root_causes '["Pool size too small for v2.3"]' --json
      mimctl pir action add INC-0042 --title "Alert on pool saturation" --owner bob --due 2026-12-15
      mimctl pir action set INC-0042 A1 done
      mimctl pir complete INC-0042 --held 2026-12-02T14:00Z --attendee alice --attendee bob
    """


@pir.command("schedule")
@INCIDENT
@click.option("--when", type=TIME, help="When the review meeting is.")
@click.option("--attendee", "attendees", multiple=True, help="Invitee (repeatable).")
@click.option("--not-required", "not_required_reason", help="Why no review is needed.")
@recording
@guarded
def pir_schedule(
    incident_id: str, when: datetime | None, attendees: tuple[str, ...], not_required_reason: str | None, rec: Recording
) -> int:
    """Schedule the review meeting (or record why none is needed)."""
    if not_required_reason:
        edits: dict[str, Any] = {"pir.not_required_reason": not_required_reason}
        text = f"PIR not required: {not_required_reason}"
    else:
        if when is None or not attendees:
            raise click.UsageError("give --when and at least one --attendee, or --not-required REASON")
        edits = {"pir.scheduled_at": format_time(when), "pir.attendees": list(attendees)}
        text = f"PIR scheduled for {format_time(when)}"
    return _record(rec, incident_id, "note", text.split(":")[0], {"text": text}, edits)


def editing(func: Any) -> Any:
    """Options of commands that edit the review (not timeline events: no --at/--by)."""
    from .common import format_option, repo_option

    func = click.option("--no-commit", is_flag=True, help="Edit the files but do not commit.")(func)
    return format_option("text", "json")(repo_option(func))


def _pir_change(repo: Path | None, incident_id: str, subject: str, change_fn: Any, no_commit: bool, output_format: str) -> int:
    tr = tracker(repo)
    incident = ops.load_incident(tr, incident_id)
    return _finish(tr, ops.edit_pir(tr, incident, subject, change_fn), no_commit, output_format)


@pir.command("new")
@INCIDENT
@editing
@guarded
def pir_new(incident_id: str, no_commit: bool, output_format: str, repo: Path | None) -> int:
    """Start the review, pre-filled from the incident (summary, impact, cause)."""
    return _pir_change(repo, incident_id, "start the post-incident review", lambda data: None, no_commit, output_format)


@pir.command("set")
@INCIDENT
@click.argument("field")
@click.argument("value")
@click.option("--json", "as_json", is_flag=True, help="VALUE is JSON (a list or mapping).")
@editing
@guarded
def pir_set(incident_id: str, field: str, value: str, as_json: bool, no_commit: bool, output_format: str, repo: Path | None) -> int:
    """Set a field of the review (summary, root_causes, known_errors, ...)."""
    parsed = json_value(value, as_json)
    return _pir_change(repo, incident_id, f"review: set {field}", lambda data: ops.set_path(data, field, parsed), no_commit, output_format)


@pir.command("complete")
@INCIDENT
@click.option("--held", type=TIME, required=True, help="When the meeting was held.")
@click.option("--attendee", "attendees", multiple=True, required=True, help="Who attended (repeatable).")
@editing
@guarded
def pir_complete(
    incident_id: str, held: datetime, attendees: tuple[str, ...], no_commit: bool, output_format: str, repo: Path | None
) -> int:
    """Record the meeting and mark the review complete."""

    def change(data: Any) -> None:
        data["meeting"] = {"held_at": format_time(held), "attendees": list(attendees)}
        data["status"] = "complete"

    return _pir_change(repo, incident_id, "review complete", change, no_commit, output_format)


@pir.group("action")
def pir_action() -> None:
    """Improvement action items of the review."""


@pir_action.command("add")
@INCIDENT
@click.option("--title", required=True)
@click.option("--owner", required=True)
@click.option("--due", required=True, help="Due date, YYYY-MM-DD.")
@click.option("--kind", type=click.Choice(["prevent", "detect", "mitigate", "process", "training", "tooling"]))
@editing
@guarded
def pir_action_add(
    incident_id: str, title: str, owner: str, due: str, kind: str | None, no_commit: bool, output_format: str, repo: Path | None
) -> int:
    """Add an action item (id A1, A2, ...)."""

    def change(data: Any) -> None:
        actions = data.setdefault("actions", [])
        used = {int(str(a.get("id", "A0"))[1:] or 0) for a in actions if str(a.get("id", "")).startswith("A")}
        item = {"id": f"A{max(used, default=0) + 1}", "title": title, "owner": owner, "due": due, "status": "open"}
        if kind:
            item["kind"] = kind
        actions.append(item)

    return _pir_change(repo, incident_id, f"review action: {title[:60]}", change, no_commit, output_format)


@pir_action.command("set")
@INCIDENT
@click.argument("action_id")
@click.argument("status", type=click.Choice(["open", "in-progress", "done", "dropped"]))
@editing
@guarded
def pir_action_set(incident_id: str, action_id: str, status: str, no_commit: bool, output_format: str, repo: Path | None) -> int:
    """Set an action item's status."""

    def change(data: Any) -> None:
        for item in data.get("actions", []):
            if item.get("id") == action_id:
                item["status"] = status
                return
        raise click.BadParameter(f"no action {action_id!r} in the review", param_hint="ACTION_ID")

    return _pir_change(repo, incident_id, f"review action {action_id} {status}", change, no_commit, output_format)


from .insight import pir_invite  # noqa: E402 - insight does not import this module at load time

pir.add_command(pir_invite, "invite")
