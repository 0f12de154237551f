"""Commands that look back: recent changes before an incident, action items, stats."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from ..formatting import csv_text, duration, parse_day
from ..metrics import DEFINITIONS, DIMENSIONS, DURATIONS, action_items, aggregate, overall, overdue_actions
from ..output import terminal_safe
from .common import EXIT_FAILED, emit, format_option, repo_option, tracker

if TYPE_CHECKING:
    from ..metrics import Dimension, Group, Summary
    from ..model import Incident
    from ..store import Tracker


def _today(value: str | None) -> date:
    try:
        return parse_day(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-12-01", param_hint="--today") from None


def _incidents(tr: Tracker) -> tuple[tuple[Incident, ...], tuple[str, ...]]:
    """Every valid incident; the ids of the others are named on stderr (validate says why)."""
    from ..usecases.records import valid_incidents

    loaded = valid_incidents(tr)
    if loaded.skipped:
        click.echo(
            terminal_safe(
                f"mimctl: left out {len(loaded.skipped)} incident(s) with invalid records: {', '.join(loaded.skipped)} (mimctl validate says why)"
            ),
            err=True,
        )
    return loaded.incidents, loaded.skipped


# --- changes -------------------------------------------------------------------------


@click.command()
@click.argument("incident_id", metavar="ID")
@click.option("--window", default="24h", show_default=True, help="How far back from detection: 90m, 6h, 2d, 1w.")
@format_option("text", "json")
@repo_option
def changes(incident_id: str, window: str, output_format: str, repo: Path | None) -> int:
    """List recent commits to the affected services' repositories before detection.

    Repositories and the paths that belong to each service come from
    catalog.yaml (services[].repositories: {path, paths}). Commits count by
    committer date; newest first. Exits 1 if a repository could not be read.

    \b
    Example:
      mimctl changes INC-0042 --window 6h
    """
    from ..changes import changes_text, parse_window, recent_changes
    from ..usecases.records import load_incident

    try:
        span = parse_window(window)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--window") from None
    tr = tracker(repo)
    found = recent_changes(tr.root, tr.catalog, load_incident(tr, incident_id), span)
    emit(output_format, found.as_dict(), changes_text(found))
    return EXIT_FAILED if found.errors else 0


# --- actions -------------------------------------------------------------------------


@click.command()
@click.option("--owner", help="Only this owner's items.")
@click.option("--overdue", is_flag=True, help="Only items not done or dropped whose due date has passed.")
@click.option("--today", metavar="DATE", help="The date overdue is judged on (default: today).")
@format_option("text", "json", "csv")
@repo_option
def actions(owner: str | None, overdue: bool, today: str | None, output_format: str, repo: Path | None) -> int:
    """List the action items of every post-incident review; overdue ones stand out.

    \b
    Examples:
      mimctl actions --overdue
      mimctl actions --owner @payments --format csv > actions.csv
    """
    day = _today(today)
    tr = tracker(repo)
    incidents, _ = _incidents(tr)
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
        click.echo(terminal_safe(csv_text(header, [list(r.values()) for r in rows])))
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


def _summary(summary: Summary) -> dict[str, Any]:
    return {"count": summary.count, "mean": summary.mean, "median": summary.median}


def _group(group: Group) -> dict[str, Any]:
    data: dict[str, Any] = {"key": group.key, "incidents": group.incidents}
    data.update({name: _summary(group.duration(name)) for name in DURATIONS})
    data["time_in_stage"] = {stage: _summary(s) for stage, s in group.time_in_stage}
    return data


def _stats_csv(by: str, groups: Sequence[Group]) -> str:
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
    return csv_text(header, rows)


def _stats_text(by: str, groups: Sequence[Group], overdue: int, day: date) -> str:
    names = {"time_to_acknowledge": "MTTA", "time_to_contain": "contain", "time_to_resolve": "MTTR"}
    lines = [f"{by:<14} {'incidents':>9} " + " ".join(f"{names[n]:>9}" for n in DURATIONS)]
    for group in groups:
        lines.append(f"{group.key:<14} {group.incidents:>9} " + " ".join(f"{duration(group.duration(n).mean):>9}" for n in DURATIONS))
    total = groups[-1]
    spent = [f"{stage} {duration(s.mean)} (n={s.count})" for stage, s in total.time_in_stage if s.count]
    lines.append("mean time in stage: " + ("; ".join(spent) or "-"))
    lines.append(f"overdue action items on {day.isoformat()}: {overdue}")
    lines.append("means over the incidents that reached each point; `--format json` has counts, medians and definitions")
    return "\n".join(lines)


@click.command()
@click.option(
    "--by",
    "by",
    type=click.Choice(DIMENSIONS),
    default="severity",
    show_default=True,
    help="Group incidents by this (an incident with several services counts for each).",
)
@click.option("--today", metavar="DATE", help="The date overdue action items are judged on (default: today).")
@format_option("text", "json", "csv")
@repo_option
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
    day = _today(today)
    tr = tracker(repo)
    incidents, skipped = _incidents(tr)
    groups = [*aggregate(incidents, tr.process, cast("Dimension", by)), overall(incidents, tr.process)]
    late = len(overdue_actions(incidents, day))
    if output_format == "csv":
        click.echo(terminal_safe(_stats_csv(by, groups)))
        return 0
    data = {
        "by": by,
        "incidents": len(incidents),
        "skipped": list(skipped),
        "today": day.isoformat(),
        "overdue_actions": late,
        "definitions": DEFINITIONS,
        "groups": [_group(g) for g in groups[:-1]],
        "overall": _group(groups[-1]),
    }
    emit(output_format, data, _stats_text(by, groups, late, day))
    return 0
