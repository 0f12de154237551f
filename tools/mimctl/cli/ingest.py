"""Commands for alerts, the known error database and service impact."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..output import terminal_safe
from .common import EXIT_FAILED, TIME, Recording, emit, format_option, recording, repo_option, tracker

if TYPE_CHECKING:
    from ..usecases.alerts import PayloadFormat

SOURCE = click.argument("source", metavar="[FILE|-]", default="-", required=False)


def _read(source: str) -> bytes:
    """The payload bytes from FILE or stdin, read no further than one byte over the limit."""
    from ..alert_payloads import MAX_PAYLOAD_BYTES, PayloadError

    try:
        if source == "-":
            return sys.stdin.buffer.read(MAX_PAYLOAD_BYTES + 1)
        with open(source, "rb") as handle:
            return handle.read(MAX_PAYLOAD_BYTES + 1)
    except OSError as exc:
        raise PayloadError(f"cannot read {source}: {exc.strerror or exc}") from None


def _ingest(payload_format: PayloadFormat, source: str, rec: Recording) -> int:
    from ..alert_payloads import PayloadError
    from ..usecases.alerts import ingest as record_alerts

    tr = tracker(rec.repo)
    try:
        done = record_alerts(tr, payload_format, _read(source), rec.at, rec.by, commit=not rec.no_commit)
    except PayloadError as exc:
        click.echo(terminal_safe(f"mimctl: rejected {payload_format} payload: {exc}; nothing was changed"), err=True)
        return EXIT_FAILED
    plan, group, applied = done.plan, done.group, done.applied
    data: dict[str, Any] = {
        "action": plan.action,
        "incident": plan.incident_id,
        "group_key": group.group_key,
        "status": group.status,
        "opened": [plan.incident_id] if plan.action == "opened" else [],
        "updated": [plan.incident_id] if plan.action == "updated" else [],
        "events": plan.events,
        "suggestions": plan.suggestions,
        "reason": plan.reason,
        "commit": applied.commit if applied else None,
        "paths": applied.paths if applied else [],
    }
    if applied is not None and plan.change is not None:
        where = f"committed {applied.commit[:10]}" if applied.commit else "written, not committed"
        text = f"{plan.change.subject} ({where})\n  {plan.action}: {plan.incident_id}, {plan.events} alert event(s)"
        if plan.suggestions:
            text += f"\n  possible known errors: {', '.join(plan.suggestions)} (mimctl kedb match {plan.incident_id})"
        if plan.reason:
            text += f"\n  {plan.reason}"
    else:
        text = f"{plan.action}{f' ({plan.incident_id})' if plan.incident_id else ''}: {plan.reason}"
    emit(rec.output_format, data, text)
    return 0


@click.group()
def ingest() -> None:
    """Turn alert notifications into incidents (see docs/alerts.md).

    A new alert group opens an incident in the first stage; a repeat of the
    group adds alert events to the incident it opened; a resolved alert is
    recorded and never closes or advances anything.
    """


@ingest.command()
@SOURCE
@recording
def alertmanager(source: str, rec: Recording) -> int:
    """Ingest a Prometheus Alertmanager webhook notification (version 4) from FILE or stdin.

    \b
    Example:
      mimctl ingest alertmanager payload.json --format json
      curl -s ... | mimctl ingest alertmanager -
    """
    return _ingest("alertmanager", source, rec)


@ingest.command()
@SOURCE
@recording
def generic(source: str, rec: Recording) -> int:
    """Ingest an alert in the generic JSON shape of docs/alerts.md from FILE or stdin.

    \b
    Example:
      echo '{"group_key": "checkout-5xx", "alerts": [{"name": "CheckoutErrorRate",
             "labels": {"service": "checkout-api", "severity": "critical"}}]}' | mimctl ingest generic -
    """
    return _ingest("generic", source, rec)


@click.group()
def kedb() -> None:
    """Match incidents against the Known Error Database, and add known errors."""


@kedb.command()
@click.argument("incident_id", metavar="ID")
@click.option("--limit", type=click.IntRange(min=1), default=5, show_default=True, help="Show at most this many matches.")
@format_option("text", "json")
@repo_option
def match(incident_id: str, limit: int, output_format: str, repo: Path | None) -> int:
    """Rank the known errors that fit incident ID, with their workarounds.

    Scores come from alert names and labels, log patterns found in the summary,
    notes and evidence, symptom phrases, and shared services.

    \b
    Example:
      mimctl kedb match INC-0042 --limit 3
    """
    from ..kedb import rank
    from ..usecases.records import load_incident

    tr = tracker(repo)
    incident = load_incident(tr, incident_id)
    _, known_errors = tr.load_known_errors()
    ranking = rank(incident, known_errors)
    matches = ranking.matches[:limit]
    data = {"incident": incident.id, "matches": [m.as_dict() for m in matches], "problems": ranking.problems}
    lines = [f"{incident.id}: {len(matches)} known error(s) fit" if matches else f"{incident.id}: no known error fits"]
    for m in matches:
        lines.append(f"\n{m.id}  score {m.score:g}  [{m.status}]{'  (linked)' if m.linked else ''}  {m.title}")
        lines += [f"  - {reason}" for reason in m.reasons]
        if m.workaround:
            lines.append("  workaround:")
            lines += [f"    {n}. {step}" for n, step in enumerate(m.workaround, 1)]
    lines += [f"warning: {problem}" for problem in ranking.problems]
    emit(output_format, data, "\n".join(lines))
    return 0


@kedb.command("new")
@click.option("--from", "incident_id", required=True, metavar="ID", help="The incident (and its PIR) to draft the known error from.")
@click.option("--at", "at", type=TIME, default="now", show_default=True, help="Creation time of the known error.")
@click.option("--no-commit", is_flag=True, help="Write the files but do not commit.")
@format_option("text", "json")
@repo_option
def new_known_error(incident_id: str, at: datetime, no_commit: bool, output_format: str, repo: Path | None) -> int:
    """Create kedb/KE-….yaml from an incident and link it both ways, in one commit.

    Title, services, symptoms (from the summary), root cause (from the PIR or
    the recorded cause) and workaround (from the containment actions) are
    drafted from the incident; edit the file to refine them.

    \b
    Example:
      mimctl kedb new --from INC-0042
    """
    from ..kedb import new_from
    from ..transaction import apply
    from ..usecases.records import load_incident

    tr = tracker(repo)
    incident = load_incident(tr, incident_id)
    change = new_from(tr, incident, at)
    applied = apply(tr, change, commit=not no_commit)
    where = f"committed {applied.commit[:10]}" if applied.commit else "written, not committed"
    data = {"incident": incident.id, **change.summary, "commit": applied.commit, "paths": applied.paths}
    emit(output_format, data, f"{change.subject} ({where})\n  created {change.summary['path']}; linked from {incident.id}")
    return 0


@click.command()
@click.argument("service")
@format_option("text", "json")
@repo_option
def impact(service: str, output_format: str, repo: Path | None) -> int:
    """List every service that depends on SERVICE, directly or transitively, with owner, tier and path.

    \b
    Example:
      mimctl impact message-queue --format json
    """
    from ..impact import dependents
    from ..store import TrackerError

    catalog = tracker(repo).catalog
    if service not in catalog.services:
        raise TrackerError(f"service {service!r} is not in the service catalog (services: {', '.join(sorted(catalog.services))})")
    found = dependents(catalog, service)
    data = {"service": service, "dependents": [d.as_dict() for d in found]}
    lines = [f"{len(found)} service(s) depend on {service}" + (":" if found else "")]
    for d in found:
        lines.append(f"  {d.id}  tier {d.tier}  owner {d.owner_name}{f' ({d.contact})' if d.contact else ''}  via {' -> '.join(d.path)}")
    emit(output_format, data, "\n".join(lines))
    return 0
