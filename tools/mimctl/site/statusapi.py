"""Atlassian Statuspage v2-compatible JSON (``api/v2/*.json``), so existing status clients work unchanged.

Field names, nesting and status values follow Statuspage's public page API
(``/api/v2/status.json``, ``summary.json``, ``components.json``,
``incidents.json``, ``incidents/unresolved.json``). A component is a catalog
service (public ones only on the public edition), a component group is a
catalog ``group``. Everything here is a pure function of ``SiteData``.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import partial, reduce
from pathlib import PurePosixPath
from typing import Any

from ..model import Event, Incident, Service, format_time, parse_time
from .data import PUBLIC, SiteData

# Least to most severe, as Statuspage ranks them.
COMPONENT_STATUSES = ("operational", "under_maintenance", "degraded_performance", "partial_outage", "major_outage")
INDICATORS = ("none", "minor", "major", "critical")
DESCRIPTIONS = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major Service Outage",
}
UNRESOLVED = ("investigating", "identified", "monitoring")
CLOSE_STAGE = "close"  # an incident past this stage counts as resolved
MAX_INCIDENTS = 50  # Statuspage's incidents.json lists the 50 most recent


def component_statuses(site: SiteData) -> dict[str, str]:
    """Each shown service's Statuspage status: the worst of the active incidents that list it."""
    statuses = {service.id: "operational" for service in _services(site)}
    for incident in site.active_incidents():
        severity = site.process.severity(incident.severity)
        status = severity.component_status if severity else "partial_outage"
        for service_id in incident.services:
            if service_id in statuses:
                statuses[service_id] = _worst(COMPONENT_STATUSES, statuses[service_id], status)
    return statuses


def overall(site: SiteData) -> tuple[str, str]:
    """The page's indicator (none|minor|major|critical) and its Statuspage description."""
    indicator = "none"
    for incident in site.active_incidents():
        indicator = _worst(INDICATORS, indicator, _impact(site, incident))
    return indicator, DESCRIPTIONS[indicator]


def incident_status(site: SiteData, incident: Incident) -> str:
    """Statuspage status: the latest update's, and ``resolved`` only once the incident is over."""
    updates = _updates(site, incident)
    if not site.is_active(incident) and (_past_close(site, incident) or any(_said(u) == "resolved" for u in updates)):
        return "resolved"
    latest = _said(updates[-1]) if updates else "investigating"
    # A "resolved" update while the incident is still active does not end it on the status page.
    return "monitoring" if latest == "resolved" else latest


def status_api(site: SiteData, base_url: str = "", name: str = "Service status") -> dict[str, str]:
    """Every Statuspage v2 endpoint as {relative path: JSON text}."""
    page = _page(site, base_url, name)
    components = _components(site, page["id"])
    by_id = {c["id"]: c for c in components if not c["group"]}
    incidents = [_incident(site, i, by_id, page["id"], base_url) for i in _recent(site)]
    unresolved = [i for i in incidents if i["status"] in UNRESOLVED]
    indicator, description = overall(site)
    status = {"indicator": indicator, "description": description}
    documents: dict[str, dict[str, Any]] = {
        "api/v2/status.json": {"page": page, "status": status},
        "api/v2/summary.json": {
            "page": page,
            "components": components,
            "incidents": unresolved,
            "scheduled_maintenances": [],
            "status": status,
        },
        "api/v2/components.json": {"page": page, "components": components},
        "api/v2/incidents.json": {"page": page, "incidents": incidents},
        "api/v2/incidents/unresolved.json": {"page": page, "incidents": unresolved},
    }
    return {path: _dump(document) for path, document in documents.items()}


# --- building blocks --------------------------------------------------------------


def _worst(order: tuple[str, ...], a: str, b: str) -> str:
    rank = {value: index for index, value in enumerate(order)}
    return max(a, b, key=lambda value: rank.get(value, 0))


def _services(site: SiteData) -> list[Service]:
    return [s for s in site.catalog.services.values() if s.public or not site.public]


def _impact(site: SiteData, incident: Incident) -> str:
    severity = site.process.severity(incident.severity)
    return severity.indicator if severity else "major"


def _updates(site: SiteData, incident: Incident) -> list[Event]:
    return incident.updates(PUBLIC if site.public else None)


def _said(update: Event) -> str:
    return str(update.data.get("status", "investigating"))


def _past_close(site: SiteData, incident: Incident) -> bool:
    ids = site.process.stage_ids
    return CLOSE_STAGE in ids and incident.stage in ids and ids.index(incident.stage) > ids.index(CLOSE_STAGE)


def _url(base_url: str, path: str) -> str:
    return f"{base_url.rstrip('/')}/{path}" if base_url else path


def _group_id(group: str) -> str:
    return "group-" + (re.sub(r"[^a-z0-9]+", "-", group.lower()).strip("-") or "default")


def _created(incident: Incident) -> datetime:
    declared = incident.data.get("declared_at")
    return parse_time(declared) if declared else incident.detected_at


def _last_change(site: SiteData, incident: Incident) -> datetime:
    shown = [e.at for e in incident.events if e.kind == "stage"] + [u.at for u in _updates(site, incident)]
    return max([_created(incident), *shown])


def _recent(site: SiteData) -> list[Incident]:
    ordered = sorted(site.incidents, key=lambda i: (_created(i), i.id), reverse=True)
    return ordered[:MAX_INCIDENTS]


def _page(site: SiteData, base_url: str, name: str) -> dict[str, Any]:
    times = [_last_change(site, i) for i in site.incidents]
    return {
        "id": site.edition,
        "name": name,
        "url": base_url,
        "time_zone": "Etc/UTC",
        "updated_at": format_time(max(times) if times else site.now),
    }


def _components(site: SiteData, page_id: str) -> list[dict[str, Any]]:
    """Services, then one group component per catalog group (as Statuspage lists them)."""
    statuses = component_statuses(site)
    created = format_time(min((_created(i) for i in site.incidents), default=site.now))
    changed: dict[str, datetime] = {}
    for incident in site.incidents:
        for service_id in incident.services:
            at = _last_change(site, incident)
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
                "status": reduce(partial(_worst, COMPONENT_STATUSES), (statuses[m] for m in members), "operational"),
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


def _incident(site: SiteData, incident: Incident, components: dict[str, dict[str, Any]], page_id: str, base_url: str) -> dict[str, Any]:
    status = incident_status(site, incident)
    updates = _updates(site, incident)
    affected = [components[s] for s in incident.services if s in components]
    monitoring = [u.at for u in updates if _said(u) == "monitoring"]
    return {
        "id": incident.id,
        "name": incident.title,
        "status": status,
        "created_at": format_time(_created(incident)),
        "updated_at": format_time(_last_change(site, incident)),
        "monitoring_at": format_time(monitoring[0]) if monitoring else None,
        "resolved_at": _resolved_at(incident, updates) if status == "resolved" else None,
        "impact": _impact(site, incident),
        "shortlink": _url(base_url, f"incidents/{incident.id}.html"),
        "started_at": format_time(incident.started_at or incident.detected_at),
        "page_id": page_id,
        "incident_updates": _incident_updates(site, incident, updates, affected),
        "components": affected,
    }


def _resolved_at(incident: Incident, updates: list[Event]) -> str:
    said = [u.at for u in updates if _said(u) == "resolved"]
    if said:
        return format_time(said[-1])
    for fallback in ((incident.data.get("closure") or {}).get("closed_at"), (incident.data.get("resolution") or {}).get("implemented_at")):
        if fallback:
            return format_time(parse_time(str(fallback)))
    return format_time(max([incident.detected_at, *(e.at for e in incident.events)]))


def _incident_updates(site: SiteData, incident: Incident, updates: list[Event], affected: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Updates newest first, each saying how the incident's components changed with it."""
    severity = site.process.severity(incident.severity)
    impaired = severity.component_status if severity else "partial_outage"
    found: list[dict[str, Any]] = []
    before = "operational"
    for update in updates:
        now = "operational" if _said(update) == "resolved" else impaired
        at = format_time(update.at)
        found.append(
            {
                "id": f"{incident.id}-{PurePosixPath(update.name).stem}",
                "status": _said(update),
                "body": update.text,
                "incident_id": incident.id,
                "created_at": at,
                "updated_at": at,
                "display_at": at,
                "affected_components": [{"code": c["id"], "name": c["name"], "old_status": before, "new_status": now} for c in affected],
            }
        )
        before = now
    return found[::-1]


def _dump(document: dict[str, Any]) -> str:
    text = json.dumps(document, indent=2, ensure_ascii=False)
    # Outside strings JSON never holds these, so escaping them keeps it valid and safe to inline in HTML.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"
