"""The lifecycle engine: gates as named guard functions, transitions as a table.

Which guards a stage's exit gate uses, the order of stages and the allowed
backward moves all come from process.yaml; this module only knows what each
named guard means. A stage change at a moment is judged on the incident as
its records say it was then (``Incident.as_of``), so a backdated change
cannot lean on facts recorded after it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from .model import Event, Incident, Process, format_time

Guard = Callable[[Incident, Process], bool]


@dataclass(frozen=True)
class GateItem:
    """One line of a gate checklist."""

    name: str
    description: str
    met: bool
    note: str = ""  # why it is not met although the records hold it now (recorded too late)


def _has(*fields: str) -> Guard:
    def guard(incident: Incident, process: Process) -> bool:
        for dotted_name in fields:
            value: object = incident.data
            for part in dotted_name.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if value in (None, "", [], {}):
                return False
        return True

    return guard


def _any(*guards: Guard) -> Guard:
    return lambda incident, process: any(g(incident, process) for g in guards)


def _events(*kinds: str) -> Guard:
    return lambda incident, process: bool(incident.events_of(*kinds))


def _manager(incident: Incident, process: Process) -> bool:
    return bool(incident.data.get("roles", {}).get(process.manager_role))


def _classified(incident: Incident, process: Process) -> bool:
    d = incident.data
    return bool(d.get("major_reason")) and process.priority(d["impact"], d["urgency"]) == d["priority"]


def _stakeholder_update(incident: Incident, process: Process) -> bool:
    return bool(incident.updates())


def _containment_logged(incident: Incident, process: Process) -> bool:
    return bool(incident.containment()) or bool(incident.data.get("containment_not_possible"))


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


def _closure_communicated(incident: Incident, process: Process) -> bool:
    return any(u.data.get("status") == "resolved" for u in incident.updates())


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
    return all(a.get("status") in ("done", "dropped") for a in actions)


# name -> (what a reviewer reads, guard)
GUARDS: dict[str, tuple[str, Guard]] = {
    "validated": ("incident validated as real (validation.confirmed_by/at)", _has("validation.confirmed_by", "validation.confirmed_at")),
    "classified": ("classified: major_reason given and priority agrees with the matrix", _classified),
    "affected_service": ("at least one affected service", _has("services")),
    "initial_details": ("initial details: summary and impacted users", _has("summary", "impacted_users")),
    "stakeholders_told_classification": ("stakeholders told of the classification (a notification)", _events("notification")),
    "manager_assigned": ("a Major Incident Manager assigned (roles)", _manager),
    "mirt_notified": ("MIRT notified (a notification or escalation on the timeline)", _events("notification", "escalation")),
    "bridge_recorded": ("bridge / war room recorded (bridge.url)", _has("bridge.url")),
    "stakeholder_update": ("a stakeholder update posted", _stakeholder_update),
    "containment_logged": ("a containment action with its rollback, or containment_not_possible", _containment_logged),
    "cause_recorded": ("cause confirmed (or cause.status unknown with a reason)", _cause),
    "resolution_plan": ("a resolution plan", _has("resolution_plan")),
    "fix_implemented": (
        "fix implemented (resolution.implemented_at and change_ref)",
        _has("resolution.implemented_at", "resolution.change_ref"),
    ),
    "stability_observed": ("stability observed (resolution.stable_since)", _has("resolution.stable_since")),
    "resolution_confirmed": (
        "resolution confirmed with users (resolution.confirmed_by/at)",
        _has("resolution.confirmed_by", "resolution.confirmed_at"),
    ),
    "no_open_containment": ("no open containment action (each rolled back or made permanent)", _no_open_containment),
    "dependents_validated": ("dependent services validated (recovery.dependents_validated_at)", _has("recovery.dependents_validated_at")),
    "recovery_communicated": ("recovery recorded and communicated (a stakeholder update after it)", _recovery_communicated),
    "closure_recorded": ("closure details (closure.summary and closure.closed_at)", _has("closure.summary", "closure.closed_at")),
    "closure_communicated": ("closure communicated (a 'resolved' stakeholder update)", _closure_communicated),
    "problem_reference": (
        "a problem reference, or a reason none is needed",
        _any(_has("closure.problem_ref"), _has("closure.no_problem_reason")),
    ),
    "pir_scheduled": ("PIR scheduled with attendees (when the severity requires one)", _pir_scheduled),
    "pir_complete": ("a complete PIR (status complete, meeting, summary, root causes)", _pir_complete),
    "known_errors_updated": ("PIR's known-error updates recorded (or a reason there are none)", _known_errors_updated),
    "actions_settled": ("every PIR action item done or dropped", _actions_settled),
}


def gate(incident: Incident, process: Process, stage_id: str | None = None, now: Incident | None = None) -> list[GateItem]:
    """The exit-gate checklist of ``stage_id`` (default: the current stage), every item.

    With ``now`` (the incident as it is today, when ``incident`` is it as of
    an earlier moment), an item met only today says so.
    """
    stage = process.stage(stage_id or incident.stage)
    if stage is None:
        return []
    items = []
    for name in stage.gate:
        description, guard = GUARDS[name]
        met = guard(incident, process)
        late = not met and now is not None and guard(replace(now, data={**now.data, "stage": incident.stage}), process)
        items.append(GateItem(name, description, met, "on record only later" if late else ""))
    return items


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
        return not self.problems and all(item.met for item in self.gate)


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
