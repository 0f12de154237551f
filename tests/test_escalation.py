"""mimctl escalate with a fixed clock: levels advance on time, stop after ack, never repeat; notifications go once."""

from __future__ import annotations

from pathlib import Path

import pytest

import test_channels
from gitutil import START, assert_unchanged, commit_count, commit_files, declare, head, ok, ok_json, run, snapshot, t, trailers
from mimctl import escalation
from mimctl.model import Event, Incident, Process, parse_time
from mimctl.store import Tracker
from mimctl.yamlio import load_file
from test_channels import Recorder
from test_notifications import tracker_with

recorder = test_channels.recorder  # the HTTP server fixture

ROUTES = """notifications:
  retry: {attempts: 2, timeout_seconds: 0.5, backoff_seconds: 0.01, budget_seconds: 2}
  channels:
    - {id: pager, type: webhook, url_env: T_PAGER_URL, secret_env: T_PAGER_SECRET}
  routes:
    - match: {events: [escalation]}
      channels: [pager]
"""


@pytest.fixture
def repo(tmp_path: Path, recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("T_PAGER_URL", recorder.url("/pager"))
    monkeypatch.setenv("T_PAGER_SECRET", "pager-secret")
    return tracker_with(tmp_path, ROUTES)


def escalate(repo: Path, minute: int) -> dict[str, object]:
    data: dict[str, object] = ok_json(["escalate", "--now", t(minute)], repo)
    return data


def levels(data: dict[str, object]) -> list[tuple[str, int]]:
    return [(e["incident"], e["level"]) for e in data["escalated"]]  # type: ignore[attr-defined, index]


def incident_escalation(repo: Path, incident_id: str) -> dict[str, object]:
    data = load_file(repo / "incidents" / incident_id / "incident.yaml").data
    return dict(data.get("escalation") or {})


def test_levels_advance_on_time_and_never_repeat(repo: Path, recorder: Recorder) -> None:
    incident_id = declare(repo)  # SEV1: policy "major", levels ack within 5, 10, 15 minutes
    first = escalate(repo, 0)
    assert levels(first) == [(incident_id, 0)]
    assert first["escalated"][0]["to"] == ["@mim-oncall"]  # type: ignore[index]
    assert incident_escalation(repo, incident_id) == {"level": 0, "policy": "major"}
    assert trailers(repo, "HEAD~1")["Escalation-Level"] == "0"  # the escalation commit, then the ledger commit
    assert levels(escalate(repo, 0)) == [] and levels(escalate(repo, 4)) == []
    assert levels(escalate(repo, 5)) == [(incident_id, 1)]
    assert levels(escalate(repo, 14)) == []  # level 1 reached at minute 5: ten more minutes to ack
    assert levels(escalate(repo, 15)) == [(incident_id, 2)]
    assert levels(escalate(repo, 500)) == []  # the top of the path
    assert incident_escalation(repo, incident_id)["level"] == 2
    pages = [r.json()["event"] for r in recorder.to("/pager")]
    assert [(p["level"], p["to"]) for p in pages] == [(0, ["@mim-oncall"]), (1, ["@mim-lead", "@sre-lead"]), (2, ["@head-of-operations"])]


def test_an_ack_stops_escalation(repo: Path, recorder: Recorder) -> None:
    incident_id = declare(repo)
    escalate(repo, 0)
    ok(["ack", incident_id, "--at", t(3), "--by", "oncall-alice"], repo)
    assert levels(escalate(repo, 6)) == [] and levels(escalate(repo, 60)) == []
    assert len(recorder.to("/pager")) == 1


def test_one_commit_per_incident_and_one_ledger_commit(repo: Path) -> None:
    first = declare(repo)
    second = declare(repo, t(1), "--severity", "SEV3")
    before = commit_count(repo)
    data = escalate(repo, 1)
    assert sorted(levels(data)) == [(first, 0), (second, 0)]
    assert commit_count(repo) == before + 3
    assert commit_files(repo) == [".mimctl/notifications.jsonl"]
    # SEV3 follows the "standard" policy: 15 minutes before level 1.
    assert levels(escalate(repo, 6)) == [(first, 1)]
    assert sorted(levels(escalate(repo, 16))) == [(first, 2), (second, 1)]  # first: 10 minutes after level 1


def test_a_failed_page_is_retried_by_the_next_run_without_a_new_level(repo: Path, recorder: Recorder) -> None:
    incident_id = declare(repo)
    recorder.always["/pager"] = 500
    failed = run(["escalate", "--now", t(0)], repo)
    assert failed.exit_code == 1 and "failed" in failed.stdout, failed
    assert incident_escalation(repo, incident_id)["level"] == 0  # recorded even though the page failed
    recorder.always["/pager"] = 200
    retried = escalate(repo, 1)
    assert levels(retried) == []
    assert [o["status"] for o in retried["notifications"]["outcomes"]] == ["sent"]  # type: ignore[index]
    escalate(repo, 2)
    assert len(recorder.to("/pager", 200)) == 1


def test_dry_run_records_and_sends_nothing(repo: Path, recorder: Recorder) -> None:
    declare(repo)
    before = snapshot(repo)
    result = ok(["escalate", "--now", t(0), "--dry-run"], repo)
    assert "level 0" in result.stdout and "dry-run" in result.stdout and '"level": 0' in result.stdout
    assert not recorder.requests
    assert_unchanged(before, snapshot(repo))


def test_no_notify_records_only(repo: Path, recorder: Recorder) -> None:
    declare(repo)
    sha = head(repo)
    ok(["escalate", "--now", t(0), "--no-notify"], repo)
    assert head(repo) != sha and not recorder.requests


# --- the pure rule ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def process() -> Process:
    return Tracker(Path(__file__).resolve().parents[1]).process


def model(stage: str = "contain", severity: str = "SEV1", events: tuple[Event, ...] = (), **extra: object) -> Incident:
    data = {"id": "INC-0001", "title": "x", "stage": stage, "severity": severity, "detected_at": t(0), "declared_at": t(0), **extra}
    return Incident("INC-0001", data, events)


def escalated(level: int, minute: int) -> Event:
    return Event(f"{minute}.yaml", parse_time(t(minute)), "escalation", {"kind": "escalation", "level": level, "to": ["x"]})


def test_due_step_rules(process: Process) -> None:
    at = parse_time(t(5))
    assert escalation.due_step(model(), process, START) is not None  # level 0 at declaration
    assert escalation.due_step(model(), process, parse_time("2025-03-10T07:59:00Z")) is None  # not declared yet
    assert escalation.due_step(model(stage="recover"), process, at) is None  # not an active stage
    assert escalation.due_step(model(stage="close"), process, at) is None
    step = escalation.due_step(model(events=(escalated(0, 0),)), process, at)
    assert step is not None and step.level == 1 and step.due_at == at and "5 minutes" in step.reason
    acked = model(events=(escalated(0, 0),), escalation={"acknowledged_at": t(1), "acknowledged_by": "a"})
    assert escalation.due_step(acked, process, at) is None
    top = model(events=(escalated(0, 0), escalated(1, 5), escalated(2, 15)))
    assert escalation.due_step(top, process, parse_time(t(600))) is None
