"""Every command that records something says when and by whom, prints the ids it makes, and has a home for each fact.

The review commands, action items with their done date, irreversible and
superseded containment, vendor escalations, data loss, customers and
devices, the changes behind a cause, several problem records, and incidents
recorded after the fact.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gitutil import declare, git, make_tracker, ok, ok_json, ready_to_leave_identify, run, t, trailers
from mimctl.store import Tracker
from test_cli_lifecycle import COMMAND_PATHS
from test_vocabulary import _command

INC = "INC-0001"
# Commands that write without recording an event of the real world, and why.
NOT_AN_EVENT = {
    "pir invite": "makes the invite now; --by is its organizer",
    "kedb new": "a known error has created_at (--at), not an author",
    "notify": "automation: sends what is recorded",
    "escalate": "automation: records the escalations it makes at the time it makes them",
    "renumber": "renames a folder",
    "init": "starts a tracker",
    "upgrade": "moves records to a schema version",
}


def test_every_command_that_records_something_takes_at_and_by() -> None:
    missing = []
    for path in COMMAND_PATHS:
        name = " ".join(path)
        if not path or name in NOT_AN_EVENT:
            continue
        options = {o for p in _command(path).params for o in getattr(p, "opts", [])}
        if "--no-commit" in options and not {"--at", "--by"} <= options:
            missing.append(name)
    assert missing == []
    assert {"pir set", "pir new", "pir complete", "pir action add", "pir action set"} <= {" ".join(p) for p in COMMAND_PATHS}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = make_tracker(tmp_path / "tracker")
    assert declare(root) == INC
    return root


def _events(root: Path, kind: str) -> list[dict[str, object]]:
    folder = root / "incidents" / INC / "timeline"
    found = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(folder.glob(f"*-{kind}-*.yaml"))]
    return [e for e in found if e["kind"] == kind]


def _pir(root: Path) -> dict[str, object]:
    data: dict[str, object] = yaml.safe_load((root / "incidents" / INC / "pir.yaml").read_text(encoding="utf-8"))
    return data


def _incident(root: Path) -> dict[str, object]:
    data: dict[str, object] = yaml.safe_load((root / "incidents" / INC / "incident.yaml").read_text(encoding="utf-8"))
    return data


# --- the review -------------------------------------------------------------------------------


def test_review_commands_record_when_and_by_whom(repo: Path) -> None:
    ok(["pir", "new", INC, "--at", t(200), "--by", "casey"], repo)
    ok(["pir", "set", INC, "summary", "The pool was too small.", "--at", t(210), "--by", "casey"], repo)
    ok(["pir", "complete", INC, "--held", "2025-03-12", "--attendee", "alex", "--at", t(220), "--by", "casey"], repo)
    reviews = _events(repo, "review")
    assert [(e["at"], e["by"]) for e in reviews] == [(t(200), "casey"), (t(210), "casey"), (t(220), "casey")]
    assert reviews[2]["text"] == "Review complete: meeting held 2025-03-12 (day), attended by alex"
    pir = _pir(repo)
    assert pir["meeting"] == {"held_at": "2025-03-12T00:00:00Z", "attendees": ["alex"]}
    assert pir["times"] == {"meeting": {"held_at": "day"}}
    assert trailers(repo)["Record"] == "pir" and trailers(repo)["Event"] == "review"
    # Nothing changes: nothing is written (and no event says otherwise).
    again = ok_json(["pir", "new", INC, "--at", t(230)], repo)
    assert again["changed"] is False and len(_events(repo, "review")) == 3


def test_an_action_item_prints_its_id_takes_a_link_and_records_its_done_date_and_actor(repo: Path) -> None:
    first = ok(
        ["pir", "action", "add", INC, "--title", "Alert on saturation", "--owner", "bob", "--due", "2025-04-01", "--at", t(200)], repo
    )
    assert "action id: A1" in first.stdout
    second = ok_json(
        ["pir", "action", "add", INC, "--title", "Runbook", "--owner", "sam", "--due", "2025-04-15"]
        + ["--link", "https://tracker.example.com/OPS-12", "--kind", "process", "--at", t(201)],
        repo,
    )
    assert second["action_id"] == "A2"
    ok(["pir", "action", "set", INC, "A1", "done", "--at", "2025-03-30T10:00Z", "--by", "bob"], repo)
    actions = {a["id"]: a for a in _pir(repo)["actions"]}  # type: ignore[attr-defined]
    assert actions["A1"]["settled_at"] == "2025-03-30T10:00:00Z" and actions["A1"]["settled_by"] == "bob"
    assert actions["A2"]["link"] == "https://tracker.example.com/OPS-12" and "settled_at" not in actions["A2"]
    ok(["pir", "action", "set", INC, "A1", "in-progress", "--at", t(300)], repo)  # reopened: no done date any more
    assert "settled_at" not in {a["id"]: a for a in _pir(repo)["actions"]}["A1"]  # type: ignore[attr-defined]
    listed = ok_json(["actions"], repo)
    assert [a["id"] for a in listed["actions"]] == ["A1", "A2"]


def test_a_bad_due_date_or_link_is_a_usage_error_and_changes_nothing(repo: Path) -> None:
    for extra, option in ((["--due", "next week"], "--due"), (["--due", "2025-04-01", "--link", "ftp://x"], "--link")):
        result = run(["pir", "action", "add", INC, "--title", "x", "--owner", "bob", *extra], repo)
        assert result.exit_code == 2 and option in result.stderr, result
    assert not (repo / "incidents" / INC / "pir.yaml").exists()


def test_pir_schedule_keeps_the_whole_time_in_its_message(repo: Path) -> None:
    ok(["pir", "schedule", INC, "--when", "2025-03-12T14:00:00Z", "--attendee", "alex", "--at", t(100)], repo)
    assert git("log", "-1", "--format=%s", cwd=repo).strip() == f"{INC}: PIR scheduled for 2025-03-12 14:00:00 UTC"
    (note,) = _events(repo, "note")
    assert note["text"] == "PIR scheduled for 2025-03-12 14:00:00 UTC"


# --- containment ------------------------------------------------------------------------------


def test_an_irreversible_action_needs_no_rollback_but_a_reason(repo: Path) -> None:
    made = ok_json(
        ["containment", "add", INC, "--action", "Purged the poisoned cache", "--irreversible", "Purged entries cannot be put back"]
        + ["--at", t(10)],
        repo,
    )
    (event,) = _events(repo, "containment")
    assert event["irreversible"] == "Purged entries cannot be put back" and "rollback" not in event
    info = ok_json(["show", INC], repo)
    assert info["containment"][0]["id"] == made["action_id"] and info["containment"][0]["settled"] is True
    neither = run(["containment", "add", INC, "--action", "Something", "--at", t(11)], repo)
    both = run(["containment", "add", INC, "--action", "x", "--rollback", "y", "--irreversible", "z", "--at", t(11)], repo)
    assert neither.exit_code == 2 and both.exit_code == 2 and "not both" in both.stderr, (neither, both)


def test_ineffective_and_superseded_actions_need_no_settling_before_recovery(repo: Path) -> None:
    ids = []
    for action in ("Scaled out", "Drained the zone", "Failed over"):
        ids.append(ok_json(["containment", "add", INC, "--action", action, "--rollback", "Undo it", "--at", t(10)], repo)["action_id"])
    ok(["containment", "set", INC, ids[0], "ineffective", "--at", t(12)], repo)
    ok(["containment", "set", INC, ids[1], "superseded", "--at", t(13)], repo)
    ok(["containment", "set", INC, ids[2], "effective", "--at", t(14)], repo)
    info = ok_json(["show", INC], repo)
    assert [a["settled"] for a in info["containment"]] == [True, True, False]  # only the effective one is still to undo
    assert info["milestones"]["mitigated"]["at"] == t(14)
    unknown = run(["containment", "set", INC, "C-ffff", "effective", "--at", t(15)], repo)
    assert unknown.exit_code == 2 and "has no containment action 'C-ffff'" in unknown.stderr, unknown


# --- facts with a home ------------------------------------------------------------------------


def test_vendor_escalations_are_not_levels(repo: Path) -> None:
    ok(["vendor", INC, "Cloud provider support", "--case", "1234-5678", "--link", "https://support.example.com/1234", "--at", t(20)], repo)
    (event,) = _events(repo, "vendor-escalation")
    assert (event["vendor"], event["case"], event["url"]) == ("Cloud provider support", "1234-5678", "https://support.example.com/1234")
    assert "escalation" not in _incident(repo)  # no level, no policy
    assert _events(repo, "escalation") == []


def test_who_was_affected_and_what_was_lost(repo: Path) -> None:
    ok(
        [
            "classify",
            INC,
            "--customers",
            "775",
            "--devices",
            "8500000",
            "--data-loss",
            "Up to 5 minutes of writes",
            "--records-lost",
            "1200",
            "--at",
            t(3),
        ],
        repo,
    )
    data = _incident(repo)
    assert data["impacted_users"] == {"customers": 775, "devices": 8500000}
    assert data["data_loss"] == {"occurred": True, "summary": "Up to 5 minutes of writes", "records": 1200}
    ok(["classify", INC, "--no-data-loss", "--at", t(4)], repo)
    assert _incident(repo)["data_loss"] == {"occurred": False}
    both = run(["classify", INC, "--no-data-loss", "--data-loss", "x", "--at", t(5)], repo)
    assert both.exit_code == 2, both


def test_the_changes_behind_a_cause_and_several_problem_records(repo: Path) -> None:
    ok(
        [
            "cause",
            INC,
            "--confirmed",
            "A config push removed the pool limit",
            "--change",
            "CHG-881",
            "--change",
            "deploy 4.12.0",
            "--at",
            t(30),
        ],
        repo,
    )
    assert _incident(repo)["cause"] == {
        "status": "confirmed",
        "summary": "A config push removed the pool limit",
        "changes": ["CHG-881", "deploy 4.12.0"],
    }
    ok(["close", INC, "--summary", "Pool limit restored", "--problem", "PRB-1", "--problem", "PRB-2", "--at", t(60)], repo)
    assert _incident(repo)["closure"]["problem_ref"] == ["PRB-1", "PRB-2"]  # type: ignore[index]
    assert Tracker(repo).load_bundle(INC).model is not None


# --- recorded after the fact --------------------------------------------------------------------


def test_a_retrospective_incident_is_declared_as_such_with_its_sources(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "tracker")
    declared = ok_json(
        ["new", "--title", "Card payments failing", "--service", "checkout-api", "--impact", "high", "--urgency", "high"]
        + ["--severity", "SEV1", "--source", "monitoring", "--retrospective", "Recorded from the published postmortem"]
        + ["--source-url", "https://status.example.com/postmortem", "--at", t(0)],
        root,
    )
    assert _incident(root)["retrospective"] == {
        "reason": "Recorded from the published postmortem",
        "sources": ["https://status.example.com/postmortem"],
    }
    assert declared["incident"] == INC
    sources_alone = run(
        ["new", "--title", "x", "--service", "checkout-api", "--impact", "high", "--urgency", "high", "--severity", "SEV1"]
        + ["--source", "alert", "--source-url", "https://example.com/a", "--at", t(0)],
        root,
    )
    assert sources_alone.exit_code == 2 and "--retrospective" in sources_alone.stderr, sources_alone


def test_exemptions_are_for_retrospective_incidents_and_gate_items_only(repo: Path) -> None:
    live = run(["exempt", INC, "bridge_recorded", "--reason", "No bridge on record", "--at", t(5)], repo)
    assert live.exit_code == 2 and "only a retrospective incident" in live.stderr, live
    ok(["set", INC, "retrospective", '{"reason": "Recorded from the postmortem"}', "--json", "--at", t(1)], repo)
    nothing = run(["exempt", INC, "war_room", "--reason", "x", "--at", t(5)], repo)
    assert nothing.exit_code == 2 and "no stage's gate has 'war_room'" in nothing.stderr, nothing
    ok(
        ["exempt", INC, "bridge_recorded", "manager_assigned", "--reason", "The postmortem names no bridge and no manager", "--at", t(5)],
        repo,
    )
    assert _incident(repo)["retrospective"]["exemptions"] == {  # type: ignore[index]
        "bridge_recorded": "The postmortem names no bridge and no manager",
        "manager_assigned": "The postmortem names no bridge and no manager",
    }


def test_a_ready_incident_still_moves_on(repo: Path) -> None:
    ready_to_leave_identify(repo, INC)
    ok(["advance", INC, "--at", t(4)], repo)
