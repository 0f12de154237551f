"""The communication plan with a fixed clock: when updates are due, one reminder per overdue update, then one escalation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import test_channels
from gitutil import START, declare, ok, ok_json, t, timeline_files
from mimctl import cadence
from mimctl.model import Event, Incident, Process, parse_time
from mimctl.store import Tracker
from test_channels import Recorder
from test_notifications import tracker_with

recorder = test_channels.recorder  # the HTTP server fixture

SECTION = """notifications:
  retry: {attempts: 2, timeout_seconds: 0.5, backoff_seconds: 0.01, budget_seconds: 2}
  channels:
    - {id: pager, type: webhook, url_env: T_PAGER_URL, secret_env: T_PAGER_SECRET}
  routes:
    - match: {events: [update-reminder]}
      channels: [pager]
communication:
  lead_role: communications_lead
  escalate_after_minutes: 15
  escalate_to: ["@mim-lead"]
  cadence:
    - {priorities: [1], audience: internal, every_minutes: 30}
    - {severities: [SEV3], audience: public, every_minutes: 120}
"""


@pytest.fixture
def repo(tmp_path: Path, recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("T_PAGER_URL", recorder.url("/pager"))
    monkeypatch.setenv("T_PAGER_SECRET", "pager-secret")
    return tracker_with(tmp_path, SECTION)


def escalate(repo: Path, minute: int) -> dict[str, Any]:
    data: dict[str, Any] = ok_json(["escalate", "--now", t(minute)], repo)
    return data


def reminders(data: dict[str, Any]) -> list[tuple[int, list[str], str]]:
    return [(r["level"], r["to"], r["due_at"]) for r in data["reminders"]]


def test_a_p1_without_an_update_gets_one_reminder_then_one_escalation(repo: Path, recorder: Recorder) -> None:
    incident_id = declare(repo)  # SEV1, impact and urgency high: P1, internal updates every 30 minutes
    ok(["assign", incident_id, "communications_lead", "casey", "--at", t(1)], repo)
    ok(["assign", incident_id, "incident_manager", "morgan", "--at", t(1)], repo)
    ok(["ack", incident_id, "--at", t(2), "--by", "morgan"], repo)  # the escalation path is not what is tested here
    assert reminders(escalate(repo, 29)) == []
    assert reminders(escalate(repo, 30)) == [(0, ["casey"], t(30))]  # due at declaration + 30 minutes
    assert reminders(escalate(repo, 31)) == [] and reminders(escalate(repo, 44)) == []  # once per overdue update
    assert reminders(escalate(repo, 45)) == [(1, ["@mim-lead", "morgan"], t(30))]  # 15 minutes after the reminder
    assert reminders(escalate(repo, 46)) == [] and reminders(escalate(repo, 300)) == []  # and never again
    pages = [r.json()["event"] for r in recorder.to("/pager")]
    assert [(p["kind"], p["level"], p["to"]) for p in pages] == [
        ("update-reminder", 0, ["casey"]),
        ("update-reminder", 1, ["@mim-lead", "morgan"]),
    ]
    assert len([n for n in timeline_files(repo, incident_id) if "update-reminder" in n]) == 2  # durable: on the timeline

    ok(["update", incident_id, "--internal", "--status", "identified", "Bridge open, fix under way.", "--at", t(301)], repo)
    assert reminders(escalate(repo, 330)) == []
    assert reminders(escalate(repo, 331)) == [(0, ["casey"], t(331))]  # the next overdue update is a new one


def test_show_and_list_say_when_the_next_update_is_due(repo: Path) -> None:
    incident_id = declare(repo)
    ok(["update", incident_id, "--internal", "--status", "investigating", "Looking.", "--at", t(10)], repo)
    info = ok_json(["show", incident_id], repo)
    assert info["next_update_due"] == t(40)
    assert info["updates_due"] == [{"audience": "internal", "every_minutes": 30, "last_at": t(10), "due_at": t(40), "overdue": True}]
    assert f"Next internal update OVERDUE by {t(40)} (every 30 minutes)" in ok(["show", incident_id], repo).stdout
    (row,) = ok_json(["list"], repo)["incidents"]
    assert row["next_update_due"] == t(40)
    assert f"next: internal update due {t(40)} (overdue" in ok(["list"], repo).stdout


def test_a_reminder_dry_run_records_and_sends_nothing(repo: Path, recorder: Recorder) -> None:
    incident_id = declare(repo)
    ok(["ack", incident_id, "--at", t(2), "--by", "morgan"], repo)
    files = timeline_files(repo, incident_id)
    result = ok(["escalate", "--now", t(31), "--dry-run"], repo)
    assert "update reminder 0" in result.stdout and "dry-run" in result.stdout
    assert timeline_files(repo, incident_id) == files and not recorder.requests


# --- the pure rule ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def process() -> Process:
    return Tracker(Path(__file__).resolve().parents[1]).process  # this repository's plan


def incident(priority: int = 1, severity: str = "SEV1", stage: str = "contain", events: tuple[Event, ...] = (), **extra: Any) -> Incident:
    data = {
        "id": "INC-0001",
        "title": "x",
        "stage": stage,
        "severity": severity,
        "priority": priority,
        "detected_at": t(0),
        "declared_at": t(0),
    }
    return Incident("INC-0001", {**data, **extra}, events)


def update(minute: int, audience: str = "internal") -> Event:
    data = {"kind": "stakeholder-update", "audience": audience, "status": "investigating", "at": t(minute)}
    return Event(f"{minute}-{audience}.yaml", parse_time(t(minute)), "stakeholder-update", data)


def test_next_update_due_follows_the_plan(process: Process) -> None:
    now = parse_time(t(20))
    assert cadence.next_update_due(incident(), process, now) == parse_time(t(30))  # P1 internal: every 30 minutes
    assert cadence.next_update_due(incident(events=(update(10),)), process, now) == parse_time(t(40))
    assert cadence.next_update_due(incident(events=(update(25),)), process, now) == parse_time(t(30))  # not yet recorded at 20
    due = cadence.updates_due(incident(events=(update(10), update(15, "public"))), process, now)
    assert [(d.audience, d.due_at) for d in due] == [("internal", parse_time(t(40))), ("public", parse_time(t(75)))]
    assert cadence.next_update_due(incident(priority=4, severity="SEV4"), process, now) == parse_time(t(240))  # the catch-all rule
    assert cadence.next_update_due(incident(stage="close"), process, now) is None  # no longer active
    assert cadence.next_update_due(incident(retrospective={"reason": "backfilled"}), process, now) is None
    assert cadence.next_update_due(incident(), process, START.replace(hour=7)) is None  # before declaration
