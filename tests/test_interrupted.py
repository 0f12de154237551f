"""Interrupted commands: killed at random moments, failing while putting back, hooks that change commits.

Whatever happens to a command, afterwards the repository is sound (git fsck),
no commit holds another command's changes, and either the next command works
or it refuses, naming ``mimctl repair``, which restores a clean state.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import forkrun
from gitutil import (
    DECLARE,
    assert_unchanged,
    git,
    head,
    incident_path,
    ok,
    ok_json,
    run,
    small_tracker_ready_to_advance,
    snapshot,
    t,
)
from mimctl import journal as journal_module
from mimctl.gitrepo import GitRepo
from mimctl.journal import Journal

INC = "INC-0001"
SEED = 20261127
ROUNDS = int(os.environ.get("MIMCTL_KILL_ROUNDS", "300"))
NOTE_FILE = re.compile(rf"incidents/{INC}/timeline/[0-9]{{8}}T[0-9]{{6}}Z-note-[0-9a-f]{{6}}\.yaml")
STAGE_FILE = re.compile(rf"incidents/{INC}/timeline/[0-9]{{8}}T[0-9]{{6}}Z-stage-[0-9a-f]{{6}}\.yaml")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_tracker_ready_to_advance(tmp_path_factory.mktemp("interrupted") / "tracker")


@pytest.fixture
def repo(template: Path, tmp_path: Path) -> Path:
    return _copy(template, tmp_path / "tracker")


def _copy(template: Path, target: Path) -> Path:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(template, target, symlinks=True)
    return target


# --- what must hold after anything ------------------------------------------------------


def _fsck_clean(repo: Path) -> None:
    done = git("fsck", "--no-dangling", "--no-progress", cwd=repo, check=False)
    assert "error" not in done.lower() and "missing" not in done.lower() and "broken" not in done.lower(), done


def _commits_hold_only_their_own_changes(repo: Path, base: str) -> list[str]:
    """Every commit since ``base`` changes exactly what its command makes (by its Event trailer); their events."""
    events = []
    for sha in git("rev-list", "--reverse", f"{base}..HEAD", cwd=repo).split():
        message = git("log", "-1", "--format=%B", sha, cwd=repo)
        event = re.search(r"^Event: (\S+)$", message, re.M)
        assert event, f"{sha}: a commit without an Event trailer:\n{message}"
        assert "changes made by hand" not in message, f"{sha} swept in changes it did not make:\n{message}"
        changes = sorted(git("show", "--name-status", "--format=", "--no-renames", sha, cwd=repo).splitlines())
        if event.group(1) == "note":
            assert len(changes) == 1 and changes[0].startswith("A\t") and NOTE_FILE.fullmatch(changes[0][2:]), (sha, changes)
            assert message.startswith(f"{INC}: note"), message
        else:
            assert event.group(1) == "stage", message
            assert len(changes) == 2 and changes[0] == f"A\t{changes[0][2:]}" and STAGE_FILE.fullmatch(changes[0][2:]), (sha, changes)
            assert changes[1] == f"M\t{incident_path(INC, 'incident.yaml')}", (sha, changes)
        events.append(event.group(1))
    return events


def no_journal(repo: Path) -> bool:
    """No journal and nothing it kept (the folder itself may stay, empty)."""
    folder = repo / ".git" / journal_module.FOLDER
    return not folder.exists() or not any(folder.iterdir())


def _clean(repo: Path) -> None:
    assert git("status", "--porcelain=v1", "--untracked-files=all", cwd=repo) == "", "something was left in the work tree or index"
    assert no_journal(repo), "the journal (or a file it kept) was left"
    assert not (repo / ".git" / "index.lock").exists(), "git's index.lock was left"


# --- kills at random moments -------------------------------------------------------------


def _command(kind: str, number: int) -> list[str]:
    if kind == "advance":
        return ["advance", INC, "--at", t(10)]
    return ["note", INC, f"note of round {number}", "--at", t(10)]


@pytest.mark.slow
def test_sigkill_at_random_moments_leaves_a_sound_repository_and_the_repair_command(template: Path, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    base = head(template)
    forkrun.warm(template)
    durations = {}
    for kind in ("advance", "note"):  # the fastest of five: a busy machine only makes the command longer
        samples = [forkrun.run(_command(kind, 0), _copy(template, tmp_path / "timing")).seconds for _ in range(5)]
        durations[kind] = min(samples)
    seen: Counter[str] = Counter()
    for number in range(ROUNDS):
        kind = ("advance", "note")[number % 2]
        repo = _copy(template, tmp_path / "round")
        killed = forkrun.run(_command(kind, number), repo, kill_after=rng.uniform(0, durations[kind]))
        seen["killed" if killed.code is None else "finished first"] += 1
        where = f"round {number} ({kind}, killed after {killed.seconds:.3f} s)"

        _fsck_clean(repo)
        _commits_hold_only_their_own_changes(repo, base)
        after = forkrun.run(["note", INC, "the next command", "--at", t(20)], repo)
        if after.code != 0:
            assert after.code == 1 and "mimctl repair" in after.output, f"{where}: {after!r}"
            seen["next command refused: repair"] += 1
            repaired = forkrun.run(["repair"], repo)
            assert repaired.code == 0, f"{where}: {repaired!r}"
            _clean(repo)
            assert head(repo) == base or _commits_hold_only_their_own_changes(repo, base) == [("stage", "note")[number % 2]], where
            after = forkrun.run(["note", INC, "the next command", "--at", t(20)], repo)
            assert after.code == 0, f"{where}, after the repair: {after!r}"
        else:
            seen["next command worked"] += 1
        _clean(repo)
        _fsck_clean(repo)
        events = _commits_hold_only_their_own_changes(repo, base)
        assert events[-1] == "note" and len(events) <= 2, (where, events)
    print(f"{ROUNDS} rounds (command times: {durations}): {dict(seen)}")
    assert seen["killed"] >= ROUNDS // 3, "too few runs were killed: most finished first"
    assert seen["next command refused: repair"] > 0, "no kill ever left a change to repair: the kills come too early or too late"


# --- putting back fails too --------------------------------------------------------------


def _failing_hook(repo: Path) -> None:
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'pre-commit: refused' >&2\nexit 1\n")
    hook.chmod(0o755)


def _undo_fails() -> None:
    """In the command's process: putting files back fails, as on a full, read-only or broken disk."""

    def fail(self: Journal, repo: GitRepo, entry: Any, dry_run: bool) -> list[str]:
        raise OSError(28, "No space left on device", str(repo.root / entry.path))

    Journal._restore_file = fail  # type: ignore[method-assign]


def test_when_putting_back_fails_too_the_command_says_what_is_left_and_repair_restores_it(repo: Path) -> None:
    _failing_hook(repo)
    before = snapshot(repo)

    result = forkrun.run(["advance", INC, "--at", t(10)], repo, prepare=_undo_fails)

    assert result.code == 1, result
    assert "pre-commit: refused" in result.output and "putting everything back failed too" in result.output, result
    assert incident_path(INC, "incident.yaml") in result.output and "mimctl repair" in result.output, result
    for args in (["note", INC, "x", "--at", t(11)], ["advance", INC, "--at", t(11)], ["set", INC, "title", "x"], ["pir", "new", INC]):
        refused = run(args, repo)
        assert refused.exit_code == 1 and "mimctl repair" in refused.stderr, refused
    (repo / ".git" / "hooks" / "pre-commit").unlink()
    dry = ok_json(["repair", "--dry-run"], repo)
    assert dry["state"] == "would-repair" and dry["interrupted"]["subject"].startswith(f"{INC}: advance"), dry
    assert any("put back incidents/INC-0001/incident.yaml" in action for action in dry["actions"]), dry
    assert (repo / ".git" / journal_module.FOLDER / journal_module.FILE).exists(), "--dry-run changed something"

    done = ok(["repair"], repo)

    assert "put back incidents/INC-0001/incident.yaml as it was" in done.stdout, done
    assert_unchanged(before, snapshot(repo))
    ok(["advance", INC, "--at", t(12)], repo)
    assert "nothing to repair" in ok(["repair"], repo).stdout


def test_a_leftover_journal_makes_every_writing_command_refuse_and_change_nothing(repo: Path) -> None:
    _failing_hook(repo)
    assert forkrun.run(["note", INC, "x", "--at", t(10)], repo, prepare=_undo_fails).code == 1
    (repo / ".git" / "hooks" / "pre-commit").unlink()
    left = snapshot(repo)
    for args in (
        ["note", INC, "x", "--at", t(11)],
        ["classify", INC, "--severity", "SEV2", "--at", t(11)],
        ["pir", "new", INC],
        [*DECLARE, "--at", t(11)],
        ["renumber", INC, "INC-0009"],
        ["note", INC, "x", "--no-commit"],
    ):
        refused = run(args, repo)
        assert refused.exit_code == 1 and not refused.crashed and "mimctl repair" in refused.stderr, refused
        assert_unchanged(left, snapshot(repo))


def test_a_renumber_that_cannot_put_back_is_repaired_folder_and_all(repo: Path) -> None:
    _failing_hook(repo)
    before = snapshot(repo)

    result = forkrun.run(["renumber", INC, "INC-0042"], repo, prepare=_undo_fails)

    assert result.code == 1 and "putting everything back failed too" in result.output and "mimctl repair" in result.output, result
    (repo / ".git" / "hooks" / "pre-commit").unlink()
    repaired = forkrun.run(["repair"], repo)
    assert repaired.code == 0 and "moved incidents/INC-0042 back to incidents/INC-0001" in repaired.output, repaired
    assert_unchanged(before, snapshot(repo))
    assert forkrun.run(["renumber", INC, "INC-0042"], repo).code == 0
    _clean(repo)


# --- a command that committed, then died -------------------------------------------------


def test_repair_keeps_a_commit_the_command_made_before_it_died(repo: Path) -> None:
    def die_before_clearing_the_journal() -> None:
        Journal.finish = lambda self, repo: os._exit(9)  # type: ignore[method-assign]

    done = forkrun.run(["note", INC, "committed, then killed", "--at", t(10)], repo, prepare=die_before_clearing_the_journal)
    assert done.code == 9, done
    committed = head(repo)
    assert git("log", "-1", "--format=%s", cwd=repo).strip() == f"{INC}: note"

    refused = forkrun.run(["note", INC, "next", "--at", t(11)], repo)
    assert refused.code == 1 and "mimctl repair" in refused.output, refused
    repaired = forkrun.run(["repair", "--format", "json"], repo)
    assert repaired.code == 0 and '"repaired"' in repaired.output and "kept" in repaired.output, repaired

    assert head(repo) == committed
    _clean(repo)
    assert forkrun.run(["note", INC, "next", "--at", t(11)], repo).code == 0


def test_a_lock_left_by_a_killed_git_is_removed_by_repair_once_its_command_is_gone(repo: Path) -> None:
    before = snapshot(repo)

    def git_killed_while_holding_the_index_lock() -> None:
        def stage_and_commit(self: GitRepo, paths: list[str], message: str) -> str | None:
            self._run("add", "--all", "--", *paths)
            (self.git_dir / "index.lock").write_bytes(b"half-written index")
            os._exit(137)

        GitRepo.stage_and_commit = stage_and_commit  # type: ignore[method-assign]

    assert forkrun.run(["note", INC, "x", "--at", t(10)], repo, prepare=git_killed_while_holding_the_index_lock).code == 137
    refused = forkrun.run(["advance", INC, "--at", t(11)], repo)
    assert refused.code == 1 and "mimctl repair" in refused.output, refused

    repaired = forkrun.run(["repair"], repo)

    assert repaired.code == 0 and "index.lock" in repaired.output, repaired
    assert_unchanged(before, snapshot(repo))
    _clean(repo)


def test_an_index_lock_no_mimctl_command_made_is_left_alone(repo: Path) -> None:
    lock = repo / ".git" / "index.lock"
    lock.write_bytes(b"")
    before = snapshot(repo)
    refused = run(["note", INC, "x", "--at", t(10)], repo)
    assert refused.exit_code == 1 and "index.lock" in refused.stderr and "If no git command is running" in refused.stderr, refused
    repaired = run(["repair"], repo)
    assert repaired.exit_code == 1 and "no mimctl command left it" in repaired.stdout, repaired
    assert lock.exists()
    assert_unchanged(before, snapshot(repo))


def test_repair_waits_for_a_command_that_still_runs(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A journal whose owner is alive (this very process): repair must not touch it.
    _failing_hook(repo)
    monkeypatch.setattr(Journal, "_restore_file", lambda self, repo, entry, dry_run: (_ for _ in ()).throw(OSError(28, "No space left")))
    assert run(["note", INC, "x", "--at", t(10)], repo).exit_code == 1
    monkeypatch.undo()
    left = snapshot(repo)
    result = run(["repair"], repo)
    assert result.exit_code == 1 and "still running" in result.stdout, result
    assert_unchanged(left, snapshot(repo))


def test_temporary_files_of_an_interrupted_write_are_refused_then_removed(repo: Path) -> None:
    temp = repo / "incidents" / INC / ".incident.yaml.k3j2h1g0.tmp"
    temp.write_text("id: INC-0001\ntit")
    refused = run(["note", INC, "x", "--at", t(10)], repo)
    assert refused.exit_code == 1 and temp.name in refused.stderr and "mimctl repair" in refused.stderr, refused
    done = ok(["repair"], repo)
    assert temp.name in done.stdout and not temp.exists()
    ok(["note", INC, "x", "--at", t(10)], repo)
    _clean(repo)


# --- SIGTERM and Ctrl-C ------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_a_terminated_command_puts_its_change_back(repo: Path, signum: int) -> None:
    before = snapshot(repo)

    def signal_after_staging() -> None:
        # Ctrl-C as in a terminal, whatever SIGINT handling the test run itself inherited.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        original = GitRepo.stage_and_commit

        def stage_and_commit(self: GitRepo, paths: list[str], message: str) -> str | None:
            self._run("add", "--all", "--", *paths)
            os.kill(os.getpid(), signum)
            return original(self, paths, message)

        GitRepo.stage_and_commit = stage_and_commit  # type: ignore[method-assign]

    done = forkrun.run(["advance", INC, "--at", t(10)], repo, prepare=signal_after_staging)
    assert done.code == 130 and "interrupted" in done.output, done
    assert_unchanged(before, snapshot(repo))
    _clean(repo)


# --- hooks that change what is committed -----------------------------------------------------


HOOKS = {
    "restages-a-changed-record": (
        "f=$(git diff --cached --name-only -- 'incidents/*/incident.yaml' | head -n1)\n"
        '[ -n "$f" ] && sed -i "s/^stage: .*/stage: complete/" "$f" && git add "$f"\nexit 0\n'
    ),
    "adds-another-file": "echo 'generated' > generated.txt && git add generated.txt\nexit 0\n",
    "rewrites-the-work-tree-only": ("for f in $(git diff --cached --name-only); do printf '# reformatted\\n' >> \"$f\"; done\nexit 0\n"),
}


@pytest.mark.parametrize(
    ("hook", "args"),
    [
        (hook, args)
        for hook in sorted(HOOKS)
        for args in (["advance", INC, "--at", t(10)], ["note", INC, "hello", "--at", t(10)])
        if not (hook == "restages-a-changed-record" and args[0] == "note")  # note changes no incident.yaml
    ],
    ids=lambda value: value if isinstance(value, str) else value[0],
)
def test_a_hook_that_changes_what_is_committed_gets_the_commit_undone(repo: Path, hook: str, args: list[str]) -> None:
    path = repo / ".git" / "hooks" / "pre-commit"
    path.write_text("#!/bin/sh\n" + HOOKS[hook])
    path.chmod(0o755)
    before = snapshot(repo)

    result = run(args, repo)

    assert result.exit_code == 1 and not result.crashed, result
    assert "a commit hook changed what was committed" in result.stderr and "the commit was undone" in result.stderr, result
    after = snapshot(repo)
    if hook == "adds-another-file":  # the hook's own file stays (it is not ours to remove), unstaged as before
        assert after.files.pop("generated.txt") == b"generated\n"
        assert git("ls-files", "generated.txt", cwd=repo) == ""
        after = snapshot_without(repo, "generated.txt")
    assert_unchanged(before, after)


def test_the_repository_s_diff_settings_never_blind_the_check_of_what_was_committed(repo: Path) -> None:
    # The check reads what the commit changed with git diff: colour, relative paths, an external diff
    # or hidden submodules set in the repository's configuration must not change what it sees.
    for key, value in (("color.ui", "always"), ("color.diff", "always"), ("diff.relative", "true"), ("diff.external", "false"),
                       ("diff.ignoreSubmodules", "all"), ("diff.renames", "copies"), ("core.abbrev", "7")):  # fmt: skip
        git("config", key, value, cwd=repo)
    data = ok_json(["note", INC, "settings do not matter", "--at", t(10)], repo)
    assert data["commit"] == head(repo)
    # A hook that slips a submodule entry into the commit: hidden from git diff by diff.ignoreSubmodules, never from the check.
    path = repo / ".git" / "hooks" / "pre-commit"
    path.write_text(f"#!/bin/sh\ngit update-index --add --cacheinfo 160000,{head(repo)},vendored\nexit 0\n")
    path.chmod(0o755)
    before = snapshot(repo)
    result = run(["note", INC, "and a hook is still caught", "--at", t(11)], repo)
    assert result.exit_code == 1 and "a commit hook changed what was committed" in result.stderr and "vendored" in result.stderr, result
    assert_unchanged(before, snapshot(repo))


def snapshot_without(repo: Path, name: str) -> Any:
    (repo / name).unlink()
    return snapshot(repo)


def test_a_hook_that_leaves_everything_as_validated_lets_the_commit_stand(repo: Path) -> None:
    path = repo / ".git" / "hooks" / "pre-commit"
    path.write_text("#!/bin/sh\ngit diff --cached --name-only > /dev/null\nexit 0\n")
    path.chmod(0o755)
    data = ok_json(["advance", INC, "--at", t(10)], repo)
    assert data["commit"] == head(repo)
    _clean(repo)


@pytest.mark.parametrize("how", ["gitattributes", "autocrlf"])
def test_git_storing_a_crlf_record_with_lf_is_not_taken_for_a_hook(repo: Path, how: str) -> None:
    path = repo / incident_path(INC, "incident.yaml")
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    if how == "gitattributes":
        (repo / ".gitattributes").write_text("*.yaml text eol=lf\n")
        git("add", ".gitattributes", cwd=repo)
    else:
        git("config", "core.autocrlf", "input", cwd=repo)
    git("add", "--all", cwd=repo)
    git("commit", "--quiet", "--allow-empty", "-m", "CRLF in the work tree, LF in git", cwd=repo)

    data = ok_json(["advance", INC, "--at", t(10)], repo)

    assert data["commit"] == head(repo)
    assert b"stage: notify\r\n" in path.read_bytes(), "the file keeps its CRLF"
    assert "stage: notify\n" in git("show", f"HEAD:{incident_path(INC, 'incident.yaml')}", cwd=repo)
    _clean(repo)


# --- hand edits are named in the commit ----------------------------------------------------


def test_a_hand_edit_swept_into_a_commit_is_named_in_its_message(repo: Path) -> None:
    path = repo / incident_path(INC, "incident.yaml")
    path.write_text(path.read_text().replace("title: Card payments failing at checkout", "title: Card payments failing (EU)"))
    ok(["note", INC, "x", "--at", t(10)], repo)
    message = git("log", "-1", "--format=%B", cwd=repo)
    assert f"Also commits changes made by hand to: {incident_path(INC, 'incident.yaml')}" in message, message
    assert re.search(r"^Event: note$", message, re.M), "the trailers must stay the last paragraph"
    assert git("log", "-1", "--format=%(trailers:key=Event,valueonly)", cwd=repo).strip() == "note"


def test_an_unreadable_journal_is_a_clear_refusal(repo: Path) -> None:
    folder = repo / ".git" / journal_module.FOLDER
    folder.mkdir(exist_ok=True)
    (folder / journal_module.FILE).write_text("{not json")
    for args in (["note", INC, "x", "--at", t(10)], ["repair"]):
        result = run(args, repo)
        assert result.exit_code == 1 and not result.crashed and "cannot be read" in result.stderr, result
