"""Commands that look back: recent changes before an incident, action items, stats, the PIR invite.

This module must not import ``record`` at module level: ``record`` imports
``pir_invite`` from here to attach it to the ``pir`` group.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from ..report import terminal_safe
from .common import EXIT_FAILED, default_person, emit, format_option, guarded, now, repo_option, tracker


def _today(value: str | None) -> date:
    if not value:
        return datetime.now().date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-12-01", param_hint="--today") from None


def _incidents(tr: Any) -> tuple[list[Any], list[str]]:
    """Every incident whose records are valid, and the ids of the others (validate reports those)."""
    found, skipped = [], []
    for incident_id in tr.incident_ids():
        bundle = tr.load_bundle(incident_id)
        if bundle.model is None:
            skipped.append(incident_id)
        else:
            found.append(bundle.model)
    return found, skipped


def _warn_skipped(skipped: list[str]) -> None:
    if skipped:
        click.echo(
            terminal_safe(
                f"mimctl: left out {len(skipped)} incident(s) with invalid records: {', '.join(skipped)} (mimctl validate says why)"
            ),
            err=True,
        )


def _csv(header: list[str], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return out.getvalue().rstrip("\n")


def duration_text(seconds: float | None) -> str:
    """``2d 03h``, ``1h 05m``, ``7m`` or ``-`` for a missing figure."""
    if seconds is None:
        return "-"
    minutes = round(seconds / 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h"
    return f"{hours}h {mins:02d}m" if hours else f"{mins}m"


# --- changes -------------------------------------------------------------------------


@click.command()
@click.argument("incident_id", metavar="ID")
@click.option("--window", default="24h", show_default=True, help="How far back from detection: 90m, 6h, 2d, 1w.")
@format_option("text", "json")
@repo_option
@guarded
def changes(incident_id: str, window: str, output_format: str, repo: Path | None) -> int:
    """List recent commits to the affected services' repositories before detection.

    Repositories and the paths that belong to each service come from
    catalog.yaml (services[].repositories: {path, paths}). Commits count by
    committer date; newest first. Exits 1 if a repository could not be read.

    \b
    Example:
      mimctl changes INC-0042 --window 6h
    """
    from .. import operations as ops
    from ..changes import changes_text, parse_window, recent_changes

    try:
        span = parse_window(window)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--window") from None
    tr = tracker(repo)
    found = recent_changes(tr.root, tr.catalog, ops.load_incident(tr, incident_id), span)
    emit(output_format, found.as_dict(), changes_text(found))
    return EXIT_FAILED if found.errors else 0


# --- actions -------------------------------------------------------------------------


@click.command()
@click.option("--owner", help="Only this owner's items.")
@click.option("--overdue", is_flag=True, help="Only items not done or dropped whose due date has passed.")
@click.option("--today", metavar="DATE", help="The date overdue is judged on (default: today).")
@format_option("text", "json", "csv")
@repo_option
@guarded
def actions(owner: str | None, overdue: bool, today: str | None, output_format: str, repo: Path | None) -> int:
    """List the action items of every post-incident review; overdue ones stand out.

    \b
    Examples:
      mimctl actions --overdue
      mimctl actions --owner @payments --format csv > actions.csv
    """
    from ..metrics import action_items, overdue_actions

    day = _today(today)
    tr = tracker(repo)
    incidents, skipped = _incidents(tr)
    _warn_skipped(skipped)
    items = overdue_actions(incidents, day) if overdue else action_items(incidents)
    if owner is not None:
        items = [a for a in items if a.owner == owner]
    rows = [
        {
            "incident": a.incident_id,
            "id": a.id,
            "title": a.title,
            "owner": a.owner,
            "due": a.due.isoformat() if a.due else None,
            "status": a.status,
            "overdue": a.overdue(day),
        }
        for a in items
    ]
    if output_format == "csv":
        header = list(rows[0]) if rows else ["incident", "id", "title", "owner", "due", "status", "overdue"]
        click.echo(terminal_safe(_csv(header, [list(r.values()) for r in rows])))
        return 0
    lines = [
        f"{r['incident']} {r['id']:<4} {r['status']:<11} due {r['due'] or '-':<10} {r['owner']:<16} {r['title']}"
        + ("  OVERDUE" if r["overdue"] else "")
        for r in rows
    ]
    late = sum(1 for r in rows if r["overdue"])
    lines.append(f"{len(rows)} action item(s), {late} overdue on {day.isoformat()}")
    emit(output_format, {"today": day.isoformat(), "actions": rows}, "\n".join(lines))
    return 0


# --- stats ---------------------------------------------------------------------------


def _summary(summary: Any) -> dict[str, Any]:
    return {"count": summary.count, "mean": summary.mean, "median": summary.median}


def _group(group: Any) -> dict[str, Any]:
    from ..metrics import DURATIONS

    data: dict[str, Any] = {"key": group.key, "incidents": group.incidents}
    data.update({name: _summary(group.duration(name)) for name in DURATIONS})
    data["time_in_stage"] = {stage: _summary(s) for stage, s in group.time_in_stage}
    return data


def _stats_csv(by: str, groups: list[Any]) -> str:
    from ..metrics import DURATIONS

    stages = [stage for stage, _ in groups[0].time_in_stage] if groups else []
    header = ["by", "key", "incidents"]
    header += [f"{name}_{part}" for name in DURATIONS for part in ("count", "mean_s", "median_s")]
    header += [f"stage_{stage}_{part}" for stage in stages for part in ("count", "mean_s", "median_s")]
    rows = []
    for group in groups:
        row: list[Any] = [by if group is not groups[-1] else "all", group.key, group.incidents]
        for summary in [group.duration(name) for name in DURATIONS] + [group.stage(stage) for stage in stages]:
            row += [summary.count, summary.mean, summary.median]
        rows.append(row)
    return _csv(header, rows)


def _stats_text(by: str, groups: list[Any], overdue: int, day: date) -> str:
    from ..metrics import DURATIONS

    names = {"time_to_acknowledge": "MTTA", "time_to_contain": "contain", "time_to_resolve": "MTTR"}
    lines = [f"{by:<14} {'incidents':>9} " + " ".join(f"{names[n]:>9}" for n in DURATIONS)]
    for group in groups:
        lines.append(f"{group.key:<14} {group.incidents:>9} " + " ".join(f"{duration_text(group.duration(n).mean):>9}" for n in DURATIONS))
    total = groups[-1]
    spent = [f"{stage} {duration_text(s.mean)} (n={s.count})" for stage, s in total.time_in_stage if s.count]
    lines.append("mean time in stage: " + ("; ".join(spent) or "-"))
    lines.append(f"overdue action items on {day.isoformat()}: {overdue}")
    lines.append("means over the incidents that reached each point; `--format json` has counts, medians and definitions")
    return "\n".join(lines)


@click.command()
@click.option(
    "--by",
    "by",
    type=click.Choice(["severity", "service", "month"]),
    default="severity",
    show_default=True,
    help="Group incidents by this (an incident with several services counts for each).",
)
@click.option("--today", metavar="DATE", help="The date overdue action items are judged on (default: today).")
@format_option("text", "json", "csv")
@repo_option
@guarded
def stats(by: str, today: str | None, output_format: str, repo: Path | None) -> int:
    """Report over all incidents: counts, MTTA, time to contain, MTTR, time in each stage.

    Durations are from detection, in seconds in JSON and CSV (means and
    medians over the incidents that reached that point); the last row is all
    incidents together.

    \b
    Examples:
      mimctl stats
      mimctl stats --by month --format csv > stats.csv
    """
    from ..metrics import DEFINITIONS, aggregate, overall, overdue_actions

    day = _today(today)
    tr = tracker(repo)
    incidents, skipped = _incidents(tr)
    _warn_skipped(skipped)
    groups = [*aggregate(incidents, tr.process, by), overall(incidents, tr.process)]  # type: ignore[arg-type]
    late = len(overdue_actions(incidents, day))
    if output_format == "csv":
        click.echo(terminal_safe(_stats_csv(by, groups)))
        return 0
    data = {
        "by": by,
        "incidents": len(incidents),
        "skipped": skipped,
        "today": day.isoformat(),
        "overdue_actions": late,
        "definitions": DEFINITIONS,
        "groups": [_group(g) for g in groups[:-1]],
        "overall": _group(groups[-1]),
    }
    emit(output_format, data, _stats_text(by, groups, late, day))
    return 0


# --- pir invite ----------------------------------------------------------------------


@click.command("invite")
@click.argument("incident_id", metavar="ID")
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
@guarded
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
    from .. import operations as ops
    from ..gitrepo import remote_name
    from ..invite import InviteError, address_book, invite_for, next_sequence, to_ics
    from ..model import format_time
    from ..transaction import apply

    if link and not link.startswith(("http://", "https://")):
        raise click.BadParameter("must start with http:// or https://", param_hint="--link")
    tr = tracker(repo)
    incident = ops.load_incident(tr, incident_id)
    organizer = by or default_person()
    pir = dict(incident.data.get("pir") or {})
    try:
        sequence = next_sequence(pir)
        name, domain, book = remote_name(tr.root) or tr.root.resolve().name, tr.process.comms.communication.domain, address_book(tr.catalog)
        ics = to_ics(invite_for(incident, name, sequence.number, organizer, now(), link, book, email_domain, domain))
    except InviteError as exc:
        raise click.ClickException(f"{incident.id}: {exc}") from None
    recorded = "unchanged"
    if sequence.changed:
        when = format_time(datetime.fromisoformat(str(pir["scheduled_at"]).replace("Z", "+00:00")))
        what = "rescheduled to" if sequence.rescheduled else "for"
        text = f"PIR invite sent (SEQUENCE {sequence.number}): meeting {what} {when}"
        change = ops.record(
            tr,
            incident,
            "note",
            now(),
            organizer,
            f"PIR invite, sequence {sequence.number}",
            {"text": text},
            {"pir.sequence": sequence.number, "pir.invited_for": when},
        )
        applied = apply(tr, change, commit=not no_commit)
        recorded = f"committed {applied.commit[:10]}" if applied.commit else "written to incident.yaml, not committed"
    if str(output) == "-":
        click.echo(ics.encode("utf-8"), nl=False)  # bytes: written as they are, CRLF kept
        where = "standard output"
    else:
        output.write_bytes(ics.encode("utf-8"))
        where = str(output)
    click.echo(f"{incident.id}: PIR invite SEQUENCE {sequence.number} to {where} ({recorded})", err=str(output) == "-")
    return 0
