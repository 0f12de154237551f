"""Milestones: the moments of an incident every duration is measured between, one definition each. Pure, no I/O.

process.yaml names them (``milestones``) and says which recorded facts mark
each: a time field of incident.yaml, the first event of a kind (with given
field values), the first entry into a stage, or another milestone. ``pick``
says which fact wins when several are on record: ``first`` (the first source
in the list that has one: an explicit fact before a fallback), ``earliest``
or ``latest``. A fact whose time is unknown still marks the milestone, with
its time unknown (for ``earliest`` and ``latest``, any such fact does: it may
be the one); nothing is measured from an unknown time. A milestone
with ``after_reopen`` (resolved, recovered) counts only facts from the last
reopen on: when an incident moves from a stage that is not active back into
an active one, the fix did not hold, and service was not restored until a
later fact says so.

The durations (``durations``) are pairs of milestones. ``stats``, ``show``, the
reports page and the status pages all take their times from here, so a
figure means the same everywhere (docs/metrics.md says how each is computed).
A process.yaml without these sections gets ``STANDARD_MILESTONES`` and
``STANDARD_DURATIONS``, the same as the starter's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from .model import Event, Incident, Process
from .timing import Known

Pick = Literal["first", "earliest", "latest"]
PICKS: tuple[Pick, ...] = ("first", "earliest", "latest")

# What process.yaml starts with (the starter's sections are these; a test holds them equal).
STANDARD_MILESTONES: tuple[dict[str, Any], ...] = (
    {
        "id": "impact_started",
        "title": "Impact started",
        "description": "When users were first affected (started_at); unknown unless recorded.",
        "from": [{"field": "started_at"}],
    },
    {
        "id": "detected",
        "title": "Detected",
        "description": "When the organisation knew (detected_at); it may be before the impact started.",
        "from": [{"field": "detected_at"}],
    },
    {
        "id": "declared",
        "title": "Declared",
        "description": "When it was declared a major incident (declared_at, else the declared event).",
        "from": [{"field": "declared_at"}, {"event": "declared"}],
    },
    {
        "id": "acknowledged",
        "title": "Acknowledged",
        "description": "The first acknowledgement: an ack event or escalation.acknowledged_at, whichever is earlier.",
        "from": [{"event": "ack"}, {"field": "escalation.acknowledged_at"}],
        "pick": "earliest",
    },
    {
        "id": "mitigated",
        "title": "Mitigated",
        "description": (
            "When the impact was stopped: the first containment action recorded effective, or service restored"
            " (resolved) if that was earlier or no containment worked (containment none)."
        ),
        "from": [{"event": "containment-update", "with": {"state": "effective"}}, {"milestone": "resolved"}],
        "pick": "earliest",
    },
    {
        "id": "resolved",
        "title": "Resolved",
        "description": (
            "Service restored for users: resolution.service_restored_at, else resolution.stable_since, else"
            " recovery.restored_at, else entering recover. A fix implemented is not, by itself, resolved."
        ),
        "from": [
            {"field": "resolution.service_restored_at"},
            {"field": "resolution.stable_since"},
            {"field": "recovery.restored_at"},
            {"stage": "recover"},
        ],
        "after_reopen": True,
    },
    {
        "id": "recovered",
        "title": "Fully recovered",
        "description": "Everything restored, containment undone or made permanent (recovery.restored_at).",
        "from": [{"field": "recovery.restored_at"}],
        "after_reopen": True,
    },
    {
        "id": "closed",
        "title": "Closed",
        "description": "When the incident was formally closed (closure.closed_at).",
        "from": [{"field": "closure.closed_at"}],
    },
)
STANDARD_DURATIONS: tuple[dict[str, Any], ...] = (
    {"id": "time_to_detect", "title": "Time to detect", "short": "MTTD", "from": "impact_started", "to": "detected"},
    {"id": "time_to_acknowledge", "title": "Time to acknowledge", "short": "MTTA", "from": "detected", "to": "acknowledged"},
    {"id": "time_to_mitigate", "title": "Time to mitigate", "short": "MTTM", "from": "detected", "to": "mitigated"},
    {"id": "time_to_resolve", "title": "Time to resolve", "short": "MTTR", "from": "detected", "to": "resolved"},
    {"id": "time_to_recover", "title": "Time to recover fully", "short": "recover", "from": "detected", "to": "recovered"},
    {"id": "impact_duration", "title": "Impact duration", "short": "impact", "from": "impact_started", "to": "resolved"},
)


@dataclass(frozen=True)
class Source:
    """One kind of fact that can mark a milestone (exactly one of ``field``, ``event``, ``stage``, ``milestone``)."""

    field: str = ""
    event: str = ""
    where: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # the event's field values (``with`` in process.yaml)
    stage: str = ""
    milestone: str = ""

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Source:
        return cls(
            str(data.get("field", "")),
            str(data.get("event", "")),
            dict(data.get("with") or {}),
            str(data.get("stage", "")),
            str(data.get("milestone", "")),
        )

    def describe(self) -> str:
        """How a page or a report names this fact."""
        if self.field:
            return self.field
        if self.event:
            condition = ", ".join(f"{k} {v}" for k, v in self.where.items())
            return f"{self.event} event" + (f" ({condition})" if condition else "")
        if self.stage:
            return f"entering {self.stage}"
        return f"milestone {self.milestone}"


@dataclass(frozen=True)
class Definition:
    """One milestone as process.yaml defines it."""

    id: str
    title: str
    sources: tuple[Source, ...]
    pick: Pick = "first"
    description: str = ""
    after_reopen: bool = False  # only facts from the last reopen on count


@dataclass(frozen=True)
class DurationDefinition:
    """One duration: from one milestone to another."""

    id: str
    title: str
    start: str
    end: str
    short: str = ""

    @property
    def label(self) -> str:
        return self.short or self.title


@dataclass(frozen=True)
class Definitions:
    """The milestones and durations of a process, in process.yaml order."""

    milestones: tuple[Definition, ...]
    durations: tuple[DurationDefinition, ...]

    def milestone(self, milestone_id: str) -> Definition | None:
        return next((m for m in self.milestones if m.id == milestone_id), None)

    def duration(self, duration_id: str) -> DurationDefinition | None:
        return next((d for d in self.durations if d.id == duration_id), None)

    @property
    def duration_ids(self) -> tuple[str, ...]:
        return tuple(d.id for d in self.durations)


def definitions(process: Process) -> Definitions:
    """What ``process`` defines (``milestones``, ``durations``), or the standard ones where it defines none."""
    milestones = process.milestones or STANDARD_MILESTONES
    durations = process.durations or STANDARD_DURATIONS
    return Definitions(
        tuple(
            Definition(
                str(m["id"]),
                str(m.get("title", m["id"])),
                tuple(Source.from_data(s) for s in m.get("from") or ()),
                m.get("pick", "first") if m.get("pick") in PICKS else "first",
                str(m.get("description", "")),
                bool(m.get("after_reopen", False)),
            )
            for m in milestones
        ),
        tuple(
            DurationDefinition(str(d["id"]), str(d.get("title", d["id"])), str(d["from"]), str(d["to"]), str(d.get("short", "")))
            for d in durations
        ),
    )


# --- one incident ------------------------------------------------------------------------


@dataclass(frozen=True)
class Reached:
    """A milestone the records mark: when (as known) and by which fact."""

    id: str
    title: str
    known: Known
    source: str  # the fact that marked it, e.g. "resolution.stable_since"

    @property
    def at(self) -> datetime | None:
        """Its time, or None when unknown (nothing is measured from it)."""
        return None if self.known.unknown else self.known.at

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, **self.known.as_dict(), "source": self.source}


@dataclass(frozen=True)
class Measured:
    """One duration of one incident: seconds (None when it cannot be measured, and why), and how sure it is."""

    id: str
    seconds: float | None
    approximate: bool = False  # rests on a time known only to the day, or about
    low: float | None = None  # the bounds an approximate figure lies within, when its times have bounds
    high: float | None = None
    missing: str = ""  # why there is no figure: "not reached", or which time is unknown
    unknown: bool = False  # no figure because a time is unknown (not because the point was not reached)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"seconds": None if self.seconds is None else round(self.seconds), "approximate": self.approximate}
        if self.low is not None and self.high is not None:
            data.update({"min_seconds": round(self.low), "max_seconds": round(self.high)})
        if self.missing:
            data["missing"] = self.missing
        return data


@dataclass(frozen=True)
class Period:
    """A time service was impaired for users, as the facts say: from the impact's start (or a reopen) to service restored."""

    start: Known
    end: Known | None  # None: not restored (yet)


@dataclass(frozen=True)
class Timeline:
    """The milestones one incident reached, the durations between them, and when service was impaired."""

    incident_id: str
    reached: Mapping[str, Reached]  # by milestone id, only those the records mark
    durations: Mapping[str, Measured]  # by duration id, every defined one
    definitions: Definitions
    impaired: tuple[Period, ...] = ()  # in time order; the last is open while service is not restored

    def at(self, milestone_id: str) -> datetime | None:
        """When ``milestone_id`` was reached (None: not reached, or its time is unknown)."""
        found = self.reached.get(milestone_id)
        return found.at if found else None

    def has(self, milestone_id: str) -> bool:
        """Whether the records mark ``milestone_id`` at all (its time may be unknown)."""
        return milestone_id in self.reached

    def as_dict(self) -> dict[str, Any]:
        """For JSON output: every defined milestone (null when not reached) and every duration."""
        return {
            "milestones": {m.id: self.reached[m.id].as_dict() if m.id in self.reached else None for m in self.definitions.milestones},
            "durations": {
                d.id: {"title": d.title, "from": d.start, "to": d.end, **self.durations[d.id].as_dict()} for d in self.definitions.durations
            },
        }


def keep(view: Incident, record: Incident, process: Process) -> Incident:
    """``view`` (a publication view of ``record``) carrying ``record``'s timeline: its times, measured on every fact."""
    return dataclasses.replace(view, derived={**view.derived, "timeline": timeline(record, process)})


def _event_matches(event: Event, source: Source) -> bool:
    return event.kind == source.event and all(event.data.get(k) == v for k, v in source.where.items())


Window = tuple[datetime | None, datetime | None]  # facts from (inclusive) .. until (exclusive); None: open


def _inside(known: Known, window: Window) -> bool:
    start, end = window
    return (start is None or known.at >= start) and (end is None or known.at < end)


def _candidate(incident: Incident, source: Source, window: Window, resolve: Any) -> Reached | None:
    """The fact ``source`` names, if the records hold one in ``window`` (events and stage entries: the first there)."""
    if source.field:
        known = incident.time(source.field)
        return Reached("", "", known, source.describe()) if known is not None and _inside(known, window) else None
    if source.event:
        event = next((e for e in incident.events if _event_matches(e, source) and _inside(e.known, window)), None)
        return Reached("", "", event.known, f"{source.describe()} {event.name}") if event is not None else None
    if source.stage:
        entry = next((e for e in incident.events_of("stage") if e.data.get("to") == source.stage and _inside(e.known, window)), None)
        return Reached("", "", entry.known, source.describe()) if entry is not None else None
    if source.milestone:
        found: Reached | None = resolve(source.milestone)
        return Reached("", "", found.known, f"{source.describe()} ({found.source})") if found is not None else None
    return None


def _pick(definition: Definition, found: Sequence[Reached]) -> Reached | None:
    """The fact that marks the milestone; its time stays unknown when the fact chosen, or any fact of an
    earliest/latest pick, has an unknown time (an unknown time could be the earliest)."""
    if not found:
        return None
    if definition.pick == "first":
        chosen = found[0]
    else:
        unknown = next((f for f in found if f.known.unknown), None)
        if unknown is not None:
            return Reached(definition.id, definition.title, unknown.known, unknown.source)
        pick = min if definition.pick == "earliest" else max
        chosen = pick(found, key=lambda f: f.known.at)
    return Reached(definition.id, definition.title, chosen.known, chosen.source)


def reopens(incident: Incident, process: Process) -> list[datetime]:
    """When the incident was reopened: moved from a stage that is not active back into an active one."""
    found = []
    for event in incident.events_of("stage"):
        source, target = process.stage(str(event.data.get("from", ""))), process.stage(str(event.data.get("to", "")))
        if source is not None and target is not None and not source.active and target.active:
            found.append(event.at)
    return found


def reached(incident: Incident, definition: Definition, window: Window, resolve: Any = None) -> Reached | None:
    """``definition``'s milestone as the facts in ``window`` mark it (None: they do not)."""
    found = [c for c in (_candidate(incident, s, window, resolve or (lambda _: None)) for s in definition.sources) if c is not None]
    return _pick(definition, found)


def measure(duration: DurationDefinition, reached: Mapping[str, Reached]) -> Measured:
    """The seconds from one milestone to the other; approximate (with bounds) when either time is rough.

    Not reached: no figure. A time that is unknown: no figure either, and the
    reason says which. A figure below zero (records out of order, or detection
    before impact for time to detect) counts as zero.
    """
    start, end = reached.get(duration.start), reached.get(duration.end)
    if start is None or end is None:
        missing = ", ".join(m for m, r in ((duration.start, start), (duration.end, end)) if r is None)
        return Measured(duration.id, None, missing=f"not reached: {missing}")
    unknown = [m.id for m in (start, end) if m.known.unknown]
    if unknown:
        return Measured(duration.id, None, missing=f"time unknown: {', '.join(unknown)}", unknown=True)
    seconds = max(0.0, (end.known.at - start.known.at).total_seconds())
    rough = start.known.rough or end.known.rough
    if not rough:
        return Measured(duration.id, seconds)
    if start.known.bounded and end.known.bounded:
        low = max(0.0, (end.known.earliest - start.known.latest).total_seconds())
        high = max(0.0, (end.known.latest - start.known.earliest).total_seconds())
        return Measured(duration.id, seconds, True, low, high)
    return Measured(duration.id, seconds, True)


def timeline(incident: Incident, process: Process, defined: Definitions | None = None) -> Timeline:
    """Every milestone ``incident`` reached and every duration, by ``process``'s definitions (pass ``defined`` to reuse them).

    A publication view carries the timeline of the full record it was made from (``kept``).
    """
    kept = incident.derived.get("timeline")
    if isinstance(kept, Timeline):
        return kept
    defined = defined or definitions(process)
    last_reopen = max(reopens(incident, process), default=None)
    done: dict[str, Reached | None] = {}
    busy: set[str] = set()

    def resolve(milestone_id: str) -> Reached | None:
        if milestone_id in done:
            return done[milestone_id]
        definition = defined.milestone(milestone_id)
        if definition is None or milestone_id in busy:  # unknown, or a cycle (validation reports both)
            return None
        busy.add(milestone_id)
        window: Window = (last_reopen if definition.after_reopen else None, None)
        done[milestone_id] = reached(incident, definition, window, resolve)
        busy.discard(milestone_id)
        return done[milestone_id]

    marked = {m.id: r for m in defined.milestones if (r := resolve(m.id)) is not None}
    durations = {d.id: measure(d, marked) for d in defined.durations}
    return Timeline(incident.id, marked, durations, defined, _impaired(incident, process, defined, marked))


IMPACT_STARTS = ("impact_started", "detected", "declared")  # the first of these with a known time starts the impact for readers


def _impaired(incident: Incident, process: Process, defined: Definitions, marked: Mapping[str, Reached]) -> tuple[Period, ...]:
    """Service impaired from the impact's start to the first fact that marks ``resolved`` after it; again from each
    reopen after a restoration (a reopen before any restoration changes nothing)."""
    start = next((marked[m].known for m in IMPACT_STARTS if m in marked and marked[m].at is not None), None)
    if start is None:
        start = Known(incident.detected_at, "unknown")
    definition = defined.milestone("resolved")
    reopened = reopens(incident, process)
    bounds = [start.at, *reopened]
    periods: list[Period] = []
    opened: Known | None = start
    for index, lower in enumerate(bounds):
        if opened is None:
            opened = Known(lower)  # reopened after service was restored: impaired again
        upper = bounds[index + 1] if index + 1 < len(bounds) else None
        found = reached(incident, definition, (None if index == 0 else lower, upper), marked.get) if definition else None
        if found is not None:
            periods.append(Period(opened, found.known if found.known.at >= opened.at else opened))
            opened = None
    if opened is not None:
        periods.append(Period(opened, None))
    return tuple(periods)


# --- process.yaml: what its schema cannot say ------------------------------------------------


def problems(process: Process, event_kinds: Sequence[str]) -> list[tuple[tuple[str | int, ...], str]]:
    """Milestones and durations that can never mean what they say: unknown ids, stages, kinds; cycles; ids used twice."""
    out: list[tuple[tuple[str | int, ...], str]] = []
    if not process.milestones and not process.durations:
        return out
    defined = definitions(process)
    ids = [m.id for m in defined.milestones]
    for index, definition in enumerate(defined.milestones):
        if ids.index(definition.id) != index:
            out.append((("milestones", index, "id"), f"milestone id {definition.id!r} is used twice"))
        for number, source in enumerate(definition.sources):
            where = ("milestones", index, "from", number)
            if source.stage and process.stage(source.stage) is None:
                out.append(((*where, "stage"), f"unknown stage {source.stage!r}; stages: {', '.join(process.stage_ids)}"))
            if source.event and source.event not in event_kinds:
                out.append(((*where, "event"), f"unknown event kind {source.event!r}"))
            if source.milestone and source.milestone not in ids:
                out.append(((*where, "milestone"), f"unknown milestone {source.milestone!r}; milestones: {', '.join(ids)}"))
    for index, definition in enumerate(defined.milestones):
        if _cycle(defined, definition.id):
            out.append((("milestones", index, "from"), f"milestone {definition.id!r} is defined by itself (through other milestones)"))
    duration_ids = [d.id for d in defined.durations]
    for index, duration in enumerate(defined.durations):
        if duration_ids.index(duration.id) != index:
            out.append((("durations", index, "id"), f"duration id {duration.id!r} is used twice"))
        for key, value in (("from", duration.start), ("to", duration.end)):
            if value not in ids:
                out.append((("durations", index, key), f"unknown milestone {value!r}; milestones: {', '.join(ids)}"))
    return out


def _cycle(defined: Definitions, start: str) -> bool:
    todo = [s.milestone for m in defined.milestones if m.id == start for s in m.sources if s.milestone]
    seen: set[str] = set()
    while todo:
        current = todo.pop()
        if current == start:
            return True
        if current in seen:
            continue
        seen.add(current)
        todo += [s.milestone for m in defined.milestones if m.id == current for s in m.sources if s.milestone]
    return False
