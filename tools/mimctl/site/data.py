"""What the site shows: every valid record, filtered for the edition being built."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from typing import Any

from ..model import Catalog, Event, Incident, KnownError, Process
from ..store import Tracker

PUBLIC, INTERNAL = "public", "internal"
# What the public may see of an event: no responder names, no internal reasons.
_PUBLIC_EVENT_FIELDS = frozenset({"at", "kind", "from", "to", "audience", "status", "text"})


@dataclass(frozen=True)
class SiteData:
    """Records for one edition of the site, and when it was built."""

    edition: str
    process: Process
    catalog: Catalog
    incidents: tuple[Incident, ...]
    known_errors: tuple[KnownError, ...]
    now: datetime
    skipped: tuple[str, ...] = field(default=())  # invalid records left out

    @property
    def public(self) -> bool:
        return self.edition == PUBLIC

    def incident(self, incident_id: str) -> Incident | None:
        return self._incidents_by_id.get(incident_id)

    def known_error(self, ke_id: str) -> KnownError | None:
        return self._known_errors_by_id.get(ke_id)

    @cached_property
    def _incidents_by_id(self) -> dict[str, Incident]:
        return {i.id: i for i in self.incidents}

    @cached_property
    def _known_errors_by_id(self) -> dict[str, KnownError]:
        return {k.id: k for k in self.known_errors}

    def is_active(self, incident: Incident) -> bool:
        """Still impairing service: in a stage marked active in process.yaml."""
        stage = self.process.stage(incident.stage)
        return bool(stage and stage.active)

    def active_incidents(self) -> list[Incident]:
        return sorted((i for i in self.incidents if self.is_active(i)), key=lambda i: (self.severity_rank(i.severity), i.id))

    def severity_rank(self, severity_id: str) -> int:
        ids = [s.id for s in self.process.severities]
        return ids.index(severity_id) if severity_id in ids else len(ids)


def publishable(incident: Incident) -> bool:
    """Shown on the public edition: marked public and not security-sensitive."""
    return incident.data.get("visibility") == PUBLIC and not incident.data.get("security_sensitive")


def public_view(incident: Incident) -> Incident:
    """The incident as the public may see it: public updates only, no internal detail."""
    d = incident.data
    keep = (
        "id",
        "title",
        "stage",
        "severity",
        "impact",
        "urgency",
        "priority",
        "services",
        "detected_at",
        "started_at",
        "declared_at",
        "visibility",
        "completed_at",
        "regions",
    )
    data: dict[str, Any] = {k: d[k] for k in keep if k in d}
    if (d.get("resolution") or {}).get("implemented_at"):
        data["resolution"] = {"implemented_at": d["resolution"]["implemented_at"]}
    if (d.get("closure") or {}).get("closed_at"):
        data["closure"] = {"closed_at": d["closure"]["closed_at"]}
    events = tuple(
        Event(e.name, e.at, e.kind, {k: v for k, v in e.data.items() if k in _PUBLIC_EVENT_FIELDS})
        for e in incident.events
        if e.kind == "stage" or (e.kind == "stakeholder-update" and e.data.get("audience") == PUBLIC)
    )
    return Incident(incident.id, data, events, None)


def collect(tracker: Tracker, edition: str = INTERNAL, now: datetime | None = None) -> SiteData:
    """Read every record once; invalid ones are left out (``mimctl validate`` reports them)."""
    skipped: list[str] = []
    incidents: list[Incident] = []
    for incident_id in tracker.incident_ids():
        bundle = tracker.load_bundle(incident_id)
        if bundle.model is None:
            skipped.append(incident_id)
            continue
        incident = bundle.model
        if edition == PUBLIC:
            if not publishable(incident):
                continue
            incident = public_view(incident)
        incidents.append(incident)
    records, known_errors = tracker.load_known_errors()
    skipped += [r.path for r in records if not r.ok]
    return SiteData(
        edition=edition,
        process=tracker.process,
        catalog=tracker.catalog,
        incidents=tuple(incidents),
        known_errors=tuple(known_errors),
        now=now or datetime.now(timezone.utc),
        skipped=tuple(skipped),
    )
