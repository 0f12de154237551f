"""Read-only views of incidents: current state, time in each stage, next gate."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from . import cadence, lifecycle, milestones
from .formatting import duration as duration  # one duration format; the site imports it from here
from .model import Incident, Process, format_time
from .timing import Known


def describe(incident: Incident, process: Process, now: datetime | None = None) -> dict[str, Any]:
    """Everything ``show`` reports, as plain data (the JSON output)."""
    now = now or datetime.now(timezone.utc)
    first = process.stage_ids[0]
    visits = incident.stage_history(first)
    time_in: dict[str, float] = {}
    for visit in visits:
        end = visit.left or now
        time_in[visit.stage] = time_in.get(visit.stage, 0.0) + max(0.0, (end - visit.entered).total_seconds())
    stage = process.stage(incident.stage)
    gate_items = lifecycle.gate(incident, process) if stage and not stage.final else []
    d = incident.data
    timeline = milestones.timeline(incident, process)
    return {
        "id": incident.id,
        "title": incident.title,
        "stage": incident.stage,
        "stage_title": stage.title if stage else incident.stage,
        "next_stage": process.next_stage(incident.stage),
        "severity": incident.severity,
        "priority": d["priority"],
        "impact": d["impact"],
        "urgency": d["urgency"],
        "services": list(incident.services),
        "visibility": d.get("visibility", "internal"),
        "detected_at": d["detected_at"],
        "started_at": d.get("started_at"),
        "declared_at": d.get("declared_at"),
        "times": {path: _known(incident.time(path)) for path in ("started_at", "detected_at", "declared_at")},
        "retrospective": d.get("retrospective"),
        **timeline.as_dict(),
        "milestone_titles": {m.id: m.title for m in timeline.definitions.milestones},  # reached or not
        "roles": d.get("roles", {}),
        "bridge": (d.get("bridge") or {}).get("url"),
        "stage_changes": incident.stage_changes(),
        "stages": [
            {
                "stage": v.stage,
                "entered_at": format_time(v.entered),
                "left_at": format_time(v.left) if v.left else None,
                "seconds": round(((v.left or now) - v.entered).total_seconds()),
            }
            for v in visits
        ],
        "time_in_stage_seconds": {k: round(v) for k, v in time_in.items()},
        "containment": [
            {
                "id": a.id,
                "action": a.action,
                "rollback": a.rollback,
                "irreversible": a.irreversible or None,
                "state": a.state,
                "settled": a.settled,
                "effective_at": format_time(a.effective_at) if a.effective_at else None,
            }
            for a in incident.containment()
        ],
        "hypotheses": [{"id": h.id, "text": h.text, "state": h.state} for h in incident.hypotheses()],
        "impacted": d.get("impacted_users"),
        "data_loss": d.get("data_loss"),
        "cause": d.get("cause"),
        "resolution": d.get("resolution"),
        "recovery": d.get("recovery"),
        "closure": d.get("closure"),
        "events": len(incident.events),
        "latest_update": _latest_update(incident),
        **next_updates(incident, process, now),
        "gate": [i.as_dict() for i in gate_items],
        "gate_met": all(i.holds for i in gate_items),
    }


def _known(known: Known | None) -> dict[str, Any] | None:
    return known.as_dict() if known is not None else None


def next_updates(incident: Incident, process: Process, now: datetime) -> dict[str, Any]:
    """When each audience's next stakeholder update is due (the communication plan), and the soonest."""
    due = cadence.updates_due(incident, process, now)
    return {
        "next_update_due": format_time(due[0].due_at) if due else None,
        "updates_due": [{**d.as_dict(), "overdue": now >= d.due_at} for d in due],
    }


def next_update_text(info: dict[str, Any], now: datetime | None = None) -> str:
    """``internal update due 09:30Z (in 12m)`` or ``… (overdue 5m)``; '' when no cadence applies."""
    if not info.get("updates_due"):
        return ""
    now = now or datetime.now(timezone.utc)
    first = info["updates_due"][0]
    due = datetime.fromisoformat(first["due_at"].replace("Z", "+00:00"))
    seconds = (due - now).total_seconds()
    when = f"overdue {duration(-seconds)}" if seconds <= 0 else f"in {duration(seconds)}"
    return f"{first['audience']} update due {first['due_at']} ({when})"


def list_row(incident: Incident, process: Process, now: datetime | None = None) -> dict[str, Any]:
    """One incident as ``mimctl list`` shows it."""
    now = now or datetime.now(timezone.utc)
    return {
        "id": incident.id,
        "title": incident.title,
        "stage": incident.stage,
        "severity": incident.severity,
        "priority": incident.data["priority"],
        "services": list(incident.services),
        "detected_at": incident.data["detected_at"],
        **next_updates(incident, process, now),
    }


def render_list_row(row: dict[str, Any], now: datetime | None = None) -> str:
    """The text line of one ``list_row``."""
    line = f"  {row['id']}  {row['severity']:<5} P{row['priority']}  {row['title']}  [{', '.join(row['services'])}]"
    due = next_update_text(row, now)
    return f"{line}  next: {due}" if due else line


def _latest_update(incident: Incident) -> dict[str, Any] | None:
    updates = incident.updates()
    if not updates:
        return None
    last = updates[-1]
    return {"at": format_time(last.at), "status": last.data["status"], "audience": last.data["audience"], "text": last.text}


def render_show(info: dict[str, Any]) -> str:
    """The text form of ``describe``."""
    lines = [
        f"{info['id']}  {info['title']}",
        f"  stage     {info['stage']} ({info['stage_title']})",
        f"  severity  {info['severity']}  priority P{info['priority']}  (impact {info['impact']}, urgency {info['urgency']})",
        f"  services  {', '.join(info['services'])}",
    ]
    if info.get("retrospective"):
        lines.append(f"  recorded after the fact: {info['retrospective'].get('reason', '')}")
        lines += [f"    source: {url}" for url in info["retrospective"].get("sources", ())]
    if info["roles"]:
        lines.append("  roles     " + ", ".join(f"{k}: {v}" for k, v in info["roles"].items()))
    if info["bridge"]:
        lines.append(f"  bridge    {info['bridge']}")
    lines.append("")
    lines.append("Milestones:")
    for key, reached in info["milestones"].items():
        when = f"{reached['text']}  ({reached['source']})" if reached else "-"
        lines.append(f"  {info['milestone_titles'].get(key, key):<16} {when}")
    lines.append("")
    lines.append("Durations:")
    for key, measured in info["durations"].items():
        lines.append(f"  {measured.get('title', key):<22} {_measured_text(measured)}")
    lines.append("")
    lines.append("Stages:")
    for visit in info["stages"]:
        left = visit["left_at"] or "now"
        lines.append(f"  {visit['stage']:<12} {visit['entered_at']} -> {left:<20}  {duration(visit['seconds'])}")
    if info["containment"]:
        lines.append("")
        lines.append("Containment:")
        for action in info["containment"]:
            undo = f"irreversible: {action['irreversible']}" if action.get("irreversible") else f"rollback: {action['rollback']}"
            lines.append(f"  {action['id']}  [{action['state']}] {action['action']}  ({undo})")
    if info["hypotheses"]:
        lines.append("")
        lines.append("Hypotheses:")
        for hyp in info["hypotheses"]:
            lines.append(f"  {hyp['id']}  [{hyp['state']}] {hyp['text']}")
    if info["latest_update"]:
        upd = info["latest_update"]
        lines += ["", f"Latest update ({upd['audience']}, {upd['status']}, {upd['at']}): {upd['text']}"]
    for due in info.get("updates_due", ()):
        state = "OVERDUE" if due["overdue"] else "due"
        lines.append(f"Next {due['audience']} update {state} by {due['due_at']} (every {due['every_minutes']} minutes)")
    if info["gate"]:
        lines.append("")
        verdict = "met" if info["gate_met"] else "not met"
        lines.append(f"Gate to leave {info['stage']} (next: {info['next_stage']}): {verdict}")
        lines += [f"  {lifecycle.checklist_line(item)}" for item in info["gate"]]
    return "\n".join(lines)


def _measured_text(measured: dict[str, Any]) -> str:
    if measured["seconds"] is None:
        return f"- ({measured.get('missing', 'not reached')})"
    if not measured["approximate"]:
        return duration(measured["seconds"])
    if "min_seconds" in measured:
        return (
            f"about {duration(measured['seconds'])} (between {duration(measured['min_seconds'])} and {duration(measured['max_seconds'])})"
        )
    return f"about {duration(measured['seconds'])}"


def render_gate_failure(transition: lifecycle.Transition) -> str:
    lines = [f"cannot move from {transition.source} to {transition.target}:"]
    lines += [f"  - {problem}" for problem in transition.problems]
    missing = [item for item in transition.gate if not item.holds]
    if missing:
        lines.append(f"  the gate to leave {transition.source} is not met; missing:")
        lines += [
            f"  [ ] {item.description}" + (f" ({item.note}: record the stage change at or after it)" if item.note else "")
            for item in missing
        ]
    return "\n".join(lines)


def list_rows(
    incidents: Iterable[Incident], process: Process, *, show_all: bool = False, stages: Sequence[str] = (), severities: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """What ``list`` reports: the open incidents (all with ``show_all``), by stage in process order, most severe first."""
    order = {s.id: i for i, s in enumerate(process.severities)}
    rows = []
    for inc in incidents:
        stage = process.stage(inc.stage)
        if (
            (stage and stage.final and not show_all)
            or (stages and inc.stage not in stages)
            or (severities and inc.severity not in severities)
        ):
            continue
        rows.append(list_row(inc, process))
    stage_index = {s: i for i, s in enumerate(process.stage_ids)}
    rows.sort(key=lambda r: (stage_index.get(r["stage"], 99), order.get(r["severity"], 99), r["id"]))
    return rows


def render_list(rows: Sequence[dict[str, Any]], invalid: Sequence[str] = ()) -> str:
    """The text form of ``list_rows``: grouped by stage; the incidents left out because their records are invalid."""
    lines = []
    current = None
    for row in rows:
        if row["stage"] != current:
            current = row["stage"]
            lines.append(f"{current}:")
        lines.append(render_list_row(row))
    if not rows:
        lines.append("no open incidents")
    if invalid:
        lines.append(f"not shown (invalid records; run mimctl validate): {', '.join(invalid)}")
    return "\n".join(lines)
