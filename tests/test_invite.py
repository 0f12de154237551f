"""The PIR calendar invite: RFC 5545 form, stable UID, SEQUENCE on reschedule, no property injection."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from gitutil import commit_count, declare, make_tracker, ok, run, t, trailers
from mimctl.invite import escape_text, fold, invite_for, next_sequence, to_ics
from mimctl.model import Incident
from mimctl.store import Tracker

CREATED = datetime(2025, 3, 11, 9, 0, tzinfo=timezone.utc)


def physical_lines(raw: bytes) -> list[bytes]:
    """The lines as sent: every one must end in CRLF, and none may hold a bare CR or LF."""
    assert raw.endswith(b"\r\n")
    lines = raw[:-2].split(b"\r\n")
    for line in lines:
        assert b"\n" not in line and b"\r" not in line, line
    return lines


def content_lines(raw: bytes) -> list[str]:
    """Unfolded content lines (a line starting with a space continues the previous one)."""
    unfolded: list[str] = []
    for line in physical_lines(raw):
        text = line.decode("utf-8")  # each physical line is whole UTF-8: folding never splits a character
        if text.startswith(" "):
            unfolded[-1] += text[1:]
        else:
            unfolded.append(text)
    return unfolded


def prop(lines: list[str], name: str) -> list[str]:
    """Values of property ``name`` (parameters ignored)."""
    return [line.split(":", 1)[1] for line in lines if line.split(":", 1)[0].split(";", 1)[0] == name]


def incident(title: str = "Checkout errors", **pir: object) -> Incident:
    data = {
        "id": "INC-0042",
        "title": title,
        "stage": "close",
        "severity": "SEV1",
        "services": ["checkout-api"],
        "detected_at": "2025-03-10T08:00:00Z",
        "pir": {"scheduled_at": "2025-03-12T14:00:00Z", "attendees": ["alice", "@payments"], **pir},
    }
    return Incident("INC-0042", data)


def ics(inc: Incident, sequence: int = 0, **kwargs: object) -> bytes:
    return to_ics(invite_for(inc, "tracker", sequence, "pat", CREATED), **kwargs).encode("utf-8")  # type: ignore[arg-type]


# --- the format ---------------------------------------------------------------------------


def test_an_invite_is_a_request_with_the_meeting_in_utc() -> None:
    lines = content_lines(ics(incident(duration_minutes=45, location="Room 4; 2nd floor")))
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert prop(lines, "METHOD") == ["REQUEST"] and prop(lines, "VERSION") == ["2.0"]
    assert prop(lines, "UID") == ["pir-INC-0042@tracker"]
    assert prop(lines, "DTSTART") == ["20250312T140000Z"] and prop(lines, "DTEND") == ["20250312T144500Z"]
    assert prop(lines, "DTSTAMP") == ["20250311T090000Z"]
    assert prop(lines, "SEQUENCE") == ["0"]
    assert prop(lines, "SUMMARY") == ["PIR INC-0042: Checkout errors"]
    assert prop(lines, "LOCATION") == ["Room 4\\; 2nd floor"]
    assert len(prop(lines, "ATTENDEE")) == 2 and len(prop(lines, "ORGANIZER")) == 1


def test_lines_are_folded_at_75_octets_without_splitting_characters() -> None:
    title = "Zahlungen schlagen fehl — überall, für alle Kunden " * 6
    raw = ics(incident(title=title.strip()))
    assert max(len(line) for line in physical_lines(raw)) <= 75
    assert prop(content_lines(raw), "SUMMARY") == [escape_text(f"PIR INC-0042: {title.strip()}")]
    assert fold("x" * 75) == "x" * 75 and fold("x" * 76) == "x" * 75 + "\r\n x"


def test_untrusted_text_is_escaped_and_cannot_add_a_property() -> None:
    title = "Pay; fail, now\\\r\nATTENDEE:mailto:evil@example.com\rX-INJECTED:1\nEND:VEVENT"
    lines = content_lines(ics(incident(title=title, location="A\r\nORGANIZER:mailto:evil@example.com")))
    assert prop(lines, "SUMMARY") == ["PIR INC-0042: Pay\\; fail\\, now\\\\\\nATTENDEE:mailto:evil@example.com\\nX-INJECTED:1\\nEND:VEVENT"]
    assert not any(line.startswith(("X-INJECTED", "ATTENDEE:mailto:evil", "ORGANIZER:mailto:evil")) for line in lines)
    assert lines.count("END:VEVENT") == 1 and len(prop(lines, "ORGANIZER")) == 1


def test_attendee_names_cannot_break_out_of_their_parameter() -> None:
    lines = content_lines(ics(incident(attendees=['bob";ROLE=CHAIR:mailto:x@evil.example\r\nX-A:1'])))
    (attendee,) = [line for line in lines if line.startswith("ATTENDEE")]
    assert attendee.startswith('ATTENDEE;CN="bob\';ROLE=CHAIR:mailto:x@evil.example  X-A:1";ROLE=REQ-PARTICIPANT')
    assert not any(line.startswith("X-A") for line in lines)


def test_handles_become_addresses_with_an_email_domain() -> None:
    lines = content_lines(ics(incident(attendees=["alice", "@payments", "carol@example.org"]), email_domain="example.com"))
    assert [a.split(":", 1)[1] for a in lines if a.startswith("ATTENDEE")] == [
        "mailto:alice@example.com",
        "mailto:payments@example.com",
        "mailto:carol@example.org",
    ]
    without = content_lines(ics(incident(attendees=["alice"])))
    assert [a for a in without if a.startswith("ATTENDEE")][0].endswith(":urn:x-mimctl:person:alice")


def test_sequence_rules() -> None:
    first = next_sequence({"scheduled_at": "2025-03-12T14:00:00Z"})
    assert (first.number, first.changed, first.rescheduled) == (0, True, False)
    same = next_sequence({"scheduled_at": "2025-03-12T14:00:00Z", "sequence": 2, "invited_for": "2025-03-12T14:00:00+00:00"})
    assert (same.number, same.changed) == (2, False)
    moved = next_sequence({"scheduled_at": "2025-03-13T14:00:00Z", "sequence": 2, "invited_for": "2025-03-12T14:00:00Z"})
    assert (moved.number, moved.changed, moved.rescheduled) == (3, True, True)


# --- the command -------------------------------------------------------------------------


@pytest.fixture
def scheduled(tmp_path: Path) -> tuple[Path, str]:
    repo = make_tracker(tmp_path / "tracker")
    incident_id = declare(repo)
    ok(["pir", "schedule", incident_id, "--when", "2025-03-12T14:00Z", "--attendee", "alice", "--attendee", "bob", "--at", t(60)], repo)
    return repo, incident_id


def pir_of(repo: Path, incident_id: str) -> dict[str, Any]:
    model = Tracker(repo).load_bundle(incident_id).model
    assert model is not None
    return dict(model.data["pir"])


def test_reschedules_keep_the_uid_and_raise_the_sequence(scheduled: tuple[Path, str], tmp_path: Path) -> None:
    repo, incident_id = scheduled
    out = tmp_path / "invite.ics"
    before = commit_count(repo)
    ok(["pir", "invite", incident_id, "-o", str(out)], repo)
    first = content_lines(out.read_bytes())
    assert prop(first, "SEQUENCE") == ["0"] and prop(first, "DTSTART") == ["20250312T140000Z"]
    assert prop(first, "UID") == [f"pir-{incident_id}@tracker"]
    assert pir_of(repo, incident_id)["sequence"] == 0 and pir_of(repo, incident_id)["invited_for"] == "2025-03-12T14:00:00Z"
    assert commit_count(repo) == before + 1 and trailers(repo)["Incident"] == incident_id

    ok(["pir", "invite", incident_id, "-o", str(out)], repo)  # the same meeting again: same SEQUENCE, nothing to commit
    assert prop(content_lines(out.read_bytes()), "SEQUENCE") == ["0"] and commit_count(repo) == before + 1

    ok(["pir", "schedule", incident_id, "--when", "2025-03-13T09:30Z", "--attendee", "alice", "--attendee", "bob", "--at", t(90)], repo)
    ok(["pir", "invite", incident_id, "-o", str(out)], repo)
    moved = content_lines(out.read_bytes())
    assert prop(moved, "SEQUENCE") == ["1"] and prop(moved, "DTSTART") == ["20250313T093000Z"]
    assert prop(moved, "UID") == prop(first, "UID")
    assert pir_of(repo, incident_id)["sequence"] == 1


def test_invite_to_standard_output(scheduled: tuple[Path, str]) -> None:
    repo, incident_id = scheduled
    result = run(["pir", "invite", incident_id, "--no-commit"], repo)
    assert result.exit_code == 0, result
    assert result.stdout.startswith("BEGIN:VCALENDAR") and "SEQUENCE:0" in result.stdout
    assert "to standard output" in result.stderr


def test_an_unscheduled_review_has_no_invite(tmp_path: Path) -> None:
    repo = make_tracker(tmp_path / "tracker")
    incident_id = declare(repo)
    result = run(["pir", "invite", incident_id], repo)
    assert result.exit_code == 1 and "not scheduled" in result.stderr, result
