"""Escalation: which unacknowledged active incidents are due for their next level, and which late updates to chase, given a clock.

The escalation path is data (process.yaml ``escalation_policies``, chosen by
the incident's severity). Level 0 is due at declaration; level n+1 once level
n's ``ack_within_minutes`` have passed since level n was reached, without an
ack. The timeline is the memory: the last ``escalation`` event with a level
says which level was reached and when, so a rerun never repeats a level.
Overdue stakeholder updates (cadence.py) are chased the same way, with
``update-reminder`` events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from . import cadence
from .cadence import Nudge, declared_at
from .heads import active_incidents
from .model import Incident, Process, format_time
from .store import Tracker
from .transaction import Change
from .usecases.notify import escalated
from .usecases.records import load_incident, record

__all__ = [
    "Nudge",
    "Recorded",
    "Step",
    "declared_at",
    "due_step",
    "due_now",
    "change_for",
    "record_due",
    "reminder_change",
    "unsent_candidates",
]


@dataclass(frozen=True)
class Step:
    """The escalation due for one incident: the level to reach and whom it notifies."""

    incident_id: str
    policy: str
    level: int
    to: tuple[str, ...]
    due_at: datetime
    reason: str


def acknowledged(incident: Incident) -> bool:
    """Someone acknowledged the incident (the ``ack`` command, or a hand edit of escalation.acknowledged_at)."""
    recorded = incident.data.get("escalation") or {}
    return bool(recorded.get("acknowledged_at")) or bool(incident.events_of("ack"))


def reached(incident: Incident) -> tuple[int, datetime | None]:
    """The last level reached and when (from the timeline); (-1, None) before any escalation."""
    levels = [e for e in incident.events_of("escalation") if isinstance(e.data.get("level"), int)]
    if not levels:
        return -1, None
    last = levels[-1]
    return int(last.data["level"]), last.at


def due_step(incident: Incident, process: Process, now: datetime) -> Step | None:
    """The next level if it is due at ``now``; None when acknowledged, inactive, at the top, or not yet due."""
    stage = process.stage(incident.stage)
    severity = process.severity(incident.severity)
    if stage is None or not stage.active or severity is None or acknowledged(incident):
        return None
    policy_id = severity.escalation_policy
    levels = process.escalation_policies.get(policy_id or "")
    if not policy_id or not levels:
        return None
    level, at = reached(incident)
    target = level + 1
    if target >= len(levels):
        return None
    if at is None:
        due, reason = declared_at(incident), f"escalation policy {policy_id} starts at declaration"
    else:
        minutes = int(levels[level]["ack_within_minutes"])
        due = at + timedelta(minutes=minutes)
        reason = f"not acknowledged within {minutes} minutes of level {level}"
    if now < due:
        return None
    return Step(incident.id, policy_id, target, tuple(levels[target]["notify"]), due, reason)


def due_now(tracker: Tracker, now: datetime) -> tuple[list[Step | Nudge], list[str]]:
    """Due escalation steps and update reminders for every incident in the tracker, and the incidents that could not be read."""
    due: list[Step | Nudge] = []
    problems = []
    process = tracker.process
    for incident_id in active_incidents(tracker):  # heads pick the active ones out of the history
        bundle = tracker.load_bundle(incident_id)
        if bundle.model is None:
            problems.append(f"{incident_id}: records are invalid, not escalated (run mimctl validate)")
            continue
        if bundle.model.data.get("retrospective"):
            continue  # recorded after the fact: nobody is paged or reminded
        step = due_step(bundle.model, process, now)
        if step is not None:
            due.append(step)
        due += cadence.nudges(bundle.model, process, now)
    return due, problems


def change_for(tracker: Tracker, incident: Incident, step: Step, now: datetime, by: str) -> Change:
    """The escalation event and the escalation.level/policy edits, as one change (the one escalation builder: usecases.notify)."""
    text = f"Escalated to level {step.level}: {step.reason}."
    return escalated(tracker, incident, step.to, now, by, level=step.level, policy=step.policy, text=text)


def reminder_change(tracker: Tracker, incident: Incident, nudge: Nudge, now: datetime, by: str) -> Change:
    """The ``update-reminder`` event for one overdue update (level 0 reminds, level 1 escalates), as one change."""
    verb = "remind" if nudge.level == 0 else "escalate overdue update to"
    text = f"{nudge.reason}: {'reminding' if nudge.level == 0 else 'escalated to'} {', '.join(nudge.to)}."
    change = record(
        tracker,
        incident,
        cadence.REMINDER,
        now,
        by,
        f"{verb} {', '.join(nudge.to)} ({nudge.audience} update due {format_time(nudge.due_at)})",
        {"audience": nudge.audience, "due_at": format_time(nudge.due_at), "level": nudge.level, "to": list(nudge.to), "text": text},
        trailers={"Update-Reminder": f"{nudge.audience} {format_time(nudge.due_at)} level {nudge.level}"},
    )
    change.summary.update({"audience": nudge.audience, "due_at": format_time(nudge.due_at), "level": nudge.level, "to": list(nudge.to)})
    return change


def unsent_candidates(tracker: Tracker) -> list[str]:
    """Escalation events of unacknowledged active incidents and reminders of active ones (the ledger filters what was sent)."""
    process = tracker.process
    paths = []
    for incident_id in active_incidents(tracker):
        model = tracker.load_bundle(incident_id).model
        stage = process.stage(model.stage) if model is not None else None
        if model is None or stage is None or not stage.active:
            continue
        kinds = (cadence.REMINDER,) if acknowledged(model) else ("escalation", cadence.REMINDER)
        paths += [f"incidents/{incident_id}/timeline/{e.name}" for e in model.events_of(*kinds)]
    return paths


@dataclass
class Recorded:
    """What one ``escalate`` run recorded: a summary per escalation or reminder, the new event files, and problems."""

    recorded: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # a dry run's event files, not written


def record_due(tracker: Tracker, now: datetime, by: str, dry_run: bool = False, commit: bool = True) -> Recorded:
    """Record every escalation and reminder due at ``now``, one commit per change (a dry run writes nothing)."""
    from .transaction import Refused, apply

    due, problems = due_now(tracker, now)
    done = Recorded(problems=problems)
    for step in due:
        try:
            incident = load_incident(tracker, step.incident_id)
            change = (
                change_for(tracker, incident, step, now, by)
                if isinstance(step, Step)
                else reminder_change(tracker, incident, step, now, by)
            )
            event_paths = [p for p in change.writes if "/timeline/" in p]
            sha = None
            if dry_run:
                done.texts.update({p: change.writes[p] for p in event_paths})
            else:
                sha = apply(tracker, change, commit=commit).commit
            done.paths += event_paths
            entry: dict[str, Any] = {"incident": step.incident_id, "level": step.level, "to": list(step.to), "reason": step.reason}
            if isinstance(step, Nudge):
                entry.update({"reminder": True, "audience": step.audience, "due_at": format_time(step.due_at)})
            done.recorded.append({**entry, "commit": sha})
        except Refused as exc:
            done.problems.append(f"{step.incident_id}: {exc}" + "".join(f"\n  {f.as_text()}" for f in exc.findings))
    return done
