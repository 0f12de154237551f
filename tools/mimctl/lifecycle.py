"""The lifecycle engine: a stage's gate as a checklist, transitions as a table.

Which items a stage's exit gate uses (``gates`` says what each means), the
order of stages and the allowed backward moves come from process.yaml. A
stage change at a moment is judged on the incident as its records say it was
then (``Incident.as_of``), so a backdated change cannot lean on facts
recorded after it; that holds for declared gate items too, as they read the
same incident.

An incident recorded after the fact (``retrospective``) may be exempt from an
unmet live-only item when ``retrospective.exemptions.<item>`` gives the
reason: a ``GateItem`` is met, not met, or exempt, and exempt never blocks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from .gates import Where, gates_of, unknown
from .model import Event, Incident, Process, format_time

MET, NOT_MET, EXEMPT = "met", "not met", "exempt"


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
    exempt = exemptions(now if now is not None else incident)
    items = []
    for name in stage.gate:
        entry = known.get(name) or unknown(name)
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
