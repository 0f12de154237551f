"""The post-incident review: start it, set its fields, complete it, its action items, the calendar invite."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..model import Incident, format_time, parse_time
from ..store import Tracker
from ..transaction import Change, Refused
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


def edit_review(tracker: Tracker, incident: Incident, subject: str, change: Edit) -> Change:
    """Apply ``change`` to the incident's pir.yaml (created from the incident if there is none yet)."""
    path = pir_path(incident.id)
    current = tracker.root / path
    text = edit_file(current, change, path) if current.exists() else edit_text(pir_text(incident), change, path)
    return Change(
        incident.id,
        {path: text},
        f"{incident.id}: {subject}",
        trailers={"Incident": incident.id, "Stage": incident.stage, "Record": "pir"},
    )


def start_review(tracker: Tracker, incident: Incident) -> Change:
    """pir.yaml, pre-filled from the incident (no change if it exists)."""
    return edit_review(tracker, incident, "start the post-incident review", lambda data: None)


def set_review_field(tracker: Tracker, incident: Incident, field: str, value: Any) -> Change:
    """Set a field of the review (dotted path): summary, root_causes, known_errors, ..."""
    return edit_review(tracker, incident, f"review: set {field}", lambda data: set_path(data, field, value))


def complete_review(tracker: Tracker, incident: Incident, held: datetime, attendees: Sequence[str]) -> Change:
    """The meeting was held (when, who attended); the review is complete."""

    def change(data: Any) -> None:
        data["meeting"] = {"held_at": format_time(held), "attendees": list(attendees)}
        data["status"] = "complete"

    return edit_review(tracker, incident, "review complete", change)


def next_action_id(actions: Sequence[Any]) -> str:
    """``A1``, ``A2``, ...: one more than the highest action item number in use."""
    used = {int(str(a.get("id", "A0"))[1:] or 0) for a in actions if str(a.get("id", "")).startswith("A")}
    return f"A{max(used, default=0) + 1}"


def add_action(tracker: Tracker, incident: Incident, title: str, owner: str, due: str, kind: str | None = None) -> Change:
    """An improvement action item (status open), with the next free id ``A<n>``."""

    def change(data: Any) -> None:
        actions = data.setdefault("actions", [])
        item = {"id": next_action_id(actions), "title": title, "owner": owner, "due": due, "status": "open"}
        if kind:
            item["kind"] = kind
        actions.append(item)

    return edit_review(tracker, incident, f"review action: {title[:60]}", change)


def set_action(tracker: Tracker, incident: Incident, action_id: str, status: str) -> Change:
    """An action item's new status; Invalid when the review has no such item."""

    def change(data: Any) -> None:
        for item in data.get("actions", []):
            if item.get("id") == action_id:
                item["status"] = status
                return
        raise Invalid(f"no action {action_id!r} in the review", param="action_id")

    return edit_review(tracker, incident, f"review action {action_id} {status}", change)


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
