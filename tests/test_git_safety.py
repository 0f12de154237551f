"""A command commits only its own paths, keeps the user's other work, and leaves nothing behind when it fails.

All with real git: staged work, hand edits, a conflicting merge, a detached
HEAD and a failing pre-commit hook.
"""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from gitutil import (
    DECLARE,
    REPO_ROOT,
    Run,
    assert_unchanged,
    commit_all,
    commit_count,
    commit_files,
    copy_repo,
    declare,
    git,
    head,
    incident_path,
    init_repo,
    make_tracker,
    ok,
    ok_json,
    ready_to_leave_identify,
    replace_line,
    run,
    snapshot,
    staged,
    t,
)

INC = "INC-0001"
INCIDENT_YAML = incident_path(INC, "incident.yaml")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tracker with INC-0001 declared, confirmed and classified (in identify, gate met), all committed."""
    repo = make_tracker(tmp_path_factory.mktemp("safety") / "tracker")
    declare(repo)
    ready_to_leave_identify(repo, INC)
    (repo / "docs").mkdir()
    (repo / "docs" / "runbook.md").write_text("# Runbook\n\nStep one.\n")
    commit_all(repo, "Add a runbook")
    return repo


@pytest.fixture
def repo(template: Path, tmp_path: Path) -> Path:
    return copy_repo(template, tmp_path / "tracker")


def _stage_other_work(repo: Path) -> str:
    """Stage a change to a tracked file and a new file, both outside the incident; the index as it is then."""
    (repo / "docs" / "runbook.md").write_text("# Runbook\n\nStep one.\nStep two (staged).\n")
    (repo / "docs" / "new-page.md").write_text("A new page, staged.\n")
    git("add", "docs", cwd=repo)
    return git("ls-files", "-s", "docs", cwd=repo)


def _refused_cleanly(result: Run) -> None:
    assert result.exit_code == 1 and not result.crashed, result
    assert "Traceback" not in result.output, result


# --- only its own paths ------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["note", INC, "Error rate at 40%", "--at", t(5)],
        ["set", INC, "title", "Card payments failing", "--at", t(5)],
        ["advance", INC, "--at", t(5)],
        ["pir", "new", INC],
    ],
    ids=["note", "set", "advance", "pir-new"],
)
def test_other_staged_work_stays_staged_and_out_of_the_commit(repo: Path, args: list[str]) -> None:
    docs_index = _stage_other_work(repo)
    before = commit_count(repo)

    ok(args, repo)

    assert commit_count(repo) == before + 1
    files = commit_files(repo)
    assert files and all(p.startswith(f"incidents/{INC}/") for p in files), files
    assert staged(repo) == ["docs/new-page.md", "docs/runbook.md"], "the user's staged work was unstaged"
    assert git("ls-files", "-s", "docs", cwd=repo) == docs_index, "the user's staged content changed"
    assert (repo / "docs" / "runbook.md").read_text().endswith("Step two (staged).\n")
    assert git("show", "HEAD:docs/runbook.md", cwd=repo) == "# Runbook\n\nStep one.\n"


def test_partly_staged_other_file_keeps_both_versions(repo: Path) -> None:
    runbook = repo / "docs" / "runbook.md"
    runbook.write_text("# Runbook\n\nStep one.\nStaged line.\n")
    git("add", "docs/runbook.md", cwd=repo)
    runbook.write_text("# Runbook\n\nStep one.\nStaged line.\nUnstaged line.\n")
    index_before = git("ls-files", "-s", "docs", cwd=repo)

    ok(["note", INC, "hello", "--at", t(5)], repo)

    assert git("ls-files", "-s", "docs", cwd=repo) == index_before
    assert runbook.read_text().endswith("Unstaged line.\n")
    assert git("diff", "--name-only", cwd=repo).split() == ["docs/runbook.md"]


@pytest.mark.parametrize("stage_it", [False, True], ids=["unstaged", "staged"])
def test_hand_edit_to_the_incident_is_included(repo: Path, stage_it: bool) -> None:
    path = repo / INCIDENT_YAML
    replace_line(path, "title:", "title: Card payments failing at checkout (EU and US)  # edited by hand")
    if stage_it:
        git("add", INCIDENT_YAML, cwd=repo)
    edited = path.read_bytes()

    data = ok_json(["note", INC, "Title made precise", "--at", t(5)], repo)

    assert data["commit"] == head(repo)
    assert INCIDENT_YAML in commit_files(repo)
    assert git("show", f"HEAD:{INCIDENT_YAML}", cwd=repo).encode() == edited
    assert path.read_bytes() == edited, "the hand edit (and its comment) was rewritten"
    assert git("status", "--porcelain", cwd=repo) == ""


def test_hand_edit_kept_when_the_command_also_edits_the_file(repo: Path) -> None:
    path = repo / INCIDENT_YAML
    replace_line(path, "title:", "title: Card payments failing  # a responder's comment")
    ok(["bridge", INC, "https://meet.example.com/inc-0001", "--at", t(5)], repo)
    committed = git("show", f"HEAD:{INCIDENT_YAML}", cwd=repo)
    assert "title: Card payments failing  # a responder's comment" in committed
    assert "url: https://meet.example.com/inc-0001" in committed
    assert git("status", "--porcelain", cwd=repo) == ""


def test_no_commit_work_is_swept_into_the_next_command_of_that_incident(repo: Path) -> None:
    first = ok_json(["note", INC, "written only", "--at", t(5), "--no-commit"], repo)
    (written,) = first["paths"]
    ok(["note", INC, "committed", "--at", t(6)], repo)
    assert written in commit_files(repo)
    assert git("status", "--porcelain", cwd=repo) == ""


@pytest.mark.parametrize(
    ("prefix", "bad_line", "message"),
    [
        ("priority:", "priority: high", "integer"),
        ("severity:", "severity: SEV1\nseverity: SEV2", "duplicate key"),
        ("title:", "title: Card: payments: failing", "invalid YAML"),
    ],
    ids=["schema", "duplicate-key", "yaml-syntax"],
)
def test_invalid_hand_edit_refused_with_file_and_line(repo: Path, prefix: str, bad_line: str, message: str) -> None:
    path = repo / INCIDENT_YAML
    line = replace_line(path, prefix, bad_line)
    if "\n" in bad_line:
        line += 1  # the duplicate is on the second line
    before = snapshot(repo)

    result = run(["note", INC, "hello", "--at", t(5)], repo)

    _refused_cleanly(result)
    assert f"{INCIDENT_YAML}:{line}:" in result.stderr, result
    assert message in result.stderr, result
    assert_unchanged(before, snapshot(repo))


def test_invalid_hand_edit_refused_when_the_command_edits_that_file(repo: Path) -> None:
    path = repo / INCIDENT_YAML
    line = replace_line(path, "impact:", "impact: catastrophic")
    before = snapshot(repo)
    result = run(["set", INC, "title", "New title", "--at", t(5)], repo)
    _refused_cleanly(result)
    assert f"{INCIDENT_YAML}:{line}:" in result.stderr, result
    assert_unchanged(before, snapshot(repo))


# --- states it must not touch ----------------------------------------------------------


def _conflicting_merge(repo: Path) -> None:
    """Leave ``repo`` in the middle of a merge with a conflict in docs/runbook.md."""
    git("switch", "--quiet", "-c", "other", cwd=repo)
    (repo / "docs" / "runbook.md").write_text("# Runbook\n\nStep one, their way.\n")
    commit_all(repo, "Their runbook")
    git("switch", "--quiet", "main", cwd=repo)
    (repo / "docs" / "runbook.md").write_text("# Runbook\n\nStep one, our way.\n")
    commit_all(repo, "Our runbook")
    merge = git("merge", "other", cwd=repo, check=False)
    assert (repo / ".git" / "MERGE_HEAD").exists(), merge
    assert "UU docs/runbook.md" in git("status", "--porcelain", cwd=repo)


@pytest.mark.parametrize(
    "args",
    [["note", INC, "hello", "--at", t(5)], ["advance", INC, "--at", t(5)], ["pir", "new", INC]],
    ids=["note", "advance", "pir-new"],
)
def test_refuses_during_a_merge(repo: Path, args: list[str]) -> None:
    _conflicting_merge(repo)
    before = snapshot(repo)
    result = run(args, repo)
    _refused_cleanly(result)
    assert "merge" in result.stderr and "in progress" in result.stderr, result
    assert len(result.stderr.strip().splitlines()) == 1, result
    assert_unchanged(before, snapshot(repo))


def test_refuses_with_detached_head(repo: Path) -> None:
    git("checkout", "--quiet", "--detach", "HEAD", cwd=repo)
    before = snapshot(repo)
    result = run(["note", INC, "hello", "--at", t(5)], repo)
    _refused_cleanly(result)
    assert "detached" in result.stderr, result
    assert len(result.stderr.strip().splitlines()) == 1, result
    assert_unchanged(before, snapshot(repo))


def test_refuses_during_a_rebase(repo: Path) -> None:
    git("switch", "--quiet", "-c", "other", cwd=repo)
    (repo / "docs" / "runbook.md").write_text("theirs\n")
    commit_all(repo, "Their runbook")
    git("switch", "--quiet", "main", cwd=repo)
    (repo / "docs" / "runbook.md").write_text("ours\n")
    commit_all(repo, "Our runbook")
    git("rebase", "other", cwd=repo, check=False)
    assert (repo / ".git" / "rebase-merge").exists() or (repo / ".git" / "rebase-apply").exists()
    before = snapshot(repo)
    result = run(["note", INC, "hello", "--at", t(5)], repo)
    _refused_cleanly(result)
    assert "rebase" in result.stderr, result
    assert_unchanged(before, snapshot(repo))


# --- a failing hook ----------------------------------------------------------------------


def _failing_hook(repo: Path) -> None:
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text("#!/bin/sh\necho 'pre-commit: secrets found, commit blocked' >&2\nexit 1\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.mark.parametrize(
    "args",
    [
        ["note", INC, "hello", "--at", t(5)],
        ["set", INC, "title", "Card payments failing", "--at", t(5)],
        ["advance", INC, "--at", t(5)],
        ["pir", "new", INC],
    ],
    ids=["note-adds-a-file", "set-edits-a-file", "advance-both", "pir-new-creates-a-file"],
)
def test_failing_pre_commit_hook_leaves_everything_as_it_was(repo: Path, args: list[str]) -> None:
    _stage_other_work(repo)
    replace_line(repo / INCIDENT_YAML, "title:", "title: Card payments failing at checkout  # hand edit, unstaged")
    _failing_hook(repo)
    before = snapshot(repo)

    result = run(args, repo)

    _refused_cleanly(result)
    assert "secrets found" in result.stderr, "the hook's reason is not shown"
    assert_unchanged(before, snapshot(repo))


def test_failing_hook_with_a_staged_hand_edit(repo: Path) -> None:
    replace_line(repo / INCIDENT_YAML, "title:", "title: Staged by hand")
    git("add", INCIDENT_YAML, cwd=repo)
    replace_line(repo / INCIDENT_YAML, "title:", "title: Staged by hand, then edited again")
    _failing_hook(repo)
    before = snapshot(repo)
    result = run(["bridge", INC, "https://meet.example.com/x", "--at", t(5)], repo)
    _refused_cleanly(result)
    assert_unchanged(before, snapshot(repo))


# --- no empty commits --------------------------------------------------------------------


def test_repeating_a_command_that_changes_nothing_makes_no_commit(repo: Path) -> None:
    first = ok_json(["pir", "new", INC], repo)
    assert first["changed"] is True and first["commit"] == head(repo)
    before = snapshot(repo)
    again = ok_json(["pir", "new", INC], repo)
    assert again["changed"] is False and again["commit"] is None, again
    assert_unchanged(before, snapshot(repo))
    assert "nothing to change" in ok(["pir", "new", INC], repo).stdout

    ok(["pir", "action", "add", INC, "--title", "Alert on expiry", "--owner", "sam", "--due", "2025-04-01"], repo)
    ok(["pir", "action", "set", INC, "A1", "done", "--at", "2025-03-30T10:00Z"], repo)
    before = snapshot(repo)
    again = ok_json(["pir", "action", "set", INC, "A1", "done"], repo)  # now: a later time, the same status
    assert again["changed"] is False and again["commit"] is None, again
    assert_unchanged(before, snapshot(repo))

    ok(["pir", "set", INC, "summary", "Certificate expired"], repo)
    before = snapshot(repo)
    again = ok_json(["pir", "set", INC, "summary", "Certificate expired"], repo)
    assert again["changed"] is False, again
    assert_unchanged(before, snapshot(repo))


def test_unknown_action_item_is_refused(repo: Path) -> None:
    ok(["pir", "new", INC], repo)
    before = snapshot(repo)
    result = run(["pir", "action", "set", INC, "A9", "done"], repo)
    assert result.exit_code != 0 and not result.crashed, result
    assert "A9" in result.stderr
    assert_unchanged(before, snapshot(repo))


def test_commit_without_git_identity_restores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user.name/email anywhere: git refuses to commit; the command must leave nothing behind."""
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(name, raising=False)
    repo = make_tracker(tmp_path / "tracker")
    declare(repo)
    git("config", "--unset", "user.name", cwd=repo)
    git("config", "--unset", "user.email", cwd=repo)
    git("config", "user.useConfigOnly", "true", cwd=repo)
    before = snapshot(repo)
    result = run(["note", INC, "hello", "--at", t(5)], repo)
    _refused_cleanly(result)
    assert_unchanged(before, snapshot(repo))


def test_failing_hook_on_new_leaves_no_empty_folders(repo: Path) -> None:
    _failing_hook(repo)
    before = snapshot(repo)
    _refused_cleanly(run([*DECLARE, "--at", t(30)], repo))
    assert not (repo / "incidents" / "INC-0002").exists(), "an empty incident folder was left behind"
    assert_unchanged(before, snapshot(repo))


def test_after_a_failed_new_the_tracker_is_still_valid_and_the_id_is_reused(repo: Path) -> None:
    _failing_hook(repo)
    _refused_cleanly(run([*DECLARE, "--at", t(30)], repo))
    (repo / ".git" / "hooks" / "pre-commit").unlink()
    assert run(["validate"], repo).exit_code == 0, "the failed command left the tracker invalid"
    assert ok_json([*DECLARE, "--at", t(31)], repo)["incident"] == "INC-0002"


@pytest.mark.parametrize("how", ["deleted", "modified"])
def test_hand_changed_timeline_file_is_not_swept_into_a_command_commit(repo: Path, how: str) -> None:
    folder = repo / "incidents" / INC / "timeline"
    event = sorted(folder.iterdir())[0]
    if how == "deleted":
        event.unlink()
    else:
        event.write_text(event.read_text().replace("Declared:", "Declared (rewritten later):"))
    before = snapshot(repo)
    result = run(["note", INC, "hello", "--at", t(5)], repo)
    _refused_cleanly(result)
    assert event.name in result.stderr, result
    assert_unchanged(before, snapshot(repo))


def test_command_from_a_subfolder_finds_the_tracker(repo: Path) -> None:
    data = ok_json(["note", INC, "from the timeline folder", "--at", t(5)], repo / "incidents" / INC / "timeline")
    assert data["commit"] == head(repo)
    assert all(p.startswith(f"incidents/{INC}/") for p in commit_files(repo))


def test_tracker_without_git_needs_no_commit(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    for name in ("process.yaml", "catalog.yaml"):
        shutil.copyfile(REPO_ROOT / name, root / name)
    shutil.copytree(REPO_ROOT / "schemas", root / "schemas")
    refused = run([*DECLARE, "--at", t(0)], root)
    _refused_cleanly(refused)
    assert "git" in refused.stderr and "--no-commit" in refused.stderr, refused
    assert not (root / "incidents").exists()
    data = ok_json([*DECLARE, "--at", t(0), "--no-commit"], root)
    assert data["commit"] is None and (root / INCIDENT_YAML).is_file()


def test_tracker_in_a_subfolder_of_a_git_repository(tmp_path: Path) -> None:
    top = tmp_path / "monorepo"
    tracker = top / "ops" / "tracker"
    tracker.mkdir(parents=True)
    for name in ("process.yaml", "catalog.yaml"):
        shutil.copyfile(REPO_ROOT / name, tracker / name)
    shutil.copytree(REPO_ROOT / "schemas", tracker / "schemas")
    init_repo(top)
    commit_all(top, "Add the tracker")

    data = ok_json([*DECLARE, "--at", t(0)], tracker)

    assert data["commit"] == head(top)
    assert "ops/tracker/incidents/INC-0001/incident.yaml" in commit_files(top)
    assert git("status", "--porcelain", "--untracked-files=all", cwd=top) == ""


@pytest.mark.parametrize("other_work_staged", [False, True], ids=["nothing-staged", "other-work-staged"])
def test_committing_paths_that_hold_no_change_makes_no_commit(repo: Path, other_work_staged: bool) -> None:
    """The git layer itself: paths as HEAD has them give no commit, whether or not the user has other work staged."""
    from mimctl.gitrepo import GitRepo

    docs_index = _stage_other_work(repo) if other_work_staged else None
    before = head(repo)
    git_repo = GitRepo(repo)
    assert git_repo.stage_and_commit([INCIDENT_YAML], "Nothing to say\n") is None
    assert head(repo) == before
    if docs_index is not None:
        assert git("ls-files", "-s", "docs", cwd=repo) == docs_index, "the user's staged work is as it was"
    path = repo / INCIDENT_YAML
    path.write_text(path.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")
    sha = git_repo.stage_and_commit([INCIDENT_YAML], "A comment\n")
    assert sha is not None and sha == head(repo) and commit_files(repo) == [INCIDENT_YAML]
    assert staged(repo) == (["docs/new-page.md", "docs/runbook.md"] if other_work_staged else [])
