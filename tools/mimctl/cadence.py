"""Communication cadence: when each audience's next stakeholder update is due, and who to nudge when it is late.

process.yaml's ``communication.cadence`` says how often each audience hears
(per priority or severity). The next update is due ``every_minutes`` after the
last one for that audience (or after declaration); while an active incident's
update is overdue, the scheduled ``mimctl escalate`` records one
``update-reminder`` event for the communications lead, and once more (level 1)
for ``escalate_to`` and the incident manager if it is still overdue
``escalate_after_minutes`` after the reminder. The timeline is the memory: a
reminder names the due time it is about, so a rerun never repeats it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .model import Event, Incident, Process, format_time, parse_time

REMINDER = "update-reminder"


@dataclass(frozen=True)
class UpdateDue:
    """One audience's next stakeholder update: when the last one was, and when the next is due."""

    audience: str
    every_minutes: int
    last_at: datetime | None
    due_at: datetime

    def as_dict(self) -> dict[str, object]:
        return {
            "audience": self.audience,
            "every_minutes": self.every_minutes,
            "last_at": format_time(self.last_at) if self.last_at else None,
            "due_at": format_time(self.due_at),
        }


@dataclass(frozen=True)
class Nudge:
    """A reminder (level 0) or its escalation (level 1) due for one overdue update."""

    incident_id: str
    audience: str
    due_at: datetime
    level: int
    to: tuple[str, ...]
    reason: str


def declared_at(incident: Incident) -> datetime:
    """When the incident was declared (the field, else the declared event, else detection)."""
    value = incident.data.get("declared_at")
    if value:
        return parse_time(str(value))
    declared = incident.events_of("declared")
    return declared[0].at if declared else incident.detected_at


def updates_due(incident: Incident, process: Process, now: datetime) -> list[UpdateDue]:
    """Each audience's next update as the records stand at ``now``, soonest first; [] when no cadence applies."""
    stage = process.stage(incident.stage)
    if stage is None or not stage.active or incident.data.get("retrospective"):
        return []
    start = declared_at(incident)
    if now < start:
        return []
    priority = incident.data.get("priority")
    rules = process.comms.communication.rules_for(priority if isinstance(priority, int) else None, incident.severity)
    found = []
    for audience, rule in rules.items():
        updates = [e for e in incident.updates(audience) if e.at <= now]
        last = updates[-1].at if updates else None
        found.append(UpdateDue(audience, rule.every_minutes, last, (last or start) + timedelta(minutes=rule.every_minutes)))
    return sorted(found, key=lambda due: (due.due_at, due.audience))


def next_update_due(incident: Incident, process: Process, now: datetime) -> datetime | None:
    """When the next stakeholder update (for any audience) is due; None when no cadence applies."""
    due = updates_due(incident, process, now)
    return due[0].due_at if due else None


def _reminders(incident: Incident, audience: str, due_at: datetime) -> dict[int, Event]:
    found: dict[int, Event] = {}
    for event in incident.events_of(REMINDER):
        data = event.data
        if data.get("audience") == audience and data.get("due_at") and parse_time(str(data["due_at"])) == due_at:
            found.setdefault(int(data.get("level", 0)), event)
    return found


def _people(incident: Incident, process: Process, *roles: str) -> list[str]:
    assigned = incident.data.get("roles") or {}
    return [str(assigned[role]) for role in roles if assigned.get(role)]


def _policy_level(incident: Incident, process: Process, level: int) -> list[str]:
    severity = process.severity(incident.severity)
    levels = process.escalation_policies.get((severity.escalation_policy if severity else None) or "", ())
    return [str(person) for person in levels[min(level, len(levels) - 1)]["notify"]] if levels else []


def nudges(incident: Incident, process: Process, now: datetime) -> list[Nudge]:
    """The reminders and escalations due at ``now`` for the incident's overdue updates (none twice)."""
    plan = process.comms.communication
    found = []
    for due in updates_due(incident, process, now):
        if now < due.due_at:
            continue
        done = _reminders(incident, due.audience, due.due_at)
        late = f"{due.audience} update due {format_time(due.due_at)} (every {due.every_minutes} minutes)"
        if 0 not in done:
            lead = _people(incident, process, plan.lead_role) or _people(incident, process, process.manager_role)
            to = lead or list(plan.remind) or _policy_level(incident, process, 0)
            found.append(Nudge(incident.id, due.audience, due.due_at, 0, tuple(dict.fromkeys(to)), f"{late} is overdue"))
        elif 1 not in done and now >= done[0].at + timedelta(minutes=plan.escalate_after_minutes):
            to = [*plan.escalate_to, *_people(incident, process, process.manager_role)] or _policy_level(incident, process, 1)
            reason = f"{late} is still overdue {plan.escalate_after_minutes} minutes after the reminder"
            found.append(Nudge(incident.id, due.audience, due.due_at, 1, tuple(dict.fromkeys(to)), reason))
    return [nudge for nudge in found if nudge.to]
