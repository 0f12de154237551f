"""Commands that record facts about an incident (each one event, one commit)."""

from __future__ import annotations

from datetime import datetime

import click

from .. import vocabulary
from ..usecases import close as closing
from ..usecases import identify, notify, resolve, timeline
from ..usecases import investigate as diagnosis
from .common import INCIDENT, TIME, Recording, apply_change, field_value, json_value, record_with, recording, tracker


@click.command()
@click.option("--title", required=True, help="One line: what is broken, as users see it.")
@click.option("--service", "services", multiple=True, required=True, help="Affected service id from catalog.yaml (repeat for several).")
@click.option("--impact", required=True, help="Impact level from process.yaml, e.g. high.")
@click.option("--urgency", required=True, help="Urgency level from process.yaml, e.g. high.")
@click.option("--severity", required=True, help="Severity id from process.yaml, e.g. SEV1.")
@click.option("--source", type=click.Choice(vocabulary.DETECTION_SOURCES), required=True, help="How it was detected.")
@click.option("--reported-by", help="Who reported it.")
@click.option("--alert-name", help="The alert's name, when an alert detected it.")
@click.option("--alert-id", help="The alert's id or fingerprint.")
@click.option("--summary", help="What is happening (Markdown).")
@click.option("--major-reason", help="Why this is a major incident.")
@click.option("--started", type=TIME, help="When the impact started (default: unknown).")
@click.option("--detected", type=TIME, help="When it was detected (default: --at).")
@click.option("--users", "user_count", type=click.IntRange(min=0), help="Number of impacted users.")
@click.option("--segment", help="Impacted user segment, e.g. 'EU card payments'.")
@click.option("--region", "regions", multiple=True, help="Affected region (repeatable).")
@click.option("--risk", "risks", multiple=True, help="A potential risk (repeatable).")
@click.option("--visibility", type=click.Choice(vocabulary.VISIBILITIES), help="Where it is published (default: internal).")
@click.option("--id", "incident_id", help="Use this id instead of the next free one.")
@recording
def new(
    title: str,
    services: tuple[str, ...],
    impact: str,
    urgency: str,
    severity: str,
    source: str,
    reported_by: str | None,
    alert_name: str | None,
    alert_id: str | None,
    summary: str | None,
    major_reason: str | None,
    started: datetime | None,
    detected: datetime | None,
    user_count: int | None,
    segment: str | None,
    regions: tuple[str, ...],
    risks: tuple[str, ...],
    visibility: str | None,
    incident_id: str | None,
    rec: Recording,
) -> int:
    """Declare a major incident: create its folder in the first stage and commit.

    Priority is worked out from impact x urgency with the matrix in
    process.yaml. The dependents at risk (services that depend on the
    affected ones) are listed.

    \b
    Example:
      mimctl new --title "Card payments failing" --service checkout-api \\
        --impact high --urgency high --severity SEV1 --source alert \\
        --alert-name PaymentsErrorRate --started 2026-11-27T08:02Z
    """
    declared = identify.Declaration(
        title=title,
        services=services,
        impact=impact,
        urgency=urgency,
        severity=severity,
        source=source,
        reported_by=reported_by,
        alert={k: v for k, v in {"name": alert_name, "id": alert_id}.items() if v},
        summary=summary,
        major_reason=major_reason,
        visibility=visibility,
        started_at=started,
        detected_at=detected,
        user_count=user_count,
        segment=segment,
        regions=regions,
        risks=risks,
        incident_id=incident_id,
    )
    tr = tracker(rec.repo)
    return apply_change(tr, identify.declare(tr, declared, rec.at, rec.person), rec)


@click.command()
@INCIDENT
@click.argument("text")
@recording
def note(incident_id: str, text: str, rec: Recording) -> int:
    """Add a note to the timeline.

    \b
    Example:
      mimctl note INC-0042 "Error rate back under 1% after the rollback" --at 2026-11-27T09:40Z
    """
    return record_with(rec, incident_id, timeline.note, text)


@click.command()
@INCIDENT
@click.option("--scope", help="What is affected, as confirmed.")
@recording
def confirm(incident_id: str, scope: str | None, rec: Recording) -> int:
    """Record that the incident is confirmed as real (validation), by whom and its scope."""
    return record_with(rec, incident_id, identify.confirm, scope)


@click.command()
@INCIDENT
@click.option("--impact", help="Impact level from process.yaml.")
@click.option("--urgency", help="Urgency level from process.yaml.")
@click.option("--severity", help="Severity id from process.yaml.")
@click.option("--reason", "major_reason", help="Why this is a major incident.")
@click.option("--users", "user_count", type=click.IntRange(min=0), help="Number of impacted users.")
@click.option("--segment", help="Impacted user segment.")
@click.option("--summary", help="What is happening (Markdown).")
@recording
def classify(
    incident_id: str,
    impact: str | None,
    urgency: str | None,
    severity: str | None,
    major_reason: str | None,
    user_count: int | None,
    segment: str | None,
    summary: str | None,
    rec: Recording,
) -> int:
    """Classify: impact and urgency (priority follows from the matrix), severity, why major.

    \b
    Example:
      mimctl classify INC-0042 --impact high --urgency medium --severity SEV2 \\
        --reason "All EU card payments fail" --users 120000 --segment "EU customers"
    """
    return record_with(
        rec,
        incident_id,
        identify.classify,
        impact=impact,
        urgency=urgency,
        severity=severity,
        major_reason=major_reason,
        user_count=user_count,
        segment=segment,
        summary=summary,
    )


@click.command()
@INCIDENT
@click.argument("role")
@click.argument("person")
@recording
def assign(incident_id: str, role: str, person: str, rec: Recording) -> int:
    """Assign ROLE to PERSON; if someone held it, this is a hand-over.

    \b
    Example:
      mimctl assign INC-0042 incident_manager alice
      mimctl assign INC-0042 incident_manager bob --at 2026-11-27T16:00Z   # hand-over
    """
    return record_with(rec, incident_id, notify.assign, role, person)


@click.command()
@INCIDENT
@click.option("--to", "recipients", multiple=True, required=True, help="Who was notified (person, team or list; repeatable).")
@click.option("--channel", help="How: email, slack, phone, pager...")
@click.option("--mirt", is_flag=True, help="The recipients join the Major Incident Response Team.")
@click.option("--text", help="What was said.")
@recording
def notified(incident_id: str, recipients: tuple[str, ...], channel: str | None, mirt: bool, text: str | None, rec: Recording) -> int:
    """Record a notification that was sent (to the manager, the MIRT, stakeholders)."""
    return record_with(rec, incident_id, notify.notified, recipients, channel=channel, text=text, mirt=mirt)


@click.command()
@INCIDENT
@click.option("--to", "recipients", multiple=True, required=True, help="Who it was escalated to (repeatable).")
@click.option("--level", type=click.IntRange(min=0), help="Escalation level reached.")
@click.option("--policy", help="Escalation policy id from process.yaml.")
@click.option("--text", help="Why.")
@recording
def escalated(
    incident_id: str, recipients: tuple[str, ...], level: int | None, policy: str | None, text: str | None, rec: Recording
) -> int:
    """Record an escalation that was made (and the level of the escalation path reached)."""
    return record_with(rec, incident_id, notify.escalated, recipients, level=level, policy=policy, text=text)


@click.command()
@INCIDENT
@recording
def ack(incident_id: str, rec: Recording) -> int:
    """Record that you acknowledged the incident (stops further escalation)."""
    return record_with(rec, incident_id, notify.acknowledge)


@click.command()
@INCIDENT
@click.argument("url")
@recording
def bridge(incident_id: str, url: str, rec: Recording) -> int:
    """Record the bridge / virtual war room (an http(s) link)."""
    return record_with(rec, incident_id, notify.bridge, url)


@click.command()
@INCIDENT
@click.argument("text")
@click.option("--status", type=click.Choice(vocabulary.UPDATE_STATUSES), required=True, help="Statuspage-style status.")
@click.option("--public", "audience", flag_value="public", help="Publish on the public status page.")
@click.option("--internal", "audience", flag_value="internal", default=True, help="Internal only (default).")
@recording
def update(incident_id: str, text: str, status: str, audience: str, rec: Recording) -> int:
    """Post a stakeholder update.

    \b
    Example:
      mimctl update INC-0042 --public --status identified \\
        "We found the cause of failed card payments and are rolling out a fix."
    """
    return record_with(rec, incident_id, notify.stakeholder_update, text, status, audience)


@click.command()
@INCIDENT
@click.option("--confirmed", "summary", help="The confirmed cause.")
@click.option("--unknown", "unknown_reason", help="Why the cause is still unknown.")
@recording
def cause(incident_id: str, summary: str | None, unknown_reason: str | None, rec: Recording) -> int:
    """Record the cause (confirmed), or why it is still unknown."""
    if bool(summary) == bool(unknown_reason):
        raise click.UsageError("give exactly one of --confirmed TEXT or --unknown REASON")
    if summary:
        return record_with(rec, incident_id, diagnosis.confirm_cause, summary)
    return record_with(rec, incident_id, diagnosis.cause_unknown, unknown_reason)


@click.command()
@INCIDENT
@click.argument("text")
@recording
def plan(incident_id: str, text: str, rec: Recording) -> int:
    """Record the resolution plan."""
    return record_with(rec, incident_id, diagnosis.plan, text)


@click.command()
@INCIDENT
@click.option("--implemented", "change_ref", metavar="CHANGE_REF", help="The fix went to production at --at under this change reference.")
@click.option("--summary", help="What the fix was.")
@click.option("--validated-in", help="Where the fix was tested first, e.g. staging.")
@click.option("--stable", is_flag=True, help="Stable since --at.")
@click.option("--confirmed-by", help="Who confirmed the service works (users, stakeholders).")
@recording
def resolution(
    incident_id: str,
    change_ref: str | None,
    summary: str | None,
    validated_in: str | None,
    stable: bool,
    confirmed_by: str | None,
    rec: Recording,
) -> int:
    """Record the fix, that it is stable, and that users confirmed it (any of these).

    \b
    Examples:
      mimctl resolution INC-0042 --implemented CHG-1234 --summary "Rolled back v2.3" --validated-in staging
      mimctl resolution INC-0042 --stable --at 2026-11-27T10:30Z
      mimctl resolution INC-0042 --confirmed-by "service desk"
    """
    if not (change_ref or summary or validated_in or stable or confirmed_by):
        raise click.UsageError("give at least one of --implemented, --summary, --validated-in, --stable, --confirmed-by")
    return record_with(
        rec,
        incident_id,
        resolve.resolution,
        change_ref=change_ref,
        summary=summary,
        validated_in=validated_in,
        stable=stable,
        confirmed_by=confirmed_by,
    )


@click.command()
@INCIDENT
@click.option("--summary", help="What was restored.")
@click.option("--restored", is_flag=True, help="Everything restored at --at.")
@click.option("--dependents-validated", is_flag=True, help="Dependent services validated at --at.")
@recording
def recovery(incident_id: str, summary: str | None, restored: bool, dependents_validated: bool, rec: Recording) -> int:
    """Record recovery: services restored, dependents validated."""
    if summary is None and not restored and not dependents_validated:
        raise click.UsageError("give at least one of --summary, --restored, --dependents-validated")
    return record_with(rec, incident_id, resolve.recovery, summary=summary, restored=restored, dependents_validated=dependents_validated)


@click.command()
@INCIDENT
@click.option("--summary", required=True, help="Closure summary: what happened and how it was resolved.")
@click.option("--problem", "problem_ref", help="Problem record reference for root cause analysis.")
@click.option("--no-problem", "no_problem_reason", help="Why no problem record is needed.")
@click.option(
    "--users-restored/--users-not-restored", default=True, show_default=True, help="All impacted users and services are back to normal."
)
@recording
def close(
    incident_id: str, summary: str, problem_ref: str | None, no_problem_reason: str | None, users_restored: bool, rec: Recording
) -> int:
    """Record closure details (and the hand-over to Problem Management)."""
    return record_with(
        rec,
        incident_id,
        closing.close,
        summary,
        problem_ref=problem_ref,
        no_problem_reason=no_problem_reason,
        users_restored=users_restored,
    )


@click.command("set")
@INCIDENT
@field_value("VALUE is JSON (a number, list or mapping).")
@recording
def set_field(incident_id: str, field: str, value: str, as_json: bool, rec: Recording) -> int:
    """Set any field of incident.yaml (dotted path); the result must validate.

    \b
    Examples:
      mimctl set INC-0042 regions '["eu-west-1","eu-central-1"]' --json
      mimctl set INC-0042 impacted_users.segment "EU card customers"
    """
    return record_with(rec, incident_id, timeline.set_field, field, json_value(value, as_json))
