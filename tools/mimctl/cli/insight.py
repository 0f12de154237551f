"""Commands that look back: recent changes before an incident, action items, stats."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from .. import milestones
from ..formatting import csv_text, duration, parse_day
from ..metrics import DIMENSIONS, action_items, definitions_text, group_metrics, overall_of, overdue_actions, per_incident
from ..model import format_time
from ..output import terminal_safe
from .common import EXIT_FAILED, emit, format_option, repo_option, tracker

if TYPE_CHECKING:
    from ..metrics import Dimension, Group, IncidentMetrics, Summary
    from ..milestones import Definitions, Measured
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

BY_CHOICES = (*DIMENSIONS, "incident")


def _summary(summary: Summary) -> dict[str, Any]:
    return {
        "count": summary.count,
        "mean": summary.mean,
        "median": summary.median,
        "approximate": summary.approximate,
        "unknown": summary.unknown,
    }


def _group(group: Group, durations: Sequence[str]) -> dict[str, Any]:
    data: dict[str, Any] = {"key": group.key, "incidents": group.incidents}
    data.update({name: _summary(group.duration(name)) for name in durations})
    data["time_in_stage"] = {stage: _summary(s) for stage, s in group.time_in_stage}
    return data


def _figure(summary: Summary) -> str:
    """A mean as a person reads it: ``~`` in front when some of its figures are approximate."""
    return ("~" if summary.approximate else "") + duration(summary.mean)


def _measured(measured: Measured) -> str:
    if measured.seconds is None:
        return "?" if measured.unknown else "-"
    return ("~" if measured.approximate else "") + duration(measured.seconds)


def _stats_csv(by: str, groups: Sequence[Group], durations: Sequence[str]) -> str:
    stages = [stage for stage, _ in groups[0].time_in_stage] if groups else []
    header = ["by", "key", "incidents"]
    parts = ("count", "mean_s", "median_s", "approximate", "unknown")
    header += [f"{name}_{part}" for name in durations for part in parts]
    header += [f"stage_{stage}_{part}" for stage in stages for part in ("count", "mean_s", "median_s")]
    rows = []
    for group in groups:
        row: list[Any] = [by if group is not groups[-1] else "all", group.key, group.incidents]
        for name in durations:
            d = group.duration(name)
            row += [d.count, d.mean, d.median, d.approximate, d.unknown]
        for stage in stages:
            s = group.stage(stage)
            row += [s.count, s.mean, s.median]
        rows.append(row)
    return csv_text(header, rows)


def _stats_text(by: str, groups: Sequence[Group], defined: Definitions, overdue: int, day: date) -> str:
    labels = [d.label for d in defined.durations]
    lines = [f"{by:<14} {'incidents':>9} " + " ".join(f"{label:>9}" for label in labels)]
    for group in groups:
        lines.append(f"{group.key:<14} {group.incidents:>9} " + " ".join(f"{_figure(group.duration(n)):>9}" for n in defined.duration_ids))
    total = groups[-1]
    spent = [f"{stage} {duration(s.mean)} (n={s.count})" for stage, s in total.time_in_stage if s.count]
    lines.append("mean time in stage: " + ("; ".join(spent) or "-"))
    lines.append(f"overdue action items on {day.isoformat()}: {overdue}")
    unknown = {d.label: total.duration(d.id).unknown for d in defined.durations if total.duration(d.id).unknown}
    if unknown:
        lines.append("left out, a time unknown: " + ", ".join(f"{label} {n}" for label, n in unknown.items()))
    lines.append(
        "means over the incidents that reached each point; ~ some figures approximate (a time known to the day, or about);"
        " `--format json` has counts, medians and definitions"
    )
    return "\n".join(lines)


def _incident_rows(figures: Sequence[IncidentMetrics], defined: Definitions) -> list[dict[str, Any]]:
    return [
        {
            "id": m.incident_id,
            "title": m.title,
            "severity": m.severity,
            "services": list(m.services),
            "month": m.month,
            "retrospective": m.retrospective,
            **m.timeline.as_dict(),
            "time_in_stage_seconds": {stage: round(seconds) for stage, seconds in m.time_in_stage},
        }
        for m in figures
    ]


def _incidents_text(figures: Sequence[IncidentMetrics], defined: Definitions) -> str:
    labels = [d.label for d in defined.durations]
    lines = [f"{'incident':<14} {'severity':<8} " + " ".join(f"{label:>9}" for label in labels)]
    for m in figures:
        cells = " ".join(f"{_measured(m.measured(n)):>9}" for n in defined.duration_ids)
        lines.append(f"{m.incident_id:<14} {m.severity:<8} {cells}" + ("  (retrospective)" if m.retrospective else ""))
    if not figures:
        lines.append("no incidents")
    lines.append("- not reached; ? a time it needs is unknown; ~ approximate (a time known to the day, or about)")
    return "\n".join(lines)


def _incidents_csv(figures: Sequence[IncidentMetrics], defined: Definitions) -> str:
    header = ["incident", "severity", "services", "month", "retrospective"]
    header += [f"{m.id}_at" for m in defined.milestones]
    header += [f"{d.id}_{part}" for d in defined.durations for part in ("s", "approximate", "min_s", "max_s")]
    rows = []
    for m in figures:
        row: list[Any] = [m.incident_id, m.severity, " ".join(m.services), m.month, m.retrospective]
        for milestone in defined.milestones:
            reached = m.timeline.reached.get(milestone.id)
            row.append("" if reached is None else reached.known.text() if reached.known.unknown else format_time(reached.known.at))
        for d in defined.durations:
            measured = m.measured(d.id)
            row += [measured.seconds, measured.approximate if measured.seconds is not None else "", measured.low, measured.high]
        rows.append(row)
    return csv_text(header, rows)


@click.command()
@click.option(
    "--by",
    "by",
    type=click.Choice(BY_CHOICES),
    default="severity",
    show_default=True,
    help="Group incidents by this (an incident with several services counts for each), or one row per incident.",
)
@click.option("--today", metavar="DATE", help="The date overdue action items are judged on (default: today).")
@format_option("text", "json", "csv")
@repo_option
def stats(by: str, today: str | None, output_format: str, repo: Path | None) -> int:
    """Report over all incidents: time to detect, acknowledge, mitigate, resolve, recover; time in each stage.

    Each duration is between two milestones that process.yaml defines
    (docs/metrics.md): for example time to resolve is from detected to
    resolved, service restored for users. Seconds in JSON and CSV (means and
    medians over the incidents that reached that point); the last row is all
    incidents together. A figure from a time known only to the day, or about,
    is approximate (~, and counted as such); one from an unknown time is left
    out. --by incident lists every incident with its milestones and durations.

    \b
    Examples:
      mimctl stats
      mimctl stats --by month --format csv > stats.csv
      mimctl stats --by incident --format json | jq '.incidents[] | {id, durations}'
    """
    day = _today(today)
    tr = tracker(repo)
    incidents, skipped = _incidents(tr)
    defined = milestones.definitions(tr.process)
    figures = per_incident(incidents, tr.process)
    late = len(overdue_actions(incidents, day))
    if by == "incident":
        if output_format == "csv":
            click.echo(terminal_safe(_incidents_csv(figures, defined)))
            return 0
        rows: dict[str, Any] = {
            "by": by,
            "incidents": _incident_rows(figures, defined),
            "skipped": list(skipped),
            "definitions": definitions_text(tr.process),
        }
        emit(output_format, rows, _incidents_text(figures, defined))
        return 0
    groups = [*group_metrics(figures, tr.process, cast("Dimension", by)), overall_of(figures, tr.process)]
    if output_format == "csv":
        click.echo(terminal_safe(_stats_csv(by, groups, defined.duration_ids)))
        return 0
    data: dict[str, Any] = {
        "by": by,
        "incidents": len(incidents),
        "skipped": list(skipped),
        "today": day.isoformat(),
        "overdue_actions": late,
        "definitions": definitions_text(tr.process),
        "groups": [_group(g, defined.duration_ids) for g in groups[:-1]],
        "overall": _group(groups[-1], defined.duration_ids),
    }
    emit(output_format, data, _stats_text(by, groups, defined, late, day))
    return 0
