"""Atlassian Statuspage v2-compatible JSON (``api/v2/*.json``), so existing status clients work unchanged.

Field names, nesting and status values follow Statuspage's public page API:
``status.json``, ``summary.json``, ``components.json``, ``incidents.json``,
``incidents/unresolved.json``, ``scheduled-maintenances.json``,
``scheduled-maintenances/upcoming.json`` and ``scheduled-maintenances/active.json``.
A component is a catalog service (public ones only on the public edition), a
component group is a catalog ``group``. Every status, impact and update comes
from ``state.PageState``, the one derivation the pages use too.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

from ..model import Service, format_time, parse_time
from . import layout
from .data import SiteData
from .state import COMPONENT_STATUSES, DESCRIPTIONS, HISTORY_DAYS, INDICATORS, UNRESOLVED, IncidentState, MaintenanceState, Update, worst

__all__ = ["COMPONENT_STATUSES", "DESCRIPTIONS", "INDICATORS", "UNRESOLVED", "component_statuses", "overall", "status_api"]
MAX_RECORDS = 50  # Statuspage's incidents.json and scheduled-maintenances.json list the 50 most recent
MAX_INCIDENTS = MAX_RECORDS


def component_statuses(site: SiteData) -> dict[str, str]:
    """Each shown service's Statuspage status."""
    return dict(site.state.components)


def overall(site: SiteData) -> tuple[str, str]:
    """The page's indicator (none|maintenance|minor|major|critical) and its Statuspage description."""
    return site.state.indicator, site.state.description


def status_api(site: SiteData, base_url: str = "", name: str = "Service status") -> dict[str, str]:
    """Every Statuspage v2 endpoint as {relative path: JSON text}."""
    state = site.state
    base_url = base_url or site.site_url
    page = _page(site, base_url, name)
    components = _components(site, page["id"])
    by_id = {c["id"]: c for c in components if not c["group"]}
    incidents = [_incident(site, s, by_id, page["id"], base_url) for s in _recent(site)]
    unresolved = [_incident(site, s, by_id, page["id"], base_url) for s in state.unresolved()]
    maintenances = [_maintenance(site, m, by_id, page["id"], base_url) for m in state.maintenances[:MAX_RECORDS]]
    upcoming = [m for m in maintenances if m["status"] == "scheduled"]
    active = [m for m in maintenances if m["status"] in ("in_progress", "verifying")]
    status = {"indicator": state.indicator, "description": state.description}
    documents: dict[str, dict[str, Any]] = {
        "api/v2/status.json": {"page": page, "status": status},
        "api/v2/summary.json": {
            "page": page,
            "components": components,
            "incidents": unresolved,
            "scheduled_maintenances": active + upcoming,
            "status": status,
        },
        "api/v2/components.json": {"page": page, "components": components},
        "api/v2/incidents.json": {"page": page, "incidents": incidents},
        "api/v2/incidents/unresolved.json": {"page": page, "incidents": unresolved},
        "api/v2/scheduled-maintenances.json": {"page": page, "scheduled_maintenances": maintenances},
        "api/v2/scheduled-maintenances/upcoming.json": {"page": page, "scheduled_maintenances": upcoming},
        "api/v2/scheduled-maintenances/active.json": {"page": page, "scheduled_maintenances": active},
    }
    return {path: _dump(document) for path, document in documents.items()}


# --- building blocks --------------------------------------------------------------


def _url(base_url: str, path: str) -> str:
    return f"{base_url.rstrip('/')}/{path}" if base_url else path


def _group_id(group: str) -> str:
    return "group-" + (re.sub(r"[^a-z0-9]+", "-", group.lower()).strip("-") or "default")


def _created(state: IncidentState) -> datetime:
    return min(state.updates[0].at, _declared(state))


def _declared(state: IncidentState) -> datetime:
    declared = state.incident.data.get("declared_at")
    return parse_time(declared) if declared else state.incident.detected_at


def _last_change(state: IncidentState) -> datetime:
    return max(state.updates[-1].at, _declared(state))


def _recent(site: SiteData) -> list[IncidentState]:
    ordered = sorted(site.state.incidents.values(), key=lambda s: (_declared(s), s.incident.id), reverse=True)
    return ordered[:MAX_RECORDS]


def _page(site: SiteData, base_url: str, name: str) -> dict[str, Any]:
    times = [_last_change(s) for s in site.state.in_view()]
    times += [m.maintenance.updates[-1].at for m in site.state.maintenances]
    return {
        "id": site.edition,
        "name": name,
        "url": base_url,
        "time_zone": "Etc/UTC",
        "updated_at": format_time(max(times) if times else site.now),
    }


def _services(site: SiteData) -> list[Service]:
    return list(site.catalog.services.values())


def _components(site: SiteData, page_id: str) -> list[dict[str, Any]]:
    """Services, then one group component per catalog group (as Statuspage lists them)."""
    statuses = site.state.components
    # Only what the status pages look at (unresolved, or within the history window), so the
    # status path, which does not read the whole history, gives the same times.
    states = site.state.in_view()
    created = format_time(min((_declared(s) for s in states), default=site.now - timedelta(days=HISTORY_DAYS)))
    changed: dict[str, datetime] = {}
    for state in states:
        for service_id in state.components:
            at = _last_change(state)
            changed[service_id] = max(changed.get(service_id, at), at)
    groups: dict[str, list[str]] = {}
    top: list[str] = []  # the page's first level: groups and ungrouped services, in catalog order
    found: list[dict[str, Any]] = []
    for service in _services(site):
        key = _group_id(service.group) if service.group else service.id
        if key not in top:
            top.append(key)
        if service.group:
            groups.setdefault(service.group, []).append(service.id)
        found.append(
            {
                "id": service.id,
                "name": service.name,
                "status": statuses[service.id],
                "created_at": created,
                "updated_at": format_time(changed[service.id]) if service.id in changed else created,
                "position": len(groups[service.group]) if service.group else top.index(key) + 1,
                "description": None,
                "showcase": True,
                "start_date": None,
                "group_id": _group_id(service.group) if service.group else None,
                "page_id": page_id,
                "group": False,
                "only_show_if_degraded": False,
            }
        )
    for group, members in groups.items():
        times = [changed[m] for m in members if m in changed]
        found.append(
            {
                "id": _group_id(group),
                "name": group,
                "status": worst(COMPONENT_STATUSES, (statuses[m] for m in members), "operational"),
                "created_at": created,
                "updated_at": format_time(max(times)) if times else created,
                "position": top.index(_group_id(group)) + 1,
                "description": None,
                "showcase": False,
                "start_date": None,
                "group_id": None,
                "page_id": page_id,
                "group": True,
                "only_show_if_degraded": False,
                "components": members,
            }
        )
    return found


def _incident(site: SiteData, state: IncidentState, components: dict[str, dict[str, Any]], page_id: str, base_url: str) -> dict[str, Any]:
    incident = state.incident
    affected = [components[s] for s in state.components if s in components]
    monitoring = state.monitoring_at
    return {
        "id": incident.id,
        "name": incident.title,
        "status": state.status,
        "created_at": format_time(_created(state)),
        "updated_at": format_time(_last_change(state)),
        "monitoring_at": format_time(monitoring) if monitoring else None,
        "resolved_at": format_time(state.resolved_at) if state.resolved_at else None,
        "impact": state.impact,
        "shortlink": _url(base_url, layout.href("index.md", layout.incident_page(incident.id))),
        "started_at": format_time(state.started),
        "page_id": page_id,
        "incident_updates": _updates(incident.id, state.updates, affected),
        "components": affected,
    }


def _updates(record_id: str, updates: tuple[Update, ...], affected: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Updates newest first, each saying how the record's components changed with it."""
    found: list[dict[str, Any]] = []
    before = "operational"
    for update in updates:
        at = format_time(update.at)
        found.append(
            {
                "id": update.id,
                "status": update.status,
                "body": update.text,
                "incident_id": record_id,
                "created_at": at,
                "updated_at": at,
                "display_at": at,
                "affected_components": [
                    {"code": c["id"], "name": c["name"], "old_status": before, "new_status": update.effect} for c in affected
                ],
            }
        )
        before = update.effect
    return found[::-1]


def _maintenance(
    site: SiteData, state: MaintenanceState, components: dict[str, dict[str, Any]], page_id: str, base_url: str
) -> dict[str, Any]:
    record = state.maintenance
    affected = [components[s] for s in state.components if s in components]
    effect = {"scheduled": "operational", "in_progress": "under_maintenance", "verifying": "under_maintenance", "completed": "operational"}
    updates = tuple(Update(f"{record.id}-{u.index}", u.at, u.status, u.text, effect[u.status]) for u in record.updates)
    completed = record.completed_at
    started = record.started_at
    return {
        "id": record.id,
        "name": record.title,
        "status": record.status,
        "created_at": format_time(record.created_at),
        "updated_at": format_time(record.updates[-1].at),
        "monitoring_at": None,
        "resolved_at": format_time(completed) if completed else None,
        "impact": "maintenance",
        "shortlink": _url(base_url, layout.href("index.md", layout.maintenance_page(record.id))),
        "started_at": format_time(started or record.scheduled_for),
        "page_id": page_id,
        "incident_updates": _updates(record.id, updates, affected),
        "components": affected,
        "scheduled_for": format_time(record.scheduled_for),
        "scheduled_until": format_time(record.scheduled_until),
    }


def _dump(document: dict[str, Any]) -> str:
    text = json.dumps(document, indent=2, ensure_ascii=False)
    # Outside strings JSON never holds these, so escaping them keeps it valid and safe to inline in HTML.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"
