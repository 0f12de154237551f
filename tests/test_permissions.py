"""Files and locks another user owns, folders nobody may write: clear refusals, nothing changed, never a traceback.

Run as root (as CI does), the commands run as the unprivileged user ``nobody``
in a forked child, since root may write anywhere.
"""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import forkrun
from gitutil import assert_unchanged, declare, git, snapshot, t
from gitutil import make_tracker as make_git_tracker
from mimctl.transaction import lock_path
from test_interrupted import no_journal

INC = "INC-0001"


def _nobody() -> int | None:
    """The uid to run commands as: nobody when the tests run as root, else None (the tests' own user)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("nobody").pw_uid
    except KeyError:
        pytest.skip("there is no user 'nobody' to run the commands as")


@pytest.fixture
def repo(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A tracker in a folder the unprivileged user can reach (the test's tmp_path is private to root)."""
    # The test's own git commands (as root) look into a repository another user owns.
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "safe.directory")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "*")
    top = Path(tempfile.mkdtemp(prefix="mimctl-perm-"))
    top.chmod(0o755)
    repo = make_git_tracker(top / "tracker")
    declare(repo)
    user = _nobody()
    if user is not None:
        for path in [repo, *repo.rglob("*")]:
            os.lchown(path, user, user)
    try:
        yield repo
    finally:
        for path in [top, *top.rglob("*")]:
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(top, ignore_errors=True)
        lock_path(repo).unlink(missing_ok=True)


def test_a_lock_file_another_user_made_does_not_stop_a_command(repo: Path) -> None:
    user = _nobody()
    if user is None:
        pytest.skip("needs root, to make a lock file as one user and run the command as another")
    lock = lock_path(repo)
    lock.unlink(missing_ok=True)
    lock.write_bytes(b"")
    lock.chmod(0o644)  # root's, readable by all, writable by root only: as a umask of 022 leaves it
    done = forkrun.run(["note", INC, "the lock is root's", "--at", t(5)], repo, user=user)
    assert done.code == 0, done
    assert git("status", "--porcelain", cwd=repo) == ""


def test_a_lock_file_is_made_so_that_others_sharing_the_checkout_can_use_it(repo: Path) -> None:
    lock = lock_path(repo)
    lock.unlink(missing_ok=True)
    done = forkrun.run(["note", INC, "first", "--at", t(5)], repo, user=_nobody())
    assert done.code == 0, done
    assert lock.stat().st_mode & 0o777 == 0o666


@pytest.mark.parametrize(
    ("folder", "commands"),
    [
        (
            "incidents/INC-0001/timeline",
            [["note", INC, "cannot be written", "--at", t(5)], ["set", INC, "title", "Not written", "--at", t(5)]],
        ),
        ("incidents/INC-0001", [["set", INC, "title", "Not written", "--at", t(5)], ["pir", "new", INC]]),
    ],
    ids=["timeline", "incident"],
)
def test_a_read_only_incident_folder_is_a_clear_refusal_and_changes_nothing(repo: Path, folder: str, commands: list[list[str]]) -> None:
    (repo / folder).chmod(0o555)
    before = snapshot(repo)
    for args in commands:
        done = forkrun.run(args, repo, user=_nobody())
        assert done.code == 1, done
        assert "Traceback" not in done.output and "nothing was changed: Permission denied (incidents/INC-0001/" in done.output, done
        assert_unchanged(before, snapshot(repo))
        assert no_journal(repo)
