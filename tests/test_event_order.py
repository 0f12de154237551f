"""Events at the same instant keep the order they were recorded in (``seq``), never the random part of their names.

Two stage changes in the same second used to fail about half the time (the
stage events were ordered by their random file-name suffix), and events at
the same time listed alphabetically by kind ("ack" before "declared").
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import make_tracker as make_folder
from gitutil import git, init_repo, ok, ok_json, run
from mimctl import validate
from mimctl.model import Event, Incident, parse_time, sort_events
from mimctl.store import Tracker

T = "2025-03-10T08:00:00Z"
INCIDENT = "INC-0001"


def _prepared(root: Path) -> Path:
    """An incident whose identify and notify gates are met, every fact recorded at the same second ``T``."""
    make_folder(root)
    steps = [
        ["new", "--title", "Card payments failing", "--service", "checkout-api", "--impact", "high", "--urgency", "high"]
        + ["--severity", "SEV1", "--source", "alert", "--summary", "Card payments fail.", "--users", "100"]
        + ["--major-reason", "Customers cannot pay"],
        ["confirm", INCIDENT, "--scope", "All card payments"],
        ["assign", INCIDENT, "incident_manager", "alex"],
        ["notified", INCIDENT, "--to", "@payments"],
        ["bridge", INCIDENT, "https://meet.example.com/inc-0001"],
        ["update", INCIDENT, "--status", "investigating", "We are investigating failed card payments."],
    ]
    for args in steps:
        ok([*args, "--at", T, "--no-commit", "--repo", str(root)], root)
    return root


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _prepared(tmp_path_factory.mktemp("order") / "prepared")


def _stage_kinds(root: Path) -> list[tuple[str, str]]:
    model = Tracker(root).load_bundle(INCIDENT).model
    assert model is not None
    return [(e.data["from"], e.data["to"]) for e in model.events_of("stage")]


def test_same_second_stage_changes_succeed_100_times_out_of_100(prepared: Path, tmp_path: Path) -> None:
    """Each try gets fresh random file names; the second change must always follow the first."""
    failures = []
    for attempt in range(100):
        root = tmp_path / f"try-{attempt}"
        shutil.copytree(prepared, root)
        first = run(["advance", INCIDENT, "--at", T, "--no-commit", "--repo", str(root)], root)
        second = run(["advance", INCIDENT, "--at", T, "--no-commit", "--repo", str(root)], root)
        result = validate.validate(Tracker(root))
        order = _stage_kinds(root)
        if first.exit_code or second.exit_code or not result.ok or order != [("identify", "notify"), ("notify", "contain")]:
            names = sorted(p.name for p in (root / "incidents" / INCIDENT / "timeline").glob("*-stage-*"))
            failures.append((attempt, first.exit_code, second.exit_code, [f.message for f in result.findings], order, names))
        shutil.rmtree(root)
    assert failures == [], failures[:3]


def test_the_pull_request_check_judges_same_second_stage_changes_in_recording_order(tmp_path: Path) -> None:
    root = tmp_path / "tracker"
    init_repo(root)
    _prepared(root)
    git("add", "--all", cwd=root)
    git("commit", "--quiet", "-m", "An incident at its first stage", cwd=root)
    git("checkout", "--quiet", "-b", "two-moves", cwd=root)
    ok(["advance", INCIDENT, "--at", T], root)
    ok(["advance", INCIDENT, "--at", T], root)
    names = sorted(p.name for p in (root / "incidents" / INCIDENT / "timeline").glob("*-stage-*"))
    assert len(names) == 2
    result = ok_json(["check", "--base", "main"], root)
    assert result["ok"], result
    assert [(c["from"], c["to"]) for c in result["stage_changes"]] == [("identify", "notify"), ("notify", "contain")]


def test_events_at_the_same_time_list_in_the_order_they_were_recorded(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "tracker")
    base = ["--at", T, "--no-commit", "--repo", str(root)]
    ok(
        ["new", "--title", "Checkout errors", "--service", "checkout-api", "--impact", "high", "--urgency", "high"]
        + ["--severity", "SEV1", "--source", "alert", *base],
        root,
    )
    for args in (["ack", INCIDENT], ["note", INCIDENT, "Zebra: written first"], ["note", INCIDENT, "Aardvark: written second"]):
        ok([*args, *base], root)
    model = Tracker(root).load_bundle(INCIDENT).model
    assert model is not None
    assert [e.kind for e in model.events] == ["declared", "ack", "note", "note"]  # not alphabetical: "ack" was recorded second
    assert [e.text for e in model.events_of("note")] == ["Zebra: written first", "Aardvark: written second"]
    assert [e.seq for e in model.events] == [1, 2, 3, 4]


def _event(name: str, at: str, seq: int | None = None) -> Event:
    data = {"at": at, "kind": "note", "text": name, **({"seq": seq} if seq is not None else {})}
    return Event(f"20250310T080000Z-note-{name}.yaml", parse_time(at), "note", data)


def test_the_order_is_time_then_recording_order_then_name() -> None:
    early = _event("ffffff", "2025-03-10T07:59:59Z", seq=9)
    old_b, old_a = _event("bbbbbb", T), _event("aaaaaa", T)  # written before seq existed, or by hand
    second, first = _event("000000", T, seq=5), _event("999999", T, seq=4)
    ordered = sort_events([second, old_b, first, early, old_a])
    assert [e.name[-11:-5] for e in ordered] == ["ffffff", "aaaaaa", "bbbbbb", "999999", "000000"]


def test_as_of_an_event_leaves_out_what_was_recorded_after_it_at_the_same_instant() -> None:
    judged = _event("111111", T, seq=2)
    later = Event(
        "20250310T080000Z-field-222222.yaml",
        parse_time(T),
        "field",
        {"at": T, "kind": "field", "field": "summary", "seq": 3, "sets": {"summary": "x"}},
    )
    earlier = Event(
        "20250310T080000Z-field-333333.yaml",
        parse_time(T),
        "field",
        {"at": T, "kind": "field", "field": "regions", "seq": 1, "sets": {"regions": ["eu"]}},
    )
    incident = Incident(
        INCIDENT, {"id": INCIDENT, "stage": "identify", "summary": "x", "regions": ["eu"]}, sort_events([later, judged, earlier])
    )
    then = incident.as_of(parse_time(T), before=judged)
    assert [e.name for e in then.events] == [earlier.name]
    assert "summary" not in then.data and then.data["regions"] == ["eu"]
    assert "summary" in incident.as_of(parse_time(T)).data  # without an event judged, the whole instant counts


def test_old_event_files_without_seq_stay_valid_and_in_their_order() -> None:
    tracker = Tracker(Path(__file__).resolve().parents[1])
    result = validate.validate(tracker)
    assert result.ok, [f.as_text() for f in result.findings]
    for incident_id in tracker.incident_ids():
        model = tracker.load_bundle(incident_id).model
        assert model is not None
        assert list(model.events) == sorted(model.events, key=lambda e: (e.at, e.name)), incident_id
