"""Commands that record facts about an incident (each one event, one commit)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from .. import operations as ops
from ..model import format_time
from ..transaction import Change, apply
from .common import TIME, Recording, emit, guarded, json_value, recording, tracker

INCIDENT = click.argument("incident_id", metavar="ID")


def _finish(tr: Any, change: Change, no_commit: bool, output_format: str) -> int:
    applied = apply(tr, change, commit=not no_commit)
    data = {
        "incident": change.incident_id,
        "changed": applied.changed,
        "commit": applied.commit,
        "paths": applied.paths,
        **change.summary,
    }
    if not applied.changed:
        text = f"{change.incident_id}: nothing to change"
    else:
        where = f"committed {applied.commit[:10]}" if applied.commit else "written, not committed"
        text = f"{change.subject} ({where})"
        for key, value in change.summary.items():
            if key not in ("id",) and value not in (None, [], ""):
                text += f"\n  {key.replace('_', ' ')}: {', '.join(value) if isinstance(value, list) else value}"
    emit(output_format, data, text)
    return 0


def _record(
    rec: Recording,
    incident_id: str,
    kind: str,
    subject: str,
    fields: dict[str, Any] | None = None,
    edits: dict[str, Any] | None = None,
    summary: dict[str, Any] | None = None,
) -> int:
    """Record one event (and edits to incident.yaml) as one commit, and report it."""
    tr = tracker(rec.repo)
    incident = ops.load_incident(tr, incident_id)
    change = ops.record(tr, incident, kind, rec.at, rec.person, subject, fields, edits)
    change.summary.update(summary or {})
    return _finish(tr, change, rec.no_commit, rec.output_format)


@click.command()
@click.option("--title", required=True, help="One line: what is broken, as users see it.")
@click.option("--service", "services", multiple=True, required=True, help="Affected service id from catalog.yaml (repeat for several).")
@click.option("--impact", required=True, help="Impact level from process.yaml, e.g. high.")
@click.option("--urgency", required=True, help="Urgency level from process.yaml, e.g. high.")
@click.option("--severity", required=True, help="Severity id from process.yaml, e.g. SEV1.")
@click.option(
    "--source",
    type=click.Choice(["monitoring", "alert", "user-report", "staff-report", "third-party", "other"]),
    required=True,
    help="How it was detected.",
)
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
@click.option("--visibility", type=click.Choice(["public", "internal", "private"]), help="Where it is published (default: internal).")
@click.option("--id", "incident_id", help="Use this id instead of the next free one.")
@recording
@guarded
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
    tr = tracker(rec.repo)
    users = {k: v for k, v in {"count": user_count, "segment": segment}.items() if v is not None}
    alert = {k: v for k, v in {"name": alert_name, "id": alert_id}.items() if v}
    fields = {
        "id": incident_id.upper() if incident_id else None,
        "title": title,
        "services": services,
        "impact": impact,
        "urgency": urgency,
        "severity": severity,
        "source": source,
        "reported_by": reported_by,
        "alert": alert or None,
        "summary": summary,
        "major_reason": major_reason,
        "visibility": visibility,
        "started_at": format_time(started) if started else None,
        "detected_at": format_time(detected) if detected else None,
        "impacted_users": users or None,
        "regions": list(regions),
        "risks": list(risks),
    }
    change = ops.declare(tr, fields, rec.at, rec.person)
    return _finish(tr, change, rec.no_commit, rec.output_format)


@click.command()
@INCIDENT
@click.argument("text")
@recording
@guarded
def note(incident_id: str, text: str, rec: Recording) -> int:
    """Add a note to the timeline.

    \b
    Example:
      mimctl note INC-0042 "Error rate back under 1% after the rollback" --at 2026-11-27T09:40Z
    """
    return _record(rec, incident_id, "note", "note", {"text": text})


@click.command()
@INCIDENT
@click.option("--scope", help="What is affected, as confirmed.")
@recording
@guarded
def confirm(incident_id: str, scope: str | None, rec: Recording) -> int:
    """Record that the incident is confirmed as real (validation), by whom and its scope."""
    person = rec.person
    edits = {"validation.confirmed_by": person, "validation.confirmed_at": format_time(rec.at), "validation.scope": scope}
    return _record(rec, incident_id, "validated", "confirmed as real", {"text": scope}, edits)


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
@guarded
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
    tr = tracker(rec.repo)
    incident = ops.load_incident(tr, incident_id)
    new_impact = impact or incident.data["impact"]
    new_urgency = urgency or incident.data["urgency"]
    priority = tr.process.priority(new_impact, new_urgency)
    if priority is None:
        raise click.BadParameter(f"impact {new_impact!r} x urgency {new_urgency!r} is not in the priority matrix")
    edits: dict[str, Any] = {"impact": new_impact, "urgency": new_urgency, "priority": priority}
    for key, value in (
        ("severity", severity),
        ("major_reason", major_reason),
        ("summary", summary),
        ("impacted_users.count", user_count),
        ("impacted_users.segment", segment),
    ):
        if value is not None:
            edits[key] = value
    text = f"impact {new_impact}, urgency {new_urgency} -> priority {priority}; severity {severity or incident.severity}"
    change = ops.record(tr, incident, "classified", rec.at, rec.person, f"classify: {text}", {"text": text}, edits)
    return _finish(tr, change, rec.no_commit, rec.output_format)


@click.command()
@INCIDENT
@click.argument("role")
@click.argument("person")
@recording
@guarded
def assign(incident_id: str, role: str, person: str, rec: Recording) -> int:
    """Assign ROLE to PERSON; if someone held it, this is a hand-over.

    \b
    Example:
      mimctl assign INC-0042 incident_manager alice
      mimctl assign INC-0042 incident_manager bob --at 2026-11-27T16:00Z   # hand-over
    """
    tr = tracker(rec.repo)
    incident = ops.load_incident(tr, incident_id)
    if role not in tr.process.roles:
        raise click.BadParameter(f"unknown role {role!r}; roles: {', '.join(tr.process.roles)}", param_hint="ROLE")
    previous = (incident.data.get("roles") or {}).get(role)
    subject = f"{role} handed over from {previous} to {person}" if previous else f"{role} assigned to {person}"
    change = ops.record(
        tr,
        incident,
        "role",
        rec.at,
        rec.person,
        subject,
        {"role": role, "person": person, "previous": previous},
        {f"roles.{role}": person},
    )
    return _finish(tr, change, rec.no_commit, rec.output_format)


@click.command()
@INCIDENT
@click.option("--to", "recipients", multiple=True, required=True, help="Who was notified (person, team or list; repeatable).")
@click.option("--channel", help="How: email, slack, phone, pager...")
@click.option("--mirt", is_flag=True, help="The recipients join the Major Incident Response Team.")
@click.option("--text", help="What was said.")
@recording
@guarded
def notified(incident_id: str, recipients: tuple[str, ...], channel: str | None, mirt: bool, text: str | None, rec: Recording) -> int:
    """Record a notification that was sent (to the manager, the MIRT, stakeholders)."""
    tr = tracker(rec.repo)
    incident = ops.load_incident(tr, incident_id)
    edits = None
    if mirt:
        members = list(incident.data.get("mirt", []))
        edits = {"mirt": members + [r for r in recipients if r not in members]}
    change = ops.record(
        tr,
        incident,
        "notification",
        rec.at,
        rec.person,
        f"notified {', '.join(recipients)}",
        {"to": list(recipients), "channel": channel, "text": text},
        edits,
    )
    return _finish(tr, change, rec.no_commit, rec.output_format)


@click.command()
@INCIDENT
@click.option("--to", "recipients", multiple=True, required=True, help="Who it was escalated to (repeatable).")
@click.option("--level", type=click.IntRange(min=0), help="Escalation level reached.")
@click.option("--policy", help="Escalation policy id from process.yaml.")
@click.option("--text", help="Why.")
@recording
@guarded
def escalated(
    incident_id: str, recipients: tuple[str, ...], level: int | None, policy: str | None, text: str | None, rec: Recording
) -> int:
    """Record an escalation that was made (and the level of the escalation path reached)."""
    edits: dict[str, Any] = {}
    if level is not None:
        edits["escalation.level"] = level
    if policy:
        edits["escalation.policy"] = policy
    return _record(
        rec,
        incident_id,
        "escalation",
        f"escalated to {', '.join(recipients)}",
        {"to": list(recipients), "level": level, "text": text},
        edits,
    )


@click.command()
@INCIDENT
@recording
@guarded
def ack(incident_id: str, rec: Recording) -> int:
    """Record that you acknowledged the incident (stops further escalation)."""
    person = rec.person
    edits = {"escalation.acknowledged_by": person, "escalation.acknowledged_at": format_time(rec.at)}
    return _record(rec, incident_id, "ack", f"acknowledged by {person}", None, edits)


@click.command()
@INCIDENT
@click.argument("url")
@recording
@guarded
def bridge(incident_id: str, url: str, rec: Recording) -> int:
    """Record the bridge / virtual war room (an http(s) link)."""
    edits = {"bridge.url": url, "bridge.opened_at": format_time(rec.at)}
    return _record(rec, incident_id, "bridge", "bridge opened", {"url": url}, edits)


@click.command()
@INCIDENT
@click.argument("text")
@click.option(
    "--status", type=click.Choice(["investigating", "identified", "monitoring", "resolved"]), required=True, help="Statuspage-style status."
)
@click.option("--public", "audience", flag_value="public", help="Publish on the public status page.")
@click.option("--internal", "audience", flag_value="internal", default=True, help="Internal only (default).")
@recording
@guarded
def update(incident_id: str, text: str, status: str, audience: str, rec: Recording) -> int:
    """Post a stakeholder update.

    \b
    Example:
      mimctl update INC-0042 --public --status identified \\
        "We found the cause of failed card payments and are rolling out a fix."
    """
    return _record(
        rec,
        incident_id,
        "stakeholder-update",
        f"{audience} update: {status}",
        {"audience": audience, "status": status, "text": text},
    )


@click.command()
@INCIDENT
@click.option("--confirmed", "summary", help="The confirmed cause.")
@click.option("--unknown", "unknown_reason", help="Why the cause is still unknown.")
@recording
@guarded
def cause(incident_id: str, summary: str | None, unknown_reason: str | None, rec: Recording) -> int:
    """Record the cause (confirmed), or why it is still unknown."""
    if bool(summary) == bool(unknown_reason):
        raise click.UsageError("give exactly one of --confirmed TEXT or --unknown REASON")
    if summary:
        edits: dict[str, Any] = {"cause": {"status": "confirmed", "summary": summary}}
        text = f"Cause confirmed: {summary}"
    else:
        edits = {"cause": {"status": "unknown", "unknown_reason": unknown_reason}}
        text = f"Cause still unknown: {unknown_reason}"
    return _record(rec, incident_id, "note", "cause recorded", {"text": text}, edits)


@click.command()
@INCIDENT
@click.argument("text")
@recording
@guarded
def plan(incident_id: str, text: str, rec: Recording) -> int:
    """Record the resolution plan."""
    return _record(
        rec,
        incident_id,
        "note",
        "resolution plan",
        {"text": f"Resolution plan: {text}"},
        {"resolution_plan": text},
    )


@click.command()
@INCIDENT
@click.option("--implemented", "change_ref", metavar="CHANGE_REF", help="The fix went to production at --at under this change reference.")
@click.option("--summary", help="What the fix was.")
@click.option("--validated-in", help="Where the fix was tested first, e.g. staging.")
@click.option("--stable", is_flag=True, help="Stable since --at.")
@click.option("--confirmed-by", help="Who confirmed the service works (users, stakeholders).")
@recording
@guarded
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
    stamp = format_time(rec.at)
    edits: dict[str, Any] = {}
    done = []
    if change_ref:
        edits.update({"resolution.change_ref": change_ref, "resolution.implemented_at": stamp, "resolution.implemented_by": rec.person})
        done.append(f"fix implemented ({change_ref})")
    if summary:
        edits["resolution.summary"] = summary
    if validated_in:
        edits["resolution.validated_in"] = validated_in
    if stable:
        edits["resolution.stable_since"] = stamp
        done.append("stable")
    if confirmed_by:
        edits.update({"resolution.confirmed_by": confirmed_by, "resolution.confirmed_at": stamp})
        done.append(f"confirmed by {confirmed_by}")
    if not edits:
        raise click.UsageError("give at least one of --implemented, --summary, --validated-in, --stable, --confirmed-by")
    text = "; ".join(done) or "resolution details"
    return _record(rec, incident_id, "resolution", f"resolution: {text}", {"text": summary or text}, edits)


@click.command()
@INCIDENT
@click.option("--summary", help="What was restored.")
@click.option("--restored", is_flag=True, help="Everything restored at --at.")
@click.option("--dependents-validated", is_flag=True, help="Dependent services validated at --at.")
@recording
@guarded
def recovery(incident_id: str, summary: str | None, restored: bool, dependents_validated: bool, rec: Recording) -> int:
    """Record recovery: services restored, dependents validated."""
    stamp = format_time(rec.at)
    person = rec.person
    edits: dict[str, Any] = {"recovery.summary": summary}
    if restored:
        edits["recovery.restored_at"] = stamp
    if dependents_validated:
        edits.update({"recovery.dependents_validated_at": stamp, "recovery.dependents_validated_by": person})
    edits = {k: v for k, v in edits.items() if v is not None}
    if not edits:
        raise click.UsageError("give at least one of --summary, --restored, --dependents-validated")
    return _record(rec, incident_id, "recovery", "recovery", {"text": summary}, edits)


@click.command()
@INCIDENT
@click.option("--summary", required=True, help="Closure summary: what happened and how it was resolved.")
@click.option("--problem", "problem_ref", help="Problem record reference for root cause analysis.")
@click.option("--no-problem", "no_problem_reason", help="Why no problem record is needed.")
@click.option(
    "--users-restored/--users-not-restored", default=True, show_default=True, help="All impacted users and services are back to normal."
)
@recording
@guarded
def close(
    incident_id: str, summary: str, problem_ref: str | None, no_problem_reason: str | None, users_restored: bool, rec: Recording
) -> int:
    """Record closure details (and the hand-over to Problem Management)."""
    person = rec.person
    edits = {
        "closure.summary": summary,
        "closure.closed_at": format_time(rec.at),
        "closure.closed_by": person,
        "closure.users_restored": users_restored,
        "closure.problem_ref": problem_ref,
        "closure.no_problem_reason": no_problem_reason,
    }
    edits = {k: v for k, v in edits.items() if v is not None}
    return _record(rec, incident_id, "closure", "closure recorded", {"text": summary}, edits)


@click.command("set")
@INCIDENT
@click.argument("field")
@click.argument("value")
@click.option("--json", "as_json", is_flag=True, help="VALUE is JSON (a number, list or mapping).")
@recording
@guarded
def set_field(incident_id: str, field: str, value: str, as_json: bool, rec: Recording) -> int:
    """Set any field of incident.yaml (dotted path); the result must validate.

    \b
    Examples:
      mimctl set INC-0042 regions '["eu-west-1","eu-central-1"]' --json
      mimctl set INC-0042 impacted_users.segment "EU card customers"
    """
    if field in ("id", "stage"):
        raise click.BadParameter("id and stage are changed by 'mimctl advance' only", param_hint="FIELD")
    parsed = json_value(value, as_json)
    return _record(rec, incident_id, "field", f"set {field}", {"field": field, "value": parsed}, {field: parsed})
