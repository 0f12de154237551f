"""What readers are told: each incident's status, impact and updates, each component's status, the page's indicator.

One derivation from the records, used by the status home, the incident pages,
the Statuspage API and the feeds, so that none of them can contradict another.
It follows Statuspage's model:

- An incident is **impairing** from when its impact started (else when it was
  detected) until service was restored for users: the ``resolved`` milestone
  (``milestones``, one definition for stats, show, these pages and the API).
  Its components take its severity's ``component_status``; its status is its
  latest update's (``investigating`` before any; a ``resolved`` update reads
  as ``monitoring`` while it still impairs). An incident waiting in ``resolve``
  for a permanent fix after service came back no longer impairs.
- Reopened (moved from a stage that is not active back into an active one)
  after service was restored, it impairs again until a later fact says
  service was restored.
- Once service is restored, its components are operational again. It is
  **monitoring** until a ``resolved`` update is posted, it is closed (the
  ``closed`` milestone) or it reaches the closing stage (``closes: true`` in
  process.yaml); then it is **resolved**. Reaching the closing stage or being
  closed also ends an impairment no fact ended.
- **Impact** (none, minor, major, critical) is the severity's ``indicator``
  while impairing and once resolved (the worst it had); ``none`` while
  monitoring, as service is restored.
- A **component** is the worst its impairing incidents make it; else
  ``under_maintenance`` while a maintenance on it is in progress or verifying;
  else ``operational``.
- The page **indicator** is the worst of the components' statuses
  (degraded performance → minor, partial outage → major, major outage →
  critical, under maintenance → maintenance when nothing is worse) and of the
  impairing incidents' impacts.
- Every incident has at least one update. When the edition shows none, a
  first one is made from the declaration; when the stages say service was
  restored or the incident is over but no update said so, an update saying it
  is added at that moment. Made updates are marked ``recorded=False``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from pathlib import PurePosixPath

from .. import cadence, milestones
from ..maintenance import UNDERWAY, Maintenance
from ..milestones import Timeline
from ..model import Incident
from ..timing import Known
from .data import PUBLIC, SiteData

# Least to most severe, as Statuspage ranks them.
COMPONENT_STATUSES = ("operational", "under_maintenance", "degraded_performance", "partial_outage", "major_outage")
INDICATORS = ("none", "maintenance", "minor", "major", "critical")
INDICATOR_OF = {
    "operational": "none",
    "under_maintenance": "maintenance",
    "degraded_performance": "minor",
    "partial_outage": "major",
    "major_outage": "critical",
}
DESCRIPTIONS = {
    "none": "All Systems Operational",
    "maintenance": "Service Under Maintenance",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major Service Outage",
}
UNRESOLVED = ("investigating", "identified", "monitoring")
DOWNTIME_WEIGHT = {"major_outage": 1.0, "partial_outage": 0.3}  # Statuspage's uptime: partial outages count 30%
HISTORY_DAYS = 90


def worst(order: tuple[str, ...], values: Iterable[str], start: str) -> str:
    """The most severe of ``values`` (and ``start``) by ``order``."""
    rank = {value: index for index, value in enumerate(order)}
    return max((start, *values), key=lambda value: rank.get(value, 0))


@dataclass(frozen=True)
class Update:
    """One update readers see, with what it meant for the incident's components."""

    id: str  # stable: the incident id and the event's file name (or what a made update stands for)
    at: datetime
    status: str
    text: str
    effect: str  # the status the incident gave its components from this update on
    recorded: bool = True
    known: Known | None = None  # how well its time is known (recorded updates)


@dataclass(frozen=True)
class IncidentState:
    incident: Incident
    status: str
    impact: str
    effect: str  # what it makes its components now
    components: tuple[str, ...]  # shown service ids
    updates: tuple[Update, ...]  # oldest first, never empty
    started: datetime
    restored: datetime | None  # service restored for users (the resolved milestone), None while impairing
    resolved_at: datetime | None
    windows: tuple[tuple[datetime, datetime | None], ...]  # when it impaired service
    component_status: str  # its severity's, while impairing
    started_known: Known | None = None  # ``started`` as the records know it
    restored_known: Known | None = None  # ``restored`` as the records know it

    @property
    def unresolved(self) -> bool:
        return self.status in UNRESOLVED

    @property
    def impairing(self) -> bool:
        return self.effect != "operational"

    @property
    def monitoring_at(self) -> datetime | None:
        return next((u.at for u in self.updates if u.status == "monitoring"), None)

    @property
    def latest(self) -> Update:
        return self.updates[-1]

    def seconds(self, now: datetime) -> float:
        """How long service was (or has been, so far) impaired."""
        return sum(((end or now) - start).total_seconds() for start, end in self.windows)


@dataclass(frozen=True)
class MaintenanceState:
    maintenance: Maintenance
    components: tuple[str, ...]

    @property
    def status(self) -> str:
        return self.maintenance.status

    @property
    def underway(self) -> bool:
        return self.status in UNDERWAY


class PageState:
    """Everything the status pages and the API say, derived once per build."""

    def __init__(self, site: SiteData) -> None:
        self.site = site

    @cached_property
    def incidents(self) -> dict[str, IncidentState]:
        return {incident.id: self._derive(incident) for incident in self.site.incidents}

    def incident(self, incident_id: str) -> IncidentState:
        return self.incidents[incident_id]

    @cached_property
    def maintenances(self) -> list[MaintenanceState]:
        shown = set(self.site.catalog.services)
        found = [MaintenanceState(m, tuple(s for s in m.services if s in shown)) for m in self.site.maintenances]
        return sorted(found, key=lambda m: (m.maintenance.scheduled_for, m.maintenance.id), reverse=True)

    @cached_property
    def components(self) -> dict[str, str]:
        """Each shown service's status now."""
        statuses = {service_id: "operational" for service_id in self.site.catalog.services}
        for state in self.incidents.values():
            if state.impairing:
                for service_id in state.components:
                    statuses[service_id] = worst(COMPONENT_STATUSES, (statuses[service_id], state.effect), "operational")
        for maintenance in self.maintenances:
            if maintenance.underway:
                for service_id in maintenance.components:
                    if statuses[service_id] == "operational":
                        statuses[service_id] = "under_maintenance"
        return statuses

    @cached_property
    def indicator(self) -> str:
        impacts = [s.impact for s in self.incidents.values() if s.impairing]
        return worst(INDICATORS, [*(INDICATOR_OF[c] for c in self.components.values()), *impacts], "none")

    @property
    def description(self) -> str:
        return DESCRIPTIONS[self.indicator]

    def next_update(self, incident: Incident) -> datetime | None:
        """When the next update readers of this edition will get is due (process.yaml's communication
        cadence): the public audience's on the public edition, the soonest of any internally."""
        if not self.incident(incident.id).impairing:
            return None
        due = cadence.updates_due(incident, self.site.process, self.site.now)
        if self.site.public:
            due = [d for d in due if d.audience == PUBLIC]
        return due[0].due_at if due else None

    def in_view(self) -> list[IncidentState]:
        """Incidents the status pages look at: unresolved, or with an update or impairment in the history window."""
        start = self.site.now - timedelta(days=HISTORY_DAYS)
        return [
            s
            for s in self.incidents.values()
            if s.unresolved or s.updates[-1].at >= start or any(end is None or end >= start for _, end in s.windows)
        ]

    def unresolved(self) -> list[IncidentState]:
        """Unresolved incidents, most severe first."""
        found = [s for s in self.incidents.values() if s.unresolved]
        return sorted(found, key=lambda s: (-INDICATORS.index(s.impact), self.site.severity_rank(s.incident.severity), s.incident.id))

    # --- one incident ---------------------------------------------------------------

    def _derive(self, incident: Incident) -> IncidentState:
        site = self.site
        process = site.process
        severity = process.severity(incident.severity)
        impaired = severity.component_status if severity else "partial_outage"
        impact = severity.indicator if severity else "major"
        components = tuple(s for s in incident.services if s in site.catalog.services)
        timeline = site.timeline(incident)
        windows, reached_close, restored_known = self._windows(incident, timeline)
        start = timeline.impaired[0].start if timeline.impaired else Known(windows[0][0])
        active = windows[-1][1] is None
        restored = None if active else windows[-1][1]
        recorded = incident.updates(PUBLIC if site.public else None)

        def effect_at(moment: datetime) -> str:
            inside = any(start <= moment and (end is None or moment < end) for start, end in windows)
            return impaired if inside else "operational"

        updates = []
        for u in recorded:
            said = str(u.data.get("status", "investigating"))
            if said == "resolved" and active:
                said, effect = "monitoring", effect_at(u.at)  # not over while service is still impaired
            else:
                effect = "operational" if said == "resolved" else effect_at(u.at)
            updates.append(Update(f"{incident.id}-{PurePosixPath(u.name).stem}", u.at, said, u.text, effect, known=u.known))
        if not updates:
            declared = timeline.at("declared") or incident.detected_at
            names = ", ".join(site.service_name(s) for s in components)
            text = f"We are investigating an issue affecting {names}." if names else "We are investigating an issue."
            updates.append(Update(f"{incident.id}-declared", declared, "investigating", text, effect_at(declared), recorded=False))
        latest = updates[-1].status
        if active:
            status = latest
        elif reached_close is not None or any(u.status == "resolved" for u in updates):
            status = "resolved"
        else:
            status = "monitoring"
        if status != latest and not active:
            moment = max(updates[-1].at, (reached_close if status == "resolved" else restored) or updates[-1].at)
            text = (
                "This incident has been resolved." if status == "resolved" else "Service has been restored. We are monitoring the results."
            )
            updates.append(Update(f"{incident.id}-{status}", moment, status, text, "operational", recorded=False))
        resolved_at = None
        if status == "resolved":
            resolved_at = next(u.at for u in reversed(updates) if u.status == "resolved")
        return IncidentState(
            incident=incident,
            status=status,
            impact="none" if status == "monitoring" and not active else impact,
            effect=impaired if active else "operational",
            components=components,
            updates=tuple(updates),
            started=windows[0][0],
            restored=restored,
            resolved_at=resolved_at,
            windows=tuple(windows),
            component_status=impaired,
            started_known=start if start.at == windows[0][0] else Known(windows[0][0]),
            restored_known=None if restored is None else restored_known or Known(restored),
        )

    def _windows(
        self, incident: Incident, timeline: Timeline
    ) -> tuple[list[tuple[datetime, datetime | None]], datetime | None, Known | None]:
        """When the incident impaired service (``Timeline.impaired``), when it was over for readers (closed, or the
        closing stage reached: that also ends an impairment no fact ended), and how well the end of the last is known.

        The stage changes of an incident recorded after the fact (``retrospective``) happen when it is written
        up, years later perhaps: they say nothing of when it was over, so only its facts (restored, closed) do."""
        process = self.site.process
        periods = timeline.impaired or (milestones.Period(Known(incident.detected_at), None),)
        windows: list[tuple[datetime, datetime | None]] = [(p.start.at, p.end.at if p.end else None) for p in periods]
        reopened = milestones.reopens(incident, process)
        last = reopened[-1] if reopened else None
        stages = [] if incident.data.get("retrospective") else incident.events_of("stage")
        reached_close = next(
            (e.at for e in stages if process.reached_closing(str(e.data["to"])) and (last is None or e.at >= last)),
            None,
        )
        if (
            reached_close is None
            and process.reached_closing(incident.stage)
            and not any(process.reached_closing(str(e.data["to"])) for e in stages)
        ):
            reached_close = windows[-1][1] or windows[-1][0]  # recorded that way, without stage events (or after the fact)
        closed = timeline.at("closed")
        if closed is not None and (last is None or closed >= last):
            reached_close = min(reached_close, closed) if reached_close else closed
        ended = periods[-1].end
        start, end = windows[-1]
        if end is None and reached_close is not None:
            windows[-1] = (start, max(start, reached_close))
        return windows, reached_close, ended

    # --- history bars ---------------------------------------------------------------

    def history(self, service_id: str, days: int = HISTORY_DAYS) -> list[tuple[date, str, tuple[str, ...]]]:
        """The last ``days`` days (oldest first): each day's worst status of ``service_id`` and the records behind it."""
        today = self.site.now.date()
        first = today - timedelta(days=days - 1)
        worst_of: dict[date, str] = {}
        why: dict[date, list[str]] = {}
        for state in self.incidents.values():
            if service_id not in state.components:
                continue
            for start, end in state.windows:
                for day in _days(start, end or self.site.now, first, today):
                    worst_of[day] = worst(COMPONENT_STATUSES, (worst_of.get(day, "operational"), state.component_status), "operational")
                    why.setdefault(day, []).append(state.incident.id)
        for maintenance in self.maintenances:
            start, end = maintenance.maintenance.window()
            if service_id not in maintenance.components or maintenance.status == "scheduled" and start > self.site.now:
                continue
            for day in _days(start, end or self.site.now, first, today):
                worst_of[day] = worst(COMPONENT_STATUSES, (worst_of.get(day, "operational"), "under_maintenance"), "operational")
                why.setdefault(day, []).append(maintenance.maintenance.id)
        return [
            (
                first + timedelta(days=n),
                worst_of.get(first + timedelta(days=n), "operational"),
                tuple(dict.fromkeys(why.get(first + timedelta(days=n), ()))),
            )
            for n in range(days)
        ]

    def uptime(self, service_id: str, days: int = HISTORY_DAYS) -> float:
        """Share of the last ``days`` days without outage (major outages count fully, partial ones 30%)."""
        end = self.site.now
        start = end - timedelta(days=days)
        down = 0.0
        for state in self.incidents.values():
            if service_id in state.components:
                weight = DOWNTIME_WEIGHT.get(state.component_status, 0.0)
                for a, b in state.windows:
                    overlap = (min(b or end, end) - max(a, start)).total_seconds()
                    down += weight * max(0.0, overlap)
        return max(0.0, 1.0 - down / (days * 86400))


def _days(start: datetime, end: datetime, first: date, last: date) -> Iterable[date]:
    day = max(start.date(), first)
    stop = min(end.date(), last)
    while day <= stop:
        yield day
        day += timedelta(days=1)
