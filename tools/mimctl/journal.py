"""The write-ahead journal: what a command is about to change, and how to put it back.

Before a command touches a file or the index it writes its journal into the
git directory (never the work tree): every path it will write, whether it
existed, the folders it will create or move, HEAD and the branch, the paths it
will commit. Next to it, hard links keep the old content of every file it
replaces and the index as it was. Only then does it change anything, and it
removes the journal only once its commit holds what it validated, or once
everything is put back.

So a journal that is left means an interrupted command, and ``undo`` puts
back what it changed without needing free space: old files and the old index
return by rename, new files are removed. If the command had in fact committed
what it meant to, ``undo`` keeps the commit and only clears the journal.
Both ``transaction.apply`` (when a step fails) and ``mimctl repair`` (after a
crash) use it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .gitrepo import GitError, GitRepo
from .processes import Owner
from .yamlio import TEMP_FILE, atomic_write

FOLDER = "mimctl-journal"
FILE = "journal.json"
VERSION = 1


class UndoFailed(Exception):
    """Putting back an interrupted or failed change did not finish; the journal stays for ``mimctl repair``."""

    def __init__(self, reason: str, left: list[str]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.left = left


# --- the journal -----------------------------------------------------------------------


@dataclass
class Written:
    """A file the command writes: whether it existed, and a digest of its new bytes."""

    path: str  # relative to the work tree's root, as git names it
    existed: bool
    sha256: str
    backup: str = ""  # the hard link (or copy) of the old file, in the journal folder


@dataclass
class Journal:
    id: str
    command: str
    subject: str
    created: float
    owner: Owner
    head: str | None
    branch: str | None
    files: list[Written] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)  # created, parents first
    moves: list[tuple[str, str]] = field(default_factory=list)  # folders renamed: from, to
    commit: list[str] = field(default_factory=list)  # the paths committed (the command's and hand edits); empty: no commit
    index: bool = False  # whether there was an index (kept as "index" in the journal folder)
    version: int = VERSION

    # --- where ---------------------------------------------------------------

    @staticmethod
    def folder(repo: GitRepo) -> Path:
        return repo.git_dir / FOLDER

    def temp_name(self, path: str) -> str:
        """The temporary file an atomic write of ``path`` uses (named, so that repair can remove it)."""
        folder, _, name = path.rpartition("/")
        return f"{folder + '/' if folder else ''}.{name}.{self.id}.tmp"

    # --- writing it --------------------------------------------------------------

    @classmethod
    def begin(
        cls,
        repo: GitRepo,
        subject: str,
        writes: dict[str, bytes],
        commit: list[str],
        moves: list[tuple[str, str]] | None = None,
        command: str = "",
    ) -> Journal:
        """Record the change before any of it is made (on disk, with links to the old files and index)."""
        folder = cls.folder(repo)
        if (folder / FILE).exists():
            raise GitError(f"an interrupted mimctl command left its journal in {folder}; run: mimctl repair")
        journal = cls(
            id=uuid.uuid4().hex[:12],
            command=command,
            subject=subject,
            created=time.time(),
            owner=Owner.me(),
            head=repo.head_sha(),
            branch=repo.branch(),
            moves=list(moves or []),
            commit=list(commit),
        )
        root = repo.root
        moved = {new: old for old, new in journal.moves}
        made = not folder.is_dir()
        try:
            # The folder stays from one command to the next (one fsync fewer); its journal and links do not.
            folder.mkdir(exist_ok=True)
            _empty(folder)  # links of a journal that was never completed
            index = repo.git_dir / "index"
            if index.exists():
                _keep(index, folder / "index")
                journal.index = True
            for number, (path, data) in enumerate(sorted(writes.items())):
                source = _before_move(root, path, moved)
                entry = Written(path, source.exists(), hashlib.sha256(data).hexdigest())
                if entry.existed:
                    entry.backup = f"file-{number}"
                    _keep(source, folder / entry.backup)
                journal.files.append(entry)
                for parent in reversed(Path(path).parents):
                    name = parent.as_posix()
                    if name != "." and name not in journal.folders and not _before_move(root, name, moved).exists():
                        journal.folders.append(name)
            atomic_write(folder / FILE, json.dumps(journal.as_dict(), indent=1), folder / f".{FILE}.tmp")
            _sync_folder(folder)
            if made:
                _sync_folder(repo.git_dir)
        except BaseException:
            if not (folder / FILE).exists():
                _empty(folder)
            raise
        return journal

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def load(cls, repo: GitRepo) -> Journal | None:
        """The journal an interrupted command left, if any (a half-written one is removed: it changed nothing)."""
        folder = cls.folder(repo)
        try:
            raw = (folder / FILE).read_text(encoding="utf-8")
        except FileNotFoundError:
            _empty(folder)
            return None
        try:
            data = json.loads(raw)
            if data.get("version") != VERSION:
                raise GitError(f"{folder / FILE} was written by another version of mimctl; repair it with that version")
            data["owner"] = Owner(**data["owner"])
            data["files"] = [Written(**f) for f in data["files"]]
            data["moves"] = [tuple(m) for m in data["moves"]]
            return cls(**data)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise GitError(
                f"the journal {folder / FILE} of an interrupted mimctl command cannot be read ({exc}); "
                f"the old files it kept are in {folder}: put back what is needed, then remove that folder"
            ) from None

    # --- making the change ---------------------------------------------------------

    def write(self, repo: GitRepo, writes: dict[str, bytes]) -> None:
        """Move folders, then write every file (temp file, fsync, rename), as recorded."""
        for old, new in self.moves:
            os.rename(repo.root / old, repo.root / new)
        for path, data in writes.items():
            try:
                atomic_write(repo.root / path, data, repo.root / self.temp_name(path))
            except OSError as exc:  # name the record, not its temporary file
                raise OSError(exc.errno, exc.strerror, str(repo.root / path)) from exc

    def finish(self, repo: GitRepo) -> None:
        """The change is complete: drop the journal (first, so that a crash here leaves no journal) and its links."""
        folder = self.folder(repo)
        with contextlib.suppress(FileNotFoundError):
            (folder / FILE).unlink()
        _empty(folder)

    # --- judging what is left ----------------------------------------------------------

    def committed(self, repo: GitRepo) -> bool:
        """Whether the command's commit is on the branch, holding exactly what it wrote (and nothing else)."""
        if not self.commit:
            return False
        head = repo.head_sha()
        if head is None or head == self.head or repo.branch() != self.branch:
            return False
        parent, subject = repo.parent_and_subject(head)
        if parent != self.head or subject != self.subject:
            return False
        if not set(repo.changed_by(parent, head)) <= set(self.commit):
            return False
        return self.files_hold_what_was_written(repo) and repo.matches_head(self.commit)

    def files_hold_what_was_written(self, repo: GitRepo) -> bool:
        for entry in self.files:
            try:
                data = (repo.root / entry.path).read_bytes()
            except OSError:
                return False
            if hashlib.sha256(data).hexdigest() != entry.sha256:
                return False
        return True

    def stale_locks(self, repo: GitRepo) -> list[Path]:
        """Git's lock files that this journal's command (its git commands) may have left."""
        candidates = [repo.git_dir / "index.lock", repo.git_dir / "HEAD.lock"]
        if self.branch:
            candidates.append(repo.common_dir / f"{self.branch}.lock")
        found = []
        for lock in candidates:
            try:
                made = lock.stat().st_mtime
            except FileNotFoundError:
                continue
            if made >= self.created - 2:  # made while the command ran (2 s for coarse clocks)
                found.append(lock)
        return found

    # --- putting it back -----------------------------------------------------------------

    def undo(self, repo: GitRepo, dry_run: bool = False, locks: bool = False) -> list[str]:
        """Put back files, folders, index and branch as they were before the command; what was done, in words.

        ``locks``: also remove git lock files the command's git processes left
        (only once ``still_running`` has proven them all gone). Raises
        UndoFailed (the journal stays) if a step fails, saying what is left.
        """
        done: list[str] = []
        left = [f.path for f in self.files] + [new for _, new in self.moves]
        step = "check the branch"
        try:
            head = repo.head_sha()
            if head != self.head:
                if repo.branch() != self.branch:
                    raise UndoFailed(f"HEAD is on {repo.branch() or 'no branch'} now, not {self.branch}: switch back first", left)
                parent, subject = repo.parent_and_subject(head) if head else (None, "")
                if parent != self.head or subject != self.subject:
                    raise UndoFailed(f"{self.branch} has moved on since (to {head and head[:10]}): nothing was undone", left)
                assert self.branch is not None and head is not None
                step = f"move {self.branch} back"
                if not dry_run:
                    repo.move_branch(self.branch, self.head, head)
                done.append(
                    f"undid the commit {head[:10]} ({subject}): {self.branch} is back at {self.head[:10] if self.head else 'no commit'}"
                )
            for lock in self.stale_locks(repo) if locks else []:
                step = f"remove {lock}"
                if not dry_run:
                    lock.unlink(missing_ok=True)
                done.append(f"removed git's lock file {_shown(repo, lock)}, left by the interrupted command")
            step = "put the index back"
            done += self._restore_index(repo, dry_run)
            for entry in reversed(self.files):
                step = f"put back {entry.path}"
                done += self._restore_file(repo, entry, dry_run)
            for old, new in reversed(self.moves):
                step = f"move {new} back to {old}"
                if (repo.root / new).exists() and not (repo.root / old).exists():
                    if not dry_run:
                        os.rename(repo.root / new, repo.root / old)
                    done.append(f"moved {new} back to {old}")
            for folder in sorted(self.folders, key=lambda f: f.count("/"), reverse=True):
                step = f"remove the folder {folder}"
                target = repo.root / folder
                if target.is_dir() and not any(target.iterdir()):
                    if not dry_run:
                        target.rmdir()
                    done.append(f"removed the empty folder {folder}, made by the command")
        except UndoFailed:
            raise
        except (OSError, GitError) as exc:
            raise UndoFailed(f"could not {step}: {exc}", left) from None
        if not dry_run:
            self.finish(repo)
        return done

    def _restore_index(self, repo: GitRepo, dry_run: bool) -> list[str]:
        index, kept = repo.git_dir / "index", self.folder(repo) / "index"
        if self.index and not kept.exists():
            return []  # already put back
        if self.index and _same_file(index, kept):
            return []  # never changed
        if not self.index and not index.exists():
            return []
        if dry_run:
            return ["would put the index back as it was"]
        lock = repo.git_dir / "index.lock"
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)  # as git does, so no git command races us
        except FileExistsError:
            raise OSError(f"git's {_shown(repo, lock)} exists (is a git command running?)") from None
        os.close(fd)
        try:
            if self.index:
                os.replace(kept, index)
            else:
                index.unlink(missing_ok=True)
        finally:
            lock.unlink(missing_ok=True)
        return ["put the index back as it was"]

    def _restore_file(self, repo: GitRepo, entry: Written, dry_run: bool) -> list[str]:
        target = repo.root / entry.path
        temp = repo.root / self.temp_name(entry.path)
        done = []
        if temp.exists():
            if not dry_run:
                temp.unlink()
            done.append(f"removed the temporary file {temp.relative_to(repo.root).as_posix()}")
        kept = self.folder(repo) / entry.backup if entry.backup else None
        if kept is not None and kept.exists():
            if not target.parent.is_dir():
                return done  # its folder was never moved into place: the file was not touched
            if _same_file(target, kept):
                return done
            if not dry_run:
                os.replace(kept, target)
            done.append(f"put back {entry.path} as it was")
        elif not entry.existed and (target.exists() or target.is_symlink()):
            if not dry_run:
                target.unlink()
            done.append(f"removed {entry.path}, which the command had added")
        return done


def _before_move(root: Path, path: str, moved: dict[str, str]) -> Path:
    """Where ``path`` is before the folder moves (a file written into a moved folder is there under its old name)."""
    for new, old in moved.items():
        if path == new or path.startswith(new + "/"):
            return root / (old + path[len(new) :])
    return root / path


def _empty(folder: Path) -> None:
    """Remove what is in the journal folder (links and copies of old files; never a journal)."""
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return
    for entry in entries:
        if entry.name == FILE:
            continue
        with contextlib.suppress(FileNotFoundError):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)


def _keep(source: Path, kept: Path) -> None:
    """A hard link to ``source`` (no space needed); a copy where links are not possible."""
    try:
        os.link(source, kept, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, kept, follow_symlinks=False)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _sync_folder(folder: Path) -> None:
    """Make the folder's entries (a rename, new links) durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _shown(repo: GitRepo, path: Path) -> str:
    with contextlib.suppress(ValueError):
        return path.relative_to(repo.root).as_posix()
    return str(path)


def interrupted(root: Path) -> str | None:
    """What an interrupted command left a journal for, if anything, in the repository ``root`` is in.

    Cheap (no git, no GitPython): every command can afford to ask.
    """
    git_dir = _git_dir(root)
    if git_dir is None:
        return None
    try:
        data = json.loads((git_dir / FOLDER / FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(float(data.get("created") or 0)))
    return f"{data.get('subject') or 'a command'!r}, {when}"


def _git_dir(root: Path) -> Path | None:
    if os.environ.get("GIT_DIR"):
        return Path(os.environ["GIT_DIR"])
    for folder in (root, *root.parents):
        dot = folder / ".git"
        if dot.is_dir():
            return dot
        if dot.is_file():
            try:
                text = dot.read_text(encoding="utf-8", errors="replace").strip()
            except OSError:
                return None
            if text.startswith("gitdir:"):
                return (folder / text[len("gitdir:") :].strip()).resolve()
            return None
    return None


# --- temporary files of atomic writes --------------------------------------------------


def temp_files(root: Path, folders: list[str]) -> Iterator[Path]:
    """Temporary files of interrupted atomic writes (``.NAME.XXXXXXXX.tmp``) in ``folders``, recursively."""
    for folder in folders:
        base = root / folder
        if not base.is_dir():
            continue
        for path in base.rglob(".*.tmp"):
            if TEMP_FILE.match(path.name) and path.is_file() and not path.is_symlink():
                yield path
