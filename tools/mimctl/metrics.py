"""Incident metrics: how long responders took, per incident and grouped. Pure, no I/O.

Every duration is the time between two milestones (``milestones``: one
definition each, in process.yaml), in seconds, from the real-world times the
records carry (never commit times). The standard ones: time to detect (impact
started → detected), to acknowledge, to mitigate, to resolve and to recover
fully (each from detected), and the impact duration (impact started →
resolved). docs/metrics.md says how each milestone is marked.

- A duration an incident has not reached is missing and left out of means and
  medians; each summary carries its own count.
- A duration from a time that is unknown is left out too (never invented), and
  counted as ``unknown`` in its summary.
- A duration from a time known only to the day, or "about", is approximate: it
  counts, and its summary says how many of its figures are approximate.
- **Time in stage** is the summed length of every finished visit to a stage
  (revisits after a reopen add up); the visit still in progress and final
  stages are not counted, so figures never depend on when they are computed.
  Incidents recorded after the fact (``retrospective``) have none.

Durations below zero (records entered out of order; detection before the
impact for time to detect) count as zero.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from . import milestones
from .milestones import Definitions, Measured, Timeline
from .model import Incident, Process
from .vocabulary import action_overdue, action_settled

Dimension = Literal["severity", "service", "month"]
DIMENSIONS: tuple[Dimension, ...] = ("severity", "service", "month")
TIME_IN_STAGE = "summed length of the finished visits to each stage (the visit in progress is not counted)"


def definitions_text(process: Process) -> dict[str, str]:
    """How each duration (and the time in stage) is computed, in words: for reports and ``stats --format json``."""
    defined = milestones.definitions(process)
    out: dict[str, str] = {}
    for duration in defined.durations:
        start, end = defined.milestone(duration.start), defined.milestone(duration.end)
        words = [f"{duration.title}: from {start.title if start else duration.start} to {end.title if end else duration.end}"]
        for milestone in (start, end):
            if milestone is not None and milestone.description:
                words.append(f"{milestone.title}: {milestone.description}")
        out[duration.id] = ". ".join(w.rstrip(".") for w in words) + "."
    out["time_in_stage"] = TIME_IN_STAGE
    return out


@dataclass(frozen=True)
class IncidentMetrics:
    """The figures of one incident: its milestones, its durations (seconds, or missing) and its time in each stage."""

    incident_id: str
    title: str
    severity: str
    services: tuple[str, ...]
    month: str  # of detection, YYYY-MM (UTC)
    timeline: Timeline
    time_in_stage: tuple[tuple[str, float], ...]  # process order
    retrospective: bool = False

    def measured(self, name: str) -> Measured:
        """One duration by id, with whether it is approximate and why it may be missing."""
        return self.timeline.durations.get(name) or Measured(name, None, missing="not defined in process.yaml")

    def duration(self, name: str) -> float | None:
        """One duration by id, in seconds (None: missing)."""
        return self.measured(name).seconds


@dataclass(frozen=True)
class Summary:
    """Count, mean and median of one duration over the incidents that have it; how many are approximate, how many unknown."""

    count: int
    mean: float | None
    median: float | None
    approximate: int = 0  # figures that rest on a time known only to the day, or about
    unknown: int = 0  # incidents left out because a time this duration needs is unknown

    @classmethod
    def of(cls, values: Iterable[float | Measured]) -> Summary:
        """Summarise ``values`` (seconds, or measured figures: missing ones are left out)."""
        measured = [v if isinstance(v, Measured) else Measured("", v) for v in values]
        items = sorted(m.seconds for m in measured if m.seconds is not None)
        rough = sum(1 for m in measured if m.seconds is not None and m.approximate)
        unknown = sum(1 for m in measured if m.unknown)
        if not items:
            return cls(0, None, None, 0, unknown)
        return cls(len(items), statistics.fmean(items), float(statistics.median(items)), rough, unknown)


EMPTY = Summary(0, None, None)


@dataclass(frozen=True)
class Group:
    """Figures for the incidents sharing one key (a severity, a service, a month)."""

    key: str
    incidents: int
    durations: tuple[tuple[str, Summary], ...]  # process.yaml order
    time_in_stage: tuple[tuple[str, Summary], ...]  # every process stage but final ones, in order

    def duration(self, name: str) -> Summary:
        """One duration's summary by id (empty if the process has no such duration)."""
        return dict(self.durations).get(name, EMPTY)

    def stage(self, stage_id: str) -> Summary:
        """Time in ``stage_id`` (an empty summary for a stage nobody left)."""
        return dict(self.time_in_stage).get(stage_id, EMPTY)


@dataclass(frozen=True)
class ActionItem:
    """A PIR action item with the incident it came from."""

    incident_id: str
    id: str
    title: str
    owner: str
    due: date | None
    status: str
    settled_at: str = ""  # when it was done or dropped
    settled_by: str = ""

    @property
    def settled(self) -> bool:
        return action_settled(self.status)

    def overdue(self, today: date) -> bool:
        """Not done or dropped, and due before ``today``."""
        return action_overdue(self.status, self.due, today)


def time_in_stages(incident: Incident, process: Process) -> tuple[tuple[str, float], ...]:
    """Seconds spent in each stage the incident has left, in process order.

    None for an incident recorded after the fact: its stage changes are when
    it was written up, not a response's pace.
    """
    if incident.data.get("retrospective"):
        return ()
    spent: dict[str, float] = {}
    for visit in incident.stage_history(process.stage_ids[0]):
        if visit.left is not None:
            seconds = max(0.0, (visit.left - visit.entered).total_seconds())
            spent[visit.stage] = spent.get(visit.stage, 0.0) + seconds
    order = {stage_id: n for n, stage_id in enumerate(process.stage_ids)}
    return tuple(sorted(spent.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))


def incident_metrics(incident: Incident, process: Process, defined: Definitions | None = None) -> IncidentMetrics:
    """Every figure of one incident (pass ``defined``, ``milestones.definitions(process)``, to reuse it over many)."""
    return IncidentMetrics(
        incident_id=incident.id,
        title=incident.title,
        severity=incident.severity,
        services=tuple(dict.fromkeys(incident.services)),  # a service listed twice counts once
        month=incident.detected_at.date().isoformat()[:7],
        timeline=milestones.timeline(incident, process, defined),
        time_in_stage=time_in_stages(incident, process),
        retrospective=bool(incident.data.get("retrospective")),
    )


def per_incident(incidents: Iterable[Incident], process: Process) -> list[IncidentMetrics]:
    """The figures of every incident, by id."""
    defined = milestones.definitions(process)
    return [incident_metrics(i, process, defined) for i in sorted(incidents, key=lambda i: i.id)]


def _group(key: str, items: Sequence[IncidentMetrics], stages: Sequence[str], durations: Sequence[str]) -> Group:
    per_stage = [dict(m.time_in_stage) for m in items]
    return Group(
        key=key,
        incidents=len(items),
        durations=tuple((name, Summary.of(m.measured(name) for m in items)) for name in durations),
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


def group_metrics(figures: Sequence[IncidentMetrics], process: Process, by: Dimension) -> tuple[Group, ...]:
    """Figures already worked out, grouped by severity (process order), service or month (both sorted)."""
    key_of = _keys(by)
    buckets: dict[str, list[IncidentMetrics]] = {}
    for metrics in figures:
        for key in key_of(metrics):
            buckets.setdefault(key, []).append(metrics)
    if by == "severity":
        rank = {s.id: n for n, s in enumerate(process.severities)}
        keys = sorted(buckets, key=lambda k: (rank.get(k, len(rank)), k))
    else:
        keys = sorted(buckets)
    stages, durations = _stages(process), milestones.definitions(process).duration_ids
    return tuple(_group(key, buckets[key], stages, durations) for key in keys)


def aggregate(incidents: Iterable[Incident], process: Process, by: Dimension) -> tuple[Group, ...]:
    """Figures grouped by severity (process order), service or month (both sorted).

    An incident with several services counts once for each of them.
    """
    return group_metrics(per_incident(incidents, process), process, by)


def overall_of(figures: Sequence[IncidentMetrics], process: Process) -> Group:
    """Figures already worked out, over all incidents, as one group keyed ``all``."""
    return _group("all", figures, _stages(process), milestones.definitions(process).duration_ids)


def overall(incidents: Iterable[Incident], process: Process) -> Group:
    """Figures over all incidents, as one group keyed ``all``."""
    return overall_of(per_incident(incidents, process), process)


def measured_dict(figures: Mapping[str, Measured]) -> dict[str, Any]:
    """Durations as JSON data."""
    return {name: m.as_dict() for name, m in figures.items()}


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
                    settled_at=str(action.get("settled_at") or ""),
                    settled_by=str(action.get("settled_by") or ""),
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
