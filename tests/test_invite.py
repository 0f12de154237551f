"""The PIR calendar invite: RFC 5545 form, stable UID, SEQUENCE on reschedule, no property injection."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from gitutil import commit_count, declare, make_tracker, ok, run, t, trailers
from mimctl.invite import InviteError, address_book, escape_text, fold, invite_for, next_sequence, to_ics
from mimctl.model import Catalog, Incident
from mimctl.store import Tracker

BOOK = address_book(
    Catalog.from_data(
        {
            "teams": [{"id": "payments", "name": "Payments", "email": "payments@example.com"}, {"id": "data", "name": "Data"}],
            "people": [{"id": "alice", "email": "alice@example.com"}, {"id": "pat", "email": "pat@example.com", "name": "Pat"}],
            "services": [],
        }
    )
)

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


def ics(inc: Incident, sequence: int = 0, email_domain: str | None = None, domain: str | None = "example.com") -> bytes:
    return to_ics(invite_for(inc, "tracker", sequence, "pat", CREATED, None, BOOK, email_domain, domain)).encode("utf-8")


# --- the format ---------------------------------------------------------------------------


def test_an_invite_is_a_request_with_the_meeting_in_utc() -> None:
    lines = content_lines(ics(incident(duration_minutes=45, location="Room 4; 2nd floor")))
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert prop(lines, "METHOD") == ["REQUEST"] and prop(lines, "VERSION") == ["2.0"]
    assert prop(lines, "UID") == ["pir-INC-0042.tracker@example.com"]  # under the organisation's domain
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
    lines = content_lines(ics(incident(attendees=['bob";ROLE=CHAIR:mailto:x@evil.example\r\nX-A:1']), email_domain="example.com"))
    (attendee,) = [line for line in lines if line.startswith("ATTENDEE")]
    assert attendee.startswith('ATTENDEE;CN="bob\';ROLE=CHAIR:mailto:x@evil.example  X-A:1";ROLE=REQ-PARTICIPANT')
    assert attendee.endswith(":mailto:bob-role-chair-mailto-x-evil.example-x-a-1@example.com")
    assert not any(line.startswith("X-A") for line in lines)


def test_attendees_are_real_addresses_from_the_catalog() -> None:
    lines = content_lines(ics(incident(attendees=["alice", "@payments", "carol@example.org", "@Alice"])))
    attendees = [a for a in lines if a.startswith("ATTENDEE")]
    assert [a.split(":", 1)[1].split(":", 1)[1] for a in attendees] == ["alice@example.com", "payments@example.com", "carol@example.org"]
    assert "CUTYPE=GROUP" in attendees[1] and 'CN="Payments"' in attendees[1]  # a team is a group
    assert prop(lines, "ORGANIZER") == ["mailto:pat@example.com"] and 'ORGANIZER;CN="Pat"' in "\n".join(lines)
    assert not any("urn:" in line for line in lines)


def test_a_handle_without_an_address_is_an_error_naming_it() -> None:
    with pytest.raises(InviteError, match=r"no e-mail address for bob, @data: add them to catalog.yaml"):
        ics(incident(attendees=["alice", "bob", "@data"]))  # the data team has no email
    fallback = content_lines(ics(incident(attendees=["bob"]), email_domain="example.net"))
    assert [a.rsplit(":", 1)[1] for a in fallback if a.startswith("ATTENDEE")] == ["bob@example.net"]


def test_without_a_domain_the_uid_names_the_tracker() -> None:
    assert prop(content_lines(ics(incident(), domain=None)), "UID") == ["pir-INC-0042@tracker"]


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
    ok(["pir", "schedule", incident_id, "--when", "2025-03-12T14:00Z", "--attendee", "pat", "--attendee", "alex", "--at", t(60)], repo)
    return repo, incident_id


def pir_of(repo: Path, incident_id: str) -> dict[str, Any]:
    model = Tracker(repo).load_bundle(incident_id).model
    assert model is not None
    return dict(model.data["pir"])


def test_reschedules_keep_the_uid_and_raise_the_sequence(scheduled: tuple[Path, str], tmp_path: Path) -> None:
    repo, incident_id = scheduled
    out = tmp_path / "invite.ics"
    before = commit_count(repo)
    ok(["pir", "invite", incident_id, "-o", str(out), "--by", "pat"], repo)
    first = content_lines(out.read_bytes())
    assert prop(first, "SEQUENCE") == ["0"] and prop(first, "DTSTART") == ["20250312T140000Z"]
    assert prop(first, "UID") == [f"pir-{incident_id}.tracker@example.com"]  # communication.domain in process.yaml
    assert [a.rsplit(":", 1)[1] for a in first if a.startswith("ATTENDEE")] == ["pat@example.com", "alex@example.com"]
    assert pir_of(repo, incident_id)["sequence"] == 0 and pir_of(repo, incident_id)["invited_for"] == "2025-03-12T14:00:00Z"
    assert commit_count(repo) == before + 1 and trailers(repo)["Incident"] == incident_id

    ok(["pir", "invite", incident_id, "-o", str(out), "--by", "pat"], repo)  # the same meeting again: same SEQUENCE, nothing to commit
    assert prop(content_lines(out.read_bytes()), "SEQUENCE") == ["0"] and commit_count(repo) == before + 1

    ok(["pir", "schedule", incident_id, "--when", "2025-03-13T09:30Z", "--attendee", "pat", "--attendee", "alex", "--at", t(90)], repo)
    ok(["pir", "invite", incident_id, "-o", str(out), "--by", "pat"], repo)
    moved = content_lines(out.read_bytes())
    assert prop(moved, "SEQUENCE") == ["1"] and prop(moved, "DTSTART") == ["20250313T093000Z"]
    assert prop(moved, "UID") == prop(first, "UID")
    assert pir_of(repo, incident_id)["sequence"] == 1


def test_invite_to_standard_output(scheduled: tuple[Path, str]) -> None:
    repo, incident_id = scheduled
    result = run(["pir", "invite", incident_id, "--no-commit", "--by", "alex"], repo)
    assert result.exit_code == 0, result
    assert result.stdout.startswith("BEGIN:VCALENDAR") and "SEQUENCE:0" in result.stdout
    assert "to standard output" in result.stderr


def test_an_unscheduled_review_has_no_invite(tmp_path: Path) -> None:
    repo = make_tracker(tmp_path / "tracker")
    incident_id = declare(repo)
    result = run(["pir", "invite", incident_id], repo)
    assert result.exit_code == 1 and "not scheduled" in result.stderr, result


def test_an_organizer_without_an_address_is_refused_and_nothing_changes(scheduled: tuple[Path, str]) -> None:
    repo, incident_id = scheduled
    before = commit_count(repo)
    result = run(["pir", "invite", incident_id], repo)  # the organizer defaults to $MIMCTL_USER, "tester": not in the catalog
    assert result.exit_code == 1 and "no e-mail address for tester" in result.stderr and not result.crashed, result
    assert commit_count(repo) == before


# --- real iCalendar readers ------------------------------------------------------------------


HOSTILE_TITLE = "Pay; fail, now\\\r\nATTENDEE:mailto:evil@example.com\u2028\U0001f525 \u00fcberall " * 5


def test_icalendar_and_vobject_read_the_invite() -> None:
    import icalendar
    import vobject

    raw = ics(incident(title=HOSTILE_TITLE, location="Room 4; 2nd floor", attendees=["alice", "@payments"]))
    (event,) = icalendar.Calendar.from_ical(raw).walk("VEVENT")
    assert str(event["UID"]) == "pir-INC-0042.tracker@example.com" and event["SEQUENCE"] == 0
    assert str(event["SUMMARY"]) == f"PIR INC-0042: {HOSTILE_TITLE}".replace("\r\n", "\n").replace("\u2028", "\n")
    assert [str(a) for a in event["ATTENDEE"]] == ["mailto:alice@example.com", "mailto:payments@example.com"]
    assert str(event["ORGANIZER"]) == "mailto:pat@example.com"
    calendar = vobject.readOne(raw.decode("utf-8"))
    assert calendar.vevent.uid.value == "pir-INC-0042.tracker@example.com"
    assert calendar.vevent.summary.value == str(event["SUMMARY"])
    assert [a.value for a in calendar.vevent.attendee_list] == ["mailto:alice@example.com", "mailto:payments@example.com"]
    assert calendar.vevent.dtstart.value.isoformat() == "2025-03-12T14:00:00+00:00"


def test_ical_js_reads_the_invite() -> None:
    """Mozilla's ical.js, the parser of Thunderbird's calendar (installed into tests/js with the card validator)."""
    import json
    import os
    import shutil
    import subprocess

    js = Path(__file__).parent / "js"
    node = shutil.which("node")
    if node is None or not (js / "node_modules" / "ical.js").is_dir():
        if os.environ.get("CI"):
            pytest.fail("Node and ical.js are needed (.ci/run installs them)")
        pytest.skip("node or ical.js missing (npm install --prefix tests/js)")
    raw = ics(incident(title=HOSTILE_TITLE, attendees=["alice", "@payments"]))
    done = subprocess.run([node, "read-ics.mjs"], cwd=js, input=raw, capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["uid"] == "pir-INC-0042.tracker@example.com" and data["sequence"] == 0
    assert data["attendees"] == ["mailto:alice@example.com", "mailto:payments@example.com"]
    assert data["summary"].startswith("PIR INC-0042: Pay; fail, now\\\nATTENDEE:mailto:evil@example.com\n")
    assert data["start"] == "2025-03-12T14:00:00Z"
