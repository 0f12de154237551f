"""Scheduled maintenance pages: one per maintenance, and the index."""

from __future__ import annotations

from ..model import format_time
from . import layout
from .data import SiteData
from .parts import link, names, rows, status_badge, table, when
from .safe import block, heading, rich, text
from .state import MaintenanceState

INDEX = "maintenance/index.md"


def maintenance_page(site: SiteData, state: MaintenanceState) -> str:
    record = state.maintenance
    started, completed = record.started_at, record.completed_at
    facts = rows(
        [
            ("Status", status_badge(record.status)),
            ("Planned", f"{when(format_time(record.scheduled_for))} – {when(format_time(record.scheduled_until))}"),
            ("Started", when(format_time(started)) if started else ""),
            ("Completed", when(format_time(completed)) if completed else ""),
            ("Services", text(names(site, state.components))),
        ]
    )
    updates = "".join(f"<li>{status_badge(u.status)} {when(format_time(u.at))}{rich(u.text)}</li>" for u in reversed(record.updates))
    return (
        layout.front_matter(f"{record.id}: {record.title}")
        + block(heading(1, record.title, layout.slug(record.id)) + facts, "mim-head")
        + "## Updates\n"
        + block(f'<ul class="mim-updates">{updates}</ul>')
    )


def maintenance_pages(site: SiteData) -> dict[str, str]:
    """Every maintenance of the edition, and the index (upcoming and in progress first)."""
    states = site.state.maintenances
    pages = {layout.maintenance_page(s.maintenance.id): maintenance_page(site, s) for s in states}
    body = [
        [
            link(INDEX, layout.maintenance_page(s.maintenance.id), s.maintenance.id),
            text(s.maintenance.title),
            status_badge(s.status),
            when(format_time(s.maintenance.scheduled_for)),
            when(format_time(s.maintenance.scheduled_until)),
            text(names(site, s.components)),
        ]
        for s in sorted(states, key=lambda s: (s.status == "completed", s.maintenance.scheduled_for))
    ]
    listing = table(["Maintenance", "Title", "Status", "From", "Until", "Services"], body) if body else "<p>No scheduled maintenance.</p>"
    pages[INDEX] = layout.front_matter("Scheduled maintenance") + "# Scheduled maintenance\n" + block(listing)
    return pages
