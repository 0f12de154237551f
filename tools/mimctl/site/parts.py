"""Small HTML pieces every generated page uses: times, links, fact tables, badges, reader words."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from ..model import Incident, format_time
from ..timing import Known
from ..views import duration
from . import layout
from .data import SiteData
from .safe import text

STATUS_LABEL = {
    "operational": "Operational",
    "under_maintenance": "Under maintenance",
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
}
INCIDENT_STATUS_LABEL = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
    "scheduled": "Scheduled",
    "in_progress": "In progress",
    "verifying": "Verifying",
    "completed": "Completed",
}
IMPACT_LABEL = {
    "none": "No impact",
    "maintenance": "Maintenance",
    "minor": "Minor impact",
    "major": "Major impact",
    "critical": "Critical impact",
}


def when(value: object) -> str:
    """A time as ``<time>``: a datetime or a record's timestamp string."""
    if isinstance(value, datetime):
        value = format_time(value)
    return f'<time datetime="{text(value)}">{text(str(value).replace("T", " ").replace("Z", " UTC"))}</time>' if value else "—"


def when_known(known: Known | None) -> str:
    """A time as the records know it, as ``<time>``: ``2026-11-27 (day)``, ``about … UTC``, ``… ± 15m``, or ``unknown``."""
    if known is None:
        return "—"
    if known.unknown:
        return '<span class="mim-unknown">unknown</span>'
    stamp = known.at.date().isoformat() if known.precision == "day" else format_time(known.at)
    cls = ' class="mim-about"' if known.rough else ""
    return f'<time datetime="{text(stamp)}"{cls}>{text(known.text())}</time>'


def retrospective_badge(incident: Incident) -> str:
    """A mark for an incident recorded after the fact (none otherwise)."""
    if not incident.data.get("retrospective"):
        return ""
    return ' <span class="mim-retro" title="Recorded after the fact: no update was sent while it happened">recorded after the fact</span>'


def link(page: str, target: str, label: str) -> str:
    return f'<a href="{text(layout.href(page, target))}">{text(label)}</a>'


def rows(items: Iterable[tuple[str, str]]) -> str:
    """A two-column table of facts; rows without a value are left out."""
    body = "".join(f"<tr><th>{text(k)}</th><td>{v}</td></tr>" for k, v in items if v)
    return f'<table class="mim-facts"><tbody>{body}</tbody></table>'


def table(head: Iterable[str], body: Iterable[Iterable[str]], cls: str = "") -> str:
    """An HTML table in a scrolling wrapper (wide tables scroll instead of being cut); cells are HTML."""
    header = "".join(f"<th>{text(h)}</th>" for h in head)
    lines = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in body)
    attr = f' class="{text(cls)}"' if cls else ""
    return f'<div class="mim-scroll"><table{attr}><thead><tr>{header}</tr></thead><tbody>{lines}</tbody></table></div>'


def severity(site: SiteData, severity_id: str) -> str:
    """The severity badge (internal edition only: severities are process words)."""
    found = site.process.severity(severity_id)
    colour = found.colour if found else "#888888"
    title = found.title if found else ""
    return f'<span class="mim-sev" style="--mim-sev:{text(colour)}" title="{text(title)}">{text(severity_id)}</span>'


def status_badge(status: str) -> str:
    """An incident or maintenance status in reader words."""
    return f'<span class="mim-st mim-st-{text(status)}">{text(INCIDENT_STATUS_LABEL.get(status, status))}</span>'


def component_status(status: str) -> str:
    return f'<strong class="mim-cs mim-{text(status)}">{text(STATUS_LABEL.get(status, status))}</strong>'


def lasted(seconds: float) -> str:
    return duration(max(0.0, seconds))


def names(site: SiteData, service_ids: Iterable[str]) -> str:
    return ", ".join(site.service_name(s) for s in service_ids)
