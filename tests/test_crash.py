"""Crashes: SIGKILL at random moments leaves every record old or new, never torn, and mimctl repair cleans up; failing hooks change nothing."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gitutil import GIT_ENV, assert_unchanged, copy_repo, declare, git, ok, ready_to_leave_identify, run, snapshot, t
from gitutil import make_tracker as make_git_tracker
from mimctl.yamlio import LoadError, load_file

INC = "INC-0001"
ROUNDS = 30


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = make_git_tracker(tmp_path_factory.mktemp("crash") / "tracker")
    declare(repo)
    ready_to_leave_identify(repo, INC)
    return repo


@pytest.fixture
def repo(template: Path, tmp_path: Path) -> Path:
    return copy_repo(template, tmp_path / "tracker")


def _records(repo: Path) -> dict[str, bytes]:
    return {p.relative_to(repo).as_posix(): p.read_bytes() for p in (repo / "incidents").rglob("*") if p.is_file()}


def test_sigkill_while_writing_leaves_old_or_new_never_torn(repo: Path) -> None:
    env = {
        **os.environ,
        **GIT_ENV,
        "GIT_AUTHOR_NAME": "T",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "T",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    rng = random.Random(20261127)
    seen: dict[str, set[bytes]] = {path: {data} for path, data in _records(repo).items()}
    # Kill anywhere in a command's life: 5 ms up to its full duration on this machine (the brief's
    # 5-300 ms would, on a loaded machine, only ever kill the interpreter while it imports).
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "mimctl", "note", INC, "timing run", "--at", t(9)], cwd=repo, env=env, check=True, capture_output=True
    )
    duration = max(0.3, time.monotonic() - started)
    killed = 0
    for round_ in range(ROUNDS):
        if round_ % 2:
            args = ["note", INC, f"note {round_}", "--at", t(10 + round_)]
        else:
            impact = "high" if round_ % 4 else "medium"
            args = ["classify", INC, "--impact", impact, "--urgency", "high", "--reason", f"round {round_}", "--at", t(10 + round_)]
        proc = subprocess.Popen(
            [sys.executable, "-m", "mimctl", *args], cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.005, duration))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait(timeout=30)
        # Only mimctl was killed (as the OOM killer would): a git command of it may still run for a moment.
        # An interrupted command leaves its journal; the user runs mimctl repair, as its refusal says.
        _repair(repo, env, round_)
        for path, data in _records(repo).items():
            if "/." in path:
                continue  # temp files are judged below
            try:
                load_file(repo / path)
            except LoadError as exc:
                pytest.fail(f"round {round_}: {path} is torn ({exc.message}):\n{data[:500]!r}")
            seen.setdefault(path, set()).add(data)
    assert killed > 0, "no run was killed: the random delays are too long for this machine"
    leftovers = sorted(p for p in _records(repo) if "/." in p)
    assert not leftovers, f"temporary files left behind after mimctl repair: {leftovers}"
    assert git("status", "--porcelain", "--untracked-files=all", cwd=repo) == ""
    result = run(["validate"], repo)
    assert result.exit_code == 0 and not result.crashed, result
    # Every incident.yaml content seen was a whole, valid record.
    for data in seen["incidents/INC-0001/incident.yaml"]:
        assert data.endswith(b"\n")


def _repair(repo: Path, env: dict[str, str], round_: int) -> None:
    """Run mimctl repair until it is done (it waits while a git command of the killed one still runs)."""
    deadline = time.monotonic() + 20
    while True:
        done = subprocess.run([sys.executable, "-m", "mimctl", "repair"], cwd=repo, env=env, capture_output=True, text=True)
        if done.returncode == 0:
            return
        assert "still running" in done.stdout and time.monotonic() < deadline, f"round {round_}: {done.stdout}{done.stderr}"
        time.sleep(0.1)


@pytest.mark.parametrize("hook", ["pre-commit", "commit-msg"])
def test_failing_commit_hook_leaves_files_and_index_as_they_were(repo: Path, hook: str) -> None:
    path = repo / ".git" / "hooks" / hook
    path.write_text("#!/bin/sh\necho 'policy: refused by hook' >&2\nexit 1\n")
    path.chmod(0o755)
    before = snapshot(repo)
    for args in (["note", INC, "blocked", "--at", t(20)], ["advance", INC, "--at", t(21)]):
        result = run(args, repo)
        assert result.exit_code == 1 and not result.crashed, result
        assert "refused by hook" in result.output, result
        assert_unchanged(before, snapshot(repo))
    path.unlink()
    ok(["note", INC, "allowed now", "--at", t(22)], repo)
    assert git("status", "--porcelain", cwd=repo) == ""
