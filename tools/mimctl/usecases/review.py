"""The post-incident review: start it, set its fields, complete it, its action items, the calendar invite."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..model import ABSENT, Incident, format_time, get_path, parse_time
from ..store import Tracker
from ..timing import When, known
from ..transaction import Change, Refused
from ..vocabulary import action_settled
from ..yamlio import dump_new, edit_file, edit_text
from . import Invalid
from .records import SCHEMA_FROM_PIR, clean, pir_path, record, set_path

Edit = Callable[[Any], None]


def pir_text(incident: Incident) -> str:
    """A new review, pre-filled from the incident: its summary, the impact and the confirmed cause."""
    cause = incident.data.get("cause") or {}
    data = clean(
        {
            "incident": incident.id,
            "status": "draft",
            "summary": incident.data.get("summary"),
            "impact": _impact_text(incident),
            "root_causes": [cause["summary"]] if cause.get("summary") else [],
            "actions": [],
        }
    )
    return dump_new(data, SCHEMA_FROM_PIR)


def _impact_text(incident: Incident) -> str:
    users = incident.data.get("impacted_users") or {}
    parts = [f"Services: {', '.join(incident.services)}."]
    if users.get("count") is not None:
        parts.append(f"About {users['count']} users affected.")
    if users.get("segment"):
        parts.append(f"Segment: {users['segment']}.")
    return " ".join(parts)


def edit_review(tracker: Tracker, incident: Incident, subject: str, change: Edit, at: When, by: str, text: str | None = None) -> Change:
    """Apply ``change`` to the incident's pir.yaml (created from the incident if there is none yet), with a ``review`` event.

    The event dates the edit (``at``, ``by``): a review has no time of its own
    but the meeting's. Nothing is written when the review would not change.
    """
    path = pir_path(incident.id)
    current = tracker.root / path
    exists = current.exists()
    before = current.read_text(encoding="utf-8") if exists else pir_text(incident)
    after = edit_file(current, change, path) if exists else edit_text(before, change, path)
    trailers = {"Record": "pir"}
    if exists and after == before:
        return Change(incident.id, {}, f"{incident.id}: {subject}", trailers={"Incident": incident.id, "Stage": incident.stage, **trailers})
    recorded = record(tracker, incident, "review", at, by, subject, {"text": text or subject[:1].upper() + subject[1:]}, trailers=trailers)
    recorded.writes[path] = after
    return recorded


def start_review(tracker: Tracker, incident: Incident, at: When, by: str) -> Change:
    """pir.yaml, pre-filled from the incident (no change if it exists)."""
    return edit_review(tracker, incident, "start the post-incident review", lambda data: None, at, by, "Review started")


def set_review_field(tracker: Tracker, incident: Incident, field: str, value: Any, at: When, by: str) -> Change:
    """Set a field of the review (dotted path): summary, root_causes, known_errors, ..."""
    if field.split(".")[0] in ("incident", "times"):
        raise Invalid(f"{field} is set by mimctl, not by hand", param="field")
    return edit_review(tracker, incident, f"review: set {field}", lambda data: set_path(data, field, value), at, by)


def complete_review(tracker: Tracker, incident: Incident, held: When, attendees: Sequence[str], at: When, by: str) -> Change:
    """The meeting was held (when, who attended); the review is complete."""
    meeting = known(held)
    if meeting.unknown:
        raise Invalid("when the meeting was held is needed (the day, at least)", param="held")

    def change(data: Any) -> None:
        data["meeting"] = {"held_at": format_time(meeting.at), "attendees": list(attendees)}
        data["status"] = "complete"
        note = meeting.note()
        if note is not None:
            set_path(data, "times.meeting.held_at", note)
        elif get_path(data.get("times") or {}, "meeting.held_at") is not ABSENT:
            set_path(data, "times.meeting.held_at", None)
            if not data["times"].get("meeting"):
                data["times"].pop("meeting", None)
            if not data["times"]:
                data.pop("times")

    text = f"Review complete: meeting held {meeting.text()}, attended by {', '.join(attendees)}"
    return edit_review(tracker, incident, "review complete", change, at, by, text)


def next_action_id(actions: Sequence[Any]) -> str:
    """``A1``, ``A2``, ...: one more than the highest action item number in use."""
    used = {int(str(a.get("id", "A0"))[1:] or 0) for a in actions if str(a.get("id", "")).startswith("A")}
    return f"A{max(used, default=0) + 1}"


def add_action(
    tracker: Tracker,
    incident: Incident,
    title: str,
    owner: str,
    due: str,
    at: When,
    by: str,
    kind: str | None = None,
    link: str | None = None,
    note: str | None = None,
) -> Change:
    """An improvement action item (status open), with the next free id ``A<n>``, in ``summary['action_id']``."""
    if link and not link.startswith(("http://", "https://")):
        raise Invalid("must start with http:// or https://", param="link")
    existing = (incident.pir or {}).get("actions")
    action_id = next_action_id(existing if isinstance(existing, list) else [])

    def change(data: Any) -> None:
        actions = data.setdefault("actions", [])
        item = {"id": action_id, "title": title, "owner": owner, "due": due, "status": "open"}
        item.update(clean({"kind": kind, "link": link, "note": note}))
        actions.append(item)

    made = edit_review(tracker, incident, f"review action {action_id}: {title[:60]}", change, at, by)
    made.summary["action_id"] = action_id
    return made


def set_action(tracker: Tracker, incident: Incident, action_id: str, status: str, at: When, by: str) -> Change:
    """An action item's new status; done or dropped records when and by whom (``settled_at``/``settled_by``).

    The status it already has changes nothing (a repeated command makes no commit).

    Invalid when the review has no such item.
    """
    when = known(at)
    if when.unknown:
        raise Invalid("when it was done is needed (the day, at least)", param="at")

    def change(data: Any) -> None:
        for item in data.get("actions", []):
            if item.get("id") == action_id:
                if item.get("status") == status:
                    return  # said again: when and by whom it was settled stay as first recorded
                item["status"] = status
                if action_settled(status):
                    item["settled_at"], item["settled_by"] = format_time(when.at), by
                else:
                    item.pop("settled_at", None)
                    item.pop("settled_by", None)
                return
        raise Invalid(f"no action {action_id!r} in the review", param="action_id")

    return edit_review(tracker, incident, f"review action {action_id} {status}", change, at, by)


# --- the calendar invite ------------------------------------------------------------------


@dataclass(frozen=True)
class Invitation:
    """The .ics text, its SEQUENCE, and the change recording that SEQUENCE (None when it is already recorded)."""

    ics: str
    sequence: int
    change: Change | None


def invite(
    tracker: Tracker,
    incident: Incident,
    organizer: str,
    now: datetime,
    *,
    link: str | None = None,
    email_domain: str | None = None,
) -> Invitation:
    """The calendar invite for the scheduled review; when the meeting moved (or is new), a note and pir.sequence.

    Addresses come from the catalog's people and teams; ``email_domain`` turns other handles into addresses.
    """
    from ..gitrepo import remote_name
    from ..invite import InviteError, address_book, invite_for, next_sequence, to_ics

    if link and not link.startswith(("http://", "https://")):
        raise Invalid("must start with http:// or https://", param="link")
    pir = dict(incident.data.get("pir") or {})
    try:
        sequence = next_sequence(pir)
        name, domain, book = (
            remote_name(tracker.root) or tracker.root.resolve().name,
            tracker.process.comms.communication.domain,
            address_book(tracker.catalog),
        )
        ics = to_ics(invite_for(incident, name, sequence.number, organizer, now, link, book, email_domain, domain))
    except InviteError as exc:
        raise Refused(f"{incident.id}: {exc}") from None
    change = None
    if sequence.changed:
        when = format_time(parse_time(str(pir["scheduled_at"])))
        what = "rescheduled to" if sequence.rescheduled else "for"
        text = f"PIR invite sent (SEQUENCE {sequence.number}): meeting {what} {when}"
        edits = {"pir.sequence": sequence.number, "pir.invited_for": when}
        change = record(tracker, incident, "note", now, organizer, f"PIR invite, sequence {sequence.number}", {"text": text}, edits)
    return Invitation(ics, sequence.number, change)
