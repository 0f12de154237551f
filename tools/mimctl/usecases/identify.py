"""Identify and classify: declare a major incident, confirm it is real, classify it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..model import Incident, Process, format_time
from ..store import INCIDENT_ID, Tracker, TrackerError
from ..timing import When, known
from ..transaction import Change
from ..yamlio import dump_new
from . import Invalid
from .records import SCHEMA_FROM_INCIDENT, clean, event_path, event_text, incident_path, record


@dataclass(frozen=True)
class Declaration:
    """What is known when an incident is declared. Times default: detected at declaration, start unknown."""

    title: str
    services: Sequence[str]
    impact: str
    urgency: str
    severity: str
    source: str
    reported_by: str | None = None
    alert: Mapping[str, str] | None = None  # name, id, fingerprint, group_key, source, url
    summary: str | None = None
    major_reason: str | None = None
    visibility: str | None = None
    started_at: When | None = None
    detected_at: When | None = None  # a Known of precision unknown: not known when (held at the declaration)
    user_count: int | None = None
    segment: str | None = None
    customers: int | None = None
    devices: int | None = None
    retrospective: str | None = None  # why it is recorded after the fact (it is never notified)
    sources: Sequence[str] = ()  # links to what it is recorded from (a published postmortem...)
    regions: Sequence[str] = ()
    risks: Sequence[str] = ()
    related_incidents: Sequence[str] = field(default=())
    incident_id: str | None = None  # default: the next free one


def next_incident_id(tracker: Tracker) -> str:
    """One more than the highest ``INC-`` number in the tracker."""
    numbers = [int(i[4:]) for i in tracker.incident_ids() if i[:4].upper() == "INC-" and i[4:].isdigit()]
    return f"INC-{max(numbers, default=0) + 1:04d}"


def priority(process: Process, impact: str, urgency: str) -> int:
    """The priority the matrix in process.yaml gives impact x urgency; Invalid if it has none."""
    found = process.priority(impact, urgency)
    if found is None:
        raise Invalid(
            f"impact {impact!r} x urgency {urgency!r} is not in the priority matrix "
            f"(impacts: {', '.join(process.impacts)}; urgencies: {', '.join(process.urgencies)})"
        )
    return found


def declare(tracker: Tracker, declared: Declaration, at: When, by: str | None) -> Change:
    """A new incident in the first stage, with its 'declared' event; the summary lists the dependents at risk.

    Times default: detected when declared (``at``), start unknown. An unknown
    detection time is held at the declaration, the latest it can have been.
    """
    process = tracker.process
    when = known(at)
    if when.unknown:
        raise Invalid("the declaration needs a time (the day, at least): --at 2026-11-27 or --at '~2026-11-27T08:30Z'", param="at")
    detected = known(declared.detected_at) if declared.detected_at is not None else when
    if detected.unknown:
        detected = detected.placed(when.at)
    started = known(declared.started_at) if declared.started_at is not None else None
    if started is not None and started.unknown:
        started = None  # an unknown start is the default: no started_at
    if declared.sources and not declared.retrospective:
        raise Invalid("source links are for an incident recorded after the fact: give --retrospective REASON too", param="sources")
    incident_id = declared.incident_id.upper() if declared.incident_id else next_incident_id(tracker)
    if not INCIDENT_ID.match(incident_id):
        raise TrackerError(f"{incident_id!r} is not an incident id (INC- and 4 to 8 digits, e.g. INC-0042)")
    if incident_id.casefold() in {i.casefold() for i in tracker.incident_ids()}:
        raise TrackerError(f"{incident_id} already exists")
    users = clean({"count": declared.user_count, "customers": declared.customers, "devices": declared.devices, "segment": declared.segment})
    times = clean({"started_at": started.note() if started else None, "detected_at": detected.note(), "declared_at": when.note()})
    retrospective = clean({"reason": declared.retrospective, "sources": list(declared.sources)}) if declared.retrospective else None
    data = clean(
        {
            "id": incident_id,
            "title": declared.title,
            "stage": process.stage_ids[0],
            "severity": declared.severity,
            "impact": declared.impact,
            "urgency": declared.urgency,
            "priority": priority(process, declared.impact, declared.urgency),
            "visibility": declared.visibility,
            "retrospective": retrospective,
            "summary": declared.summary,
            "major_reason": declared.major_reason,
            "detection": clean(
                {"source": declared.source, "reported_by": declared.reported_by, "alert": clean(declared.alert or {}) or None}
            ),
            "started_at": format_time(started.at) if started else None,
            "detected_at": format_time(detected.at),
            "declared_at": format_time(when.at),
            "services": list(declared.services),
            "impacted_users": users or None,
            "regions": list(declared.regions),
            "risks": list(declared.risks),
            "related_incidents": list(declared.related_incidents),
            "times": times or None,
        }
    )
    sets = {k: v for k, v in data.items() if k not in ("id", "stage")}
    writes = {
        incident_path(incident_id): dump_new(data, SCHEMA_FROM_INCIDENT),
        # The declaration records what it set, as every event does, so the facts known then count from then (Incident.as_of).
        event_path(incident_id, when, "declared"): event_text(
            when, "declared", by, {"text": f"Declared: {data['title']}", "sets": sets}, seq=1
        ),
    }
    catalog = tracker.catalog
    at_risk = sorted({d for s in data["services"] for d in catalog.dependents(s)} - set(data["services"]))
    return Change(
        incident_id,
        writes,
        f"{incident_id}: declare {data['severity']} \u2014 {data['title']}",
        trailers={"Incident": incident_id, "Stage": data["stage"], "Event": "declared"},
        summary={"id": incident_id, "priority": data["priority"], "dependents_at_risk": at_risk},
    )


def confirm(tracker: Tracker, incident: Incident, scope: str | None, at: When, by: str) -> Change:
    """The incident is real: who confirmed it, when, and its scope."""
    edits = {"validation.confirmed_by": by, "validation.confirmed_at": known(at), "validation.scope": scope}
    return record(tracker, incident, "validated", at, by, "confirmed as real", {"text": scope}, edits)


def classify(
    tracker: Tracker,
    incident: Incident,
    at: When,
    by: str,
    *,
    impact: str | None = None,
    urgency: str | None = None,
    severity: str | None = None,
    major_reason: str | None = None,
    user_count: int | None = None,
    segment: str | None = None,
    summary: str | None = None,
    customers: int | None = None,
    devices: int | None = None,
    data_loss: str | None = None,
    no_data_loss: bool = False,
    records_lost: int | None = None,
) -> Change:
    """Impact and urgency (the priority follows from the matrix), severity, why major, who is affected, data lost."""
    if data_loss and no_data_loss:
        raise Invalid("give data loss (what was lost) or no data loss, not both", param="data_loss")
    if records_lost is not None and not data_loss:
        raise Invalid("records lost goes with --data-loss TEXT (what was lost)", param="records_lost")
    new_impact = impact or incident.data["impact"]
    new_urgency = urgency or incident.data["urgency"]
    found = priority(tracker.process, new_impact, new_urgency)
    edits: dict[str, object] = {"impact": new_impact, "urgency": new_urgency, "priority": found}
    for key, value in (
        ("severity", severity),
        ("major_reason", major_reason),
        ("summary", summary),
        ("impacted_users.count", user_count),
        ("impacted_users.segment", segment),
        ("impacted_users.customers", customers),
        ("impacted_users.devices", devices),
    ):
        if value is not None:
            edits[key] = value
    if data_loss:
        edits["data_loss"] = clean({"occurred": True, "summary": data_loss, "records": records_lost})
    elif no_data_loss:
        edits["data_loss"] = {"occurred": False}
    text = f"impact {new_impact}, urgency {new_urgency} -> priority {found}; severity {severity or incident.severity}"
    return record(tracker, incident, "classified", at, by, f"classify: {text}", {"text": text}, edits)


def exempt(tracker: Tracker, incident: Incident, items: Sequence[str], reason: str, at: When, by: str) -> Change:
    """Record why this incident, recorded after the fact, need not meet gate items only a live response produces.

    Each item goes to ``retrospective.exemptions``; validation refuses one that
    names no gate item or needs no live response (``lifecycle``), so nothing
    that a retrospective record can state is waived.
    """
    if not incident.data.get("retrospective"):
        raise Invalid(
            f"{incident.id} is not recorded after the fact: only a retrospective incident (mimctl new --retrospective REASON) may be exempt",
            param="items",
        )
    if not reason.strip():
        raise Invalid("say why the records cannot hold it", param="reason")
    named = {name for stage in tracker.process.stages for name in stage.gate}
    unknown = [item for item in items if item not in named]
    if unknown:
        raise Invalid(f"no stage's gate has {', '.join(map(repr, unknown))}; gate items: {', '.join(sorted(named))}", param="items")
    edits = {f"retrospective.exemptions.{item}": reason for item in items}
    text = f"Exempt from {', '.join(items)} (recorded after the fact): {reason}"
    return record(tracker, incident, "note", at, by, f"exempt from {', '.join(items)}", {"text": text}, edits)
