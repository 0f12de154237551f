"""Helpers for CLI and git tests: real tracker repositories in tmp_path, the CLI run in-process.

Every repository made here has a pinned local identity, and every git process
(ours and the CLI's) runs without global or system config, so a developer's
~/.gitconfig (signing, hooks paths, templates) cannot change the outcome.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from mimctl.cli import main

REPO_ROOT = Path(__file__).resolve().parents[1]

GIT_ENV = {
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "MIMCTL_USER": "tester",
    "LC_ALL": "C",
}

# All event times in these tests: fixed, in the past, so `--at` is never "in the future".
START = datetime(2025, 3, 10, 8, 0, tzinfo=timezone.utc)


def t(minutes: int) -> str:
    """``START`` plus ``minutes``, as the RFC 3339 text `--at` takes and records keep."""
    return (START + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- git ------------------------------------------------------------------------


def git(*args: str, cwd: Path, check: bool = True, stdin: str | None = None) -> str:
    """Run git in ``cwd`` with no global/system config; returns stdout (raises with stderr on failure)."""
    done = subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True, text=True, env={**os.environ, **GIT_ENV}, check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def head(repo: Path) -> str:
    return git("rev-parse", "HEAD", cwd=repo).strip()


def commit_count(repo: Path) -> int:
    return int(git("rev-list", "--count", "HEAD", cwd=repo))


def commit_files(repo: Path, rev: str = "HEAD") -> list[str]:
    """Paths the commit ``rev`` changed."""
    return sorted(p for p in git("show", "--name-only", "--format=", rev, cwd=repo).splitlines() if p)


def trailers(repo: Path, rev: str = "HEAD") -> dict[str, str]:
    """The trailers of ``rev``'s message, as git itself parses them."""
    out = git("log", "-1", "--format=%(trailers:only,unfold)", rev, cwd=repo)
    found: dict[str, str] = {}
    for line in out.splitlines():
        if ":" in line:
            key, value = line.split(":", 1)
            found[key.strip()] = value.strip()
    return found


def staged(repo: Path) -> list[str]:
    return sorted(git("diff", "--cached", "--name-only", cwd=repo).splitlines())


def commit_all(repo: Path, message: str) -> str:
    """Commit everything in the work tree (a person's hand-made commit)."""
    git("add", "--all", cwd=repo)
    git("commit", "--quiet", "-m", message, cwd=repo)
    return head(repo)


def init_repo(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    git("init", "--quiet", "-b", "main", cwd=root)
    git("config", "user.name", "Test Responder", cwd=root)
    git("config", "user.email", "responder@example.invalid", cwd=root)
    git("config", "commit.gpgsign", "false", cwd=root)


def make_tracker(root: Path) -> Path:
    """A tracker repository at ``root``: this project's process, catalog and schemas, one commit on main."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("process.yaml", "catalog.yaml"):
        shutil.copyfile(REPO_ROOT / name, root / name)
    shutil.copytree(REPO_ROOT / "schemas", root / "schemas")
    init_repo(root)
    commit_all(root, "Start a tracker repository")
    return root


def init_tracker(root: Path) -> Path:
    """A tracker made by ``mimctl init`` (the starter process, catalog, schemas, workflows and pin), committed on main."""
    init_repo(root)
    ok(["init", "."], root)
    return root


def copy_repo(source: Path, target: Path) -> Path:
    """A copy of a prepared repository (cheaper than replaying its commands)."""
    shutil.copytree(source, target, symlinks=True)
    return target


# --- "nothing changed" ----------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    head: str
    status: str
    index: str
    files: dict[str, bytes]
    folders: frozenset[str]


def snapshot(repo: Path) -> Snapshot:
    """HEAD, `git status --porcelain`, the index (`git ls-files -s`), every work-tree file's bytes and every folder.

    Folders count because git does not see empty ones, but mimctl does (an empty
    incidents/INC-… folder is an invalid incident).
    """
    files = {}
    folders = set()
    for path in sorted(repo.rglob("*")):
        rel = path.relative_to(repo)
        if rel.parts[0] == ".git":
            continue
        if path.is_dir():
            folders.add(rel.as_posix())
        else:
            files[rel.as_posix()] = path.read_bytes()
    return Snapshot(
        head=git("rev-parse", "--verify", "-q", "HEAD", cwd=repo, check=False).strip(),
        status=git("status", "--porcelain=v1", "--untracked-files=all", cwd=repo, check=False),
        index=git("ls-files", "-s", cwd=repo, check=False),
        files=files,
        folders=frozenset(folders),
    )


def assert_unchanged(before: Snapshot, after: Snapshot) -> None:
    """Compare two snapshots part by part, so a failure says which part moved."""
    assert after.head == before.head, "HEAD moved"
    assert after.index == before.index, f"index changed:\n--- before\n{before.index}\n--- after\n{after.index}"
    assert after.status == before.status, f"status changed:\n--- before\n{before.status}\n--- after\n{after.status}"
    assert sorted(after.files) == sorted(before.files), "files were added or removed"
    changed = [p for p in before.files if before.files[p] != after.files[p]]
    assert not changed, f"file contents changed: {changed}"
    added, removed = sorted(after.folders - before.folders), sorted(before.folders - after.folders)
    assert after.folders == before.folders, f"folders added: {added}, removed: {removed}"


# --- the CLI --------------------------------------------------------------------


@dataclass
class Run:
    """What a user sees from one command; its repr shows everything, so a failed assert explains itself."""

    args: list[str]
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None
    traceback: str

    def __repr__(self) -> str:
        parts = [
            f"mimctl {' '.join(self.args)}",
            f"exit code: {self.exit_code}",
            f"--- stdout\n{self.stdout}",
            f"--- stderr\n{self.stderr}",
        ]
        if self.traceback:
            parts.append(f"--- unexpected exception\n{self.traceback}")
        return "\n".join(parts)

    __str__ = __repr__

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def crashed(self) -> bool:
        """An exception escaped the command (the real entry point would print 'unexpected error')."""
        return self.exception is not None and not isinstance(self.exception, SystemExit)

    def json(self) -> Any:
        return json.loads(self.stdout)


@contextlib.contextmanager
def _cwd(path: Path) -> Iterator[None]:
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def run(args: list[str], cwd: Path) -> Run:
    """Run ``mimctl ARGS`` in-process from the folder ``cwd`` (as a user in that folder would)."""
    import traceback

    runner = CliRunner(env=GIT_ENV)
    with _cwd(cwd):
        result = runner.invoke(main, args, prog_name="mimctl", catch_exceptions=True)
    escaped = result.exc_info[1] if result.exc_info is not None else None
    tb = ""
    if escaped is not None and not isinstance(escaped, SystemExit):
        tb = "".join(traceback.format_exception(*result.exc_info))
    return Run(list(args), result.exit_code, result.stdout, result.stderr, escaped, tb)


def ok(args: list[str], cwd: Path) -> Run:
    """Run a command that must succeed; fail the test with its output otherwise."""
    result = run(args, cwd)
    assert result.exit_code == 0 and not result.crashed, result
    return result


def ok_json(args: list[str], cwd: Path) -> Any:
    """Run a command with ``--format json`` that must succeed; its parsed output."""
    result = ok([*args, "--format", "json"], cwd)
    try:
        return result.json()
    except ValueError as exc:
        raise AssertionError(f"output is not JSON ({exc}):\n{result!r}") from None


# --- incidents --------------------------------------------------------------------

DECLARE = [
    "new",
    "--title",
    "Card payments failing at checkout",
    "--service",
    "checkout-api",
    "--impact",
    "high",
    "--urgency",
    "high",
    "--severity",
    "SEV1",
    "--source",
    "alert",
    "--alert-name",
    "CheckoutErrorRate",
    "--started",
    t(-7),
]


def declare(repo: Path, at: str = t(0), *extra: str) -> str:
    """Declare an incident (bare: no summary, users or reason); its id."""
    data = ok_json([*DECLARE, *extra, "--at", at, "--by", "pat"], repo)
    return str(data["incident"])


def ready_to_leave_identify(repo: Path, incident_id: str) -> None:
    """Record what the identify gate needs (confirm + classify), starting at minute 2."""
    ok(["confirm", incident_id, "--scope", "All card payments fail with HTTP 502", "--at", t(2), "--by", "pat"], repo)
    ok(
        [
            "classify",
            incident_id,
            "--impact",
            "high",
            "--urgency",
            "high",
            "--reason",
            "Customers cannot pay",
            "--users",
            "48000",
            "--segment",
            "All paying customers",
            "--summary",
            "Checkout returns errors.",
            "--at",
            t(3),
        ],
        repo,
    )


def small_tracker_ready_to_advance(root: Path) -> Path:
    """A tracker with INC-0001 ready to leave identify, committed and packed (cheap to copy many times)."""
    make_tracker(root)
    declare(root)
    ready_to_leave_identify(root, "INC-0001")
    for sample in (root / ".git" / "hooks").glob("*.sample"):
        sample.unlink()
    git("gc", "--quiet", cwd=root)
    return root


def incident_path(incident_id: str, *rest: str) -> str:
    return "/".join(["incidents", incident_id, *rest])


def timeline_files(repo: Path, incident_id: str) -> list[str]:
    folder = repo / "incidents" / incident_id / "timeline"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def line_of(path: Path, text: str) -> int:
    """The 1-based number of the first line of ``path`` that starts with ``text``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith(text):
            return number
    raise AssertionError(f"no line starting with {text!r} in {path}")


def replace_line(path: Path, prefix: str, new_line: str) -> int:
    """Replace the line starting with ``prefix`` by ``new_line`` (a hand edit); its line number."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.startswith(prefix):
            lines[index] = new_line + "\n"
            path.write_text("".join(lines), encoding="utf-8")
            return index + 1
    raise AssertionError(f"no line starting with {prefix!r} in {path}")


def tracker_with_kedb(root: Path) -> Path:
    """A tracker with this repository's known errors (their incident links dropped: those incidents are not here)."""
    make_tracker(root)
    (root / "kedb").mkdir()
    for source in sorted((REPO_ROOT / "kedb").glob("KE-*.yaml")):
        lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
        (root / "kedb" / source.name).write_text("".join(x for x in lines if not x.startswith("incidents:")), encoding="utf-8")
    commit_all(root, "Add the known error database")
    return root


def bench_script(name: str) -> Any:
    """bench/NAME.py, loaded by path (bench/ holds scripts, not a package), once."""
    import importlib.util
    import sys

    found = sys.modules.get(name)
    if found is None:
        spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "bench" / f"{name}.py")
        assert spec is not None and spec.loader is not None
        found = sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(found)
    return found
