"""The event-kind registry (``mimctl.events``) against everything that also knows the kinds.

Each test fails when one of them drifts from the table: the event schema
(kinds, required fields, properties), the records guide's kinds table, the
notification routes, what the notifier sends and how it headlines it, what
the public site edition shows, what the personal-data scan treats as
published, and which events validation lets predate detection.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from conftest import make_tracker
from mimctl import comms, events, notifications, schema_check, secret_scan, vocabulary
from mimctl.events import KINDS
from mimctl.model import Catalog, Event, Incident, format_time
from mimctl.publication import PUBLIC, incident_view
from mimctl.site import guides
from mimctl.store import Tracker
from mimctl.usecases.records import SCHEMA_FROM_EVENT, SCHEMA_FROM_INCIDENT, event_text
from mimctl.validate import validate
from mimctl.yamlio import dump_new, loads

ROOT = Path(__file__).resolve().parents[1]
DETECTED = datetime(2025, 3, 10, 8, 0, tzinfo=timezone.utc)

# A valid event of every kind (required fields and a few optional ones).
SAMPLES: dict[str, dict[str, Any]] = {
    "declared": {"text": "Declared: Card payments failing"},
    "note": {"text": "A note"},
    "validated": {"text": "All card payments"},
    "classified": {"text": "impact high"},
    "role": {"role": "incident_manager", "person": "alex", "previous": "sam"},
    "notification": {"to": ["@sre"], "channel": "pager", "text": "Paged"},
    "escalation": {"to": ["@mim-lead"], "level": 1, "text": "No ack"},
    "update-reminder": {"audience": "public", "due_at": "2025-03-10T09:00:00Z", "level": 0, "to": ["casey"], "text": "Update due"},
    "ack": {},
    "vendor-escalation": {
        "vendor": "Cloud provider support",
        "case": "CASE-1234",
        "url": "https://support.example.com/c/1234",
        "text": "Opened",
    },
    "bridge": {"url": "https://meet.example.com/inc-0001"},
    "containment": {"id": "C-1a2b", "action": "Routed traffic away", "rollback": "Route it back"},
    "containment-update": {"action_id": "C-1a2b", "state": "effective", "text": "Errors stopped"},
    "hypothesis": {"id": "H-1a2b", "text": "Certificate expired", "evidence": ["Handshake errors"]},
    "hypothesis-update": {"hypothesis_id": "H-1a2b", "state": "confirmed", "evidence": ["The date on the certificate"]},
    "evidence": {"text": "Gateway logs", "links": ["https://logs.example.com/q"]},
    "stakeholder-update": {"audience": "public", "status": "investigating", "text": "We are investigating."},
    "resolution": {"text": "Fixed"},
    "recovery": {"text": "Restored"},
    "closure": {"text": "Closed"},
    "review": {"text": "Review complete: meeting held 2025-03-12T14:00:00Z"},
    "field": {"field": "regions", "value": ["eu-west-1"]},
    "stage": {"from": "identify", "to": "notify", "reason": "Gate met"},
    "alert": {"text": "CheckoutErrorRate firing", "alert": {"name": "CheckoutErrorRate", "status": "firing"}},
}
# Values for the fields of a kind's ``one_of`` that its sample leaves out.
ALTERNATIVES: dict[str, dict[str, Any]] = {"containment": {"irreversible": "Deleted the corrupted cache: nothing to restore it from"}}
INCIDENT = {
    "id": "INC-0001",
    "title": "Card payments failing",
    "stage": "identify",
    "severity": "SEV1",
    "impact": "high",
    "urgency": "high",
    "priority": 1,
    "visibility": "public",
    "detection": {"source": "alert"},
    "detected_at": format_time(DETECTED),
    "services": ["checkout-api"],
}


def _schema_findings(data: dict[str, Any]) -> list[str]:
    text = dump_new({"at": format_time(DETECTED), **data})
    return [f.message for f in schema_check.check(loads(text), "event", "event.yaml")]


def test_every_kind_has_a_sample() -> None:
    assert sorted(SAMPLES) == sorted(KINDS)


def test_the_schema_knows_exactly_the_registered_kinds() -> None:
    assert sorted(vocabulary.enum("event", "kind")) == sorted(KINDS)


def test_the_schema_properties_are_the_registered_fields() -> None:
    properties = set(vocabulary.schema("event")["properties"])
    registered = {name for kind in KINDS.values() for name in kind.fields} | set(events.COMMON_FIELDS)
    assert registered == properties


@pytest.mark.parametrize("name", list(KINDS))
def test_a_sample_of_each_kind_is_valid_and_each_required_field_is_required(name: str) -> None:
    kind = KINDS[name]
    assert set(SAMPLES[name]) <= set(kind.fields), "a sample may use only the kind's fields"
    assert set(kind.required) <= set(SAMPLES[name])
    assert _schema_findings({"kind": name, **SAMPLES[name]}) == []
    for required in kind.required:
        rest = {k: v for k, v in SAMPLES[name].items() if k != required}
        assert any(required in message for message in _schema_findings({"kind": name, **rest})), required


@pytest.mark.parametrize("name", list(KINDS))
def test_the_required_fields_alone_make_a_valid_event(name: str) -> None:
    kind = KINDS[name]
    for choice in kind.one_of or (None,):
        fields = {k: v for k, v in {**SAMPLES[name], **ALTERNATIVES.get(name, {})}.items() if k in kind.required or k == choice}
        assert _schema_findings({"kind": name, **fields}) == [], choice


def test_an_event_needs_exactly_one_of_its_alternatives() -> None:
    for name, kind in KINDS.items():
        if kind.one_of:
            bare = {k: v for k, v in SAMPLES[name].items() if k in kind.required}
            assert _schema_findings({"kind": name, **bare}), name
            both = {**SAMPLES[name], **ALTERNATIVES.get(name, {})}
            assert _schema_findings({"kind": name, **both}), f"{name}: only one of {kind.one_of}"


def test_writers_refuse_a_field_the_kind_does_not_have() -> None:
    with pytest.raises(ValueError, match="has no field"):
        event_text(DETECTED, "ack", "alex", {"text": "acknowledged"})
    with pytest.raises(KeyError, match="unknown event kind"):
        event_text(DETECTED, "rumour", "alex", {})


def test_every_kind_has_a_label_and_a_headline() -> None:
    for kind in KINDS.values():
        assert kind.label and kind.label[0].isupper()
        headline = kind.headline_for(INCIDENT, {"kind": kind.name, **SAMPLES[kind.name]})
        assert headline.startswith("INC-0001 ") and headline.endswith(": Card payments failing")


# --- the records guide -----------------------------------------------------------------------


def _docs_rows() -> dict[str, tuple[list[str], list[str], str]]:
    """The kinds table the records guide shows (made at build time: test_site_build checks the built page has it)."""
    text = (ROOT / "docs" / "records.md").read_text(encoding="utf-8")
    assert "<!-- mimctl: event-kinds -->" in text
    table = guides.event_kinds().split("| Kind | Fields (required in bold) | Written by |", 1)[1]
    rows = {}
    for line in table.strip().splitlines()[1:]:
        kind_cell, fields_cell, written = (cell.strip() for cell in line.strip("|").split("|"))
        required = re.findall(r"\*\*`([a-z_]+)`\*\*", fields_cell)
        every = re.findall(r"`([a-z_]+)`", re.sub(r"\([^)]*\)", "", fields_cell))
        rows[kind_cell.strip("`")] = (required, [f for f in every if f not in required], written)
    return rows


def test_the_records_guide_lists_every_kind_in_table_order() -> None:
    assert list(_docs_rows()) == list(KINDS)


@pytest.mark.parametrize("name", list(KINDS))
def test_the_records_guide_gives_each_kind_its_fields_and_commands(name: str) -> None:
    required, optional, written = _docs_rows()[name]
    kind = KINDS[name]
    assert required == list(kind.required)
    assert optional == list(kind.optional)
    assert written == kind.written_by


# --- notifications ---------------------------------------------------------------------------


def test_the_notifier_sends_the_notified_kinds() -> None:
    assert sorted(comms.NOTIFIED_KINDS) == sorted(events.notified_kinds())


def test_notification_routes_may_match_the_notified_kinds() -> None:
    routes = vocabulary.schema("process")["properties"]["notifications"]["properties"]["routes"]["items"]
    assert sorted(routes["properties"]["match"]["properties"]["events"]["items"]["enum"]) == sorted(events.notified_kinds())


@pytest.fixture
def tracker(tmp_path: Path) -> Tracker:
    root = make_tracker(tmp_path / "tracker")
    folder = root / "incidents" / "INC-0001"
    (folder / "timeline").mkdir(parents=True)
    (folder / "incident.yaml").write_text(dump_new(INCIDENT, SCHEMA_FROM_INCIDENT), encoding="utf-8")
    return Tracker(root)


@pytest.mark.parametrize("name", events.notified_kinds())
@pytest.mark.parametrize("level", [0, 1])
def test_the_notifier_headlines_a_kind_as_the_registry_does(tracker: Tracker, name: str, level: int) -> None:
    at = DETECTED + timedelta(minutes=5)
    data = {"kind": name, "at": format_time(at), "by": "alex", **SAMPLES[name], **({"level": level} if "level" in SAMPLES[name] else {})}
    event = Event(f"20250310T080500Z-{name}-abcdef.yaml", at, name, data)
    incident = Incident("INC-0001", INCIDENT, (event,))
    notice = notifications.notice_of(incident, event, f"incidents/INC-0001/timeline/{event.name}", tracker.process)
    assert notice.headline == notifications.one_line(KINDS[name].headline_for(INCIDENT, data))


# --- what the public sees ----------------------------------------------------------------------


def _event(name: str, **extra: Any) -> Event:
    data = {"kind": name, "at": format_time(DETECTED), **SAMPLES[name], **extra}
    return Event(f"20250310T080000Z-{name}-abcdef.yaml", DETECTED, name, data)


def _variants() -> list[Event]:
    found = []
    for name in KINDS:
        found.append(_event(name))
        found += [_event(name, audience=audience) for audience in vocabulary.AUDIENCES]
    return found


def test_the_public_site_edition_shows_exactly_the_public_events() -> None:
    every = _variants()
    view = incident_view(Incident("INC-0001", INCIDENT, tuple(every)), Catalog({}, {}), PUBLIC)
    assert view is not None
    shown = view.events
    expected = [e for e in every if events.is_public(e.data)]
    assert [e.kind for e in shown] == [e.kind for e in expected]  # a public stage event keeps its times only
    assert all(e.data.get("audience") == "public" for e in shown if e.kind == "stakeholder-update")
    assert set(events.public_kinds()) == {"stage", "stakeholder-update"}


def test_the_personal_data_scan_treats_exactly_the_public_events_as_published(tracker: Tracker) -> None:
    folder = tracker.incident_dir("INC-0001") / "timeline"
    published = {}
    for number, event in enumerate(_variants()):
        data = {**event.data, "text": "Call jane.doe@example.com"}
        name = f"20250310T08{number:02d}00Z-{event.kind}-{number:06x}.yaml"
        (folder / name).write_text(dump_new(data, SCHEMA_FROM_EVENT), encoding="utf-8")
        published[name] = events.is_public(data)
    flagged = {Path(f.path).name for f in secret_scan.scan_bundle(tracker.load_bundle("INC-0001")) if f.rule == secret_scan.PERSONAL_DATA}
    assert flagged == {name for name, public in published.items() if public}


# --- which events may come before detection -------------------------------------------------------


def test_only_the_early_kinds_may_be_dated_before_detection(tracker: Tracker) -> None:
    folder = tracker.incident_dir("INC-0001") / "timeline"
    before = DETECTED - timedelta(minutes=30)
    names = {}
    for name in KINDS:
        if name == "stage":
            continue  # a stage event also moves the stage; judged by its own rules
        path = folder / f"{before.strftime('%Y%m%dT%H%M%SZ')}-{name}-abcdef.yaml"
        path.write_text(event_text(before, name, "alex", SAMPLES[name]), encoding="utf-8")
        names[path.name] = name
    report = validate(tracker, now=datetime(2027, 1, 1, tzinfo=timezone.utc))
    early = {names[Path(f.path).name] for f in report.findings if "before the incident was detected" in f.message}
    assert early == set(names.values()) - events.early_kinds()
    assert events.early_kinds() == {"alert", "note", "evidence"}
