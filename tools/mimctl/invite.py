"""The PIR meeting as an RFC 5545 calendar invite (iTIP REQUEST). Pure, no I/O.

The UID is derived from the incident and the tracker, so every invite for one
review is the same calendar event; SEQUENCE (kept in incident.yaml as
``pir.sequence``) goes up whenever the meeting moves, so calendar clients
replace the old time instead of adding a second meeting. Text from records
is untrusted: it is escaped, stripped of control characters and folded, so
it can never start a property of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from .model import Incident, format_time, parse_time

DEFAULT_MINUTES = 60
PRODID = "-//mimctl//Post-incident review//EN"
CRLF = "\r\n"
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\u0085\u2028\u2029]")
_EMAIL = re.compile(r"[^@\s<>\"]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\Z")
_HOST = re.compile(r"[^A-Za-z0-9._-]+")
_URL = re.compile(r"https?://[^\s<>\"'`]+\Z")


class InviteError(Exception):
    """The incident has no meeting to invite to."""


@dataclass(frozen=True)
class Sequence:
    """The SEQUENCE for the next invite and whether incident.yaml must record it."""

    number: int
    changed: bool
    rescheduled: bool


def next_sequence(pir: dict[str, Any]) -> Sequence:
    """0 for the first invite; +1 when ``scheduled_at`` differs from the time last invited for."""
    scheduled = pir.get("scheduled_at")
    if not scheduled:
        raise InviteError("the review is not scheduled: run mimctl pir schedule ID --when TIME --attendee NAME first")
    if "sequence" not in pir:
        return Sequence(0, True, False)
    current = int(pir["sequence"])
    invited_for = pir.get("invited_for")
    if invited_for and parse_time(str(invited_for)) == parse_time(str(scheduled)):
        return Sequence(current, False, False)
    # Moved, or invited before mimctl kept invited_for: a higher SEQUENCE is always safe.
    return Sequence(current + 1, True, True)


def uid(incident_id: str, tracker_name: str) -> str:
    """``pir-INC-0042@tracker``: the same for every invite of this review."""
    host = _HOST.sub("-", tracker_name).strip("-.") or "mimctl"
    return f"pir-{incident_id}@{host}"


# --- RFC 5545 text -------------------------------------------------------------------


def escape_text(value: str) -> str:
    """A TEXT value: backslash, ``;`` and ``,`` escaped, line breaks as ``\\n``, other controls removed."""
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
    return _CONTROL.sub("", value)


def param_value(value: str) -> str:
    """A parameter value as a quoted string (which may hold neither ``"`` nor controls)."""
    return '"' + _CONTROL.sub(" ", value.replace("\t", " ")).replace('"', "'") + '"'


def fold(line: str) -> str:
    """Fold a content line at 75 octets (continuations start with a space), never inside a character."""
    parts: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size, limit = " ", 1, 75
        current += char
        size += width
    parts.append(current)
    return CRLF.join(parts)


def cal_address(person: str, email_domain: str | None) -> str:
    """``mailto:`` for an e-mail address or a handle under ``email_domain``; else a mimctl URN."""
    person = person.strip()
    if _EMAIL.match(person):
        return f"mailto:{person}"
    handle = _HOST.sub("-", person.lstrip("@")).strip("-.")
    if email_domain and handle:
        return f"mailto:{handle}@{email_domain}"
    return f"urn:x-mimctl:person:{handle or 'unknown'}"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


# --- the invite ----------------------------------------------------------------------


@dataclass(frozen=True)
class Invite:
    """Everything one VEVENT says."""

    uid: str
    sequence: int
    start: datetime
    minutes: int
    summary: str
    description: str
    location: str
    organizer: str
    attendees: tuple[str, ...]
    created: datetime
    url: str = ""

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)


def invite_for(incident: Incident, tracker_name: str, sequence: int, organizer: str, created: datetime, link: str | None = None) -> Invite:
    """The invite for the incident's scheduled review."""
    pir: dict[str, Any] = incident.data.get("pir") or {}
    if not pir.get("scheduled_at"):
        raise InviteError(f"{incident.id}: the review is not scheduled (mimctl pir schedule {incident.id} --when TIME --attendee NAME)")
    lines = [
        f"Post-incident review of {incident.id}: {incident.title}",
        f"Severity {incident.severity}; services: {', '.join(incident.services)}; detected {format_time(incident.detected_at)}.",
    ]
    if incident.data.get("summary"):
        lines += ["", str(incident.data["summary"])]
    lines += ["", f"Review record: incidents/{incident.id}/pir.yaml"]
    if link and _URL.match(link):
        lines.append(link)
    return Invite(
        uid=uid(incident.id, tracker_name),
        sequence=sequence,
        start=parse_time(str(pir["scheduled_at"])),
        minutes=int(pir.get("duration_minutes") or DEFAULT_MINUTES),
        summary=f"PIR {incident.id}: {incident.title}",
        description="\n".join(lines),
        location=str(pir.get("location") or ""),
        organizer=organizer,
        attendees=tuple(str(a) for a in pir.get("attendees") or ()),
        created=created,
        url=link if link and _URL.match(link) else "",
    )


def to_ics(invite: Invite, email_domain: str | None = None) -> str:
    """The invite as an iCalendar object: CRLF line endings, lines folded at 75 octets."""
    lines = [
        "BEGIN:VCALENDAR",
        f"PRODID:{PRODID}",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        f"UID:{escape_text(invite.uid)}",
        f"SEQUENCE:{invite.sequence}",
        f"DTSTAMP:{_stamp(invite.created)}",
        f"DTSTART:{_stamp(invite.start)}",
        f"DTEND:{_stamp(invite.end)}",
        f"SUMMARY:{escape_text(invite.summary)}",
        f"DESCRIPTION:{escape_text(invite.description)}",
    ]
    if invite.location:
        lines.append(f"LOCATION:{escape_text(invite.location)}")
    if invite.url:
        lines.append(f"URL:{invite.url}")
    lines.append(f"ORGANIZER;CN={param_value(invite.organizer)}:{cal_address(invite.organizer, email_domain)}")
    for person in invite.attendees:
        lines.append(
            f"ATTENDEE;CN={param_value(person)};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:{cal_address(person, email_domain)}"
        )
    lines += ["STATUS:CONFIRMED", "TRANSP:OPAQUE", "END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + CRLF for line in lines)
