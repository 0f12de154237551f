"""`mimctl maintenance`: schedule planned work and post its updates (shown on the status page)."""

from __future__ import annotations

from datetime import datetime

import click

from .common import EXIT_FAILED, TIME, Recording, emit, format_option, recording, repo_option, tracker


def _statuses() -> list[str]:
    from ..vocabulary import MAINTENANCE_STATUSES

    return list(MAINTENANCE_STATUSES)


STATUS = click.Choice(_statuses())


@click.group()
def maintenance() -> None:
    """Schedule maintenance and post its updates (maintenance/MNT-….yaml).

    Scheduled maintenance shows on the status page, in the Statuspage API
    (scheduled-maintenances.json, …/upcoming.json, …/active.json) and in the
    feeds. Its services show as under maintenance while it is in_progress or
    verifying. Each command makes one commit (unless --no-commit).

    \b
    Examples:
      mimctl maintenance schedule --title "Database upgrade" --service orders-db \\
        --from 2026-12-05T22:00:00Z --until 2026-12-06T00:00:00Z --public \\
        "Checkout may be slow for up to 10 minutes during the window."
      mimctl maintenance update MNT-0001 --status in_progress "The upgrade has started."
      mimctl maintenance update MNT-0001 --status completed "The upgrade is done."
      mimctl maintenance list --format json
    """


def _finish(change: object, rec: Recording, tr: object) -> int:
    from ..transaction import Change, apply

    assert isinstance(change, Change)
    applied = apply(tr, change, commit=not rec.no_commit)  # type: ignore[arg-type]
    where = f"committed {applied.commit[:10]}" if applied.commit else "written, not committed"
    data = {"maintenance": change.summary.get("id"), "changed": applied.changed, "commit": applied.commit, "paths": applied.paths}
    emit(rec.output_format, {**data, **change.summary}, f"{change.subject} ({where})")
    return 0


@maintenance.command("schedule")
@click.option("--title", required=True, help="One line: what the work is, as readers see it.")
@click.option("--service", "services", multiple=True, required=True, help="Affected service id from catalog.yaml (repeat for several).")
@click.option("--from", "start", type=TIME, required=True, help="When the work is planned to start.")
@click.option("--until", "end", type=TIME, required=True, help="When it is planned to end.")
@click.option("--public/--internal", default=False, show_default=True, help="Announce it on the public status site too.")
@click.argument("text")
@recording
def schedule(title: str, services: tuple[str, ...], start: datetime, end: datetime, public: bool, text: str, rec: Recording) -> int:
    """Record planned maintenance with its first update TEXT (status: scheduled)."""
    from ..maintenance import schedule as make

    tr = tracker(rec.repo)
    return _finish(make(tr, title, list(services), start, end, text, public, rec.at, rec.person), rec, tr)


@maintenance.command("update")
@click.argument("maintenance_id", metavar="ID")
@click.option("--status", type=STATUS, required=True, help="The maintenance's status from now on.")
@click.argument("text")
@recording
def update(maintenance_id: str, status: str, text: str, rec: Recording) -> int:
    """Post an update TEXT to maintenance ID; its status follows (scheduled → in_progress → verifying → completed)."""
    from ..maintenance import post_update

    tr = tracker(rec.repo)
    return _finish(post_update(tr, maintenance_id, status, text, rec.at, rec.person), rec, tr)


@maintenance.command("list")
@format_option("text", "json")
@repo_option
def list_maintenance(output_format: str, repo: object) -> int:
    """List scheduled maintenance, newest window first, with each record's status."""
    from ..maintenance import load
    from ..model import format_time

    tr = tracker(repo)  # type: ignore[arg-type]
    records, models = load(tr)
    bad = [f for r in records for f in r.findings]
    items = [
        {
            "id": m.id,
            "title": m.title,
            "status": m.status,
            "visibility": m.data.get("visibility", "internal"),
            "scheduled_for": format_time(m.scheduled_for),
            "scheduled_until": format_time(m.scheduled_until),
            "services": list(m.services),
        }
        for m in sorted(models, key=lambda m: m.scheduled_for, reverse=True)
    ]
    lines = [f"{i['id']}  {i['status']:<11} {i['scheduled_for']} -> {i['scheduled_until']}  {i['title']}" for i in items]
    lines += [f.as_text() for f in bad]
    emit(output_format, {"maintenance": items, "findings": [f.as_dict() for f in bad]}, "\n".join(lines) or "no scheduled maintenance")
    return EXIT_FAILED if bad else 0
