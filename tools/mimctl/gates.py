"""The gate items: one registry, most of it declared in process.yaml as conditions over the incident.

A gate item is one entry: its name, the words a reviewer reads, the predicate,
and whether it needs a live response (``live_only``). Most items are
*declared*: conditions over the incident (a field recorded, equal to or one
of some values, an event of a kind, "any of", with an optional ``when``),
written in process.yaml's ``gates`` section, so an organisation adds or
changes one without code. The items that need more than conditions (the
priority matrix, the review, the state of containment actions) are guards in
code. ``STANDARD`` holds the declarations process.yaml starts with, so a
process that declares none still has them; an item declared in process.yaml
replaces the one of the same name. ``lifecycle`` judges them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import events, vocabulary
from .model import ABSENT, Incident, Process, get_path

Check = Callable[[Incident, Process], bool]
Where = tuple[str | int, ...]  # a field path in process.yaml (or incident.yaml), as findings name it


@dataclass(frozen=True)
class Gate:
    """One gate item: the words a reviewer reads, the predicate, whether it needs a live response."""

    name: str
    description: str
    check: Check
    live_only: bool = False
    declaration: Mapping[str, Any] | None = None  # the conditions it is made of (None: a guard in code)
    rule: str = ""  # a guard's rule in words, for the docs (a declaration says its own)


# --- declarative gates: conditions over the incident ----------------------------------


def present(value: Any) -> bool:
    """A field counts as recorded when it holds something: not missing, null, blank or empty."""
    return value is not ABSENT and value is not None and value not in ("", [], {})


def _same(value: Any, wanted: Any) -> bool:
    """Equal, and of the same kind (``true`` is not ``1``)."""
    return bool(value == wanted) and isinstance(value, bool) == isinstance(wanted, bool)


def condition(spec: Mapping[str, Any]) -> Check:
    """The predicate of one condition (the forms are in the process schema's ``condition``)."""
    if "any" in spec:
        parts = [condition(part) for part in spec["any"]]
        return lambda incident, process: any(part(incident, process) for part in parts)
    if "event" in spec:
        kind, fields = spec["event"], dict(spec.get("with") or {})
        return lambda incident, process: any(
            all(_same(e.data.get(k, ABSENT), v) for k, v in fields.items()) for e in incident.events_of(kind)
        )
    path = spec["field"]
    if "equals" in spec:
        wanted = spec["equals"]
        return lambda incident, process: _same(get_path(incident.data, path), wanted)
    if "in" in spec:
        allowed = tuple(spec["in"])
        return lambda incident, process: any(_same(get_path(incident.data, path), v) for v in allowed)
    return lambda incident, process: present(get_path(incident.data, path))


def _all(specs: Sequence[Mapping[str, Any]]) -> Check:
    parts = [condition(spec) for spec in specs]
    return lambda incident, process: all(part(incident, process) for part in parts)


def declared(name: str, declaration: Mapping[str, Any]) -> Gate:
    """A gate item from its declaration: met when its ``when`` conditions do not all hold, or its ``require`` all do."""
    when, require = _all(declaration.get("when") or ()), _all(declaration["require"])
    return Gate(
        name,
        str(declaration["description"]),
        lambda incident, process: not when(incident, process) or require(incident, process),
        bool(declaration.get("live_only", False)),
        declaration,
    )


def _field(*paths: str) -> list[dict[str, Any]]:
    return [{"field": path} for path in paths]


# The declarations process.yaml starts with (the starter's ``gates`` section is this, a test holds them equal).
STANDARD: dict[str, dict[str, Any]] = {
    "validated": {
        "description": "incident validated as real (validation.confirmed_by/at)",
        "live_only": True,
        "require": _field("validation.confirmed_by", "validation.confirmed_at"),
    },
    "affected_service": {"description": "at least one affected service", "require": _field("services")},
    "initial_details": {"description": "initial details: summary and impacted users", "require": _field("summary", "impacted_users")},
    "stakeholders_told_classification": {
        "description": "stakeholders told of the classification (a notification)",
        "live_only": True,
        "require": [{"event": "notification"}],
    },
    "mirt_notified": {
        "description": "MIRT notified (a notification or escalation on the timeline)",
        "live_only": True,
        "require": [{"any": [{"event": "notification"}, {"event": "escalation"}]}],
    },
    "bridge_recorded": {"description": "bridge / war room recorded (bridge.url)", "live_only": True, "require": _field("bridge.url")},
    "stakeholder_update": {
        "description": "a stakeholder update posted",
        "live_only": True,
        "require": [{"event": "stakeholder-update"}],
    },
    "containment_logged": {
        "description": "a containment action with its rollback, or containment_not_possible",
        "require": [{"any": [{"event": "containment"}, {"field": "containment_not_possible"}]}],
    },
    "resolution_plan": {"description": "a resolution plan", "require": _field("resolution_plan")},
    "fix_implemented": {
        "description": "fix implemented (resolution.implemented_at and change_ref)",
        "require": _field("resolution.implemented_at", "resolution.change_ref"),
    },
    "stability_observed": {"description": "stability observed (resolution.stable_since)", "require": _field("resolution.stable_since")},
    "resolution_confirmed": {
        "description": "resolution confirmed with users (resolution.confirmed_by/at)",
        "live_only": True,
        "require": _field("resolution.confirmed_by", "resolution.confirmed_at"),
    },
    "dependents_validated": {
        "description": "dependent services validated (recovery.dependents_validated_at)",
        "live_only": True,
        "require": _field("recovery.dependents_validated_at"),
    },
    "closure_recorded": {
        "description": "closure details (closure.summary and closure.closed_at)",
        "require": _field("closure.summary", "closure.closed_at"),
    },
    "closure_communicated": {
        "description": "closure communicated (a 'resolved' stakeholder update)",
        "live_only": True,
        "require": [{"event": "stakeholder-update", "with": {"status": "resolved"}}],
    },
    "problem_reference": {
        "description": "a problem reference, or a reason none is needed",
        "require": [{"any": _field("closure.problem_ref", "closure.no_problem_reason")}],
    },
}


# --- guards in code: what conditions cannot say ------------------------------------------


def _manager(incident: Incident, process: Process) -> bool:
    return bool(incident.data.get("roles", {}).get(process.manager_role))


def _classified(incident: Incident, process: Process) -> bool:
    d = incident.data
    return bool(d.get("major_reason")) and process.priority(d["impact"], d["urgency"]) == d["priority"]


def _cause(incident: Incident, process: Process) -> bool:
    cause = incident.data.get("cause") or {}
    if cause.get("status") == "confirmed":
        return bool(cause.get("summary")) or any(h.state == "confirmed" for h in incident.hypotheses())
    return cause.get("status") == "unknown" and bool(cause.get("unknown_reason"))


def _no_open_containment(incident: Incident, process: Process) -> bool:
    return all(action.settled for action in incident.containment())


def _recovery_communicated(incident: Incident, process: Process) -> bool:
    recovered = incident.events_of("recovery")
    if not recovered:
        return False
    return any(u.at >= recovered[0].at for u in incident.updates())


def _pir_scheduled(incident: Incident, process: Process) -> bool:
    severity = process.severity(incident.severity)
    pir = incident.data.get("pir") or {}
    if pir.get("scheduled_at") and pir.get("attendees"):
        return True
    return not (severity and severity.pir_required) or bool(pir.get("not_required_reason"))


def _pir_complete(incident: Incident, process: Process) -> bool:
    pir = incident.pir
    if pir is None:
        return bool((incident.data.get("pir") or {}).get("not_required_reason"))
    return pir.get("status") == "complete" and bool(pir.get("meeting")) and bool(pir.get("root_causes")) and bool(pir.get("summary"))


def _known_errors_updated(incident: Incident, process: Process) -> bool:
    pir = incident.pir
    if pir is None:
        return bool((incident.data.get("pir") or {}).get("not_required_reason"))
    return bool(pir.get("known_errors")) or bool(pir.get("no_known_error_reason"))


def _actions_settled(incident: Incident, process: Process) -> bool:
    actions = (incident.pir or {}).get("actions", [])
    return all(vocabulary.action_settled(a.get("status", "")) for a in actions)


_GUARDS = (
    Gate(
        "classified",
        "classified: major_reason given and priority agrees with the matrix",
        _classified,
        rule="`major_reason` is given and `priority` agrees with the matrix for `impact` x `urgency`",
    ),
    Gate(
        "manager_assigned",
        "a Major Incident Manager assigned (roles)",
        _manager,
        live_only=True,
        rule="the role named by `manager_role` has a holder in `roles`",
    ),
    Gate(
        "cause_recorded",
        "cause confirmed (or cause.status unknown with a reason)",
        _cause,
        rule="`cause.status` is `confirmed` with a `cause.summary` or a confirmed hypothesis; or `unknown` with `cause.unknown_reason`",
    ),
    Gate(
        "no_open_containment",
        "no open containment action (each rolled back or made permanent)",
        _no_open_containment,
        rule="every containment action is rolled back or made permanent",
    ),
    Gate(
        "recovery_communicated",
        "recovery recorded and communicated (a stakeholder update after it)",
        _recovery_communicated,
        live_only=True,
        rule="a `recovery` event, and a stakeholder update at or after the first one",
    ),
    Gate(
        "pir_scheduled",
        "PIR scheduled with attendees (when the severity requires one)",
        _pir_scheduled,
        rule="`pir.scheduled_at` and `pir.attendees` are set; or the severity has no `pir_required`; or `pir.not_required_reason` is set",
    ),
    Gate(
        "pir_complete",
        "a complete PIR (status complete, meeting, summary, root causes)",
        _pir_complete,
        rule="pir.yaml has status `complete`, a `meeting`, a `summary` and `root_causes`; "
        "or there is no pir.yaml and `pir.not_required_reason` is set",
    ),
    Gate(
        "known_errors_updated",
        "PIR's known-error updates recorded (or a reason there are none)",
        _known_errors_updated,
        rule="pir.yaml lists `known_errors` or gives `no_known_error_reason`; or there is no pir.yaml and `pir.not_required_reason` is set",
    ),
    Gate(
        "actions_settled",
        "every PIR action item done or dropped",
        _actions_settled,
        rule="every action item in pir.yaml is `done` or `dropped`",
    ),
)

# The registry: every gate item mimctl knows without a declaration in process.yaml.
GATES: dict[str, Gate] = {
    **{name: declared(name, declaration) for name, declaration in STANDARD.items()},
    **{guard.name: guard for guard in _GUARDS},
}


def gates_of(process: Process) -> dict[str, Gate]:
    """Every gate item ``process`` can name: the registry, with process.yaml's declarations in place of any of the same name."""
    return {**GATES, **{name: declared(name, declaration) for name, declaration in process.gates.items()}}


def unknown(name: str) -> Gate:
    return Gate(name, f"unknown gate item {name!r} (declare it in process.yaml's gates)", lambda incident, process: False)


def definition(process: Process, name: str) -> Mapping[str, Any] | str | None:
    """What ``name`` means in ``process``: its declaration, the name of its guard in code, or None (unknown)."""
    found = gates_of(process).get(name)
    if found is None:
        return None
    return found.declaration if found.declaration is not None else f"guard {name}"


# --- process.yaml: what its schema cannot say about gates -----------------------------------------


def _condition_problems(spec: Any, where: Where, process: Process) -> Iterator[tuple[Where, str]]:
    if not isinstance(spec, Mapping):
        return
    if isinstance(spec.get("any"), list):
        for index, part in enumerate(spec["any"]):
            yield from _condition_problems(part, (*where, "any", index), process)
    elif isinstance(spec.get("event"), str):
        kind = events.KINDS.get(spec["event"])
        if kind is None:
            yield (*where, "event"), f"unknown event kind {spec['event']!r}; kinds: {', '.join(events.KINDS)}"
            return
        for key in spec.get("with") or {}:
            if key not in (*kind.fields, *events.COMMON_FIELDS):
                yield (*where, "with", key), f"a {kind.name} event has no field {key!r}; it has: {', '.join(kind.fields) or 'none'}"
    elif isinstance(spec.get("field"), str):
        path = spec["field"]
        if not vocabulary.has_field("incident", path):
            yield (*where, "field"), f"incident.yaml has no field {path!r}"
            return
        allowed = _allowed_values(path, process)
        wanted = [("equals", spec["equals"])] if "equals" in spec else [("in", v) for v in spec.get("in") or ()]
        for index, (key, value) in enumerate(wanted):
            if allowed is not None and not any(_same(value, a) for a in allowed):
                place: Where = (*where, key) if key == "equals" else (*where, key, index)
                yield place, f"{path} is never {value!r}; it is one of: {', '.join(map(str, allowed))}"


def _allowed_values(path: str, process: Process) -> tuple[Any, ...] | None:
    """The values a field may take in this process (None: any)."""
    table: dict[str, tuple[Any, ...]] = {
        "severity": tuple(s.id for s in process.severities),
        "impact": process.impacts,
        "urgency": process.urgencies,
        "priority": tuple(sorted({p for row in process.priority_matrix.values() for p in row.values()})),
        "stage": process.stage_ids,
    }
    return table.get(path)


def process_problems(process: Process) -> list[tuple[Where, str]]:
    """Gate items no stage can use (unknown names) and declared conditions that can never mean what they say."""
    known = gates_of(process)
    out: list[tuple[Where, str]] = []
    for number, stage in enumerate(process.stages):
        for index, name in enumerate(stage.gate):
            if name not in known:
                message = f"unknown gate item {name!r}: declare it under gates, or use one of {', '.join(GATES)}"
                out.append((("stages", number, "gate", index), message))
    for name, declaration in process.gates.items():
        for part in ("when", "require"):
            for index, spec in enumerate(declaration.get(part) or ()):
                out += _condition_problems(spec, ("gates", name, part, index), process)
    return out
