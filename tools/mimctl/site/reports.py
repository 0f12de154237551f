"""The reports section of the site: incident figures as a page, SVG charts, CSV and JSON downloads.

Everything here is made from ``metrics`` over the incidents of one edition.
Text that comes from records (severity and service ids, owners, action
titles) is escaped with ``report.md`` on the page and by ``charts`` in SVG.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from .. import milestones
from ..metrics import (
    DIMENSIONS,
    Group,
    Summary,
    actions_by_owner,
    definitions_text,
    group_metrics,
    overall_of,
    overdue_actions,
    per_incident,
)
from ..milestones import Definitions
from ..model import format_time
from ..views import duration
from .charts import bar_chart, stacked_bar_chart
from .data import SiteData
from .parts import table
from .safe import block
from .safe import text as md

BASE = "reports/"
HEADINGS = {"severity": "Severity", "service": "Service", "month": "Month of detection"}
CSV_FIELDS = ("dimension", "key", "metric", "count", "mean_seconds", "median_seconds", "approximate", "unknown")
# The durations charted by severity, and by service and month (when process.yaml defines them).
CHARTED = ("time_to_acknowledge", "time_to_mitigate", "time_to_resolve")
CHARTED_BY_SERVICE_AND_MONTH = ("time_to_resolve",)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _dur(summary: Summary, incidents: int | None = None, median: bool = False) -> str:
    value = summary.median if median else summary.mean
    if value is None:
        return "—"
    text = ("~" if summary.approximate else "") + duration(value)
    return f"{text} (n={summary.count})" if incidents is not None and summary.count < incidents else text


def _hours(value: float | None) -> float:
    return (value or 0.0) / 3600


def _as_duration(hours: float) -> str:
    return duration(hours * 3600)


def _months(figures: dict[str, int]) -> list[str]:
    """Every month from the first to the last key, so months without incidents show as empty."""
    if not figures:
        return []
    first, last = min(figures), max(figures)
    try:
        year, month = int(first[:4]), int(first[5:7])
        end = (int(last[:4]), int(last[5:7]))
    except ValueError:
        return sorted(figures)
    keys: list[str] = []
    while (year, month) <= end and len(keys) < 1200:
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], numbers: bool = True) -> list[str]:
    """An HTML table (cells already HTML) in a raw block, so no Markdown extension reads record text;
    ``numbers`` right-aligns every column but the first."""
    return [block(table(header, rows, "mim-numbers" if numbers else "")), ""]


def _response_table(first: str, groups: Sequence[Group], defined: Definitions) -> list[str]:
    header = [first, "Incidents"]
    for d in defined.durations:
        header += [d.label, "median"]
    rows = []
    for g in groups:
        row = [md(g.key), str(g.incidents)]
        for name in defined.duration_ids:
            row += [_dur(g.duration(name), g.incidents), _dur(g.duration(name), median=True)]
        rows.append(row)
    return _table(header, rows)


def _stage_table(site: SiteData, first: str, groups: Sequence[Group]) -> list[str]:
    stages = [s for s in site.process.stages if not s.final]
    rows = [[md(g.key)] + [_dur(g.stage(s.id)) for s in stages] for g in groups]
    return _table([first] + [s.title for s in stages], rows)


def _charts(site: SiteData, groups: dict[str, tuple[Group, ...]], defined: Definitions) -> dict[str, tuple[str, str]]:
    """Chart file name → (alt text, SVG)."""

    def durations(title: str, by: str, name: str) -> tuple[str, str]:
        rows = [g for g in groups[by] if g.duration(name).mean is not None]
        values = [_hours(g.duration(name).mean) for g in rows]
        return title, bar_chart(title, [g.key for g in rows], values, "h", _as_duration)

    def counts(title: str, by: str) -> tuple[str, str]:
        figures = {g.key: g.incidents for g in groups[by]}
        keys = _months(figures) if by == "month" else list(figures)
        return title, bar_chart(title, keys, [figures.get(key, 0) for key in keys])

    # Only the stages while service is impaired: weeks of review would dwarf minutes of response.
    stages = [s for s in site.process.stages if s.active]
    severities = groups["severity"]
    stage_title = "Mean time in each response stage by severity"
    stage_svg = stacked_bar_chart(
        stage_title,
        [g.key for g in severities],
        [(s.title, [_hours(g.stage(s.id).mean) for g in severities]) for s in stages],
        "h",
        _as_duration,
    )
    charts = {"incidents-by-severity.svg": counts("Incidents by severity", "severity")}
    for name in CHARTED:
        d = defined.duration(name)
        if d is not None:
            charts[_chart_name(name, "severity")] = durations(f"Mean {d.title.lower()} by severity", "severity", name)
    charts["stage-time-by-severity.svg"] = (stage_title, stage_svg)
    charts["incidents-by-service.svg"] = counts("Incidents by service", "service")
    charts["incidents-by-month.svg"] = counts("Incidents by month of detection", "month")
    for name in CHARTED_BY_SERVICE_AND_MONTH:
        d = defined.duration(name)
        if d is not None:
            charts[_chart_name(name, "service")] = durations(f"Mean {d.title.lower()} by service", "service", name)
            charts[_chart_name(name, "month")] = durations(f"Mean {d.title.lower()} by month of detection", "month", name)
    return charts


def _chart_name(duration_id: str, by: str) -> str:
    return f"{duration_id.replace('_', '-')}-by-{by}.svg"


def _image(charts: dict[str, tuple[str, str]], name: str) -> str:
    return f"![{charts[name][0]}]({name})"


def _actions_section(site: SiteData) -> list[str]:
    today = site.now.date()
    owners = actions_by_owner(site.incidents)
    lines = ["## Action items", ""]
    if not owners:
        return [*lines, "No post-incident review has action items yet.", ""]
    rows = []
    for owner, items in owners.items():
        status = [sum(1 for a in items if a.status == s) for s in ("open", "in-progress", "done", "dropped")]
        late = sum(1 for a in items if a.overdue(today))
        rows.append([md(owner or "(nobody)"), *map(str, status), f"<strong>{late}</strong>" if late else "0"])
    lines += _table(["Owner", "Open", "In progress", "Done", "Dropped", "Overdue"], rows)
    late_items = overdue_actions(site.incidents, today)
    lines += ["### Overdue", ""]
    if not late_items:
        return [*lines, f"No action item is overdue on {today.isoformat()}.", ""]
    rows = [[a.due.isoformat() if a.due else "", md(a.incident_id), md(a.id), md(a.owner), md(a.status), md(a.title)] for a in late_items]
    return lines + _table(["Due", "Incident", "Action", "Owner", "Status", "Title"], rows, numbers=False)


def _page(
    site: SiteData, total: Group, groups: dict[str, tuple[Group, ...]], charts: dict[str, tuple[str, str]], defined: Definitions
) -> str:
    scope = "public incidents" if site.public else "incidents"
    overall_row = replace(total, key="All incidents")
    words = definitions_text(site.process)
    unknown = [f"{d.label} {total.duration(d.id).unknown}" for d in defined.durations if total.duration(d.id).unknown]
    lines = [
        "# Incident reports",
        "",
        f"Figures over {total.incidents} {scope}, as of {format_time(site.now)}. "
        "Download them as [CSV](metrics.csv) or [JSON](metrics.json).",
        "",
        "How they are measured (each duration is between two milestones of process.yaml):",
        "",
        *(f"- **{md(d.label)}**: {md(words[d.id])}" for d in defined.durations),
        f"- **Time in each stage**: {words['time_in_stage']}.",
        "",
        "Means and medians count only the incidents that reached the point measured; `n=` shows how many when that is fewer than all.",
        "A figure marked ~ rests on some times known only to the day, or about; a time that is unknown is never measured"
        + (f" (left out: {md(', '.join(unknown))})." if unknown else "."),
        "",
        "## Overview",
        "",
        *_response_table("Scope", [overall_row], defined),
        *_stage_table(site, "Scope", [overall_row]),
    ]
    images = {
        "severity": ["incidents-by-severity.svg", *(_chart_name(n, "severity") for n in CHARTED)],
        "service": ["incidents-by-service.svg", *(_chart_name(n, "service") for n in CHARTED_BY_SERVICE_AND_MONTH)],
        "month": ["incidents-by-month.svg", *(_chart_name(n, "month") for n in CHARTED_BY_SERVICE_AND_MONTH)],
    }
    for by in DIMENSIONS:
        lines += [f"## By {by}", ""]
        if by == "service":
            lines += ["An incident affecting several services counts once for each of them.", ""]
        lines += [_image(charts, name) + "\n" for name in images[by] if name in charts]
        lines += _response_table(HEADINGS[by], groups[by], defined)
        lines += [f"### Time in each stage by {by}", ""]
        if by == "severity":
            lines += [_image(charts, "stage-time-by-severity.svg"), ""]
        lines += _stage_table(site, HEADINGS[by], groups[by])
    if not site.public:  # owners and action titles are internal
        lines += _actions_section(site)
    return "\n".join(lines).rstrip("\n") + "\n"


def _summary_data(summary: Summary) -> dict[str, Any]:
    return {
        "count": summary.count,
        "mean_seconds": _round(summary.mean),
        "median_seconds": _round(summary.median),
        "approximate": summary.approximate,
        "unknown": summary.unknown,
    }


def _group_data(group: Group) -> dict[str, Any]:
    data: dict[str, Any] = {"key": group.key, "incidents": group.incidents}
    data.update({name: _summary_data(summary) for name, summary in group.durations})
    data["time_in_stage"] = {stage: _summary_data(summary) for stage, summary in group.time_in_stage}
    return data


def _json(site: SiteData, total: Group, groups: dict[str, tuple[Group, ...]]) -> str:
    by_group: dict[str, list[dict[str, Any]]] = {"all": [_group_data(total)]}
    by_group.update({by: [_group_data(g) for g in groups[by]] for by in DIMENSIONS})
    data = {
        "generated_at": format_time(site.now),
        "edition": site.edition,
        "definitions": definitions_text(site.process),
        "stages": [stage for stage, _ in total.time_in_stage],
        "groups": by_group,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text  # no formulas when opened in a spreadsheet


def _csv(total: Group, groups: dict[str, tuple[Group, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)

    def row(by: str, g: Group, metric: str, s: Summary) -> list[object]:
        return [by, _cell(g.key), metric, s.count, _cell(_round(s.mean)), _cell(_round(s.median)), s.approximate, s.unknown]

    for by, items in (("all", (total,)), *((by, groups[by]) for by in DIMENSIONS)):
        for g in items:
            writer.writerow([by, _cell(g.key), "incidents", g.incidents, "", "", "", ""])
            writer.writerows(row(by, g, name, summary) for name, summary in g.durations)
            writer.writerows(row(by, g, f"stage:{stage}", s) for stage, s in g.time_in_stage)
    return out.getvalue()


def reports(site: SiteData) -> dict[str, str]:
    """The report files of the site, by path: ``reports/index.md``, its SVG charts, ``metrics.csv``/``.json``."""
    figures = per_incident(site.incidents, site.process)
    defined = milestones.definitions(site.process)
    total = overall_of(figures, site.process)
    groups: dict[str, tuple[Group, ...]] = {by: group_metrics(figures, site.process, by) for by in DIMENSIONS}
    charts = _charts(site, groups, defined)
    files = {BASE + "index.md": _page(site, total, groups, charts, defined)}
    files.update({BASE + name: svg for name, (_, svg) in charts.items()})
    files[BASE + "metrics.csv"] = _csv(total, groups)
    files[BASE + "metrics.json"] = _json(site, total, groups)
    return files
