"""Incident metrics: how long responders took, per incident and grouped. Pure, no I/O.

Every duration is measured from ``detected_at`` (when the organisation knew),
in seconds, from the real-world times the records carry (never commit times):

- **time to acknowledge** — to the earliest acknowledgement: the first ``ack``
  event or ``escalation.acknowledged_at``, whichever is earlier. Assigning a
  role or sending a notification is not an acknowledgement; without one the
  metric is missing.
- **time to contain** — to the first logged ``containment`` action; when none
  was logged (the gate allows a recorded reason why none is possible), to the
  first stage change out of ``contain``.
- **time to resolve** — to ``resolution.implemented_at`` (the fix in place);
  without it, to the first stage change into ``recover``.
- **time in stage** — the summed length of every finished visit to a stage
  (revisits after a reopen add up); the visit still in progress and final
  stages are not counted, so figures never depend on when they are computed.

A metric an incident has not reached yet is ``None`` and left out of means and
medians; each summary carries its own count. Durations before detection
(records entered out of order) count as zero.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from .model import Incident, Process, parse_time
from .vocabulary import action_overdue, action_settled

CONTAIN, RECOVER = "contain", "recover"
Dimension = Literal["severity", "service", "month"]
DIMENSIONS: tuple[Dimension, ...] = ("severity", "service", "month")
DURATIONS = ("time_to_acknowledge", "time_to_contain", "time_to_resolve")
DEFINITIONS = {
    "time_to_acknowledge": "detected_at to the first ack event or escalation.acknowledged_at, whichever is earlier",
    "time_to_contain": "detected_at to the first containment action, else to leaving the contain stage",
    "time_to_resolve": "detected_at to resolution.implemented_at, else to entering the recover stage",
    "time_in_stage": "summed length of the finished visits to each stage (the visit in progress is not counted)",
}


@dataclass(frozen=True)
class IncidentMetrics:
    """The figures of one incident; durations in seconds, ``None`` when not reached."""

    incident_id: str
    severity: str
    services: tuple[str, ...]
    month: str  # of detection, YYYY-MM (UTC)
    time_to_acknowledge: float | None
    time_to_contain: float | None
    time_to_resolve: float | None
    time_in_stage: tuple[tuple[str, float], ...]  # process order

    def duration(self, name: str) -> float | None:
        """One of ``DURATIONS`` by name."""
        value: float | None = getattr(self, name)
        return value


@dataclass(frozen=True)
class Summary:
    """Count, mean and median of one duration over the incidents that have it."""

    count: int
    mean: float | None
    median: float | None

    @classmethod
    def of(cls, values: Iterable[float]) -> Summary:
        """Summarise ``values`` (seconds)."""
        items = sorted(values)
        if not items:
            return cls(0, None, None)
        return cls(len(items), statistics.fmean(items), float(statistics.median(items)))


@dataclass(frozen=True)
class Group:
    """Figures for the incidents sharing one key (a severity, a service, a month)."""

    key: str
    incidents: int
    time_to_acknowledge: Summary
    time_to_contain: Summary
    time_to_resolve: Summary
    time_in_stage: tuple[tuple[str, Summary], ...]  # every process stage but final ones, in order

    def duration(self, name: str) -> Summary:
        """One of ``DURATIONS`` by name."""
        value: Summary = getattr(self, name)
        return value

    def stage(self, stage_id: str) -> Summary:
        """Time in ``stage_id`` (an empty summary for a stage nobody left)."""
        return dict(self.time_in_stage).get(stage_id, Summary(0, None, None))


@dataclass(frozen=True)
class ActionItem:
    """A PIR action item with the incident it came from."""

    incident_id: str
    id: str
    title: str
    owner: str
    due: date | None
    status: str

    @property
    def settled(self) -> bool:
        return action_settled(self.status)

    def overdue(self, today: date) -> bool:
        """Not done or dropped, and due before ``today``."""
        return action_overdue(self.status, self.due, today)


def _since(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else max(0.0, (end - start).total_seconds())


def _field_time(data: dict[str, Any], section: str, key: str) -> datetime | None:
    value = (data.get(section) or {}).get(key)
    return parse_time(value) if isinstance(value, str) and value else None


def _first_stage_change(incident: Incident, *, source: str | None = None, target: str | None = None) -> datetime | None:
    for event in incident.events_of("stage"):
        if (source is None or event.data.get("from") == source) and (target is None or event.data.get("to") == target):
            return event.at
    return None


def acknowledged_at(incident: Incident) -> datetime | None:
    """The earliest acknowledgement: an ``ack`` event or ``escalation.acknowledged_at``."""
    times = [e.at for e in incident.events_of("ack")]
    recorded = _field_time(incident.data, "escalation", "acknowledged_at")
    if recorded is not None:
        times.append(recorded)
    return min(times, default=None)


def contained_at(incident: Incident) -> datetime | None:
    """The first containment action, else leaving the ``contain`` stage."""
    actions = incident.events_of("containment")
    return actions[0].at if actions else _first_stage_change(incident, source=CONTAIN)


def resolved_at(incident: Incident) -> datetime | None:
    """``resolution.implemented_at``, else entering the ``recover`` stage."""
    implemented = _field_time(incident.data, "resolution", "implemented_at")
    return implemented or _first_stage_change(incident, target=RECOVER)


def time_in_stages(incident: Incident, process: Process) -> tuple[tuple[str, float], ...]:
    """Seconds spent in each stage the incident has left, in process order."""
    spent: dict[str, float] = {}
    for visit in incident.stage_history(process.stage_ids[0]):
        if visit.left is not None:
            seconds = max(0.0, (visit.left - visit.entered).total_seconds())
            spent[visit.stage] = spent.get(visit.stage, 0.0) + seconds
    order = {stage_id: n for n, stage_id in enumerate(process.stage_ids)}
    return tuple(sorted(spent.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))


def incident_metrics(incident: Incident, process: Process) -> IncidentMetrics:
    """Every figure of one incident."""
    detected = incident.detected_at
    return IncidentMetrics(
        incident_id=incident.id,
        severity=incident.severity,
        services=tuple(dict.fromkeys(incident.services)),  # a service listed twice counts once
        month=detected.strftime("%Y-%m"),
        time_to_acknowledge=_since(detected, acknowledged_at(incident)),
        time_to_contain=_since(detected, contained_at(incident)),
        time_to_resolve=_since(detected, resolved_at(incident)),
        time_in_stage=time_in_stages(incident, process),
    )


def _group(key: str, items: Sequence[IncidentMetrics], stages: Sequence[str]) -> Group:
    def summary(name: str) -> Summary:
        return Summary.of(v for m in items if (v := m.duration(name)) is not None)

    per_stage = [dict(m.time_in_stage) for m in items]
    return Group(
        key=key,
        incidents=len(items),
        time_to_acknowledge=summary("time_to_acknowledge"),
        time_to_contain=summary("time_to_contain"),
        time_to_resolve=summary("time_to_resolve"),
        time_in_stage=tuple((s, Summary.of(spent[s] for spent in per_stage if s in spent)) for s in stages),
    )


def _stages(process: Process) -> tuple[str, ...]:
    return tuple(s.id for s in process.stages if not s.final)


def _keys(by: Dimension) -> Callable[[IncidentMetrics], tuple[str, ...]]:
    if by == "severity":
        return lambda m: (m.severity,)
    if by == "service":
        return lambda m: m.services
    if by == "month":
        return lambda m: (m.month,)
    raise ValueError(f"cannot group by {by!r}: use one of {', '.join(DIMENSIONS)}")


def aggregate(incidents: Iterable[Incident], process: Process, by: Dimension) -> tuple[Group, ...]:
    """Figures grouped by severity (process order), service or month (both sorted).

    An incident with several services counts once for each of them.
    """
    key_of = _keys(by)
    buckets: dict[str, list[IncidentMetrics]] = {}
    for incident in incidents:
        metrics = incident_metrics(incident, process)
        for key in key_of(metrics):
            buckets.setdefault(key, []).append(metrics)
    if by == "severity":
        rank = {s.id: n for n, s in enumerate(process.severities)}
        keys = sorted(buckets, key=lambda k: (rank.get(k, len(rank)), k))
    else:
        keys = sorted(buckets)
    stages = _stages(process)
    return tuple(_group(key, buckets[key], stages) for key in keys)


def overall(incidents: Iterable[Incident], process: Process) -> Group:
    """Figures over all incidents, as one group keyed ``all``."""
    return _group("all", [incident_metrics(i, process) for i in incidents], _stages(process))


def _due(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def action_items(incidents: Iterable[Incident]) -> list[ActionItem]:
    """Every PIR action item, by incident then in the order the PIR lists them."""
    items: list[ActionItem] = []
    for incident in sorted(incidents, key=lambda i: i.id):
        for action in (incident.pir or {}).get("actions") or ():
            items.append(
                ActionItem(
                    incident_id=incident.id,
                    id=str(action.get("id", "")),
                    title=str(action.get("title", "")),
                    owner=str(action.get("owner") or ""),
                    due=_due(action.get("due")),
                    status=str(action.get("status", "open")),
                )
            )
    return items


def overdue_actions(incidents: Iterable[Incident], today: date) -> list[ActionItem]:
    """Action items not done or dropped whose due date is before ``today``, oldest due first."""
    late = [a for a in action_items(incidents) if a.overdue(today)]
    return sorted(late, key=lambda a: (a.due or today, a.incident_id, a.id))


def actions_by_owner(incidents: Iterable[Incident]) -> dict[str, tuple[ActionItem, ...]]:
    """Every action item grouped by owner, owners sorted."""
    owners: dict[str, list[ActionItem]] = {}
    for item in action_items(incidents):
        owners.setdefault(item.owner, []).append(item)
    return {owner: tuple(owners[owner]) for owner in sorted(owners)}
