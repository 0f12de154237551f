"""Read-only views of incidents: current state, time in each stage, next gate."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from . import lifecycle
from .model import Incident, Process, format_time


def duration(seconds: float) -> str:
    """``3d 4h``, ``2h 05m``, ``7m``: short and readable."""
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins:02d}m"
    return f"{mins}m"


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
        "containment": [{"id": a.id, "action": a.action, "rollback": a.rollback, "state": a.state} for a in incident.containment()],
        "hypotheses": [{"id": h.id, "text": h.text, "state": h.state} for h in incident.hypotheses()],
        "events": len(incident.events),
        "latest_update": _latest_update(incident),
        "gate": [{"item": i.name, "description": i.description, "met": i.met} for i in gate_items],
        "gate_met": all(i.met for i in gate_items),
    }


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
        f"  detected  {info['detected_at']}",
    ]
    if info["roles"]:
        lines.append("  roles     " + ", ".join(f"{k}: {v}" for k, v in info["roles"].items()))
    if info["bridge"]:
        lines.append(f"  bridge    {info['bridge']}")
    lines.append("")
    lines.append("Stages:")
    for visit in info["stages"]:
        left = visit["left_at"] or "now"
        lines.append(f"  {visit['stage']:<12} {visit['entered_at']} -> {left:<20}  {duration(visit['seconds'])}")
    if info["containment"]:
        lines.append("")
        lines.append("Containment:")
        for action in info["containment"]:
            lines.append(f"  {action['id']}  [{action['state']}] {action['action']}  (rollback: {action['rollback']})")
    if info["hypotheses"]:
        lines.append("")
        lines.append("Hypotheses:")
        for hyp in info["hypotheses"]:
            lines.append(f"  {hyp['id']}  [{hyp['state']}] {hyp['text']}")
    if info["latest_update"]:
        upd = info["latest_update"]
        lines += ["", f"Latest update ({upd['audience']}, {upd['status']}, {upd['at']}): {upd['text']}"]
    if info["gate"]:
        lines.append("")
        verdict = "met" if info["gate_met"] else "not met"
        lines.append(f"Gate to leave {info['stage']} (next: {info['next_stage']}): {verdict}")
        lines += [f"  [{'x' if item['met'] else ' '}] {item['description']}" for item in info["gate"]]
    return "\n".join(lines)


def render_gate_failure(transition: lifecycle.Transition) -> str:
    lines = [f"cannot move from {transition.source} to {transition.target}:"]
    lines += [f"  - {problem}" for problem in transition.problems]
    missing = [item for item in transition.gate if not item.met]
    if missing:
        lines.append(f"  the gate to leave {transition.source} is not met; missing:")
        lines += [
            f"  [ ] {item.description}" + (f" ({item.note}: record the stage change at or after it)" if item.note else "")
            for item in missing
        ]
    return "\n".join(lines)
