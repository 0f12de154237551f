"""The post-incident review: schedule it, write it, complete it, invite to it."""

from __future__ import annotations

from pathlib import Path

import click

from .. import vocabulary
from ..formatting import parse_day
from ..timing import Known
from ..usecases import close as closing
from ..usecases import review
from .common import (
    INCIDENT,
    KNOWN_TIME_ONLY,
    Recording,
    default_person,
    field_value,
    json_value,
    now,
    record_with,
    recording,
    repo_option,
    tracker,
)


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
@click.option("--when", type=KNOWN_TIME_ONLY, help="When the review meeting is.")
@click.option("--attendee", "attendees", multiple=True, help="Invitee (repeatable).")
@click.option("--not-required", "not_required_reason", help="Why no review is needed.")
@recording
def pir_schedule(incident_id: str, when: Known | None, attendees: tuple[str, ...], not_required_reason: str | None, rec: Recording) -> int:
    """Schedule the review meeting (or record why none is needed)."""
    if not_required_reason:
        return record_with(rec, incident_id, closing.review_not_required, not_required_reason)
    if when is None or not attendees:
        raise click.UsageError("give --when and at least one --attendee, or --not-required REASON")
    return record_with(rec, incident_id, closing.schedule_review, when, attendees)


@pir.command("new")
@INCIDENT
@recording
def pir_new(incident_id: str, rec: Recording) -> int:
    """Start the review, pre-filled from the incident (summary, impact, cause)."""
    return record_with(rec, incident_id, review.start_review)


@pir.command("set")
@INCIDENT
@field_value("VALUE is JSON (a list or mapping).")
@recording
def pir_set(incident_id: str, field: str, value: str, as_json: bool, rec: Recording) -> int:
    """Set a field of the review (summary, root_causes, known_errors, ...)."""
    return record_with(rec, incident_id, review.set_review_field, field, json_value(value, as_json))


@pir.command("complete")
@INCIDENT
@click.option("--held", type=KNOWN_TIME_ONLY, required=True, help="When the meeting was held (2026-12-02 if only the day is known).")
@click.option("--attendee", "attendees", multiple=True, required=True, help="Who attended (repeatable).")
@recording
def pir_complete(incident_id: str, held: Known, attendees: tuple[str, ...], rec: Recording) -> int:
    """Record the meeting and mark the review complete (--at: when this was recorded; default now)."""
    return record_with(rec, incident_id, review.complete_review, held, attendees)


@pir.group("action")
def pir_action() -> None:
    """Improvement action items of the review."""


@pir_action.command("add")
@INCIDENT
@click.option("--title", required=True)
@click.option("--owner", required=True)
@click.option("--due", required=True, help="Due date, YYYY-MM-DD.")
@click.option("--kind", type=click.Choice(vocabulary.ACTION_KINDS))
@click.option("--link", help="A link to the work item (http/https).")
@click.option("--note", help="More about it.")
@recording
def pir_action_add(
    incident_id: str, title: str, owner: str, due: str, kind: str | None, link: str | None, note: str | None, rec: Recording
) -> int:
    """Add an action item; prints its id (A1, A2, ...).

    \b
    Example:
      mimctl pir action add INC-0042 --title "Alert on pool saturation" --owner bob --due 2026-12-15 \\
        --kind detect --link https://tracker.example.com/OPS-12
    """
    return record_with(rec, incident_id, review.add_action, title, owner, _due(due), kind=kind, link=link, note=note)


@pir_action.command("set")
@INCIDENT
@click.argument("action_id")
@click.argument("status", type=click.Choice(vocabulary.ACTION_STATUSES))
@recording
def pir_action_set(incident_id: str, action_id: str, status: str, rec: Recording) -> int:
    """Set an action item's status; done or dropped records when (--at) and by whom (--by).

    \b
    Example:
      mimctl pir action set INC-0042 A1 done --at 2026-12-14 --by bob
    """
    return record_with(rec, incident_id, review.set_action, action_id, status)


def _due(value: str) -> str:
    try:
        return parse_day(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-12-15", param_hint="--due") from None


@pir.command("invite")
@INCIDENT
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path, allow_dash=True),
    default="-",
    show_default=True,
    help="Write the .ics here ('-' for standard output).",
)
@click.option("--email-domain", envvar="MIMCTL_EMAIL_DOMAIN", show_envvar=True, help="Handles not in the catalog: alice -> alice@DOMAIN.")
@click.option("--link", help="A link to the incident or review page (http/https).")
@click.option("--by", "by", help="The organizer (default: $MIMCTL_USER or the login name).")
@click.option("--no-commit", is_flag=True, help="Record the new SEQUENCE in incident.yaml but do not commit.")
@repo_option
def pir_invite(
    incident_id: str, output: Path, email_domain: str | None, link: str | None, by: str | None, no_commit: bool, repo: Path | None
) -> int:
    """Make the calendar invite (.ics, RFC 5545) for the scheduled review meeting.

    The UID is the same for every invite of this review; SEQUENCE goes up by
    one each time the meeting was moved (mimctl pir schedule --when) since the
    last invite, so calendars update the meeting instead of adding another.
    The new SEQUENCE is kept in incident.yaml (pir.sequence, pir.invited_for)
    and committed with a timeline note; the .ics itself is not committed.

    \b
    Examples:
      mimctl pir invite INC-0042 -o pir.ics --email-domain example.com
      mimctl pir invite INC-0042 | mail -a - ...
    """
    from ..transaction import apply
    from ..usecases.records import load_incident

    tr = tracker(repo)
    incident = load_incident(tr, incident_id)
    made = review.invite(tr, incident, by or default_person(), now(), link=link, email_domain=email_domain)
    recorded = "unchanged"
    if made.change is not None:
        applied = apply(tr, made.change, commit=not no_commit)
        recorded = f"committed {applied.commit[:10]}" if applied.commit else "written to incident.yaml, not committed"
    if str(output) == "-":
        click.echo(made.ics.encode("utf-8"), nl=False)  # bytes: written as they are, CRLF kept
        where = "standard output"
    else:
        output.write_bytes(made.ics.encode("utf-8"))
        where = str(output)
    click.echo(f"{incident.id}: PIR invite SEQUENCE {made.sequence} to {where} ({recorded})", err=str(output) == "-")
    return 0
