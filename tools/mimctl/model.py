"""Domain objects built from validated records: immutable, no I/O.

The schema checks the shape of a record; these objects add its meaning:
times as datetimes, the stage history, the state of containment actions and
hypotheses as the timeline tells it, and the incident as it was at any
moment (:meth:`Incident.as_of`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import cached_property
from typing import Any

from .comms import Comms
from .timing import Known, from_note
from .timing import format_time as format_time  # the canonical record form of a time; imported from here
from .vocabulary import containment_settled


def parse_time(value: str) -> datetime:
    """An RFC 3339 string (as the schema allows) as an aware UTC datetime."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


# --- configuration ---------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    id: str
    title: str
    gate: tuple[str, ...]
    active: bool  # while in it, the response is under way (escalation, the update cadence)
    final: bool
    description: str = ""
    closes: bool = False  # reaching it ends the incident for readers (status resolved)


@dataclass(frozen=True)
class Severity:
    id: str
    title: str
    colour: str
    pir_required: bool
    escalation_policy: str | None
    description: str = ""
    component_status: str = "partial_outage"
    indicator: str = "major"


@dataclass(frozen=True)
class Process:
    """The lifecycle and classification rules of process.yaml."""

    stages: tuple[Stage, ...]
    reopen: dict[str, tuple[str, ...]]
    impacts: tuple[str, ...]
    urgencies: tuple[str, ...]
    priority_matrix: dict[str, dict[str, int]]
    severities: tuple[Severity, ...]
    roles: dict[str, str]
    manager_role: str
    escalation_policies: dict[str, tuple[dict[str, Any], ...]]
    max_future_minutes: int
    comms: Comms = field(default_factory=Comms)  # notifications and the communication plan (comms.py)
    milestones: tuple[dict[str, Any], ...] = ()  # as process.yaml defines them (milestones.py; empty: the standard ones)
    durations: tuple[dict[str, Any], ...] = ()
    gates: dict[str, dict[str, Any]] = field(default_factory=dict)  # gate items declared in process.yaml (lifecycle.py)
    alerts: dict[str, Any] = field(default_factory=dict)  # how alerts become incidents (ingest.py)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Process:
        return cls(
            stages=tuple(
                Stage(
                    s["id"],
                    s["title"],
                    tuple(s.get("gate", ())),
                    bool(s.get("active", False)),
                    bool(s.get("final", False)),
                    s.get("description", ""),
                    bool(s.get("closes", False)),
                )
                for s in data["stages"]
            ),
            reopen={k: tuple(v) for k, v in data.get("reopen", {}).items()},
            impacts=tuple(i["id"] for i in data["impacts"]),
            urgencies=tuple(u["id"] for u in data["urgencies"]),
            priority_matrix=data["priority_matrix"],
            severities=tuple(
                Severity(
                    s["id"],
                    s["title"],
                    s.get("colour", "#888888"),
                    bool(s.get("pir_required", False)),
                    s.get("escalation_policy"),
                    s.get("description", ""),
                    s.get("component_status", "partial_outage"),
                    s.get("indicator", "major"),
                )
                for s in data["severities"]
            ),
            roles={r["id"]: r["title"] for r in data["roles"]},
            manager_role=data["manager_role"],
            escalation_policies={p["id"]: tuple(p["levels"]) for p in data.get("escalation_policies", ())},
            max_future_minutes=int(data.get("max_future_minutes", 10)),
            comms=Comms.from_data(data),
            milestones=tuple(data.get("milestones") or ()),
            durations=tuple(data.get("durations") or ()),
            gates=dict(data.get("gates") or {}),
            alerts=dict(data.get("alerts") or {}),
        )

    @property
    def stage_ids(self) -> tuple[str, ...]:
        return tuple(stage.id for stage in self.stages)

    def stage(self, stage_id: str) -> Stage | None:
        return next((s for s in self.stages if s.id == stage_id), None)

    @property
    def closing_stage(self) -> str | None:
        """The stage marked ``closes: true``: reaching it (or any later stage) ends the incident for readers."""
        return next((s.id for s in self.stages if s.closes), None)

    def reached_closing(self, stage_id: str) -> bool:
        """Whether ``stage_id`` is the closing stage or after it (a process without one: a final stage)."""
        ids = self.stage_ids
        if stage_id not in ids:
            return False
        closing = self.closing_stage
        if closing is None:
            found = self.stage(stage_id)
            return bool(found and found.final)
        return ids.index(stage_id) >= ids.index(closing)

    def next_stage(self, stage_id: str) -> str | None:
        ids = self.stage_ids
        if stage_id not in ids or ids.index(stage_id) + 1 >= len(ids):
            return None
        return ids[ids.index(stage_id) + 1]

    def severity(self, severity_id: str) -> Severity | None:
        return next((s for s in self.severities if s.id == severity_id), None)

    def priority(self, impact: str, urgency: str) -> int | None:
        return self.priority_matrix.get(impact, {}).get(urgency)


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    owner: str
    tier: int
    depends_on: tuple[str, ...]
    public: bool
    group: str = ""
    repositories: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Catalog:
    """Services and teams of catalog.yaml, with the dependency graph."""

    services: dict[str, Service]
    teams: dict[str, dict[str, Any]]
    people: dict[str, dict[str, Any]] = field(default_factory=dict)  # handle -> {id, email, ...}: who invites reach

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Catalog:
        return cls(
            services={
                s["id"]: Service(
                    s["id"],
                    s["name"],
                    s["owner"],
                    int(s["tier"]),
                    tuple(s.get("depends_on", ())),
                    bool(s.get("public", False)),
                    s.get("group", ""),
                    tuple(s.get("repositories", ())),
                )
                for s in data.get("services", ())
            },
            teams={t["id"]: t for t in data.get("teams", ())},
            people={p["id"]: p for p in data.get("people", ())},
        )

    @cached_property
    def _reverse(self) -> dict[str, set[str]]:
        reverse: dict[str, set[str]] = {}
        for service in self.services.values():
            for dep in service.depends_on:
                reverse.setdefault(dep, set()).add(service.id)
        return reverse

    def dependents(self, service_id: str) -> list[str]:
        """Every service that depends on ``service_id``, directly or transitively."""
        reverse = self._reverse
        seen: set[str] = set()
        todo = [service_id]
        while todo:
            for parent in reverse.get(todo.pop(), ()):
                if parent not in seen and parent != service_id:
                    seen.add(parent)
                    todo.append(parent)
        return sorted(seen)

    def cycles(self) -> list[list[str]]:
        """Dependency cycles, each as the list of services in it."""
        found: list[list[str]] = []
        state: dict[str, int] = {}
        seen_cycles: set[frozenset[str]] = set()

        def visit(node: str, trail: list[str]) -> None:
            state[node] = 1
            trail.append(node)
            for dep in self.services[node].depends_on if node in self.services else ():
                if state.get(dep) == 1:
                    cycle = trail[trail.index(dep) :]
                    if frozenset(cycle) not in seen_cycles:
                        seen_cycles.add(frozenset(cycle))
                        found.append([*cycle, dep])
                elif dep not in state:
                    visit(dep, trail)
            trail.pop()
            state[node] = 2

        for service_id in sorted(self.services):
            if service_id not in state:
                visit(service_id, [])
        return found


# --- records -----------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """One timeline event; ``name`` is its file name (its identity)."""

    name: str
    at: datetime
    kind: str
    data: dict[str, Any]

    @property
    def text(self) -> str:
        return str(self.data.get("text", ""))

    @property
    def known(self) -> Known:
        """Its time as the record knows it (``times.at``: the precision, approximate or not)."""
        return from_note(self.at, get_path(self.data, "times.at"))

    @property
    def seq(self) -> int:
        """Its place in recording order on the incident's timeline (0: not recorded, e.g. written by hand or before seq existed)."""
        value = self.data.get("seq")
        return value if isinstance(value, int) and not isinstance(value, bool) else 0


def event_order(event: Event) -> tuple[datetime, int, str]:
    """The total order of a timeline: by real-world time, then recording order (``seq``), then file name.

    Events at the same instant list in the order they were recorded, so two
    stage changes in the same second replay in the order they were made.
    Events without ``seq`` (by hand, or older than it) come first at their
    instant, in file-name order, as they always have.
    """
    return (event.at, event.seq, event.name)


def sort_events(events: Iterable[Event]) -> tuple[Event, ...]:
    """``events`` in timeline order (``event_order``)."""
    return tuple(sorted(events, key=event_order))


@dataclass(frozen=True)
class ContainmentAction:
    id: str
    action: str
    rollback: str  # how to undo it ("" for an irreversible action)
    at: datetime
    by: str
    state: str  # open, effective, ineffective, superseded, rolled-back, made-permanent
    irreversible: str = ""  # why it cannot be undone
    effective_at: datetime | None = None  # the first time it was recorded effective

    @property
    def settled(self) -> bool:
        """Nothing is left to undo: rolled back, made permanent, ineffective or superseded, or irreversible."""
        return bool(self.irreversible) or containment_settled(self.state)


@dataclass(frozen=True)
class Hypothesis:
    id: str
    text: str
    at: datetime
    state: str
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class StageVisit:
    stage: str
    entered: datetime
    left: datetime | None
    reason: str = ""


# --- facts and their times ------------------------------------------------------

UNKNOWN: Any = type("Unknown", (), {"__repr__": lambda self: "UNKNOWN"})()  # a value an old event did not record
ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "ABSENT"})()  # a field that did not exist yet
PIR_RECORD = "pir.yaml"  # key of the whole review in ``untimed`` (it has no field path in incident.yaml)

# Fields that carry their own real-world time: the time field, and the fields recorded with it.
# A fact counts from the later of this time and the event that recorded it.
OWN_TIMES: dict[str, tuple[str, ...]] = {
    "validation.confirmed_at": ("validation.confirmed_by", "validation.confirmed_at", "validation.scope"),
    "resolution.implemented_at": ("resolution.implemented_at", "resolution.change_ref", "resolution.implemented_by"),
    "resolution.stable_since": ("resolution.stable_since",),
    "resolution.confirmed_at": ("resolution.confirmed_by", "resolution.confirmed_at"),
    "recovery.restored_at": ("recovery.restored_at",),
    "recovery.dependents_validated_at": ("recovery.dependents_validated_at", "recovery.dependents_validated_by"),
    "closure.closed_at": ("closure.closed_at", "closure.summary", "closure.closed_by", "closure.users_restored"),
    "bridge.opened_at": ("bridge.url", "bridge.opened_at"),
    "escalation.acknowledged_at": ("escalation.acknowledged_by", "escalation.acknowledged_at"),
}

# What events written before events carried ``sets`` changed in incident.yaml (values not recorded).
LEGACY_SETS: dict[str, tuple[str, ...]] = {
    "validated": ("validation",),
    "classified": ("impact", "urgency", "priority", "severity", "major_reason", "summary", "impacted_users"),
    "ack": ("escalation.acknowledged_by", "escalation.acknowledged_at"),
    "escalation": ("escalation.level", "escalation.policy"),
    "bridge": ("bridge",),
    "resolution": ("resolution",),
    "recovery": ("recovery",),
    "closure": ("closure",),
    "stage": ("completed_at",),
}

# incident.yaml fields the schema requires: always there, so never taken away when going back in time.
REQUIRED_FIELDS = frozenset({"id", "title", "stage", "severity", "impact", "urgency", "priority", "detection", "detected_at", "services"})


@dataclass(frozen=True)
class Setting:
    """An event's record that it set ``path`` in incident.yaml (to ``value``, or UNKNOWN for old events)."""

    at: datetime
    path: str
    value: Any
    event: str  # the event's file name


def event_settings(event: Event) -> list[Setting]:
    """The fields an event set: its ``sets`` mapping, a role or field event's own fields, else the legacy table."""
    data = event.data
    if isinstance(data.get("sets"), dict):
        return [Setting(event.at, path, value, event.name) for path, value in data["sets"].items() if path not in ("id", "stage")]
    if event.kind == "field" and data.get("field") not in (None, "id", "stage"):
        return [Setting(event.at, data["field"], data.get("value"), event.name)]
    if event.kind == "role":
        return [Setting(event.at, f"roles.{data['role']}", data["person"], event.name)]
    return [Setting(event.at, path, UNKNOWN, event.name) for path in LEGACY_SETS.get(event.kind, ())]


def get_path(data: Any, dotted: str) -> Any:
    """The value at ``a.b.c`` in nested mappings, or ABSENT."""
    for part in dotted.split("."):
        if not isinstance(data, dict) or part not in data:
            return ABSENT
        data = data[part]
    return data


def _put(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``a.b.c`` (ABSENT or None removes it, and mappings left empty)."""
    parts = dotted.split(".")
    trail = [data]
    for part in parts[:-1]:
        inner = trail[-1].get(part)
        if not isinstance(inner, dict):
            if value is ABSENT or value is None:
                return
            inner = trail[-1][part] = {}
        trail.append(inner)
    if value is ABSENT or value is None:
        trail[-1].pop(parts[-1], None)
        for depth in range(len(parts) - 1, 0, -1):
            if not trail[depth]:
                trail[depth - 1].pop(parts[depth - 1], None)
    else:
        trail[-1][parts[-1]] = copy.deepcopy(value)


def _within(path: str, ancestor: str) -> bool:
    return path == ancestor or path.startswith(ancestor + ".")


def _value_then(settings: list[Setting], path: str, moment: datetime) -> Any:
    """What the recorded settings at or before ``moment`` say ``path`` was (UNKNOWN, ABSENT or a value)."""
    latest = None
    for setting in settings:
        if setting.at <= moment and _within(path, setting.path):
            latest = setting
    if latest is None:
        return ABSENT
    if latest.value is UNKNOWN:
        return UNKNOWN
    return get_path({"v": latest.value}, "v" + path[len(latest.path) :]) if path != latest.path else latest.value


@dataclass(frozen=True)
class Incident:
    """An incident with its timeline (sorted by time) and its PIR, if any."""

    id: str
    data: dict[str, Any]
    events: tuple[Event, ...] = ()
    pir: dict[str, Any] | None = None
    # What was worked out from the full record before a publication view left facts out: times only
    # (``milestones.timeline`` keeps its result here, so a public view is measured like the record).
    derived: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def stage(self) -> str:
        return str(self.data["stage"])

    @property
    def title(self) -> str:
        return str(self.data["title"])

    @property
    def severity(self) -> str:
        return str(self.data["severity"])

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(self.data.get("services", ()))

    @property
    def detected_at(self) -> datetime:
        return parse_time(self.data["detected_at"])

    @property
    def started_at(self) -> datetime | None:
        value = self.data.get("started_at")
        return parse_time(value) if value else None

    def time(self, path: str) -> Known | None:
        """The time field at ``path`` (``detected_at``, ``resolution.stable_since``...) as known, with its ``times`` note; None if unset."""
        value = get_path(self.data, path)
        if not isinstance(value, str) or not value:
            return None
        return from_note(parse_time(value), get_path(self.data.get("times") or {}, path))

    def events_of(self, *kinds: str) -> list[Event]:
        return [event for event in self.events if event.kind in kinds]

    def containment(self) -> list[ContainmentAction]:
        """Containment actions with their latest state from the timeline."""
        actions: dict[str, ContainmentAction] = {}
        for event in self.events:
            d = event.data
            if event.kind == "containment":
                actions[d["id"]] = ContainmentAction(
                    d["id"], d["action"], d.get("rollback", ""), event.at, d.get("by", ""), "open", d.get("irreversible", "")
                )
            elif event.kind == "containment-update" and d["action_id"] in actions:
                old = actions[d["action_id"]]
                effective = old.effective_at or (event.at if d["state"] == "effective" else None)
                actions[old.id] = replace(old, state=d["state"], effective_at=effective)
        return list(actions.values())

    def hypotheses(self) -> list[Hypothesis]:
        """Hypotheses with their latest state and all evidence recorded for them."""
        found: dict[str, Hypothesis] = {}
        for event in self.events:
            d = event.data
            if event.kind == "hypothesis":
                found[d["id"]] = Hypothesis(d["id"], d["text"], event.at, d.get("state", "open"), tuple(d.get("evidence", ())))
            elif event.kind == "hypothesis-update" and d["hypothesis_id"] in found:
                old = found[d["hypothesis_id"]]
                evidence = old.evidence + tuple(d.get("evidence", ()))
                if d.get("text"):
                    evidence += (d["text"],)
                found[old.id] = Hypothesis(old.id, old.text, old.at, d["state"], evidence)
        return list(found.values())

    def stage_history(self, first_stage: str) -> list[StageVisit]:
        """Each stage entered, when, and when it was left, from the stage events."""
        visits: list[StageVisit] = []
        current = first_stage
        entered = self.detected_at
        declared = self.events_of("declared")
        if declared:
            entered = declared[0].at
        for event in self.events_of("stage"):
            visits.append(StageVisit(current, entered, event.at))
            current, entered = event.data["to"], event.at
        visits.append(StageVisit(current, entered, None))
        return visits

    def stage_changes(self) -> list[dict[str, Any]]:
        return [
            {"from": e.data.get("from"), "to": e.data["to"], "at": format_time(e.at), "reason": e.data.get("reason", "")}
            for e in self.events_of("stage")
        ]

    def updates(self, audience: str | None = None) -> list[Event]:
        """Stakeholder updates, oldest first; ``audience='public'`` for public ones only."""
        return [e for e in self.events_of("stakeholder-update") if audience is None or e.data.get("audience") == audience]

    # --- as of a moment --------------------------------------------------------------

    def settings(self) -> list[Setting]:
        """Every recorded setting of a field, in time order."""
        return [setting for event in self.events for setting in event_settings(event)]

    def fact_time(self, path: str) -> datetime | None:
        """When the field at ``path`` came to hold its value, as the records say (None: no record dates it)."""
        times = [s.at for s in self.settings() if _within(path, s.path) or _within(s.path, path)]
        for time_field, dated in OWN_TIMES.items():
            own = get_path(self.data, time_field)
            if isinstance(own, str) and any(_within(d, path) or _within(path, d) for d in dated):
                times.append(parse_time(own))
        return max(times) if times else None

    def as_of(self, moment: datetime, untimed: Mapping[str, tuple[datetime, Any]] | None = None, before: Event | None = None) -> Incident:
        """The incident as its records say it was at ``moment``.

        Events after ``moment`` (and ``before`` itself, when judging that event)
        are dropped. A field takes the value the latest event at or before
        ``moment`` recorded for it; one that only later events set did not
        exist yet (the schema's required fields keep their value); a field with
        a time of its own (``OWN_TIMES``) did not exist before that time.
        ``untimed`` dates fields (and ``PIR_RECORD``) that no event records:
        ``{path: (when it was recorded, the value before)}``. A field that no
        event records and ``untimed`` does not name is taken as it is.
        """
        events = tuple(e for e in self.events if e.at <= moment and e is not before and (before is None or e.name != before.name))
        hidden: set[str] = set()
        if before is not None:  # at the same instant, what was recorded after the judged event did not exist yet either
            cutoff = event_order(before)
            hidden = {e.name for e in events if e.at == before.at and event_order(e) > cutoff}
            events = tuple(e for e in events if e.name not in hidden)
        data = copy.deepcopy(self.data)
        settings = [s for s in self.settings() if s.event not in hidden]
        later = {s.path for s in settings if s.at > moment} | {s.path for s in self.settings() if s.event in hidden}
        for path in sorted(later, key=lambda p: p.count(".")):
            value = _value_then(settings, path, moment)
            if value is UNKNOWN:
                continue  # an old event changed it without recording the value: keep what is there
            if value is ABSENT and path.split(".")[0] in REQUIRED_FIELDS:
                continue
            _put(data, path, value)
            for inner in settings:  # deeper fields recorded at or before the moment, after that value
                if inner.at <= moment and inner.path.startswith(path + ".") and inner.value is not UNKNOWN:
                    _put(data, inner.path, inner.value)
        pir = self.pir
        for path, (recorded, previous) in (untimed or {}).items():
            if recorded > moment:
                if path == PIR_RECORD:
                    pir = None if previous is ABSENT else previous
                elif not (previous is ABSENT and path.split(".")[0] in REQUIRED_FIELDS):
                    _put(data, path, previous)
        for time_field, dated in OWN_TIMES.items():
            own = get_path(self.data, time_field)
            if isinstance(own, str) and parse_time(own) > moment:
                for path in dated:
                    _put(data, path, ABSENT)
        held = get_path(pir or {}, "meeting.held_at")
        if pir is not None and isinstance(held, str) and parse_time(held) > moment:
            pir = {**{k: v for k, v in pir.items() if k != "meeting"}, "status": "draft"}
        data["stage"] = self._stage_then(events)
        return replace(self, data=data, events=events, pir=pir, derived={})

    def _stage_then(self, events: tuple[Event, ...]) -> str:
        stages = [e for e in events if e.kind == "stage"]
        if stages:
            return str(stages[-1].data["to"])
        first = next((e for e in self.events if e.kind == "stage"), None)
        return str(first.data.get("from") or self.stage) if first else self.stage

    def walk_fields(self) -> Iterator[tuple[str, Any]]:
        """Every leaf field of incident.yaml as (dotted path, value); lists are leaves."""
        todo: list[tuple[str, Any]] = list(self.data.items())
        while todo:
            path, value = todo.pop()
            if isinstance(value, dict) and value:
                todo += [(f"{path}.{k}", v) for k, v in value.items()]
            else:
                yield path, value


@dataclass(frozen=True)
class KnownError:
    id: str
    data: dict[str, Any]

    @property
    def title(self) -> str:
        return str(self.data["title"])
