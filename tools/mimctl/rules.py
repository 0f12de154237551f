"""Cross-record rules: what a schema alone cannot say.

IDs unique and matching their files, references that resolve, priority that
agrees with the matrix, event times that make sense, ``stage:`` that agrees
with the stage events.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from datetime import datetime, timedelta, timezone
from pathlib import PurePosixPath
from typing import Any

from . import events, milestones, timing
from .findings import Finding, dotted
from .gates import process_problems
from .layout import EVENT_FILE_PATTERN, INCIDENT_ID
from .lifecycle import exemption_problems
from .model import Catalog, Process
from .store import Bundle, Record

__all__ = ["EVENT_FILE_PATTERN", "check_bundle", "check_catalog", "check_ids", "check_known_error", "check_process"]


def _at(record: Record, path: tuple[Any, ...], message: str, rule: str) -> Finding:
    assert record.document is not None
    line, col = record.document.position(path)
    return Finding(record.path, line, col, message, dotted(path), rule)


def check_bundle(
    bundle: Bundle,
    process: Process,
    catalog: Catalog,
    incident_ids: Container[str],
    known_error_ids: Container[str],
    now: datetime | None = None,
) -> list[Finding]:
    """Findings for one incident whose records passed their schemas."""
    incident = bundle.model
    if incident is None:
        return []
    now = now or datetime.now(timezone.utc)
    record = bundle.incident
    data = incident.data
    out: list[Finding] = []
    folder = PurePosixPath(record.path).parent.name
    if data["id"] != folder:
        out.append(_at(record, ("id",), f"id {data['id']!r} does not match its folder {folder!r}", "id"))
    if process.stage(data["stage"]) is None:
        out.append(_at(record, ("stage",), f"unknown stage {data['stage']!r}; stages: {', '.join(process.stage_ids)}", "reference"))
    if process.severity(data["severity"]) is None:
        known = ", ".join(s.id for s in process.severities)
        out.append(_at(record, ("severity",), f"unknown severity {data['severity']!r}; severities: {known}", "reference"))
    for key, allowed in (("impact", process.impacts), ("urgency", process.urgencies)):
        if data[key] not in allowed:
            out.append(_at(record, (key,), f"unknown {key} {data[key]!r}; allowed: {', '.join(allowed)}", "reference"))
    expected = process.priority(data["impact"], data["urgency"])
    stage = process.stage(data["stage"])
    finished = stage is not None and stage.final  # classified under the matrix of its day
    if expected is not None and expected != data["priority"] and not finished:
        out.append(
            _at(
                record,
                ("priority",),
                f"priority {data['priority']} disagrees with the matrix: impact {data['impact']} x urgency {data['urgency']} is priority {expected}",
                "priority",
            )
        )
    for index, service in enumerate(data.get("services", [])):
        if service not in catalog.services:
            out.append(_at(record, ("services", index), f"service {service!r} is not in the service catalog", "reference"))
    for role in data.get("roles", {}):
        if role not in process.roles:
            out.append(_at(record, ("roles", role), f"unknown role {role!r}; roles: {', '.join(process.roles)}", "reference"))
    for index, ke in enumerate(data.get("known_errors", [])):
        if ke not in known_error_ids:
            out.append(_at(record, ("known_errors", index), f"known error {ke!r} does not exist", "reference"))
    for index, other in enumerate(data.get("related_incidents", [])):
        if other == data["id"]:
            out.append(_at(record, ("related_incidents", index), "an incident cannot be related to itself", "reference"))
        elif other not in incident_ids:
            out.append(_at(record, ("related_incidents", index), f"incident {other!r} does not exist", "reference"))
    out += [_at(record, where, message, "gate") for where, message in exemption_problems(data, process)]
    out += _times(bundle, process, now)
    out += _stage_consistency(bundle, process)
    out += _references_in_timeline(bundle)
    if bundle.pir is not None and bundle.pir.document is not None:
        pir = bundle.pir.document.data
        if pir["incident"] != data["id"]:
            out.append(_at(bundle.pir, ("incident",), f"the review names {pir['incident']!r}, but it sits in {data['id']}'s folder", "id"))
        for index, ke in enumerate(pir.get("known_errors", [])):
            if ke not in known_error_ids:
                out.append(_at(bundle.pir, ("known_errors", index), f"known error {ke!r} does not exist", "reference"))
        ids = [a["id"] for a in pir.get("actions", [])]
        for index, action_id in enumerate(ids):
            if ids.index(action_id) != index:
                out.append(_at(bundle.pir, ("actions", index, "id"), f"action id {action_id!r} is used twice", "id"))
    return out


def _times(bundle: Bundle, process: Process, now: datetime) -> list[Finding]:
    """Times that cannot be: in the future, or (for kinds that may not) before the incident was detected.

    Detection may come before the impact started (an early warning), so
    ``started_at`` may be after ``detected_at``. A time known to the minute or
    the day is before another only if all of it is; "about" and unknown times
    are never said to be out of order.
    """
    incident = bundle.model
    assert incident is not None
    out = []
    detected = incident.time("detected_at")
    assert detected is not None
    limit = now + timedelta(minutes=process.max_future_minutes)
    early = events.early_kinds()
    if detected.earliest > limit:
        out.append(_at(bundle.incident, ("detected_at",), "detected_at is in the future", "time"))
    by_name = {PurePosixPath(r.path).name: r for r in bundle.timeline}
    for event in incident.events:
        record = by_name[event.name]
        named = event.name.split("-", 1)[1].rsplit("-", 1)[0] if event.name.count("-") >= 2 else ""
        if named != event.kind:
            # CODEOWNERS routes stage events to the managers by their file name (*-stage-*).
            out.append(_at(record, ("kind",), f"kind {event.kind!r} does not match the kind in the file name ({named!r})", "path"))
        if event.kind not in early and timing.before(event.known, detected):
            allowed = ", ".join(sorted(early))
            out.append(
                _at(
                    record,
                    ("at",),
                    f"event time {event.data['at']} is before the incident was detected ({incident.data['detected_at']}); "
                    f"only these kinds may be: {allowed} (if it was detected earlier, correct detected_at)",
                    "time",
                )
            )
        if event.known.earliest > limit:
            out.append(_at(record, ("at",), f"event time {event.data['at']} is in the future", "time"))
    return out


def _stage_consistency(bundle: Bundle, process: Process) -> list[Finding]:
    incident = bundle.model
    assert incident is not None
    out = []
    by_name = {PurePosixPath(r.path).name: r for r in bundle.timeline}
    current = process.stage_ids[0] if process.stage_ids else ""
    for event in incident.events_of("stage"):
        record = by_name[event.name]
        source = event.data.get("from")
        if source and source != current:
            out.append(_at(record, ("from",), f"stage event says from {source!r}, but the incident was in {current!r}", "stage"))
        if process.stage(event.data["to"]) is None:
            out.append(_at(record, ("to",), f"unknown stage {event.data['to']!r}", "stage"))
        current = event.data["to"]
    if incident.stage != current:
        out.append(
            _at(bundle.incident, ("stage",), f"stage is {incident.stage!r} but the timeline's stage events end in {current!r}", "stage")
        )
    return out


def _references_in_timeline(bundle: Bundle) -> list[Finding]:
    incident = bundle.model
    assert incident is not None
    out = []
    by_name = {PurePosixPath(r.path).name: r for r in bundle.timeline}
    seen: dict[str, str] = {}
    for event in incident.events:
        record = by_name[event.name]
        d = event.data
        if event.kind in ("containment", "hypothesis"):
            if d["id"] in seen:
                out.append(_at(record, ("id",), f"{d['id']} is already used by {seen[d['id']]}", "id"))
            seen[d["id"]] = event.name
        ref = d.get("action_id") or d.get("hypothesis_id")
        if ref and ref not in seen:
            out.append(
                _at(
                    record,
                    ("action_id" if "action_id" in d else "hypothesis_id",),
                    f"{ref} does not name an earlier containment action or hypothesis",
                    "reference",
                )
            )
    return out


def check_catalog(record: Record, catalog: Catalog) -> list[Finding]:
    """Owners and dependencies that resolve, ids unique, no dependency cycles."""
    if record.document is None:
        return []
    out = []
    services = record.document.data.get("services", [])
    seen: set[str] = set()
    for index, service in enumerate(services):
        if service["id"] in seen:
            out.append(_at(record, ("services", index, "id"), f"service id {service['id']!r} is used twice", "id"))
        seen.add(service["id"])
        if service["owner"] not in catalog.teams:
            out.append(_at(record, ("services", index, "owner"), f"owner {service['owner']!r} is not a team in the catalog", "reference"))
        for dep_index, dep in enumerate(service.get("depends_on", [])):
            if dep not in catalog.services:
                out.append(
                    _at(
                        record,
                        ("services", index, "depends_on", dep_index),
                        f"dependency {dep!r} is not a service in the catalog",
                        "reference",
                    )
                )
    for cycle in catalog.cycles():
        index = next(i for i, s in enumerate(services) if s["id"] == cycle[0])
        out.append(_at(record, ("services", index, "depends_on"), "dependency cycle: " + " -> ".join(cycle), "cycle"))
    return out


def check_process(record: Record, process: Process) -> list[Finding]:
    """Matrix covers every impact x urgency; ids unique; references resolve."""
    if record.document is None:
        return []
    out = []
    for impact in process.impacts:
        for urgency in process.urgencies:
            if process.priority(impact, urgency) is None:
                out.append(
                    _at(
                        record,
                        ("priority_matrix",),
                        f"priority_matrix has no entry for impact {impact!r} x urgency {urgency!r}",
                        "reference",
                    )
                )
    if process.manager_role not in process.roles:
        out.append(_at(record, ("manager_role",), f"manager_role {process.manager_role!r} is not a role", "reference"))
    ids = process.stage_ids
    if len(set(ids)) != len(ids):
        out.append(_at(record, ("stages",), "stage ids must be unique", "id"))
    closing = [index for index, stage in enumerate(process.stages) if stage.closes]
    for index in closing[1:]:
        out.append(
            _at(record, ("stages", index, "closes"), "only one stage may close the incident for readers (closes: true)", "reference")
        )
    out += [_at(record, where, message, "reference") for where, message in milestones.problems(process, tuple(events.KINDS))]
    for source, targets in process.reopen.items():
        for target in (source, *targets):
            if target not in ids:
                out.append(_at(record, ("reopen", source), f"unknown stage {target!r}", "reference"))
    out += [_at(record, where, message, "gate") for where, message in process_problems(process)]
    for index, severity in enumerate(process.severities):
        if severity.escalation_policy and severity.escalation_policy not in process.escalation_policies:
            out.append(
                _at(
                    record,
                    ("severities", index, "escalation_policy"),
                    f"unknown escalation policy {severity.escalation_policy!r}",
                    "reference",
                )
            )
    # What notify would refuse (an unknown channel type, a route to no channel, credentials in clear), found before an incident needs it.
    out += [_at(record, where, message, "notifications") for where, message in process.comms.notifications.problems()]
    return out


def check_known_error(record: Record, catalog: Catalog, incident_ids: Container[str]) -> list[Finding]:
    if record.document is None:
        return []
    data = record.document.data
    out = []
    stem = PurePosixPath(record.path).stem
    if data["id"] != stem:
        out.append(_at(record, ("id",), f"id {data['id']!r} does not match its file name {stem!r}", "id"))
    for index, service in enumerate(data.get("services", [])):
        if service not in catalog.services:
            out.append(_at(record, ("services", index), f"service {service!r} is not in the service catalog", "reference"))
    for index, incident in enumerate(data.get("incidents", [])):
        if incident not in incident_ids:
            out.append(_at(record, ("incidents", index), f"incident {incident!r} does not exist", "reference"))
    return out


def check_ids(paths: Iterable[str], pattern_name: str, form: bool = True) -> list[Finding]:
    """Folder/file ids that collide ignoring case, or (with ``form``) are not in the expected form."""
    out = []
    seen: dict[str, str] = {}
    for path in paths:
        name = PurePosixPath(path).name
        ident = name.removesuffix(".yaml")
        if form and pattern_name == "incident" and not INCIDENT_ID.match(ident):
            out.append(Finding(path, 1, 1, f"folder name {ident!r} is not an incident id (INC- and 4 to 8 digits)", "", "id"))
        folded = ident.casefold()
        if folded in seen:
            out.append(Finding(path, 1, 1, f"id {ident!r} collides with {seen[folded]!r} (ids are unique ignoring case)", "", "id"))
        else:
            seen[folded] = ident
    return out


def check_alerts(record: Record, process: Process, catalog: Catalog) -> list[Finding]:
    """process.yaml ``alerts``: mapped services in the catalog, severities and levels in the process."""
    if record.document is None or not isinstance(record.document.data.get("alerts"), dict):
        return []
    config = record.document.data["alerts"]
    severities = [s.id for s in process.severities]
    services: list[tuple[tuple[Any, ...], Any]] = [(("alerts", "service_map", k), v) for k, v in (config.get("service_map") or {}).items()]
    services.append((("alerts", "default_service"), config.get("default_service")))
    wanted: list[tuple[tuple[Any, ...], Any]] = [(("alerts", "severity_map", k), v) for k, v in (config.get("severity_map") or {}).items()]
    wanted.append((("alerts", "default_severity"), config.get("default_severity")))
    wanted += [(("alerts", "classification", k), k) for k in config.get("classification") or {}]
    out = []
    for path, service in services:
        if service is not None and service not in catalog.services:
            out.append(_at(record, path, f"service {service!r} is not in the service catalog", "reference"))
    for path, severity in wanted:
        if severity is not None and severity not in severities:
            out.append(_at(record, path, f"unknown severity {severity!r}; severities: {', '.join(severities)}", "reference"))
    for severity, pair in (config.get("classification") or {}).items():
        for key, allowed in (("impact", process.impacts), ("urgency", process.urgencies)):
            if pair.get(key) not in allowed:
                message = f"unknown {key} {pair.get(key)!r}; allowed: {', '.join(allowed)}"
                out.append(_at(record, ("alerts", "classification", severity, key), message, "reference"))
    return out
