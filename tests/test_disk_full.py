"""A full disk: on a real small file system (tmpfs, and ext4 on a loop device), at many free-space sizes.

Each command runs with only so many bytes free. It either succeeds, or
refuses with everything exactly as before, or (if even putting back failed)
names ``mimctl repair``, which restores everything once space is freed. Never
a traceback, never exit 3, never a commit holding what it should not.

Mounting needs root (CI runs as root on a fresh machine); elsewhere these
tests are skipped, saying why, and tests/test_interrupted.py covers the same
paths by fault injection.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

import forkrun
from gitutil import assert_unchanged, head, small_tracker_ready_to_advance, snapshot, t
from test_interrupted import _clean, _commits_hold_only_their_own_changes, _fsck_clean, no_journal

INC = "INC-0001"
PAGE = 4096
FREE_SIZES = [0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64, 96, 128]  # pages of 4 KiB
SIZE_MB = 6


def _mount(kind: str, where: Path, image: Path) -> str:
    """Mount a small file system of ``kind`` at ``where``; '' on success, else why it cannot be done here."""
    if os.geteuid() != 0:
        return "mounting a small file system needs root"
    where.mkdir(parents=True, exist_ok=True)
    if kind == "tmpfs":
        command = ["mount", "-t", "tmpfs", "-o", f"size={SIZE_MB}m", "tmpfs", str(where)]
    else:
        if shutil.which("mkfs.ext4") is None:
            return "mkfs.ext4 is not installed"
        with open(image, "wb") as handle:
            handle.truncate(SIZE_MB * 1024 * 1024)
        made = subprocess.run(["mkfs.ext4", "-q", "-F", "-m", "0", "-b", str(PAGE), str(image)], capture_output=True, text=True)
        if made.returncode:
            return f"mkfs.ext4 failed: {made.stderr.strip()}"
        command = ["mount", "-o", "loop", str(image), str(where)]
    done = subprocess.run(command, capture_output=True, text=True)
    return "" if done.returncode == 0 else f"cannot mount {kind} here: {done.stderr.strip() or done.returncode}"


@pytest.fixture(scope="module", params=["tmpfs", "ext4"])
def small_disk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = tmp_path_factory.mktemp(f"disk-{request.param}")
    where = base / "mnt"
    why = _mount(request.param, where, base / "ext4.img")
    if why:
        pytest.skip(why)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = small_tracker_ready_to_advance(tmp_path_factory.mktemp("full") / "tracker")
    forkrun.warm(repo)
    return repo


def _free(folder: Path) -> int:
    info = os.statvfs(folder)
    return info.f_bavail * info.f_frsize


def _fill(disk: Path, leave: int) -> Path:
    """A file that takes all free space on ``disk`` but ``leave`` bytes (or all of it, where the file system keeps some back)."""
    filler = disk / f"filler-{uuid.uuid4().hex[:6]}"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        for size in (1 << 20, PAGE):
            block = b"\0" * size
            while _free(disk) - leave >= size:
                try:
                    os.write(fd, block)
                    os.fsync(fd)
                except OSError:
                    break
    finally:
        os.close(fd)
    return filler


COMMANDS = {"advance": ["advance", INC, "--at", t(10)], "note": ["note", INC, "disk full?", "--at", t(10)]}


@pytest.mark.slow
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_full_disk_changes_nothing_or_leaves_the_repair_command(small_disk: Path, template: Path, command: str) -> None:
    base = head(template)
    seen: Counter[str] = Counter()
    for pages in FREE_SIZES:
        repo = small_disk / "tracker"
        shutil.rmtree(repo, ignore_errors=True)
        shutil.copytree(template, repo, symlinks=True)
        before = snapshot(repo)
        filler = _fill(small_disk, pages * PAGE)
        where = f"{small_disk.name}, {pages} pages free ({_free(small_disk)} bytes)"
        try:
            result = forkrun.run(COMMANDS[command], repo)
        finally:
            filler.unlink()
        assert result.code in (0, 1), f"{where}: {result!r}"
        assert "Traceback" not in result.output and "unexpected error" not in result.output, f"{where}: {result!r}"
        if result.code == 0:
            seen["done"] += 1
            _clean(repo)
        elif "mimctl repair" in result.output:
            seen["left for repair"] += 1
            repaired = forkrun.run(["repair"], repo)
            assert repaired.code == 0, f"{where}: {repaired!r}"
            assert_unchanged(before, snapshot(repo))
        else:
            seen["refused, nothing changed"] += 1
            assert "nothing was changed: the disk is full" in result.output, f"{where}: {result!r}"
            assert_unchanged(before, snapshot(repo))
            assert no_journal(repo)
        _fsck_clean(repo)
        _commits_hold_only_their_own_changes(repo, base)
        after = forkrun.run(["note", INC, "with space again", "--at", t(20)], repo)
        assert after.code == 0, f"{where}: the next command, with space again: {after!r}"
        _clean(repo)
        _commits_hold_only_their_own_changes(repo, base)
    print(f"{small_disk.parent.name} {command}: {dict(seen)}")
    assert seen["done"] and seen["refused, nothing changed"], f"the free sizes do not span failure and success: {dict(seen)}"
