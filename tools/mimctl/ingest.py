"""Alerts into incidents: open or update the incident of each alert group.

A new alert group opens an incident in the first stage; a repeat of the group
(same group key, or an alert fingerprint already recorded) adds ``alert``
events to the incident it opened, never a second incident. Nothing here closes
or advances an incident. Parsing the payloads is ``webhook``'s job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from . import kedb
from .alert_payloads import Alert, AlertGroup, clean_line, clean_text
from .model import Incident, Process
from .store import INCIDENT_FILE, INCIDENTS_DIR, TIMELINE_DIR, Tracker, TrackerError
from .transaction import Change
from .usecases.identify import Declaration, declare
from .usecases.records import add_event, load_incident, preview, read_mentioning, words_of

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
SUGGESTION_PREFIX = kedb.SUGGESTION_PREFIX


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}


# --- mapping labels to the incident ---------------------------------------------------


def alert_config(process: Process) -> dict[str, Any]:
    """The ``alerts`` section of process.yaml (empty if there is none), as the validated process holds it."""
    return process.alerts


def classify(tracker: Tracker, group: AlertGroup, config: dict[str, Any]) -> dict[str, Any]:
    """Services, severity, impact, urgency and title for a new incident from this group."""
    process, catalog = tracker.process, tracker.catalog
    firing = [a for a in group.alerts if a.status == "firing"] or list(group.alerts)
    service_map = config.get("service_map") or {}
    services: list[str] = []
    for alert in firing:
        for label in config.get("service_labels") or ["service"]:
            value = alert.labels.get(label)
            found = value if value in catalog.services else service_map.get(value or "")
            if found in catalog.services:
                if found not in services:
                    services.append(found)
                break
    default_service = config.get("default_service")
    if not services and default_service:
        services = [default_service]
    if not services:
        raise TrackerError("no label names a catalog service; set alerts.default_service in process.yaml")
    ids = [s.id for s in process.severities]
    severity_map = {str(k).lower(): v for k, v in (config.get("severity_map") or {}).items()}
    default = config.get("default_severity") or ids[-1]
    found_severities = []
    for alert in firing:
        value = alert.labels.get(config.get("severity_label") or "severity", "")
        mapped = value if value in ids else severity_map.get(value.lower(), default)
        found_severities.append(mapped if mapped in ids else default)
    severity = min(found_severities, key=lambda s: ids.index(s) if s in ids else len(ids))
    pair = (config.get("classification") or {}).get(severity) or {}
    impact = pair.get("impact") or process.impacts[len(process.impacts) // 2]
    urgency = pair.get("urgency") or process.urgencies[len(process.urgencies) // 2]
    first = firing[0]
    values = {**first.labels, **group.annotations, **first.annotations, "alertname": first.name}
    template = config.get("title_template") or "{alertname}: {summary}"
    title = clean_line(_PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), template))
    title = clean_line(re.sub(r"^[\s:\-]+|[\s:\-]+$", "", title)) or clean_line(f"Alert {first.name}")
    summary = group.annotations.get("description") or first.annotations.get("description") or first.annotations.get("summary")
    return {"title": title, "services": services, "severity": severity, "impact": impact, "urgency": urgency, "summary": summary}


# --- finding the incident a group already opened ----------------------------------------


def find_incident(tracker: Tracker, group: AlertGroup) -> str | None:
    """The incident this group (or one of its alerts) already went to; an unfinished one first.

    Only the records whose text mentions the group key (or a fingerprint)
    are loaded, through the store: the others cannot hold it.
    """
    fingerprints = {a.fingerprint for a in group.alerts}
    final = {s.id for s in tracker.process.stages if s.final}
    key_words = words_of(group.group_key)
    found: list[tuple[bool, str]] = []
    for incident_id in reversed(tracker.incident_folders()):  # real folders only: never through a link
        folder = f"{INCIDENTS_DIR}/{incident_id}"
        data = read_mentioning(tracker, f"{folder}/{INCIDENT_FILE}", "incident", key_words)
        hit = _alert_of(data, "detection").get("group_key") == group.group_key
        if not hit:
            for entry in tracker.source.listing(f"{folder}/{TIMELINE_DIR}") or []:
                if "-alert-" not in entry.name or not entry.name.endswith(".yaml"):
                    continue
                alert = _alert_of(_mentioning_group(tracker, entry.path, key_words, fingerprints))
                if alert.get("group_key") == group.group_key or alert.get("fingerprint") in fingerprints:
                    hit = True
                    break
        if hit:
            stage = (data or read_mentioning(tracker, f"{folder}/{INCIDENT_FILE}", "incident", ()) or {}).get("stage")
            found.append((stage in final, incident_id))
    open_first = sorted(found, key=lambda item: item[0])
    return open_first[0][1] if open_first else None


def _alert_of(data: dict[str, Any] | None, *within: str) -> dict[str, Any]:
    """The ``alert`` mapping of a record (of its ``detection`` for incident.yaml), or empty."""
    for key in within:
        data = data.get(key) if isinstance(data, dict) else None
    alert = data.get("alert") if isinstance(data, dict) else None
    return alert if isinstance(alert, dict) else {}


def _mentioning_group(tracker: Tracker, path: str, key_words: tuple[str, ...], fingerprints: set[str]) -> dict[str, Any] | None:
    """An alert event that mentions the group key or one of the fingerprints (read by the store), else None."""
    for words in (key_words, *(words_of(f) for f in sorted(fingerprints))):
        data = read_mentioning(tracker, path, "event", words)
        if data is not None:
            return data
    return None


# --- planning the change ----------------------------------------------------------------


@dataclass
class Plan:
    """What ingesting a payload does: open, update, or nothing, and why."""

    action: str  # opened, updated, unchanged, ignored
    incident_id: str | None
    change: Change | None
    events: int = 0
    suggestions: list[str] = field(default_factory=list)
    reason: str = ""


def _alert_fields(group: AlertGroup, alert: Alert) -> dict[str, Any]:
    text = alert.annotations.get("description") or alert.annotations.get("summary")
    return _compact(
        {
            "text": clean_text(f"{alert.name} {alert.status}" + (f": {text}" if text else "")),
            "url": alert.url,
            "alert": {
                "name": alert.name,
                "fingerprint": alert.fingerprint,
                "status": alert.status,
                "group_key": group.group_key,
                "labels": dict(alert.labels),
            },
        }
    )


def _event_at(alert: Alert, at: datetime) -> datetime:
    moment = (alert.ends_at if alert.status == "resolved" else alert.starts_at) or at
    return min(moment, at)


def plan_alert(tracker: Tracker, group: AlertGroup, at: datetime, by: str) -> Plan:
    """Decide what this notification does to the tracker, as a Change not yet applied."""
    at = at.astimezone(timezone.utc)
    existing = find_incident(tracker, group)
    final = {s.id for s in tracker.process.stages if s.final}
    if existing is not None:
        incident = load_incident(tracker, existing)
        if incident.stage not in final or group.status == "resolved":
            return _update(tracker, incident, group, at, by)
        reason = f"{existing} is complete; the alert fired again"
    elif group.status == "resolved":
        return Plan("ignored", None, None, reason="a resolved notification for a group with no incident opens nothing")
    else:
        reason = ""
    config = alert_config(tracker.process)
    fields = classify(tracker, group, config)
    firing = [a for a in group.alerts if a.status == "firing"] or list(group.alerts)
    first = firing[0]
    detected = min((a.starts_at for a in firing if a.starts_at), default=at)
    alert = {
        "name": first.name,
        "fingerprint": first.fingerprint,
        "group_key": group.group_key,
        "source": group.source,
        "url": group.url or first.url,
    }
    declared = Declaration(
        **fields,
        source="alert",
        reported_by=clean_line(group.source, 64),
        detected_at=min(detected, at),
        alert=_compact(alert),
        related_incidents=[existing] if existing else [],
    )
    change = declare(tracker, declared, at, by)
    incident_id = str(change.incident_id)
    for item in group.alerts:
        add_event(change, incident_id, _event_at(item, at), "alert", by, _alert_fields(group, item))
    result = Plan("opened", incident_id, change, len(group.alerts), reason=reason)
    _suggest(tracker, result, at, by, config)
    return result


def _update(tracker: Tracker, incident: Incident, group: AlertGroup, at: datetime, by: str) -> Plan:
    """Alert events for what is new since the last notification; nothing if nothing is."""
    last: dict[str, str] = {}
    for event in incident.events_of("alert"):
        alert = event.data.get("alert") or {}
        if alert.get("fingerprint"):
            last[alert["fingerprint"]] = alert.get("status", "")
    news = [a for a in group.alerts if last.get(a.fingerprint) != a.status]
    if not news:
        return Plan("unchanged", incident.id, None, reason="every alert is already recorded with this status")
    names = sorted({a.name for a in news})
    change = Change(
        incident.id,
        {},
        f"{incident.id}: alert {', '.join(names)} {group.status} ({len(news)} alert event(s))",
        trailers={"Incident": incident.id, "Stage": incident.stage, "Event": "alert"},
    )
    for alert in news:
        add_event(change, incident.id, _event_at(alert, at), "alert", by, _alert_fields(group, alert), incident)
    result = Plan("updated", incident.id, change, len(news))
    if group.status == "firing":
        _suggest(tracker, result, at, by, alert_config(tracker.process))
    return result


def _suggest(tracker: Tracker, result: Plan, at: datetime, by: str, config: dict[str, Any]) -> None:
    """Add a note naming the known errors that fit, unless they were suggested or linked before."""
    assert result.change is not None and result.incident_id is not None
    model = preview(tracker, result.change)
    if model is None:
        return
    _, known_errors = tracker.load_known_errors()
    said = {ke for e in model.events_of("note") if e.text.startswith(SUGGESTION_PREFIX) for ke in re.findall(r"KE-[0-9]+", e.text)}
    said |= set(model.data.get("known_errors") or ())
    threshold = float(config.get("suggest_min_score", 4))
    ranking = kedb.rank(model, known_errors)
    fresh = [m for m in ranking.matches if m.score >= threshold and m.signature and m.id not in said][:3]
    if not fresh:
        return
    parts = [f"{m.id} {m.title} (score {m.score:g}: {'; '.join(m.reasons[:2])})" for m in fresh]
    text = clean_text(f"{SUGGESTION_PREFIX} " + ", ".join(parts) + f". See: mimctl kedb match {result.incident_id}")
    add_event(result.change, result.incident_id, at, "note", by, {"text": text})
    result.suggestions = [m.id for m in fresh]
