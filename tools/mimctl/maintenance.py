"""Scheduled maintenance records (``maintenance/MNT-….yaml``): the model, reading, rules and changes.

A maintenance is planned work on catalog services, announced on the status
page: a planned window (``scheduled_for`` … ``scheduled_until``), the affected
services and the updates readers were given, oldest first. The last update's
status is the maintenance's status (``scheduled`` → ``in_progress`` →
``verifying`` → ``completed``), so the record holds it once. While the work is
in progress or being verified its services show as under maintenance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from . import secret_scan
from .findings import Finding, dotted
from .layout import MAINTENANCE, MAINTENANCE_ID, sort_out
from .model import Catalog, format_time, parse_time
from .store import Record, Tracker
from .transaction import Change, Refused
from .vocabulary import MAINTENANCE_STATUSES
from .yamlio import dump_new, edit_text

MAINTENANCE_DIR = MAINTENANCE.name
KIND = "maintenance"
STATUSES = MAINTENANCE_STATUSES  # scheduled, in_progress, verifying, completed: the order work goes through
UNDERWAY = ("in_progress", "verifying")
SCHEMA_FROM_RECORD = "../schemas/maintenance.schema.json"


@dataclass(frozen=True)
class MaintenanceUpdate:
    at: datetime
    status: str
    text: str
    index: int  # position in the record: its identity


@dataclass(frozen=True)
class Maintenance:
    """One maintenance record, valid against its schema."""

    id: str
    data: dict[str, Any]

    @property
    def title(self) -> str:
        return str(self.data["title"])

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(self.data.get("services", ()))

    @property
    def public(self) -> bool:
        return self.data.get("visibility") == "public"

    @property
    def scheduled_for(self) -> datetime:
        return parse_time(self.data["scheduled_for"])

    @property
    def scheduled_until(self) -> datetime:
        return parse_time(self.data["scheduled_until"])

    @property
    def updates(self) -> tuple[MaintenanceUpdate, ...]:
        return tuple(
            MaintenanceUpdate(parse_time(u["at"]), str(u["status"]), str(u["text"]), n) for n, u in enumerate(self.data.get("updates", ()))
        )

    @property
    def status(self) -> str:
        updates = self.updates
        return updates[-1].status if updates else "scheduled"

    @property
    def created_at(self) -> datetime:
        value = self.data.get("created_at")
        return parse_time(value) if value else self.updates[0].at

    def first(self, *statuses: str) -> datetime | None:
        """When an update first said one of ``statuses``."""
        return next((u.at for u in self.updates if u.status in statuses), None)

    @property
    def started_at(self) -> datetime | None:
        return self.first(*UNDERWAY, "completed")

    @property
    def completed_at(self) -> datetime | None:
        return self.first("completed")

    def window(self) -> tuple[datetime, datetime | None]:
        """When services are (or were) under maintenance: the recorded start and end, else the plan."""
        start = self.started_at
        if start is None:
            return self.scheduled_for, self.scheduled_until
        return start, self.completed_at


# --- reading and rules ------------------------------------------------------------


def paths(tracker: Tracker) -> list[Path]:
    """The maintenance record files, as the layout table sorts the folder out (links and stray names are findings there)."""
    found = sort_out(MAINTENANCE, tracker.source.listing(MAINTENANCE_DIR) or []).records.get(KIND, [])
    return sorted(tracker.root / path for path in found)


def read(tracker: Tracker, path: Path) -> Record:
    """Strictly load and schema-check one maintenance file, from the records' source (or the overlay)."""
    return tracker.read(path, KIND)


def check(record: Record, catalog: Catalog) -> list[Finding]:
    """Cross-field rules of a schema-valid record: id, services, window, update order."""
    if record.document is None or record.findings:
        return []
    document = record.document
    data = document.data

    def at(where: tuple[str | int, ...], message: str, rule: str = "maintenance") -> Finding:
        line, col = document.position(where)
        return Finding(record.path, line, col, message, dotted(where), rule)

    out = []
    stem = PurePosixPath(record.path).stem
    if data["id"] != stem:
        out.append(at(("id",), f"id {data['id']!r} does not match its file name {stem!r}", "id"))
    for index, service in enumerate(data["services"]):
        if service not in catalog.services:
            out.append(at(("services", index), f"service {service!r} is not in the service catalog", "reference"))
    if parse_time(data["scheduled_until"]) <= parse_time(data["scheduled_for"]):
        out.append(at(("scheduled_until",), "scheduled_until must be after scheduled_for"))
    previous: tuple[datetime, int] | None = None
    for index, update in enumerate(data["updates"]):
        current = (parse_time(update["at"]), STATUSES.index(update["status"]))
        if previous and current[0] < previous[0]:
            out.append(at(("updates", index, "at"), "updates are oldest first: this one is earlier than the one before"))
        if previous and current[1] < previous[1]:
            out.append(at(("updates", index, "status"), f"status {update['status']!r} goes back from {STATUSES[previous[1]]!r}"))
        previous = current
    return out


def load(tracker: Tracker) -> tuple[list[Record], list[Maintenance]]:
    """Every maintenance file read, and the models of those without findings."""
    records = [read(tracker, path) for path in paths(tracker)]
    catalog = tracker.catalog
    models = []
    for record in records:
        record.findings += check(record, catalog)
        if record.ok and record.document is not None:
            models.append(Maintenance(record.document.data["id"], record.document.data))
    return records, models


def findings(tracker: Tracker) -> tuple[int, list[Finding]]:
    """Files read and findings of the maintenance folder, for ``mimctl validate``."""
    records, _ = load(tracker)
    from .rules import check_ids

    out = check_ids([r.path for r in records], "maintenance")  # names that differ only in case; the layout table has the rest
    for record in records:
        out += record.findings
        out += secret_scan.scan_maintenance(record)
    return len(records), out


# --- changes -------------------------------------------------------------------------


def _path(maintenance_id: str) -> str:
    return f"{MAINTENANCE_DIR}/{maintenance_id}.yaml"


def next_id(tracker: Tracker) -> str:
    numbers = [int(p.stem[4:]) for p in paths(tracker) if MAINTENANCE_ID.match(p.stem)]
    return f"MNT-{max(numbers, default=0) + 1:04d}"


def resolve_id(tracker: Tracker, given: str) -> str:
    """The maintenance id for ``given`` (case-insensitive; digits may be short: ``3``)."""
    text = given.strip().upper()
    if text.isdigit():
        text = f"MNT-{int(text):04d}"
    if not MAINTENANCE_ID.match(text):
        raise Refused(f"{given!r} is not a maintenance id (expected MNT- and digits, e.g. MNT-0003)")
    if not (tracker.root / _path(text)).is_file():
        raise Refused(f"no maintenance {text} in {tracker.root / MAINTENANCE_DIR}")
    return text


def _checked(tracker: Tracker, maintenance_id: str, text: str) -> Change:
    """Refuse unless the record ``text`` is valid; else the change that writes it."""
    path = tracker.root / _path(maintenance_id)
    record = read(tracker.with_overlay({path: text}), path)
    record.findings += check(record, tracker.catalog)
    if record.findings:
        raise Refused(f"{maintenance_id} would not be valid; nothing was changed", record.findings)
    return Change(None, {_path(maintenance_id): text}, "", trailers={"Maintenance": maintenance_id})


def schedule(
    tracker: Tracker,
    title: str,
    services: list[str],
    start: datetime,
    end: datetime,
    text: str,
    public: bool,
    at: datetime,
    by: str | None,
) -> Change:
    """A new maintenance record with its first update (``scheduled``)."""
    maintenance_id = next_id(tracker)
    update: dict[str, Any] = {"at": format_time(at), "status": "scheduled", "text": text}
    if by:
        update["by"] = by
    data = {
        "id": maintenance_id,
        "title": title,
        "visibility": "public" if public else "internal",
        "services": services,
        "scheduled_for": format_time(start),
        "scheduled_until": format_time(end),
        "created_at": format_time(at),
        "updates": [update],
    }
    change = _checked(tracker, maintenance_id, dump_new(data, SCHEMA_FROM_RECORD))
    change.subject = f"{maintenance_id}: schedule maintenance \u2014 {title}"
    change.summary = {"id": maintenance_id}
    return change


def post_update(tracker: Tracker, given_id: str, status: str, text: str, at: datetime, by: str | None) -> Change:
    """An update appended to a maintenance record (its status follows)."""
    maintenance_id = resolve_id(tracker, given_id)
    current = (tracker.root / _path(maintenance_id)).read_text(encoding="utf-8")
    update: dict[str, Any] = {"at": format_time(at), "status": status, "text": text}
    if by:
        update["by"] = by

    def append(data: Any) -> None:
        data["updates"].append(update)

    try:
        new_text = edit_text(current, append)
    except (KeyError, TypeError, AttributeError):
        raise Refused(f"{_path(maintenance_id)} has no list of updates to add to; fix it first") from None
    change = _checked(tracker, maintenance_id, new_text)
    change.subject = f"{maintenance_id}: maintenance {status.replace('_', ' ')}"
    change.summary = {"id": maintenance_id, "status": status}
    return change
