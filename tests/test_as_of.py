"""The incident as of a moment (Incident.as_of): the state a gate is judged on."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from mimctl import lifecycle
from mimctl.model import ABSENT, PIR_RECORD, Event, Incident, format_time
from mimctl.store import Tracker

T0 = datetime(2025, 3, 10, 8, 0, tzinfo=timezone.utc)
REPO_ROOT = Path(__file__).resolve().parents[1]


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def event(minutes: int, kind: str, **data: Any) -> Event:
    name = f"{at(minutes):%Y%m%dT%H%M%SZ}-{kind}-{minutes:06x}.yaml"
    return Event(name, at(minutes), kind, {"at": format_time(at(minutes)), "kind": kind, **data})


BASE = {
    "id": "INC-0001",
    "title": "Card payments failing",
    "stage": "identify",
    "severity": "SEV1",
    "impact": "high",
    "urgency": "high",
    "priority": 1,
    "detection": {"source": "alert"},
    "detected_at": format_time(T0),
    "services": ["checkout-api"],
}


def incident(data: dict[str, Any], *events: Event, pir: dict[str, Any] | None = None) -> Incident:
    return Incident("INC-0001", {**BASE, **data}, tuple(sorted(events, key=lambda e: (e.at, e.name))), pir)


def test_fields_set_by_later_events_did_not_exist_yet() -> None:
    inc = incident(
        {"major_reason": "Customers cannot pay", "summary": "Errors"},
        event(0, "declared", text="Declared"),
        event(60, "classified", text="x", sets={"major_reason": "Customers cannot pay", "summary": "Errors", "impact": "high"}),
    )
    then = inc.as_of(at(5))
    assert "major_reason" not in then.data and "summary" not in then.data
    assert then.data["impact"] == "high", "required fields keep their value"
    assert [e.kind for e in then.events] == ["declared"]
    now = inc.as_of(at(60))
    assert now.data["major_reason"] == "Customers cannot pay" and now.data == inc.data


def test_a_value_changed_later_is_the_earlier_value_then() -> None:
    inc = incident(
        {"summary": "Second", "roles": {"incident_manager": "bob"}},
        event(1, "field", field="summary", value="First", sets={"summary": "First"}),
        event(2, "role", role="incident_manager", person="alice"),
        event(30, "field", field="summary", value="Second", sets={"summary": "Second"}),
        event(31, "role", role="incident_manager", person="bob", previous="alice"),
    )
    then = inc.as_of(at(10))
    assert then.data["summary"] == "First" and then.data["roles"] == {"incident_manager": "alice"}
    assert inc.as_of(at(1)).data.get("roles") is None, "before the first assignment there was none"


def test_a_whole_mapping_set_later_replaces_what_was_there() -> None:
    inc = incident(
        {"cause": {"status": "confirmed", "summary": "Pool too small"}},
        event(5, "note", text="unknown", sets={"cause": {"status": "unknown", "unknown_reason": "Still looking"}}),
        event(40, "note", text="found", sets={"cause": {"status": "confirmed", "summary": "Pool too small"}}),
    )
    assert inc.as_of(at(10)).data["cause"] == {"status": "unknown", "unknown_reason": "Still looking"}
    assert inc.as_of(at(2)).data.get("cause") is None


def test_a_time_of_its_own_dates_a_fact_even_without_an_event() -> None:
    inc = incident({"validation": {"confirmed_by": "pat", "confirmed_at": format_time(at(60)), "scope": "All"}})
    assert "validation" not in inc.as_of(at(5)).data
    assert inc.as_of(at(60)).data["validation"]["confirmed_by"] == "pat"


def test_a_fact_counts_from_the_later_of_its_own_time_and_its_event() -> None:
    # A scribe who sets the time field afterwards does not move the fact earlier than its record.
    inc = incident(
        {"resolution": {"stable_since": format_time(at(10))}},
        event(
            50, "field", field="resolution.stable_since", value=format_time(at(10)), sets={"resolution.stable_since": format_time(at(10))}
        ),
    )
    assert "resolution" not in inc.as_of(at(20)).data
    assert inc.as_of(at(50)).data["resolution"] == {"stable_since": format_time(at(10))}


def test_events_written_before_sets_existed_date_the_fields_of_their_kind() -> None:
    inc = incident(
        {"major_reason": "Customers cannot pay", "validation": {"confirmed_by": "pat", "confirmed_at": format_time(at(3))}},
        event(3, "validated", text="ok"),
        event(60, "classified", text="impact high"),
    )
    then = inc.as_of(at(5))
    assert "major_reason" not in then.data
    assert then.data["validation"]["confirmed_by"] == "pat"


def test_untimed_fields_take_the_time_and_earlier_value_the_caller_gives() -> None:
    inc = incident({"summary": "By hand"}, pir={"status": "complete"})
    then = inc.as_of(at(5), {"summary": (at(30), ABSENT), PIR_RECORD: (at(30), {"status": "draft"})})
    assert "summary" not in then.data and then.pir == {"status": "draft"}
    assert inc.as_of(at(30), {"summary": (at(30), ABSENT)}).data["summary"] == "By hand"


def test_a_review_held_later_is_not_complete_then() -> None:
    pir = {"status": "complete", "meeting": {"held_at": format_time(at(120)), "attendees": ["a"]}, "summary": "s"}
    inc = incident({}, pir=pir)
    assert inc.as_of(at(60)).pir == {"status": "draft", "summary": "s"}
    assert inc.as_of(at(120)).pir == pir


def test_the_stage_then_is_the_last_stage_event_before() -> None:
    inc = incident(
        {"stage": "contain"},
        event(5, "stage", **{"from": "identify", "to": "notify"}),
        event(9, "stage", **{"from": "notify", "to": "contain"}),
    )
    assert [inc.as_of(at(m)).stage for m in (1, 5, 8, 9, 99)] == ["identify", "notify", "notify", "contain", "contain"]


def test_as_of_leaves_the_incident_itself_alone() -> None:
    inc = incident({"summary": "x"}, event(30, "field", field="summary", value="x", sets={"summary": "x"}))
    before = repr(inc)
    inc.as_of(at(1))
    assert repr(inc) == before


def test_every_stage_change_of_this_repositorys_sample_incidents_met_its_gate_at_its_time() -> None:
    """The sample tracker was written by the CLI: its history must pass the gates as of each change."""
    tracker = Tracker(REPO_ROOT)
    process = tracker.process
    judged = 0
    for incident_id in tracker.incident_folders():
        model = tracker.load_bundle(incident_id).model
        assert model is not None, incident_id
        current = process.stage_ids[0]
        entered = None
        for change in model.events_of("stage"):
            before = replace(model, data={**model.data, "stage": current})
            verdict = lifecycle.judge(
                before, process, change.data["to"], change.data.get("reason"), at=change.at, event=change, entered_at=entered
            )
            assert verdict.allowed, (incident_id, change.name, verdict.problems, [i.name for i in verdict.gate if not i.met])
            current, entered = change.data["to"], change.at
            judged += 1
    assert judged > 30


@pytest.mark.parametrize("minute", [0, 4])
def test_as_of_makes_a_gate_fail_that_the_final_values_would_pass(minute: int) -> None:
    tracker = Tracker(REPO_ROOT)
    inc = incident(
        {
            "major_reason": "Customers cannot pay",
            "summary": "Errors",
            "impacted_users": {"count": 1},
            "validation": {"confirmed_by": "pat", "confirmed_at": format_time(at(60))},
        },
        event(60, "classified", text="x", sets={"major_reason": "Customers cannot pay", "summary": "Errors", "impacted_users.count": 1}),
    )
    assert lifecycle.judge(inc, tracker.process, None, None).allowed, "met today"
    late = lifecycle.judge(inc, tracker.process, None, None, at=at(minute))
    assert not late.allowed
    assert {i.name for i in late.gate if not i.met} == {"validated", "classified", "initial_details"}
    assert all(i.note == "on record only later" for i in late.gate if not i.met)
