"""Concurrent responders: id collisions between branches (and renumber), the checkout lock, merges."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gitutil import (
    DECLARE,
    GIT_ENV,
    assert_unchanged,
    commit_count,
    copy_repo,
    declare,
    git,
    head,
    ok,
    ok_json,
    ready_to_leave_identify,
    run,
    snapshot,
    t,
)
from gitutil import make_tracker as make_git_tracker
from mimctl.store import Tracker
from mimctl.yamlio import load_file

INC1 = "INC-0001"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tracker on main with INC-0001 declared and committed."""
    repo = make_git_tracker(tmp_path_factory.mktemp("conc") / "tracker")
    declare(repo)
    return repo


@pytest.fixture
def repo(template: Path, tmp_path: Path) -> Path:
    return copy_repo(template, tmp_path / "tracker")


def _declare_on_branch(repo: Path, branch: str, title: str) -> str:
    git("switch", "--quiet", "-c", branch, "main", cwd=repo)
    data = ok_json([*DECLARE[:2], title, *DECLARE[3:], "--at", t(10), "--by", "pat"], repo)
    return str(data["incident"])


def test_two_branches_get_the_same_id_and_the_second_check_fails_then_renumber_fixes_it(repo: Path) -> None:
    first = _declare_on_branch(repo, "alice", "Search is slow")
    git("switch", "--quiet", "main", cwd=repo)
    second = _declare_on_branch(repo, "bob", "Login fails")
    assert first == second == "INC-0002"
    # Bob's incident references Alice's number (e.g. related_incidents from INC-0001 on his branch).
    git("switch", "--quiet", "main", cwd=repo)
    git("merge", "--quiet", "--no-edit", "alice", cwd=repo)
    git("switch", "--quiet", "bob", cwd=repo)

    result = run(["check", "--base", "main"], repo)
    assert result.exit_code == 1 and not result.crashed, result
    assert "incidents/INC-0002/incident.yaml:1:1" in result.output and "was also created on main" in result.output, result

    data = ok_json(["renumber", "INC-0002", "--base", "main"], repo)
    assert data["new"] == "INC-0003" and data["commit"] == head(repo)
    assert not (repo / "incidents" / "INC-0002").exists()
    assert load_file(repo / "incidents" / "INC-0003" / "incident.yaml").data["id"] == "INC-0003"
    files = git("show", "--no-renames", "--name-only", "--format=", "HEAD", cwd=repo).splitlines()
    assert "incidents/INC-0002/incident.yaml" in files and "incidents/INC-0003/incident.yaml" in files
    assert git("status", "--porcelain", cwd=repo) == ""
    # Timeline files moved unchanged: git sees pure renames.
    renames = git("show", "--format=", "-M", "--name-status", "HEAD", cwd=repo)
    assert any(line.startswith("R100") and "/timeline/" in line for line in renames.splitlines()), renames

    ok(["check", "--base", "main"], repo)
    git("switch", "--quiet", "main", cwd=repo)
    git("merge", "--quiet", "--no-edit", "bob", cwd=repo)
    ok(["validate"], repo)
    assert sorted(p.name for p in (repo / "incidents").iterdir()) == ["INC-0001", "INC-0002", "INC-0003"]


def test_renumber_rewrites_every_reference(repo: Path) -> None:
    second = declare(repo, t(20))
    # Hand-made references: another incident, a known error and the PIR.
    inc1 = repo / "incidents" / INC1 / "incident.yaml"
    inc1.write_text(inc1.read_text() + f"related_incidents:\n  - {second}\n")
    (repo / "kedb").mkdir()
    (repo / "kedb" / "KE-0001.yaml").write_text(
        "id: KE-0001\ntitle: Checkout pool exhaustion\nstatus: open\nservices: [checkout-api]\n"
        f"symptoms:\n  - HTTP 502\nincidents: [{INC1}, {second}]  # keep this comment\n"
    )
    (repo / "incidents" / second / "pir.yaml").write_text(f"incident: {second}\nstatus: draft\n")
    git("add", "--all", cwd=repo)
    git("commit", "--quiet", "-m", "references", cwd=repo)
    ok(["validate"], repo)

    data = ok_json(["renumber", second, "INC-0042"], repo)
    assert data["new"] == "INC-0042"
    assert sorted(data["references"]) == ["incidents/INC-0001/incident.yaml", "kedb/KE-0001.yaml"]
    assert load_file(inc1).data["related_incidents"] == ["INC-0042"]
    assert "incidents: [INC-0001, INC-0042]  # keep this comment" in (repo / "kedb" / "KE-0001.yaml").read_text()
    assert load_file(repo / "incidents" / "INC-0042" / "pir.yaml").data["incident"] == "INC-0042"
    assert git("status", "--porcelain", cwd=repo) == ""
    ok(["validate"], repo)


@pytest.mark.parametrize("target", ["INC-0001", "inc-0001", "../x", "INC-٠٠٤٢", "INC-0001/../INC-0009"])
def test_renumber_refuses_a_taken_or_malformed_id_and_changes_nothing(repo: Path, target: str) -> None:
    second = declare(repo, t(20))
    before = snapshot(repo)
    result = run(["renumber", second, target], repo)
    assert result.exit_code == 1 and not result.crashed, result
    assert_unchanged(before, snapshot(repo))


def test_renumber_failing_hook_leaves_everything_as_it_was(repo: Path) -> None:
    second = declare(repo, t(20))
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'hook says no' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = snapshot(repo)
    result = run(["renumber", second], repo)
    assert result.exit_code == 1 and not result.crashed and "hook says no" in result.output, result
    assert_unchanged(before, snapshot(repo))


# --- the lock: two processes on one checkout ---------------------------------------------


def test_two_note_processes_at_once_both_commit_one_after_the_other(repo: Path) -> None:
    env = {
        **os.environ,
        **GIT_ENV,
        "GIT_AUTHOR_NAME": "T",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "T",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    commits = commit_count(repo)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "mimctl", "note", INC1, f"Note from responder {n}", "--at", t(5 + n)],
            cwd=repo,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for n in (1, 2)
    ]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert commit_count(repo) == commits + 2
    assert git("status", "--porcelain", cwd=repo) == ""
    notes = [load_file(p).data["text"] for p in (repo / "incidents" / INC1 / "timeline").glob("*-note-*.yaml")]
    assert sorted(notes) == ["Note from responder 1", "Note from responder 2"]
    ok(["validate"], repo)


# --- merging -------------------------------------------------------------------------------


def test_timeline_events_on_two_branches_merge_without_conflict(repo: Path) -> None:
    git("switch", "--quiet", "-c", "a", cwd=repo)
    ok(["note", INC1, "Seen from the EU", "--at", t(5)], repo)
    git("switch", "--quiet", "-c", "b", "main", cwd=repo)
    ok(["note", INC1, "Seen from the US", "--at", t(6)], repo)
    git("switch", "--quiet", "main", cwd=repo)
    git("merge", "--quiet", "--no-edit", "a", cwd=repo)
    git("merge", "--quiet", "--no-edit", "b", cwd=repo)
    ok(["validate"], repo)
    bundle = Tracker(repo).load_bundle(INC1)
    assert bundle.model is not None
    assert len(bundle.model.events_of("note")) == 2


def test_two_stage_changes_on_two_branches_conflict(repo: Path) -> None:
    ready_to_leave_identify(repo, INC1)
    git("switch", "--quiet", "-c", "a", cwd=repo)
    ok(["advance", INC1, "--at", t(10)], repo)
    git("switch", "--quiet", "-c", "b", "main", cwd=repo)
    ok(["advance", INC1, "--to", "contain", "--reason", "Notified by phone already", "--at", t(11)], repo)
    git("switch", "--quiet", "main", cwd=repo)
    git("merge", "--quiet", "--no-edit", "a", cwd=repo)
    merged = subprocess.run(["git", "merge", "--no-edit", "b"], cwd=repo, capture_output=True, text=True, env={**os.environ, **GIT_ENV})
    assert merged.returncode != 0
    assert "CONFLICT" in merged.stdout and "incidents/INC-0001/incident.yaml" in merged.stdout, merged.stdout
    # The conflict markers make the record unreadable: commands refuse, naming the place.
    result = run(["note", INC1, "during the merge", "--at", t(12)], repo)
    assert result.exit_code == 1 and not result.crashed, result
    assert "incidents/INC-0001/incident.yaml:" in result.output, result


def test_an_id_taken_on_the_base_in_another_case_is_a_collision_and_an_unrelated_change_lists_no_folder(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The collision check compares the fork and the base tree to tree; only a name the base added since can collide."""
    from mimctl.sources import GitTree

    second = _declare_on_branch(repo, "bob", "Login fails")
    git("switch", "--quiet", "main", cwd=repo)
    shutil.copytree(repo / "incidents" / INC1, repo / "incidents" / second.lower())  # a checkout on a case-insensitive disk clashes
    git("add", "incidents", cwd=repo)
    git("commit", "--quiet", "-m", "a folder named in lower case", cwd=repo)
    git("switch", "--quiet", "bob", cwd=repo)
    result = run(["check", "--base", "main"], repo)
    assert result.exit_code == 1 and f"{second} was also created on main ({second.lower()})" in result.output, result

    git("switch", "--quiet", "-c", "carol", "main", cwd=repo)
    ok(["note", INC1, "Checked the dashboards again.", "--at", t(20)], repo)
    git("switch", "--quiet", "main", cwd=repo)
    _declare_on_branch(repo, "dave", "Search is slow")  # main moves on: a new incident, not the one carol touched
    git("switch", "--quiet", "main", cwd=repo)
    git("merge", "--quiet", "--no-edit", "dave", cwd=repo)
    git("switch", "--quiet", "carol", cwd=repo)
    listed: list[str] = []
    listing = GitTree.listing

    def recording(self: GitTree, folder: str) -> object:
        if folder == "incidents":
            listed.append(self.rev)
        return listing(self, folder)

    monkeypatch.setattr(GitTree, "listing", recording)
    ok(["check", "--base", "main"], repo)
    assert listed == [], "a change to one incident is checked without listing incidents/ in any tree (base, fork or head)"
