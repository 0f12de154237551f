"""What the site shows: every valid record, seen through the publication policy of the edition being built."""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from typing import TYPE_CHECKING

from .. import maintenance as maintenance_records
from .. import milestones, publication
from ..maintenance import Maintenance
from ..milestones import Timeline
from ..model import Catalog, Incident, KnownError, Process
from ..publication import INTERNAL, PUBLIC
from ..store import Tracker

if TYPE_CHECKING:
    from .state import PageState

__all__ = ["INTERNAL", "PUBLIC", "SiteData", "collect"]


@dataclass(frozen=True)
class SiteData:
    """Records for one edition of the site, and when it was built.

    ``complete`` is false for the status path (``mimctl site build --status-only``):
    then ``incidents`` holds the incidents the status pages need (active, recent,
    with the newest updates), not the whole history.
    """

    edition: str
    process: Process
    catalog: Catalog
    incidents: tuple[Incident, ...]
    known_errors: tuple[KnownError, ...]
    now: datetime
    skipped: tuple[str, ...] = field(default=())  # invalid records left out
    maintenances: tuple[Maintenance, ...] = ()
    site_url: str = ""
    complete: bool = True
    pages: frozenset[str] | None = None  # incidents that get a page (None: all); the others are only linked to

    def paged(self) -> list[Incident]:
        """The incidents whose pages this build writes."""
        return [i for i in self.incidents if self.pages is None or i.id in self.pages]

    @property
    def public(self) -> bool:
        return self.edition == PUBLIC

    @cached_property
    def state(self) -> PageState:
        """What readers are told (statuses, impacts, updates), derived once for every page and file."""
        from .state import PageState

        return PageState(self)

    def shows(self, section: str) -> bool:
        return publication.shows(self.edition, section)

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

    def timeline(self, incident: Incident) -> Timeline:
        """The incident's milestones and durations (measured on the full record, in either edition)."""
        found = self._timelines.get(incident.id)
        if found is None or found.incident_id != incident.id:
            found = self._timelines[incident.id] = milestones.timeline(incident, self.process)
        return found

    @cached_property
    def _timelines(self) -> dict[str, Timeline]:
        return {}

    def is_active(self, incident: Incident) -> bool:
        """Still impairing service: in a stage marked active in process.yaml."""
        stage = self.process.stage(incident.stage)
        return bool(stage and stage.active)

    def active_incidents(self) -> list[Incident]:
        return sorted((i for i in self.incidents if self.is_active(i)), key=lambda i: (self.severity_rank(i.severity), i.id))

    def severity_rank(self, severity_id: str) -> int:
        ids = [s.id for s in self.process.severities]
        return ids.index(severity_id) if severity_id in ids else len(ids)

    def service_name(self, service_id: str) -> str:
        service = self.catalog.services.get(service_id)
        return service.name if service else service_id


def views(
    tracker: Tracker, incident_ids: Iterable[str], edition: str, catalog: Catalog, known_errors: Container[str] = frozenset()
) -> tuple[list[Incident], list[str]]:
    """The incidents ``edition`` shows among ``incident_ids``, and the invalid ones left out."""
    shown: list[Incident] = []
    skipped: list[str] = []
    incident_ids = list(incident_ids)
    tracker.read_ahead(incident_ids)
    for incident_id in incident_ids:
        bundle = tracker.load_bundle(incident_id)
        if bundle.model is None:
            skipped.append(incident_id)
            continue
        view = publication.incident_view(bundle.model, catalog, edition, known_errors)
        if view is not None:
            # The milestones are measured on the whole record; a view keeps their times only.
            shown.append(view if view is bundle.model else milestones.keep(view, bundle.model, tracker.process))
    return shown, skipped


def collect(
    tracker: Tracker,
    edition: str = INTERNAL,
    now: datetime | None = None,
    site_url: str = "",
    incident_ids: Iterable[str] | None = None,
) -> SiteData:
    """Read every record once (or the incidents ``incident_ids`` only); invalid ones are left out (``mimctl validate`` reports them)."""
    publication.check_edition(edition)
    catalog = tracker.catalog
    complete = incident_ids is None
    records, known_errors = tracker.load_known_errors()
    skipped: list[str] = [r.path for r in records if not r.ok]
    known_errors = [k for k in (publication.known_error_view(k, catalog, edition) for k in known_errors) if k is not None]
    shown_ids = {k.id for k in known_errors}
    ids = tracker.incident_ids() if incident_ids is None else incident_ids
    incidents, invalid = views(tracker, ids, edition, catalog, shown_ids)
    skipped = invalid + skipped
    maintenance_files, maintenances = maintenance_records.load(tracker)
    skipped += [r.path for r in maintenance_files if not r.ok]
    if edition == PUBLIC:
        maintenances = [m for m in maintenances if publication.maintenance_published(m.data)]
        maintenances = [
            Maintenance(m.id, {**m.data, "services": [s for s in m.services if publication.service_published(catalog, s)]})
            for m in maintenances
        ]
    return SiteData(
        edition=edition,
        process=tracker.process,
        catalog=publication.catalog_view(catalog, edition),
        incidents=tuple(incidents),
        known_errors=tuple(known_errors),
        now=now or datetime.now(timezone.utc),
        skipped=tuple(skipped),
        maintenances=tuple(maintenances),
        site_url=site_url,
        complete=complete,
    )
