"""Domain objects built from validated records: immutable, no I/O.

The schema checks the shape of a record; these objects add its meaning:
times as datetimes, the stage history, the state of containment actions and
hypotheses as the timeline tells it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from typing import Any

from .comms import Comms


def parse_time(value: str) -> datetime:
    """An RFC 3339 string (as the schema allows) as an aware UTC datetime."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def format_time(moment: datetime) -> str:
    """A datetime as the canonical ``YYYY-MM-DDTHH:MM:SSZ`` used in records."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- configuration ---------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    id: str
    title: str
    gate: tuple[str, ...]
    active: bool
    final: bool
    description: str = ""


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
        )

    @property
    def stage_ids(self) -> tuple[str, ...]:
        return tuple(stage.id for stage in self.stages)

    def stage(self, stage_id: str) -> Stage | None:
        return next((s for s in self.stages if s.id == stage_id), None)

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


@dataclass(frozen=True)
class ContainmentAction:
    id: str
    action: str
    rollback: str
    at: datetime
    by: str
    state: str  # open, effective, ineffective, rolled-back, made-permanent

    @property
    def settled(self) -> bool:
        return self.state in ("rolled-back", "made-permanent")


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


@dataclass(frozen=True)
class Incident:
    """An incident with its timeline (sorted by time) and its PIR, if any."""

    id: str
    data: dict[str, Any]
    events: tuple[Event, ...] = ()
    pir: dict[str, Any] | None = None

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

    def events_of(self, *kinds: str) -> list[Event]:
        return [event for event in self.events if event.kind in kinds]

    def containment(self) -> list[ContainmentAction]:
        """Containment actions with their latest state from the timeline."""
        actions: dict[str, ContainmentAction] = {}
        for event in self.events:
            if event.kind == "containment":
                d = event.data
                actions[d["id"]] = ContainmentAction(d["id"], d["action"], d["rollback"], event.at, d.get("by", ""), "open")
            elif event.kind == "containment-update" and event.data["action_id"] in actions:
                old = actions[event.data["action_id"]]
                actions[old.id] = ContainmentAction(old.id, old.action, old.rollback, old.at, old.by, event.data["state"])
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


@dataclass(frozen=True)
class KnownError:
    id: str
    data: dict[str, Any]

    @property
    def title(self) -> str:
        return str(self.data["title"])
