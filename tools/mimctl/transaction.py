"""Apply a change to the tracker: validate it, write it atomically, commit it.

Either everything lands (files written, one commit with only those paths and
the hand edits to that incident's records) or nothing does: files, index and
HEAD stay as they were, even when the process is killed half way (the
journal, journal.py, and ``mimctl repair``).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .checkout import make_room
from .findings import Refused as Refused  # re-exported: commands import it from here
from .gitrepo import GitError, GitRepo
from .journal import Journal, UndoFailed
from .store import INCIDENTS_DIR, TIMELINE_DIR, Tracker
from .validate import bundle_findings
from .yamlio import TEMP_FILE, atomic_write

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
    # Files the command already wrote as it went (each atomically: the notification ledger) that the commit holds too.
    written: tuple[str, ...] = ()

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
    path = lock_path(root, name)
    key = path.name
    if key in _HELD:  # already ours: a command that reads, decides and writes under one lock
        yield
        return
    fd = _open_lock(path)
    _HELD.add(key)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise Refused(busy or "another mimctl command is writing to this checkout; try again when it ends") from None
                time.sleep(0.05)
        yield
    finally:
        _HELD.discard(key)
        os.close(fd)


def lock_path(root: Path, name: str = "write") -> Path:
    """The lock file of the checkout at ``root``: outside the work tree, so that it never shows up as an untracked file."""
    digest = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
    suffix = "" if name == "write" else f"-{name}"
    return Path(tempfile.gettempdir()) / f"mimctl-{digest}{suffix}.lock"


def _open_lock(path: Path) -> int:
    """The lock file, opened for reading only: flock needs no more, so it works on another user's file.

    Created readable and writable by everyone who shares the checkout (whatever
    the umask); never followed through a symlink.
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    for _ in range(3):
        try:
            return os.open(path, flags)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise Refused(f"cannot open the lock file {path}: {exc.strerror} (remove it if no mimctl command is running)") from None
        try:
            fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue  # another command made it meanwhile
        except OSError as exc:
            raise Refused(f"cannot create the lock file {path}: {exc.strerror}") from None
        with contextlib.suppress(OSError):
            os.fchmod(fd, 0o666)
        return fd
    raise Refused(f"cannot open the lock file {path}")


def apply(tracker: Tracker, change: Change, commit: bool = True) -> Applied:
    """Validate, write and (unless ``commit`` is false) commit ``change``: all of it, or none of it.

    In a git repository every step is journaled first (journal.py): if one
    fails, or a commit hook changes what was validated, everything is put
    back; if even that fails, or the process dies, the journal stays and
    ``mimctl repair`` finishes the job. Leftovers of such an interrupted
    command make every command refuse until then.
    """
    with locked(tracker.root):
        repo = _repository(tracker.root, commit)
        if repo is not None:
            refuse_leftovers(repo)
        writes = {p: t for p, t in change.writes.items() if _current(tracker.root / p) != t.encode("utf-8")}
        _validate(tracker, change, writes)
        # A sparse checkout gets the folders the change writes in (not undone if the commit then fails: harmless).
        make_room(tracker.source, sorted(writes))
        hand: list[str] = []
        if repo is not None and commit and change.incident_id:
            hand = _hand_edits(repo, tracker.root / INCIDENTS_DIR / change.incident_id)
        if repo is None:
            return _write_without_git(tracker.root, writes)
        data = {repo.relative(tracker.root / p): t.encode("utf-8") for p, t in writes.items()}
        to_commit = sorted(set(data) | set(hand) | {repo.relative(tracker.root / p) for p in change.written}) if commit else []
        if not data and not to_commit:
            return Applied([], None, False)
        message = change.message()
        if hand:
            message = _with_hand_edits(message, [p for p in hand if p not in data])
        sha = write_and_commit(repo, change.subject, data, to_commit, message)
        return Applied(to_commit if commit else sorted(writes), sha, bool(data) or sha is not None)


def write_and_commit(
    repo: GitRepo, subject: str, data: dict[str, bytes], to_commit: list[str], message: str, moves: list[tuple[str, str]] | None = None
) -> str | None:
    """Journal, then move folders, write ``data`` and commit ``to_commit``; on any failure put everything back.

    Paths are relative to the repository's root. After the commit, what it
    holds must be exactly what was staged and written (a pre-commit hook may
    change files): if not, the commit is undone too.
    """
    try:
        journal = Journal.begin(repo, subject, data, to_commit, moves, command=_command_line())
    except OSError as exc:  # nothing was touched yet (begin removes what it made)
        raise Refused(f"nothing was changed: {_describe(repo, exc)}") from None
    repo.transaction = journal.id
    try:
        with _terminate_as_exception():
            journal.write(repo, data)
            sha = None
            if to_commit:
                validated = {p: _current(repo.root / p) for p in to_commit}  # what was validated, as it is on disk
                sha = repo.stage_and_commit(to_commit, message)
                if sha is not None:
                    _verify(repo, journal, sha, validated)
    except BaseException as exc:
        _put_back(repo, journal, exc)
        raise
    finally:
        repo.transaction = None
    journal.finish(repo)
    return sha


class HookChanged(Exception):
    """The commit does not hold what was validated: a commit hook changed, added or removed files."""


def _verify(repo: GitRepo, journal: Journal, sha: str, validated: dict[str, bytes | None]) -> None:
    """The new commit changes only ``journal.commit``, holding each as validated; the files are as they were."""
    changed = repo.changed_by(journal.head, sha)
    others = sorted(set(changed) - set(validated))
    if others:
        raise HookChanged(f"the commit also changed {', '.join(others)}")
    rewritten = sorted(p for p, data in validated.items() if _current(repo.root / p) != data)
    if rewritten:
        raise HookChanged(f"{', '.join(rewritten)} changed after it was validated")
    wanted = {p: (repo.blob_id(data) if data is not None else None) for p, data in validated.items()}
    unchanged = [p for p in wanted if p not in changed]
    committed = {**changed, **(repo.blobs_at(sha, unchanged) if unchanged else {})}
    differs = [p for p, blob in wanted.items() if committed.get(p) != blob]
    if differs:  # git may store a file otherwise than its bytes (line endings, a clean filter): ask git
        present = [p for p in differs if validated[p] is not None]
        filtered = repo.filtered_blob_ids(present)
        differs = [p for p in differs if committed.get(p) != filtered.get(p)]
    if differs:
        raise HookChanged(f"{', '.join(sorted(differs))} changed after it was validated")


def _put_back(repo: GitRepo, journal: Journal, failure: BaseException) -> None:
    """Undo the journaled change after ``failure``; raise what the user must read."""
    try:
        journal.undo(repo)
    except UndoFailed as failed:
        left = ", ".join(failed.left) or "the index"
        raise Refused(
            f"{_describe(repo, failure)}; putting everything back failed too ({failed.reason}). "
            f"Left as they are: {left}. When the cause is fixed (for a full disk: free some space), run: mimctl repair"
        ) from None
    if isinstance(failure, HookChanged):
        raise Refused(f"a commit hook changed what was committed ({failure}): the commit was undone; nothing was changed") from None
    if isinstance(failure, (GitError, OSError)):
        raise Refused(f"nothing was changed: {_describe(repo, failure)}") from None


def _describe(repo: GitRepo, failure: BaseException) -> str:
    """A failure in words, naming the file it happened on (relative to the repository)."""
    text = _what_failed(repo, failure)
    if (isinstance(failure, OSError) and failure.errno == errno.ENOSPC) or any(
        sign in text for sign in ("No space left", "Out of diskspace", "disk quota", "Disk quota")
    ):
        return f"the disk is full ({text})"
    if isinstance(failure, GitError):  # git does not always say why it could not write
        with contextlib.suppress(OSError):
            info = os.statvfs(repo.git_dir)
            free = info.f_bavail * info.f_frsize
            if free < (1 << 20):
                return f"the disk is full ({text}; {free // 1024} KiB free)"
    return text


def _what_failed(repo: GitRepo, failure: BaseException) -> str:
    if isinstance(failure, OSError) and failure.strerror:
        where = ""
        if failure.filename:
            name = Path(os.fsdecode(failure.filename))
            with contextlib.suppress(ValueError):
                name = name.relative_to(repo.root)
            where = f" ({name.as_posix() if not name.is_absolute() else name})"
        return f"{failure.strerror}{where}"
    if isinstance(failure, KeyboardInterrupt):
        return "interrupted"
    return str(failure) or type(failure).__name__


class Terminated(KeyboardInterrupt):
    """SIGTERM while a change was being made: it is put back, then the command ends as if interrupted."""


@contextmanager
def _terminate_as_exception() -> Iterator[None]:
    """Turn SIGTERM into an exception for the duration, so that a change is put back rather than cut off."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: object) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def refuse_leftovers(repo: GitRepo) -> None:
    """Refuse, changing nothing, while an interrupted command's journal or git's index lock is there."""
    journal = Journal.load(repo)
    if journal is not None:
        when = datetime.fromtimestamp(journal.created, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        raise Refused(
            f"an interrupted mimctl command ({journal.subject!r}, {when}) left changes that were never committed; "
            "nothing was changed. Run: mimctl repair"
        )
    lock = repo.git_dir / "index.lock"
    if lock.exists():
        raise Refused(
            f"git's lock file {lock} exists: another git command is running in this repository, or one was killed; "
            "nothing was changed. If no git command is running, remove that file and try again"
        )


def _repository(root: Path, commit: bool) -> GitRepo | None:
    """The repository (refused in a state a command must not touch); None only without git and without committing."""
    try:
        repo = GitRepo(root)
        if commit:
            repo.ensure_safe()
    except GitError as exc:
        if not commit:
            return None
        raise Refused(str(exc)) from None
    return repo


def _with_hand_edits(message: str, paths: list[str]) -> str:
    """The commit message, saying which changes it holds that were made by hand (not by this command)."""
    if not paths:
        return message
    subject, _, rest = message.partition("\n\n")
    note = "Also commits changes made by hand to: " + ", ".join(paths)
    return f"{subject}\n\n{note}\n\n{rest}" if rest else f"{subject}\n\n{note}\n"


def _command_line() -> str:
    return " ".join(["mimctl", *sys.argv[1:]])[:500]


def _write_without_git(root: Path, writes: dict[str, str]) -> Applied:
    """Outside git (--no-commit): each file atomically; on a failure the ones written are put back."""
    if not writes:
        return Applied([], None, False)
    old = {p: _current(root / p) for p in writes}
    created = [d for p in writes for d in (root / p).parents if d.is_relative_to(root) and not d.exists()]
    try:
        for path, text in writes.items():
            atomic_write(root / path, text)
    except BaseException as exc:
        try:
            _restore(root, old, created)
        except OSError as again:
            raise Refused(f"{exc}; putting the files back failed too ({again}): check {', '.join(sorted(writes))}") from None
        if isinstance(exc, OSError):
            raise Refused(f"nothing was changed: {exc.strerror} ({exc.filename})") from None
        raise
    return Applied(sorted(writes), None, True)


def _hand_edits(repo: GitRepo, folder: Path) -> list[str]:
    """Uncommitted changes to the incident's records, to commit with the command's own.

    Timeline files are append-only: a changed or deleted one is refused, not
    swept in. Only records are swept in (no dot files, nothing but .yaml);
    temporary files of an interrupted write make the command refuse.
    """
    entries = repo.dirty_paths(repo.relative(folder))
    temps = [path for _, path in entries if TEMP_FILE.match(path.rpartition("/")[2])]
    if temps:
        raise Refused(
            f"temporary files of an interrupted write are in the incident's folder ({', '.join(temps)}); "
            "nothing was changed. Run: mimctl repair"
        )
    broken = [path for status, path in entries if f"/{TIMELINE_DIR}/" in path and status != "??" and status.strip() not in ("A",)]
    if broken:
        raise Refused(
            "timeline files are append-only, but these were changed or deleted by hand: "
            + ", ".join(broken)
            + " (restore them with: git checkout -- FILE)"
        )
    return [path for _, path in entries if _is_record(path)]


def _is_record(path: str) -> bool:
    name = path.rpartition("/")[2]
    return name.endswith(".yaml") and not name.startswith(".")


def _current(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _restore(root: Path, old: dict[str, bytes | None], created: list[Path]) -> None:
    """Put files back as they were, and remove the folders this change created."""
    for path, data in old.items():
        target = root / path
        if data is None:
            target.unlink(missing_ok=True)
        else:
            atomic_write(target, data)
    for folder in sorted(set(created), key=lambda p: len(p.parts), reverse=True):
        if folder.exists() and not any(folder.iterdir()):
            folder.rmdir()


def _validate(tracker: Tracker, change: Change, writes: dict[str, str]) -> None:
    """Refuse unless the incident, with the change and any hand edits, is valid."""
    if change.incident_id is None:
        return
    view = tracker.with_overlay({tracker.root / p: t for p, t in writes.items()})
    bundle = view.load_bundle(change.incident_id)
    known_error_ids = {p.stem for p in view.known_error_paths()}
    findings = bundle_findings(bundle, view.process, view.catalog, view.existing_incidents(), known_error_ids)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise Refused(f"{change.incident_id} would not be valid; nothing was changed", errors)
