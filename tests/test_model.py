"""Domain objects: the process tables, the catalog graph, what the timeline says."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from mimctl.model import Catalog, Event, Incident, Process, StageVisit, format_time, parse_time
from mimctl.yamlio import load_file

REPO_ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 11, 15, 8, 45, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def process() -> Process:
    return Process.from_data(load_file(REPO_ROOT / "process.yaml").data)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.from_data(load_file(REPO_ROOT / "catalog.yaml").data)


def ev(minutes: int, kind: str, **data: Any) -> Event:
    at = T0 + timedelta(minutes=minutes)
    return Event(f"{at:%Y%m%dT%H%M%SZ}-{kind}-{minutes:06x}.yaml", at, kind, {"kind": kind, **data})


def incident(*events: Event, **fields: Any) -> Incident:
    data = {"id": "INC-0001", "title": "t", "stage": "identify", "severity": "SEV1", "detected_at": "2026-11-15T08:45:00Z", **fields}
    return Incident("INC-0001", data, tuple(events))


def graph(edges: dict[str, list[str]]) -> Catalog:
    return Catalog.from_data(
        {
            "teams": [{"id": "t", "name": "T"}],
            "services": [{"id": s, "name": s, "owner": "t", "tier": 1, "depends_on": deps} for s, deps in edges.items()],
        }
    )


# --- Process -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"),
    [("high", "high", 1), ("high", "medium", 2), ("high", "low", 3), ("medium", "high", 2), ("medium", "low", 4), ("low", "low", 5)],
)
def test_priority_from_the_matrix(process: Process, impact: str, urgency: str, priority: int) -> None:
    assert process.priority(impact, urgency) == priority


@pytest.mark.parametrize(("impact", "urgency"), [("huge", "high"), ("high", "now"), ("", "")])
def test_priority_of_unknown_levels_is_none(process: Process, impact: str, urgency: str) -> None:
    assert process.priority(impact, urgency) is None


def test_process_tables(process: Process) -> None:
    assert process.stage_ids == (
        "identify",
        "notify",
        "contain",
        "investigate",
        "resolve",
        "recover",
        "close",
        "review",
        "improve",
        "complete",
    )
    assert process.next_stage("identify") == "notify"
    assert process.next_stage("improve") == "complete"
    assert process.next_stage("complete") is None
    assert process.next_stage("triage") is None
    assert process.stage("complete").final  # type: ignore[union-attr]
    assert process.stage("triage") is None
    assert process.reopen["resolve"] == ("investigate", "contain")
    assert process.severity("SEV1").pir_required  # type: ignore[union-attr]
    assert not process.severity("SEV3").pir_required  # type: ignore[union-attr]
    assert process.severity("sev1") is None
    assert process.manager_role in process.roles
    assert process.max_future_minutes == 10


# --- Catalog -------------------------------------------------------------------


def test_dependents_are_transitive(catalog: Catalog) -> None:
    assert catalog.dependents("message-queue") == [
        "checkout-api",
        "mobile-app-api",
        "payments-gateway",
        "search",
        "search-index",
        "web-shop",
    ]
    assert catalog.dependents("orders-db") == ["checkout-api", "mobile-app-api", "reporting", "web-shop"]
    assert catalog.dependents("web-shop") == []
    assert catalog.dependents("no-such-service") == []


def test_repository_catalog_has_no_cycles(catalog: Catalog) -> None:
    assert catalog.cycles() == []


def test_dependents_terminate_in_a_cycle_and_exclude_the_service() -> None:
    ring = graph({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]})
    assert ring.dependents("a") == ["b", "c", "d"]


def test_cycles_are_found_once_each() -> None:
    found = graph({"a": ["b"], "b": ["c"], "c": ["a"], "x": ["y"], "y": ["x"], "z": ["a"]}).cycles()
    assert sorted(found) == [["a", "b", "c", "a"], ["x", "y", "x"]]


def test_self_dependency_is_a_cycle() -> None:
    assert graph({"a": ["a"]}).cycles() == [["a", "a"]]


def test_diamond_is_not_a_cycle() -> None:
    assert graph({"top": ["l", "r"], "l": ["base"], "r": ["base"], "base": []}).cycles() == []


def test_unknown_dependency_is_not_a_cycle() -> None:
    assert graph({"a": ["ghost"]}).cycles() == []


# --- Incident ------------------------------------------------------------------


def test_containment_follows_its_updates() -> None:
    it = incident(
        ev(5, "containment", id="C-0001", action="Failover", rollback="Fail back", by="alex"),
        ev(6, "containment", id="C-0002", action="Throttle", rollback="Unthrottle"),
        ev(9, "containment-update", action_id="C-0001", state="effective"),
        ev(20, "containment-update", action_id="C-0001", state="rolled-back"),
        ev(21, "containment-update", action_id="C-9999", state="made-permanent"),
    )
    actions = {a.id: a for a in it.containment()}
    assert list(actions) == ["C-0001", "C-0002"]
    first = actions["C-0001"]
    assert (first.action, first.rollback, first.by, first.state, first.at) == (
        "Failover",
        "Fail back",
        "alex",
        "rolled-back",
        T0 + timedelta(minutes=5),
    )
    assert first.settled
    assert actions["C-0002"].state == "open"
    assert not actions["C-0002"].settled


def test_hypotheses_collect_state_and_evidence() -> None:
    it = incident(
        ev(10, "hypothesis", id="H-0001", text="Expired certificate", evidence=["TLS alerts"]),
        ev(11, "hypothesis", id="H-0002", text="Bad deploy"),
        ev(15, "hypothesis-update", hypothesis_id="H-0001", state="confirmed", evidence=["Handshake errors"], text="Cert expired 08:00Z"),
        ev(16, "hypothesis-update", hypothesis_id="H-0002", state="refuted"),
        ev(17, "hypothesis-update", hypothesis_id="H-0404", state="confirmed"),
    )
    found = {h.id: h for h in it.hypotheses()}
    assert list(found) == ["H-0001", "H-0002"]
    assert found["H-0001"].state == "confirmed"
    assert found["H-0001"].text == "Expired certificate"
    assert found["H-0001"].evidence == ("TLS alerts", "Handshake errors", "Cert expired 08:00Z")
    assert (found["H-0002"].state, found["H-0002"].evidence) == ("refuted", ())


def test_stage_history_from_the_stage_events() -> None:
    it = incident(
        ev(1, "declared", text="d"),
        ev(4, "stage", to="notify"),
        ev(9, "stage", to="contain"),
        ev(30, "stage", to="investigate"),
        stage="investigate",
    )
    assert it.stage_history("identify") == [
        StageVisit("identify", T0 + timedelta(minutes=1), T0 + timedelta(minutes=4)),
        StageVisit("notify", T0 + timedelta(minutes=4), T0 + timedelta(minutes=9)),
        StageVisit("contain", T0 + timedelta(minutes=9), T0 + timedelta(minutes=30)),
        StageVisit("investigate", T0 + timedelta(minutes=30), None),
    ]


def test_stage_history_without_events_starts_at_detection() -> None:
    assert incident().stage_history("identify") == [StageVisit("identify", T0, None)]


def test_stage_history_records_a_reopen() -> None:
    it = incident(ev(4, "stage", to="resolve"), ev(9, "stage", to="investigate"), stage="investigate")
    assert [v.stage for v in it.stage_history("identify")] == ["identify", "resolve", "investigate"]


def test_updates_by_audience() -> None:
    public = ev(3, "stakeholder-update", audience="public", status="investigating", text="p")
    internal = ev(4, "stakeholder-update", audience="internal", status="investigating", text="i")
    it = incident(public, internal, ev(5, "note", text="n"))
    assert it.updates() == [public, internal]
    assert it.updates("public") == [public]


# --- times ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-15T08:45:00Z", T0),
        ("2026-11-15T09:45:00+01:00", T0),
        ("2026-11-15T03:45:00-05:00", T0),
        ("2026-11-15T08:45Z", T0),
        ("2026-11-15T08:45:00.250000Z", T0 + timedelta(milliseconds=250)),
    ],
)
def test_parse_time_is_utc(text: str, expected: datetime) -> None:
    moment = parse_time(text)
    assert moment == expected
    assert moment.utcoffset() == timedelta(0)


def test_format_time_round_trips() -> None:
    assert format_time(parse_time("2026-11-15T09:45:00+01:00")) == "2026-11-15T08:45:00Z"
