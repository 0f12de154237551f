"""Scheduled maintenance: recorded with the CLI, validated, shown on the status page, in the API and the feeds."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import make_tracker
from gitutil import assert_unchanged, git, ok, run, snapshot, t
from mimctl.site.data import INTERNAL, PUBLIC, collect
from mimctl.site.generate import generate
from mimctl.store import Tracker
from mimctl.validate import validate

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=timezone.utc)


def schedule(root: Path, title: str, service: str, start: str, end: str, *extra: str) -> str:
    args = ["maintenance", "schedule", "--title", title, "--service", service, "--from", start, "--until", end, *extra, "--repo", str(root)]
    return str(ok([*args, "--format", "json"], root).json()["maintenance"])


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = make_tracker(tmp_path / "tracker")
    git("init", "-q", "-b", "main", cwd=root)
    git("add", "-A", cwd=root)
    git("commit", "-q", "-m", "start", cwd=root)
    return root


def test_schedule_and_update_commit_one_record_each(repo: Path) -> None:
    mnt = schedule(repo, "Database upgrade", "checkout-api", t(600), t(660), "--public", "Checkout may be slow.", "--at", t(0))
    assert mnt == "MNT-0001"
    ok(["maintenance", "update", "1", "--status", "in_progress", "The upgrade has started.", "--at", t(600), "--repo", str(repo)], repo)
    log = git("log", "--format=%s%n%b", cwd=repo)
    assert "MNT-0001: schedule maintenance — Database upgrade" in log and "MNT-0001: maintenance in progress" in log
    assert "Maintenance: MNT-0001" in log
    assert git("show", "--name-only", "--format=", "HEAD", cwd=repo).split() == ["maintenance/MNT-0001.yaml"]
    listed = ok(["maintenance", "list", "--format", "json", "--repo", str(repo)], repo).json()["maintenance"]
    assert [(m["id"], m["status"], m["visibility"]) for m in listed] == [("MNT-0001", "in_progress", "public")]
    assert validate(Tracker(repo)).findings == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--service", "no-such-service", "--from", t(10), "--until", t(20)], "not in the service catalog"),
        (["--service", "search", "--from", t(20), "--until", t(10)], "scheduled_until must be after scheduled_for"),
        (["--service", "search", "--from", "tomorrow", "--until", t(10)], "is not a time"),
    ],
)
def test_a_bad_maintenance_is_refused_and_nothing_changes(repo: Path, args: list[str], message: str) -> None:
    before = snapshot(repo)
    result = run(["maintenance", "schedule", "--title", "Upgrade", *args, "Soon.", "--repo", str(repo)], repo)
    assert result.exit_code != 0 and not result.crashed, result
    assert message in result.stderr
    if "catalog" in message:
        assert "maintenance/MNT-0001.yaml:" in result.stderr, "the refusal names the file and line"
    assert_unchanged(before, snapshot(repo))


def test_status_cannot_go_back(repo: Path) -> None:
    schedule(repo, "Upgrade", "search", t(10), t(20), "Soon.", "--at", t(0))
    ok(["maintenance", "update", "MNT-0001", "--status", "completed", "Done.", "--at", t(21), "--repo", str(repo)], repo)
    before = snapshot(repo)
    result = run(["maintenance", "update", "MNT-0001", "--status", "in_progress", "Again?", "--at", t(22), "--repo", str(repo)], repo)
    assert result.exit_code == 1 and "goes back from 'completed'" in result.stderr
    assert_unchanged(before, snapshot(repo))
    missing = run(["maintenance", "update", "MNT-0042", "--status", "completed", "x", "--repo", str(repo)], repo)
    assert missing.exit_code == 1 and "no maintenance MNT-0042" in missing.stderr and not missing.crashed


def test_a_hand_edited_record_gets_findings_with_lines(repo: Path) -> None:
    schedule(repo, "Upgrade", "search", t(10), t(20), "Soon.", "--at", t(0))
    path = repo / "maintenance" / "MNT-0001.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("status: scheduled", "status: done"), encoding="utf-8")
    (repo / "maintenance" / "MNT-0002.yaml").write_text("id: MNT-0003\n", encoding="utf-8")
    findings = [f.as_text() for f in validate(Tracker(repo)).findings]
    assert any(f.startswith("maintenance/MNT-0001.yaml:") and "'done' is not one of" in f for f in findings), findings
    assert any(f.startswith("maintenance/MNT-0002.yaml:1:1:") and "missing required field" in f for f in findings), findings
    result = run(["validate", "maintenance/MNT-0001.yaml", "--repo", str(repo)], repo)
    assert result.exit_code == 1 and "maintenance/MNT-0001.yaml:" in result.stdout + result.stderr


def test_shown_on_the_status_page_in_the_api_and_feeds(repo: Path) -> None:
    upcoming = schedule(repo, "Search reindex", "search", t(600), t(660), "--public", "Search may be slow.", "--at", t(0))
    running = schedule(repo, "Gateway upgrade", "payments-gateway", t(10), t(120), "--public", "Payments may be slow.", "--at", t(1))
    ok(["maintenance", "update", running, "--status", "in_progress", "Started.", "--at", t(11), "--repo", str(repo)], repo)
    internal = schedule(repo, "Queue rebalance", "message-queue", t(10), t(100), "Internal work.", "--at", t(2))
    ok(["maintenance", "update", internal, "--status", "in_progress", "Started.", "--at", t(12), "--repo", str(repo)], repo)
    for edition in (PUBLIC, INTERNAL):
        files = generate(collect(Tracker(repo), edition, now=NOW))
        api = {path: json.loads(text) for path, text in files.items() if path.startswith("api/")}
        components = {c["id"]: c["status"] for c in api["api/v2/components.json"]["components"]}
        assert components["payments-gateway"] == "under_maintenance" and components["search"] == "operational"
        assert api["api/v2/status.json"]["status"] == {"indicator": "maintenance", "description": "Service Under Maintenance"}
        active = [m["id"] for m in api["api/v2/scheduled-maintenances/active.json"]["scheduled_maintenances"]]
        assert [m["id"] for m in api["api/v2/scheduled-maintenances/upcoming.json"]["scheduled_maintenances"]] == [upcoming]
        assert ("MNT-0003" in active) == (edition == INTERNAL) and running in active
        maintenance = next(m for m in api["api/v2/scheduled-maintenances.json"]["scheduled_maintenances"] if m["id"] == running)
        assert (maintenance["status"], maintenance["impact"], maintenance["scheduled_for"]) == ("in_progress", "maintenance", t(10))
        assert [u["status"] for u in maintenance["incident_updates"]] == ["in_progress", "scheduled"]
        assert maintenance["incident_updates"][0]["affected_components"][0]["new_status"] == "under_maintenance"
        home = files["index.md"]
        assert "Scheduled maintenance" in home and "Gateway upgrade" in home and "Search reindex" in home
        assert ("Queue rebalance" in home) == (edition == INTERNAL)
        assert "Maintenance: Gateway upgrade (In progress)" in files["history.atom"]
        assert f"maintenance/{running}.md" in files and "Started." in files[f"maintenance/{running}.md"]
        if edition == PUBLIC:
            assert "message-queue" not in json.dumps(api) and "MNT-0003" not in "".join(files.values())


def test_links_and_stray_files_in_the_folder_are_findings_never_read(repo: Path) -> None:
    schedule(repo, "Upgrade", "search", t(10), t(20), "--public", "Soon.", "--at", t(0))
    (repo / "maintenance" / "MNT-0002.yaml").symlink_to(repo / "maintenance" / "MNT-0001.yaml")
    (repo / "maintenance" / "notes.txt").write_text("not a record\n", encoding="utf-8")
    findings = [f.as_text() for f in validate(Tracker(repo)).findings]
    assert any(f.startswith("maintenance/MNT-0002.yaml:") and "symbolic link" in f for f in findings), findings
    assert any(f.startswith("maintenance/notes.txt:") for f in findings), findings
    shown = [m.id for m in collect(Tracker(repo), PUBLIC, now=NOW).maintenances]
    assert shown == ["MNT-0001"], "the link is never followed"


# --- the pull-request check judges changed maintenance records -------------------------------


@pytest.fixture
def with_maintenance(repo: Path) -> Path:
    """main with MNT-0001 scheduled (one update); the work goes on the branch 'pr'."""
    schedule(repo, "Database upgrade", "checkout-api", t(600), t(660), "--public", "Checkout may be slow.", "--at", t(0))
    git("switch", "-q", "-c", "pr", cwd=repo)
    return repo


def _check(root: Path) -> tuple[int, list[dict[str, object]]]:
    result = run(["check", "--base", "main", "--format", "json"], root)
    assert result.exit_code in (0, 1) and not result.crashed, result
    return result.exit_code, result.json()["findings"]


def _edit(root: Path, old: str, new: str) -> None:
    path = root / "maintenance" / "MNT-0001.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    git("commit", "-q", "-am", "edit by hand", cwd=root)


def test_the_check_passes_an_update_added_to_a_maintenance(with_maintenance: Path) -> None:
    ok(
        ["maintenance", "update", "1", "--status", "in_progress", "Started.", "--at", t(600), "--repo", str(with_maintenance)],
        with_maintenance,
    )
    assert _check(with_maintenance) == (0, [])


def test_the_check_refuses_an_update_readers_were_given_being_rewritten(with_maintenance: Path) -> None:
    _edit(with_maintenance, "text: Checkout may be slow.", "text: Nothing will change for you.")
    code, findings = _check(with_maintenance)
    assert code == 1
    [finding] = findings
    assert finding["path"] == "maintenance/MNT-0001.yaml" and finding["rule"] == "append-only" and finding["field"] == "updates[0]"
    assert finding["line"] == next(
        n for n, line in enumerate((with_maintenance / "maintenance" / "MNT-0001.yaml").read_text().splitlines(), 1) if "- at:" in line
    )


def test_the_check_refuses_an_update_removed(with_maintenance: Path) -> None:
    ok(
        ["maintenance", "update", "1", "--status", "in_progress", "Started.", "--at", t(600), "--repo", str(with_maintenance)],
        with_maintenance,
    )
    git("switch", "-q", "main", cwd=with_maintenance)
    git("merge", "-q", "--ff-only", "pr", cwd=with_maintenance)
    git("switch", "-q", "-c", "pr2", cwd=with_maintenance)
    path = with_maintenance / "maintenance" / "MNT-0001.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.rindex("  - at:")], encoding="utf-8")
    git("commit", "-q", "-am", "forget that it started", cwd=with_maintenance)
    code, findings = _check(with_maintenance)
    assert code == 1 and [f["message"] for f in findings if f["rule"] == "append-only"] == [
        "update 2 of the maintenance was removed: updates are append-only (readers were told it; add a new update instead)"
    ]


def test_the_check_judges_a_changed_maintenance_by_the_bases_rules(with_maintenance: Path) -> None:
    _edit(with_maintenance, "scheduled_until: '2025-03-10T19:00:00Z'", "scheduled_until: '2025-03-10T09:00:00Z'")
    code, findings = _check(with_maintenance)
    assert code == 1 and [(f["field"], f["rule"]) for f in findings] == [("scheduled_until", "maintenance")]


def test_a_maintenance_id_taken_on_the_base_meanwhile_is_a_collision(with_maintenance: Path) -> None:
    schedule(with_maintenance, "Cache flush", "search", t(700), t(710), "Search may be slow.", "--at", t(1))
    git("switch", "-q", "main", cwd=with_maintenance)
    schedule(with_maintenance, "Network work", "checkout-api", t(800), t(810), "Brief blips.", "--at", t(2))
    git("switch", "-q", "pr", cwd=with_maintenance)
    code, findings = _check(with_maintenance)
    assert code == 1 and [(f["path"], f["rule"]) for f in findings] == [("maintenance/MNT-0002.yaml", "id-collision")]
