"""Apply a change to the tracker: validate it, write it atomically, commit it.

Either everything lands (files written, one commit with only those paths) or
nothing does: files, index and HEAD stay as they were.
"""

from __future__ import annotations

import fcntl
import hashlib
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .findings import Refused as Refused  # re-exported: commands import it from here
from .gitrepo import GitError, GitRepo
from .store import INCIDENTS_DIR, TIMELINE_DIR, Tracker
from .validate import bundle_findings
from .yamlio import atomic_write

LOCK_WAIT_SECONDS = 10.0
_HELD: set[str] = set()  # locks this process holds (flock would deadlock on a second open)


@dataclass
class Change:
    """Files to write (repo-relative path -> text) and the commit that records them."""

    incident_id: str | None
    writes: dict[str, str]
    subject: str
    body: str = ""
    trailers: dict[str, str] = field(default_factory=dict)
    summary: dict[str, object] = field(default_factory=dict)

    def message(self) -> str:
        parts = [self.subject]
        if self.body:
            parts.append(self.body)
        trailers = [f"{key}: {value}" for key, value in self.trailers.items()]
        if trailers:
            parts.append("\n".join(trailers))
        return "\n\n".join(parts) + "\n"


@dataclass
class Applied:
    paths: list[str]
    commit: str | None
    changed: bool


@contextmanager
def locked(root: Path, name: str = "write", wait: float = LOCK_WAIT_SECONDS, busy: str = "") -> Iterator[None]:
    """Hold the checkout's ``name`` lock (released even if the process dies); wait up to ``wait`` seconds."""
    # Outside the work tree, so that the lock never shows up as an untracked file.
    digest = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
    suffix = "" if name == "write" else f"-{name}"
    key = f"mimctl-{digest}{suffix}.lock"
    if key in _HELD:  # already ours: a command that reads, decides and writes under one lock
        yield
        return
    handle = open(Path(tempfile.gettempdir()) / key, "a+")  # noqa: SIM115 - held for the block
    _HELD.add(key)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise Refused(busy or "another mimctl command is writing to this checkout; try again when it ends") from None
                time.sleep(0.05)
        yield
    finally:
        _HELD.discard(key)
        handle.close()


def apply(tracker: Tracker, change: Change, commit: bool = True) -> Applied:
    """Validate, write and (unless ``commit`` is false) commit ``change``."""
    with locked(tracker.root):
        repo = None
        if commit:
            try:
                repo = GitRepo(tracker.root)
                repo.ensure_safe()
            except GitError as exc:
                raise Refused(str(exc)) from None
        writes = {p: t for p, t in change.writes.items() if _current(tracker.root / p) != t}
        _validate(tracker, change, writes)
        extra: list[str] = []
        if repo is not None and change.incident_id:
            extra = _hand_edits(repo, tracker.root / INCIDENTS_DIR / change.incident_id)
        to_commit = sorted({repo.relative(tracker.root / p) for p in writes} | set(extra)) if repo is not None else sorted(writes)
        if not to_commit:
            return Applied([], None, False)
        old = {p: _current(tracker.root / p) for p in writes}
        created = [d for p in writes for d in (tracker.root / p).parents if d.is_relative_to(tracker.root) and not d.exists()]
        try:
            for path, text in writes.items():
                atomic_write(tracker.root / path, text)
            sha = repo.commit_paths(to_commit, change.message()) if repo is not None else None
        except (GitError, OSError) as exc:
            _restore(tracker.root, old, created)
            raise Refused(f"nothing was changed: {exc}") from None
        except BaseException:
            _restore(tracker.root, old, created)
            raise
        return Applied(to_commit, sha, bool(writes) or sha is not None)


def _hand_edits(repo: GitRepo, folder: Path) -> list[str]:
    """Uncommitted changes in the incident's folder, to commit with the command's own.

    Timeline files are append-only: a changed or deleted one is refused, not swept in.
    """
    entries = repo.dirty_paths(repo.relative(folder))
    broken = [path for status, path in entries if f"/{TIMELINE_DIR}/" in path and status != "??" and status.strip() not in ("A",)]
    if broken:
        raise Refused(
            "timeline files are append-only, but these were changed or deleted by hand: "
            + ", ".join(broken)
            + " (restore them with: git checkout -- FILE)"
        )
    return [path for _, path in entries]


def _current(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _restore(root: Path, old: dict[str, str | None], created: list[Path]) -> None:
    """Put files back as they were, and remove the folders this change created."""
    for path, text in old.items():
        target = root / path
        if text is None:
            target.unlink(missing_ok=True)
        else:
            atomic_write(target, text)
    for folder in sorted(set(created), key=lambda p: len(p.parts), reverse=True):
        if folder.exists() and not any(folder.iterdir()):
            folder.rmdir()


def _validate(tracker: Tracker, change: Change, writes: dict[str, str]) -> None:
    """Refuse unless the incident, with the change and any hand edits, is valid."""
    if change.incident_id is None:
        return
    tracker.overlay = {tracker.root / p: t for p, t in writes.items()}
    try:
        bundle = tracker.load_bundle(change.incident_id)
        known_error_ids = {p.stem for p in tracker.known_error_paths()}
        findings = bundle_findings(bundle, tracker.process, tracker.catalog, tracker.existing_incidents(), known_error_ids)
    finally:
        tracker.overlay = {}
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise Refused(f"{change.incident_id} would not be valid; nothing was changed", errors)
