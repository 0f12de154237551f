"""What responders do to an incident, as changes to its records.

Each function reads what it needs, decides, and returns a ``Change`` (files to
write and the commit that records them). Nothing here writes or commits:
``transaction.apply`` does that.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from . import lifecycle
from .model import Incident, format_time
from .store import INCIDENT_FILE, INCIDENT_ID, INCIDENTS_DIR, PIR_FILE, TIMELINE_DIR, Tracker, TrackerError
from .transaction import Change, Refused
from .yamlio import dump_new, edit_file, edit_text

SCHEMA_FROM_INCIDENT = "../../schemas/incident.schema.json"
SCHEMA_FROM_EVENT = "../../../schemas/event.schema.json"
SCHEMA_FROM_PIR = "../../schemas/pir.schema.json"


def _incident_path(incident_id: str) -> str:
    return f"{INCIDENTS_DIR}/{incident_id}/{INCIDENT_FILE}"


def _event_path(incident_id: str, at: datetime, kind: str) -> str:
    stamp = at.strftime("%Y%m%dT%H%M%SZ")
    return f"{INCIDENTS_DIR}/{incident_id}/{TIMELINE_DIR}/{stamp}-{kind}-{secrets.token_hex(3)}.yaml"


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in (None, "", [], (), {})}


def event_text(at: datetime, kind: str, by: str | None, fields: dict[str, Any]) -> str:
    """A new timeline event file's text."""
    data = _clean({"at": format_time(at), "kind": kind, "by": by, **fields})
    return dump_new(data, SCHEMA_FROM_EVENT)


def set_path(data: Any, dotted: str, value: Any) -> None:
    """Set ``a.b.c`` in nested mappings, creating the missing ones; None removes the key."""
    parts = dotted.split(".")
    for part in parts[:-1]:
        if part not in data or not isinstance(data[part], dict):
            data[part] = {}
        data = data[part]
    if value is None:
        data.pop(parts[-1], None)
    else:
        data[parts[-1]] = value


def load_incident(tracker: Tracker, given_id: str) -> Incident:
    """The incident's model, or Refused with its findings if its records are invalid."""
    incident_id = tracker.resolve_incident_id(given_id)
    bundle = tracker.load_bundle(incident_id)
    if bundle.model is None:
        raise Refused(f"{incident_id} has invalid records; fix them first", bundle.findings)
    return bundle.model


def record(
    tracker: Tracker,
    incident: Incident,
    kind: str,
    at: datetime,
    by: str | None,
    subject: str,
    fields: dict[str, Any] | None = None,
    edits: dict[str, Any] | None = None,
    trailers: dict[str, str] | None = None,
) -> Change:
    """An event on the timeline plus edits to incident.yaml, as one change."""
    writes: dict[str, str] = {}
    if edits:
        path = _incident_path(incident.id)

        def change(data: Any) -> None:
            for dotted, value in edits.items():
                set_path(data, dotted, value)

        writes[path] = edit_file(tracker.root / path, change, path)
    writes[_event_path(incident.id, at, kind)] = event_text(at, kind, by, fields or {})
    return Change(
        incident.id,
        writes,
        f"{incident.id}: {subject}",
        trailers={"Incident": incident.id, "Stage": incident.stage, "Event": kind, **(trailers or {})},
    )


# --- declaring ------------------------------------------------------------------


def next_incident_id(tracker: Tracker) -> str:
    numbers = [int(i[4:]) for i in tracker.incident_ids() if i[:4].upper() == "INC-" and i[4:].isdigit()]
    return f"INC-{max(numbers, default=0) + 1:04d}"


def declare(tracker: Tracker, fields: dict[str, Any], at: datetime, by: str | None) -> Change:
    """A new incident in the first stage, with its 'declared' event."""
    process = tracker.process
    incident_id = fields.pop("id", None) or next_incident_id(tracker)
    if not INCIDENT_ID.match(incident_id):
        raise TrackerError(f"{incident_id!r} is not an incident id (INC- and 4 to 8 digits, e.g. INC-0042)")
    if incident_id.casefold() in {i.casefold() for i in tracker.incident_ids()}:
        raise TrackerError(f"{incident_id} already exists")
    impact, urgency = fields["impact"], fields["urgency"]
    priority = process.priority(impact, urgency)
    if priority is None:
        raise TrackerError(
            f"impact {impact!r} x urgency {urgency!r} is not in the priority matrix "
            f"(impacts: {', '.join(process.impacts)}; urgencies: {', '.join(process.urgencies)})"
        )
    detected = fields.pop("detected_at", None) or format_time(at)
    data = _clean(
        {
            "id": incident_id,
            "title": fields.pop("title"),
            "stage": process.stage_ids[0],
            "severity": fields.pop("severity"),
            "impact": fields.pop("impact"),
            "urgency": fields.pop("urgency"),
            "priority": priority,
            "visibility": fields.pop("visibility", None),
            "summary": fields.pop("summary", None),
            "major_reason": fields.pop("major_reason", None),
            "detection": _clean(
                {"source": fields.pop("source"), "reported_by": fields.pop("reported_by", None), "alert": fields.pop("alert", None)}
            ),
            "started_at": fields.pop("started_at", None),
            "detected_at": detected,
            "declared_at": format_time(at),
            "services": list(fields.pop("services")),
            **fields,
        }
    )
    writes = {
        _incident_path(incident_id): dump_new(data, SCHEMA_FROM_INCIDENT),
        _event_path(incident_id, at, "declared"): event_text(at, "declared", by, {"text": f"Declared: {data['title']}"}),
    }
    catalog = tracker.catalog
    at_risk = sorted({d for s in data["services"] for d in catalog.dependents(s)} - set(data["services"]))
    return Change(
        incident_id,
        writes,
        f"{incident_id}: declare {data['severity']} \u2014 {data['title']}",
        trailers={"Incident": incident_id, "Stage": data["stage"], "Event": "declared"},
        summary={"id": incident_id, "priority": priority, "dependents_at_risk": at_risk},
    )


# --- the lifecycle ----------------------------------------------------------------


def advance(
    tracker: Tracker, incident: Incident, target: str | None, reason: str | None, at: datetime, by: str | None
) -> tuple[lifecycle.Transition, Change | None]:
    """Judge the stage change; when allowed, the change that makes it."""
    transition = lifecycle.judge(incident, tracker.process, target, reason)
    if not transition.allowed:
        return transition, None
    fields: dict[str, Any] = {"from": transition.source, "to": transition.target, "reason": reason}
    if transition.skipped:
        fields["skipped"] = list(transition.skipped)
    edits: dict[str, Any] = {"stage": transition.target}
    stage = tracker.process.stage(transition.target)
    if stage is not None and stage.final:
        edits["completed_at"] = format_time(at)
    verb = "reopen" if transition.backward else "advance"
    change = record(
        tracker,
        incident,
        "stage",
        at,
        by,
        f"{verb} {transition.source} \u2192 {transition.target}",
        fields,
        edits,
        trailers={"Stage": transition.target, "Previous-Stage": transition.source},
    )
    change.trailers["Gate"] = ", ".join(item.name for item in transition.gate) or "none"
    return transition, change


def new_short_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(2)}"


def pir_text(incident: Incident, fields: dict[str, Any]) -> str:
    """A new PIR, pre-filled from the incident."""
    data = _clean(
        {
            "incident": incident.id,
            "status": "draft",
            "summary": fields.get("summary") or incident.data.get("summary"),
            "impact": fields.get("impact") or _impact_text(incident),
            "root_causes": [incident.data["cause"]["summary"]] if (incident.data.get("cause") or {}).get("summary") else [],
            "actions": [],
        }
    )
    return dump_new(data, SCHEMA_FROM_PIR)


def _impact_text(incident: Incident) -> str:
    users = incident.data.get("impacted_users") or {}
    parts = [f"Services: {', '.join(incident.services)}."]
    if users.get("count") is not None:
        parts.append(f"About {users['count']} users affected.")
    if users.get("segment"):
        parts.append(f"Segment: {users['segment']}.")
    return " ".join(parts)


def edit_pir(tracker: Tracker, incident: Incident, subject: str, change: Any) -> Change:
    """Apply ``change`` to the incident's pir.yaml (created from the incident if absent)."""
    path = f"{INCIDENTS_DIR}/{incident.id}/{PIR_FILE}"
    current = tracker.root / path
    text = edit_file(current, change, path) if current.exists() else edit_text(pir_text(incident, {}), change, path)
    return Change(
        incident.id,
        {path: text},
        f"{incident.id}: {subject}",
        trailers={"Incident": incident.id, "Stage": incident.stage, "Record": "pir"},
    )
