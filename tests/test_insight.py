"""mimctl actions and stats: what they print agrees with metrics.py for records made with the CLI."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from gitutil import declare, make_tracker, ok, ok_json, ready_to_leave_identify, run, t
from mimctl import metrics, milestones
from mimctl.store import Tracker


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two incidents and their reviews, all recorded through the CLI."""
    root = make_tracker(tmp_path_factory.mktemp("insight") / "tracker")
    first = declare(root)  # SEV1, detected at t(0)
    ok(["ack", first, "--at", t(4), "--by", "alice"], root)
    ready_to_leave_identify(root, first)
    ok(["advance", first, "--at", t(5)], root)
    action = ok_json(["containment", "add", first, "--action", "Scaled out", "--rollback", "Scale in", "--at", t(8)], root)["action_id"]
    ok(["containment", "set", first, action, "effective", "--at", t(10)], root)
    ok(["resolution", first, "--implemented", "CHG-1", "--summary", "Rolled back", "--at", t(25)], root)
    ok(["resolution", first, "--service-restored", "--at", t(30)], root)
    second = ok_json(
        [
            "new",
            "--title",
            "Search slow",
            "--service",
            "search",
            "--impact",
            "medium",
            "--urgency",
            "medium",
            "--severity",
            "SEV2",
            "--source",
            "user-report",
            "--at",
            t(100),
        ],
        root,
    )["incident"]
    ok(["ack", second, "--at", t(112)], root)
    for incident, title, owner, due in (
        (first, "Alert on pool saturation", "bob", "2025-03-01"),
        (first, "Canary releases", "alice", "2025-04-01"),
        (first, "Runbook: check deploys first", "bob", "2025-03-05"),
        (second, "Index rebuild alert", "bob", "2025-03-10"),
    ):
        ok(["pir", "action", "add", incident, "--title", title, "--owner", owner, "--due", due], root)
    ok(["pir", "action", "set", first, "A3", "done"], root)
    return root


def incidents(repo: Path) -> list[Any]:
    tr = Tracker(repo)
    return [m for i in tr.incident_ids() if (m := tr.load_bundle(i).model) is not None]


# --- actions -------------------------------------------------------------------------


def keys(data: dict[str, Any]) -> list[str]:
    return [f"{a['incident']}/{a['id']}" for a in data["actions"]]


def test_actions_lists_every_item(repo: Path) -> None:
    data = ok_json(["actions", "--today", "2025-03-15"], repo)
    assert keys(data) == ["INC-0001/A1", "INC-0001/A2", "INC-0001/A3", "INC-0002/A1"]
    assert [a["overdue"] for a in data["actions"]] == [True, False, False, True]  # A3 is done: never overdue


def test_overdue_is_judged_on_the_given_day_oldest_due_first(repo: Path) -> None:
    assert keys(ok_json(["actions", "--overdue", "--today", "2025-03-15"], repo)) == ["INC-0001/A1", "INC-0002/A1"]
    assert keys(ok_json(["actions", "--overdue", "--today", "2025-03-05"], repo)) == ["INC-0001/A1"]
    assert keys(ok_json(["actions", "--overdue", "--today", "2025-03-01"], repo)) == []  # due today is not late yet
    expected = metrics.overdue_actions(incidents(repo), date(2025, 3, 15))
    assert keys(ok_json(["actions", "--overdue", "--today", "2025-03-15"], repo)) == [f"{a.incident_id}/{a.id}" for a in expected]


def test_owner_filter(repo: Path) -> None:
    assert keys(ok_json(["actions", "--owner", "alice", "--today", "2025-03-15"], repo)) == ["INC-0001/A2"]
    assert keys(ok_json(["actions", "--owner", "alice", "--overdue", "--today", "2025-03-15"], repo)) == []
    assert keys(ok_json(["actions", "--owner", "alice", "--overdue", "--today", "2025-04-02"], repo)) == ["INC-0001/A2"]
    assert keys(ok_json(["actions", "--owner", "bob", "--overdue", "--today", "2025-03-15"], repo)) == ["INC-0001/A1", "INC-0002/A1"]


def test_actions_text_and_csv(repo: Path) -> None:
    text = ok(["actions", "--today", "2025-03-15"], repo).stdout
    assert text.count("OVERDUE") == 2 and "4 action item(s), 2 overdue on 2025-03-15" in text
    rows = list(csv.DictReader(io.StringIO(ok(["actions", "--overdue", "--today", "2025-03-15", "--format", "csv"], repo).stdout)))
    assert [(r["incident"], r["id"], r["owner"], r["due"], r["overdue"]) for r in rows] == [
        ("INC-0001", "A1", "bob", "2025-03-01", "True"),
        ("INC-0002", "A1", "bob", "2025-03-10", "True"),
    ]


def test_a_bad_today_is_a_usage_error(repo: Path) -> None:
    result = run(["actions", "--today", "tomorrow"], repo)
    assert result.exit_code == 2 and "--today" in result.stderr, result


# --- stats ---------------------------------------------------------------------------


def summary(s: metrics.Summary) -> dict[str, Any]:
    return {"count": s.count, "mean": s.mean, "median": s.median, "approximate": s.approximate, "unknown": s.unknown}


@pytest.mark.parametrize("by", ["severity", "service", "month"])
def test_stats_json_and_csv_agree_with_metrics(repo: Path, by: str) -> None:
    process = Tracker(repo).process
    expected = [*metrics.aggregate(incidents(repo), process, by), metrics.overall(incidents(repo), process)]  # type: ignore[arg-type]
    data = ok_json(["stats", "--by", by, "--today", "2025-03-15"], repo)
    assert data["by"] == by and data["incidents"] == 2 and data["overdue_actions"] == 2
    assert data["definitions"] == metrics.definitions_text(process)
    assert list(data["definitions"]) == [*milestones.definitions(process).duration_ids, "time_in_stage"]
    got = [*data["groups"], data["overall"]]
    assert [g["key"] for g in got] == [g.key for g in expected]
    rows = list(csv.DictReader(io.StringIO(ok(["stats", "--by", by, "--format", "csv"], repo).stdout)))
    assert [(r["by"], r["key"]) for r in rows] == [(by, g.key) for g in expected[:-1]] + [("all", "all")]
    for group, json_group, row in zip(expected, got, rows, strict=True):
        assert json_group["incidents"] == group.incidents == int(row["incidents"])
        for name in milestones.definitions(process).duration_ids:
            assert json_group[name] == summary(group.duration(name))
            assert row[f"{name}_count"] == str(group.duration(name).count)
            assert row[f"{name}_mean_s"] == ("" if group.duration(name).mean is None else str(group.duration(name).mean))
        for stage, stage_summary in group.time_in_stage:
            assert json_group["time_in_stage"][stage] == summary(stage_summary)
            assert row[f"stage_{stage}_median_s"] == ("" if stage_summary.median is None else str(stage_summary.median))


def test_stats_figures_are_the_recorded_times(repo: Path) -> None:
    data = ok_json(["stats", "--by", "severity"], repo)
    sev1 = next(g for g in data["groups"] if g["key"] == "SEV1")
    assert sev1["time_to_acknowledge"]["mean"] == 4 * 60
    assert sev1["time_to_mitigate"]["mean"] == 10 * 60  # the action took effect at 10 minutes; it was taken at 8
    assert sev1["time_to_resolve"]["mean"] == 30 * 60  # service restored, not the fix at 25
    assert data["overall"]["time_to_acknowledge"] == {"count": 2, "mean": 8 * 60, "median": 8 * 60, "approximate": 0, "unknown": 0}
    assert data["overall"]["time_in_stage"]["identify"]["count"] == 1


def test_stats_text_is_a_table(repo: Path) -> None:
    text = ok(["stats", "--today", "2025-03-15"], repo).stdout
    assert text.splitlines()[0].split() == ["severity", "incidents", "MTTD", "MTTA", "MTTM", "MTTR", "recover", "impact"]
    assert "SEV1" in text and "overdue action items on 2025-03-15: 2" in text


def test_stats_by_incident_lists_every_milestone_and_duration(repo: Path) -> None:
    data = ok_json(["stats", "--by", "incident"], repo)
    first = data["incidents"][0]
    assert first["id"] == "INC-0001"
    assert first["milestones"]["detected"]["at"] == t(0)
    assert first["milestones"]["acknowledged"]["at"] == t(4)
    assert first["milestones"]["mitigated"]["at"] == t(10)
    assert first["milestones"]["resolved"] == {
        "id": "resolved",
        "title": "Resolved",
        "at": t(30),
        "placed_at": None,
        "precision": "exact",
        "approximate": False,
        "margin_minutes": None,
        "text": t(30).replace("T", " ").replace("Z", " UTC"),
        "source": "resolution.service_restored_at",
    }
    assert first["milestones"]["closed"] is None
    assert first["durations"]["time_to_resolve"] == {
        "title": "Time to resolve",
        "from": "detected",
        "to": "resolved",
        "seconds": 30 * 60,
        "approximate": False,
    }
    assert first["durations"]["time_to_recover"]["seconds"] is None
    assert first["durations"]["time_to_recover"]["missing"] == "not reached: recovered"
    text = ok(["stats", "--by", "incident"], repo).stdout
    assert text.splitlines()[1].split()[:6] == ["INC-0001", "SEV1", "7m", "4m", "10m", "30m"]  # impact started 7 minutes before detection
    rows = list(csv.DictReader(io.StringIO(ok(["stats", "--by", "incident", "--format", "csv"], repo).stdout)))
    assert [(r["incident"], r["time_to_resolve_s"], r["resolved_at"]) for r in rows] == [
        ("INC-0001", "1800.0", t(30)),
        ("INC-0002", "", ""),
    ]
