"""The PIR meeting as an RFC 5545 calendar invite (iTIP REQUEST). Pure, no I/O.

The UID is derived from the incident and the tracker under the
organisation's domain (process.yaml ``communication.domain``), so every
invite for one review is the same calendar event, and no other
organisation's is; SEQUENCE (kept in incident.yaml as ``pir.sequence``) goes
up whenever the meeting moves, so calendar clients replace the old time
instead of adding a second meeting. Attendees and the organizer are real
addresses: an e-mail address as written, or a handle looked up in the
catalog (``people`` and ``teams`` with ``email``); a handle with no address
is an error naming it, never an address no calendar can deliver to. Text
from records is untrusted: it is escaped, stripped of control characters and
folded, so it can never start a property of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .formatting import file_stamp
from .model import Catalog, Incident, format_time, parse_time

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


def uid(incident_id: str, tracker_name: str, domain: str | None = None) -> str:
    """``pir-INC-0042.tracker@example.com``: the same for every invite of this review, unique under the organisation's domain."""
    name = _HOST.sub("-", tracker_name).strip("-.") or "mimctl"
    if domain:
        return f"pir-{incident_id}.{name}@{_HOST.sub('-', domain).strip('-.')}"
    return f"pir-{incident_id}@{name}"


@dataclass(frozen=True)
class Address:
    """A calendar user: the name shown, the mailto: address, and whether it is a team (CUTYPE=GROUP)."""

    name: str
    email: str
    group: bool = False


def address_book(catalog: Catalog) -> dict[str, Address]:
    """Handles (with or without the leading @) of the catalog's people and teams that have an e-mail address."""
    book: dict[str, Address] = {}
    for team in catalog.teams.values():
        if team.get("email"):
            book[str(team["id"]).lower()] = Address(str(team.get("name") or team["id"]), str(team["email"]), group=True)
    for person in catalog.people.values():
        book[str(person["id"]).lstrip("@").lower()] = Address(str(person.get("name") or person["id"]), str(person["email"]))
    return book


def resolve(person: str, book: dict[str, Address], email_domain: str | None = None) -> Address | None:
    """The address of ``person``: an e-mail address as written, a catalog handle, or ``handle@email_domain``; None if none."""
    person = person.strip()
    if _EMAIL.match(person):
        return Address(person, person)
    handle = person.lstrip("@").lower()
    if handle in book:
        return book[handle]
    clean = _HOST.sub("-", handle).strip("-.")
    if email_domain and clean:
        return Address(person, f"{clean}@{email_domain}")
    return None


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
    organizer: Address
    attendees: tuple[Address, ...]
    created: datetime
    url: str = ""

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)


def invite_for(
    incident: Incident,
    tracker_name: str,
    sequence: int,
    organizer: str,
    created: datetime,
    link: str | None = None,
    book: dict[str, Address] | None = None,
    email_domain: str | None = None,
    domain: str | None = None,
) -> Invite:
    """The invite for the incident's scheduled review (InviteError naming anyone without an address)."""
    pir: dict[str, Any] = incident.data.get("pir") or {}
    if not pir.get("scheduled_at"):
        raise InviteError(f"{incident.id}: the review is not scheduled (mimctl pir schedule {incident.id} --when TIME --attendee NAME)")
    book = book or {}
    people = [organizer, *(str(a) for a in pir.get("attendees") or ())]
    found = {person: resolve(person, book, email_domain) for person in people}
    missing = [person for person, address in found.items() if address is None]
    if missing:
        raise InviteError(
            f"no e-mail address for {', '.join(missing)}: add them to catalog.yaml (people: - {{id: HANDLE, email: ADDRESS}}, "
            "or a team's email), write the address itself, or pass --email-domain"
        )
    addresses = {person: address for person, address in found.items() if address is not None}
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
        uid=uid(incident.id, tracker_name, domain),
        sequence=sequence,
        start=parse_time(str(pir["scheduled_at"])),
        minutes=int(pir.get("duration_minutes") or DEFAULT_MINUTES),
        summary=f"PIR {incident.id}: {incident.title}",
        description="\n".join(lines),
        location=str(pir.get("location") or ""),
        organizer=addresses[organizer],
        attendees=tuple(dict.fromkeys(addresses[str(a)] for a in pir.get("attendees") or ())),
        created=created,
        url=link if link and _URL.match(link) else "",
    )


def to_ics(invite: Invite) -> str:
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
        f"DTSTAMP:{file_stamp(invite.created)}",
        f"DTSTART:{file_stamp(invite.start)}",
        f"DTEND:{file_stamp(invite.end)}",
        f"SUMMARY:{escape_text(invite.summary)}",
        f"DESCRIPTION:{escape_text(invite.description)}",
    ]
    if invite.location:
        lines.append(f"LOCATION:{escape_text(invite.location)}")
    if invite.url:
        lines.append(f"URL:{invite.url}")
    lines.append(f"ORGANIZER;CN={param_value(invite.organizer.name)}:mailto:{invite.organizer.email}")
    for person in invite.attendees:
        kind = "CUTYPE=GROUP;" if person.group else ""
        lines.append(
            f"ATTENDEE;{kind}CN={param_value(person.name)};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{person.email}"
        )
    lines += ["STATUS:CONFIRMED", "TRANSP:OPAQUE", "END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + CRLF for line in lines)
