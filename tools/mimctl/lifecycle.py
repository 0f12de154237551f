"""The lifecycle engine: gates as one registry, transitions as a table.

A gate item is one entry: its name, the words a reviewer reads, the predicate,
and whether it needs a live response (``live_only``). Most items are
*declarative*: conditions over the incident (a field present, equal to or one
of some values, an event of a kind, "any of"), written in process.yaml's
``gates`` section; an organisation adds or changes one there, without code.
The items that need more than conditions (the priority matrix, the review, the
state of containment actions) are guards in code. ``STANDARD`` holds the
declarations process.yaml starts with, so a process that declares none still
has them; a gate declared in process.yaml replaces one of the same name.

Which items a stage's exit gate uses, the order of stages and the allowed
backward moves come from process.yaml. A stage change at a moment is judged on
the incident as its records say it was then (``Incident.as_of``), so a
backdated change cannot lean on facts recorded after it; that holds for
declarative gates too, as they read the same incident.

An incident recorded after the fact (``retrospective``) may be exempt from an
unmet live-only item when ``retrospective.exemptions.<item>`` gives the
reason: a ``GateItem`` is met, not met, or exempt, and exempt never blocks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from . import events, vocabulary
from .model import ABSENT, Event, Incident, Process, format_time, get_path

Check = Callable[[Incident, Process], bool]
Where = tuple[str | int, ...]  # a field path in process.yaml (or incident.yaml), as findings name it
MET, NOT_MET, EXEMPT = "met", "not met", "exempt"


@dataclass(frozen=True)
class Gate:
    """One gate item: the words a reviewer reads, the predicate, whether it needs a live response."""

    name: str
    description: str
    check: Check
    live_only: bool = False
    declaration: Mapping[str, Any] | None = None  # the conditions it is made of (None: a guard in code)
    rule: str = ""  # a guard's rule in words, for the docs (a declaration says its own)


@dataclass(frozen=True)
class GateItem:
    """One line of a gate checklist: met, not met, or exempt (with the reason)."""

    name: str
    description: str
    met: bool
    note: str = ""  # why it is not met although the records hold it now (recorded too late), or why it is not exempt
    exempt: str = ""  # the retrospective's reason this unmet item need not be met
    live_only: bool = False

    @property
    def holds(self) -> bool:
        """Met or exempt: it does not block the move."""
        return self.met or bool(self.exempt)

    @property
    def status(self) -> str:
        return MET if self.met else EXEMPT if self.exempt else NOT_MET

    def as_dict(self) -> dict[str, Any]:
        """The item as plain data (``show --format json``): ``exempt`` only when it is."""
        return {"item": self.name, "description": self.description, "met": self.met, **({"exempt": self.exempt} if self.exempt else {})}


def checklist_line(item: Mapping[str, Any]) -> str:
    """One checklist line of an item's data (``GateItem.as_dict``): ``[x]`` met, ``[-]`` exempt (with why), ``[ ]`` not met."""
    if item.get("met"):
        return f"[x] {item['description']}"
    if item.get("exempt"):
        return f"[-] {item['description']} (exempt: {item['exempt']})"
    return f"[ ] {item['description']}"


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


def _unknown(name: str) -> Gate:
    return Gate(name, f"unknown gate item {name!r} (declare it in process.yaml's gates)", lambda incident, process: False)


def definition(process: Process, name: str) -> Mapping[str, Any] | str | None:
    """What ``name`` means in ``process``: its declaration, the name of its guard in code, or None (unknown)."""
    found = gates_of(process).get(name)
    if found is None:
        return None
    return found.declaration if found.declaration is not None else f"guard {name}"


# --- exemptions of an incident recorded after the fact ----------------------------------------


def exemptions(incident: Incident) -> dict[str, str]:
    """``retrospective.exemptions`` of an incident recorded after the fact: gate item -> the reason it need not be met."""
    retrospective = incident.data.get("retrospective")
    given = retrospective.get("exemptions") if isinstance(retrospective, dict) else None
    if not isinstance(given, dict):
        return {}
    return {str(name): reason for name, reason in given.items() if isinstance(reason, str) and reason.strip()}


def exemption_problems(data: Mapping[str, Any], process: Process) -> list[tuple[Where, str]]:
    """Exemptions in incident.yaml that can exempt nothing: an unknown gate item, or one that needs no live response."""
    retrospective = data.get("retrospective")
    given = retrospective.get("exemptions") if isinstance(retrospective, dict) else None
    if not isinstance(given, dict):
        return []
    known = gates_of(process)
    used = {name for stage in process.stages for name in stage.gate}
    out: list[tuple[Where, str]] = []
    for name in given:
        where: Where = ("retrospective", "exemptions", name)
        if name not in known or name not in used:
            out.append((where, f"no stage's gate has an item {name!r}: this exempts nothing"))
        elif not known[name].live_only:
            out.append((where, f"{name!r} does not need a live response (live_only): a retrospective incident must meet it"))
    return out


# --- the checklist ---------------------------------------------------------------------------


def gate(incident: Incident, process: Process, stage_id: str | None = None, now: Incident | None = None) -> list[GateItem]:
    """The exit-gate checklist of ``stage_id`` (default: the current stage), every item.

    With ``now`` (the incident as it is today, when ``incident`` is it as of
    an earlier moment), an item met only today says so. Exemptions are read
    from the incident as it is today: they describe the record, not the response.
    """
    stage = process.stage(stage_id or incident.stage)
    if stage is None:
        return []
    known = gates_of(process)
    current = now if now is not None else incident
    exempt = exemptions(current) if current.data.get("retrospective") else {}
    items = []
    for name in stage.gate:
        entry = known.get(name) or _unknown(name)
        met = entry.check(incident, process)
        note, reason = "", ""
        if not met and now is not None and entry.check(replace(now, data={**now.data, "stage": incident.stage}), process):
            note = "on record only later"
        if not met and name in exempt:
            if entry.live_only:
                reason = exempt[name]
            else:
                note = note or "not exempt: it does not need a live response"
        items.append(GateItem(name, entry.description, met, note, reason, entry.live_only))
    return items


def exempted(items: Sequence[GateItem]) -> dict[str, str]:
    """The exempt items of a checklist and their reasons (what a stage event records)."""
    return {item.name: item.exempt for item in items if not item.met and item.exempt}


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


# --- transitions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    """A requested stage change, judged."""

    source: str
    target: str
    skipped: tuple[str, ...]
    backward: bool
    problems: tuple[str, ...]
    gate: tuple[GateItem, ...]

    @property
    def allowed(self) -> bool:
        return not self.problems and all(item.holds for item in self.gate)

    @property
    def exempt(self) -> dict[str, str]:
        """The gate items this move is exempt from, and why."""
        return exempted(self.gate)


def judge(
    incident: Incident,
    process: Process,
    target: str | None,
    reason: str | None,
    at: datetime | None = None,
    untimed: Mapping[str, tuple[datetime, Any]] | None = None,
    event: Event | None = None,
    entered_at: datetime | None = None,
) -> Transition:
    """Whether ``incident`` may move to ``target`` (default: the next stage), and why not.

    With ``at``, the move is judged as of that moment: the gate on the facts
    recorded at or before it (``untimed`` dates facts no event records;
    ``event`` is the stage event being judged, left out of its own gate; it
    may not be dated before ``entered_at``, when the incident entered its
    stage: by default, its last stage event). A blank reason counts as none.
    """
    ids = process.stage_ids
    source = incident.stage
    problems: list[str] = []
    if reason is not None and not reason.strip():
        problems.append("the reason is blank: say why (or give none)")
        reason = None
    if source not in ids:
        return Transition(source, target or "?", (), False, (f"unknown current stage {source!r}",), ())
    if target is None:
        target = process.next_stage(source)
        if target is None:
            return Transition(source, source, (), False, (f"{source!r} is the last stage",), ())
    if target not in ids:
        return Transition(source, target, (), False, (f"unknown stage {target!r}; stages: {', '.join(ids)}",), ())
    then, now = incident, None
    if at is not None:
        if entered_at is None and event is None:
            entered_at = max((e.at for e in incident.events_of("stage")), default=None)
        if entered_at is not None and entered_at > at:
            problems.append(
                f"the incident entered {source!r} at {format_time(entered_at)}, after {format_time(at)}: "
                "a stage change cannot be dated before the one it follows"
            )
        past = incident.as_of(at, untimed, before=event)
        then, now = replace(past, data={**past.data, "stage": source}), incident
    here, there = ids.index(source), ids.index(target)
    if there == here:
        return Transition(source, target, (), False, (*problems, f"the incident is already in {target!r}"), ())
    if there < here:
        if target not in process.reopen.get(source, ()):
            allowed = ", ".join(process.reopen.get(source, ())) or "none"
            problems.append(f"moving back from {source!r} to {target!r} is not allowed (allowed: {allowed})")
        elif not reason:
            problems.append("moving back to an earlier stage needs --reason")
        return Transition(source, target, (), True, tuple(problems), ())
    skipped = ids[here + 1 : there]
    if skipped and not reason:
        problems.append(f"skipping {', '.join(skipped)} needs --reason")
    return Transition(source, target, skipped, False, tuple(problems), tuple(gate(then, process, source, now)))
