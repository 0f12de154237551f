"""Commands that record facts about an incident (each one event, one commit)."""

from __future__ import annotations

import click

from .. import vocabulary
from ..timing import Known, Unknown
from ..usecases import close as closing
from ..usecases import identify, notify, resolve, timeline
from ..usecases import investigate as diagnosis
from .common import INCIDENT, KNOWN_TIME, Recording, apply_change, field_value, json_value, record_with, recording, tracker


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
@click.option("--started", type=KNOWN_TIME, help="When the impact started, as known (default: unknown). It may be after detection.")
@click.option("--detected", type=KNOWN_TIME, help="When it was detected, as known (default: --at); 'unknown' if no one knows.")
@click.option("--users", "user_count", type=click.IntRange(min=0), help="Number of impacted users (people).")
@click.option("--customers", type=click.IntRange(min=0), help="Number of impacted customers (accounts, organisations).")
@click.option("--devices", type=click.IntRange(min=0), help="Number of impacted devices.")
@click.option("--segment", help="Impacted user segment, e.g. 'EU card payments'.")
@click.option("--region", "regions", multiple=True, help="Affected region (repeatable).")
@click.option("--risk", "risks", multiple=True, help="A potential risk (repeatable).")
@click.option("--visibility", type=click.Choice(vocabulary.VISIBILITIES), help="Where it is published (default: internal).")
@click.option("--id", "incident_id", help="Use this id instead of the next free one.")
@click.option(
    "--retrospective",
    metavar="REASON",
    help="Recorded after the fact (from a postmortem, a ticket...): why. Nothing is ever sent for it; see 'mimctl exempt'.",
)
@click.option("--source-url", "sources", multiple=True, metavar="URL", help="What a retrospective is recorded from (repeatable).")
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
    started: Known | Unknown | None,
    detected: Known | Unknown | None,
    user_count: int | None,
    customers: int | None,
    devices: int | None,
    segment: str | None,
    regions: tuple[str, ...],
    risks: tuple[str, ...],
    visibility: str | None,
    incident_id: str | None,
    retrospective: str | None,
    sources: tuple[str, ...],
    rec: Recording,
) -> int:
    """Declare a major incident: create its folder in the first stage and commit.

    Priority is worked out from impact x urgency with the matrix in
    process.yaml. The dependents at risk (services that depend on the
    affected ones) are listed. --at is when it was declared.

    \b
    Examples:
      mimctl new --title "Card payments failing" --service checkout-api \\
        --impact high --urgency high --severity SEV1 --source alert \\
        --alert-name PaymentsErrorRate --started 2026-11-27T08:02Z
      mimctl new --title "Card payments failing" --service checkout-api \\
        --impact high --urgency high --severity SEV1 --source monitoring \\
        --retrospective "Recorded from the published postmortem" \\
        --source-url https://example.com/postmortem \\
        --started 2026-11-27T08:02Z --detected "~2026-11-27T08:10Z" --at 2026-11-27T08:20Z
    """
    if isinstance(rec.when, Unknown):
        raise click.BadParameter("when the incident was declared is needed (the day, at least)", param_hint="--at")
    declared_at = rec.when
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
        started_at=None if isinstance(started, Unknown) else started,
        detected_at=Known(declared_at.at, "unknown") if isinstance(detected, Unknown) else detected,
        user_count=user_count,
        customers=customers,
        devices=devices,
        segment=segment,
        regions=regions,
        risks=risks,
        incident_id=incident_id,
        retrospective=retrospective,
        sources=sources,
    )
    tr = tracker(rec.repo)
    return apply_change(tr, identify.declare(tr, declared, declared_at, rec.person), rec)


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
@click.option("--users", "user_count", type=click.IntRange(min=0), help="Number of impacted users (people).")
@click.option("--customers", type=click.IntRange(min=0), help="Number of impacted customers (accounts, organisations).")
@click.option("--devices", type=click.IntRange(min=0), help="Number of impacted devices.")
@click.option("--segment", help="Impacted user segment.")
@click.option("--summary", help="What is happening (Markdown).")
@click.option("--data-loss", metavar="TEXT", help="Data was lost: what, for which window, whether any came back.")
@click.option("--records-lost", type=click.IntRange(min=0), help="How many records were lost (with --data-loss).")
@click.option("--no-data-loss", is_flag=True, help="No data was lost.")
@recording
def classify(
    incident_id: str,
    impact: str | None,
    urgency: str | None,
    severity: str | None,
    major_reason: str | None,
    user_count: int | None,
    customers: int | None,
    devices: int | None,
    segment: str | None,
    summary: str | None,
    data_loss: str | None,
    records_lost: int | None,
    no_data_loss: bool,
    rec: Recording,
) -> int:
    """Classify: impact and urgency (priority follows from the matrix), severity, why major, who is affected, data lost.

    \b
    Examples:
      mimctl classify INC-0042 --impact high --urgency medium --severity SEV2 \\
        --reason "All EU card payments fail" --users 120000 --segment "EU customers"
      mimctl classify INC-0042 --customers 775 --data-loss "Up to 5 minutes of writes before the restore"
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
        customers=customers,
        devices=devices,
        data_loss=data_loss,
        no_data_loss=no_data_loss,
        records_lost=records_lost,
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
@click.argument("vendor")
@click.option("--case", help="Their case or ticket reference.")
@click.option("--link", "url", help="A link to the case (http/https).")
@click.option("--text", help="What was asked, or said.")
@recording
def vendor(incident_id: str, vendor: str, case: str | None, url: str | None, text: str | None, rec: Recording) -> int:
    """Record an escalation to a vendor or other third party (a support case).

    Not a level of the escalation path: `escalated` records those.

    \b
    Example:
      mimctl vendor INC-0042 "Cloud provider support" --case 1234-5678 --text "Opened at severity 1"
    """
    return record_with(rec, incident_id, notify.vendor_escalation, vendor, case=case, url=url, text=text)


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
@click.option("--change", "changes", multiple=True, metavar="REF", help="A change implicated in the cause (repeatable).")
@recording
def cause(incident_id: str, summary: str | None, unknown_reason: str | None, changes: tuple[str, ...], rec: Recording) -> int:
    """Record the cause (confirmed), or why it is still unknown.

    \b
    Example:
      mimctl cause INC-0042 --confirmed "Pool size too small for v2.3" --change CHG-1234
    """
    if bool(summary) == bool(unknown_reason):
        raise click.UsageError("give exactly one of --confirmed TEXT or --unknown REASON")
    if changes and not summary:
        raise click.UsageError("--change goes with --confirmed (the changes implicated in the cause)")
    if summary:
        return record_with(rec, incident_id, diagnosis.confirm_cause, summary, changes=changes)
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
@click.option("--service-restored", is_flag=True, help="Service restored for users at --at (the resolved milestone).")
@click.option("--stable", is_flag=True, help="Stable since --at.")
@click.option("--confirmed-by", help="Who confirmed the service works (users, stakeholders).")
@recording
def resolution(
    incident_id: str,
    change_ref: str | None,
    summary: str | None,
    validated_in: str | None,
    service_restored: bool,
    stable: bool,
    confirmed_by: str | None,
    rec: Recording,
) -> int:
    """Record the fix, service restored for users, that it is stable, and that users confirmed it (any of these).

    Service restored is the resolved milestone (time to resolve ends there),
    whether a fix or a containment action restored it; a fix implemented is not
    by itself service restored.

    \b
    Examples:
      mimctl resolution INC-0042 --implemented CHG-1234 --summary "Rolled back v2.3" --validated-in staging
      mimctl resolution INC-0042 --service-restored --at 2026-11-27T10:05Z
      mimctl resolution INC-0042 --stable --at 2026-11-27T10:30Z
      mimctl resolution INC-0042 --confirmed-by "service desk"
    """
    if not (change_ref or summary or validated_in or service_restored or stable or confirmed_by):
        raise click.UsageError(
            "give at least one of --implemented, --summary, --validated-in, --service-restored, --stable, --confirmed-by"
        )
    return record_with(
        rec,
        incident_id,
        resolve.resolution,
        change_ref=change_ref,
        summary=summary,
        validated_in=validated_in,
        service_restored=service_restored,
        stable=stable,
        confirmed_by=confirmed_by,
    )


@click.command()
@INCIDENT
@click.option("--summary", help="What was restored.")
@click.option("--restored", is_flag=True, help="Everything restored at --at: fully recovered (the recovered milestone).")
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
@click.option("--problem", "problem_refs", multiple=True, help="Problem record reference for root cause analysis (repeatable).")
@click.option("--no-problem", "no_problem_reason", help="Why no problem record is needed.")
@click.option(
    "--users-restored/--users-not-restored", default=True, show_default=True, help="All impacted users and services are back to normal."
)
@recording
def close(
    incident_id: str, summary: str, problem_refs: tuple[str, ...], no_problem_reason: str | None, users_restored: bool, rec: Recording
) -> int:
    """Record closure details (and the hand-over to Problem Management).

    \b
    Examples:
      mimctl close INC-0042 --summary "Pool resized; see the review" --problem PRB-0207
      mimctl close INC-0042 --summary "..." --problem PRB-0207 --problem PRB-0211
      mimctl close INC-0042 --summary "..." --no-problem "Cause fixed and prevented" --at unknown
    """
    return record_with(
        rec,
        incident_id,
        closing.close,
        summary,
        problem_ref=list(problem_refs),
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
