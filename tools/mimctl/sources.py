"""Where records are read from: the work tree, or the tree of a git commit.

Both sources answer the same questions (what is in this folder, what is at
this path, the bytes of this file) in tracker-relative POSIX paths, and
neither ever follows a link: a symbolic link or a submodule is reported as
what it is, and only regular files inside the repository are read, never more
than ``MAX_BYTES`` of them.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol

from .yamlio import MAX_BYTES

FILE, FOLDER, LINK, SUBMODULE, OTHER = "file", "folder", "link", "submodule", "other"
GIT, WORKTREE = "git", "worktree"  # where a source reads from
DETECT = "?"  # GitTree(promisor=DETECT): find out whether the repository is a partial clone


class SourceError(Exception):
    """A path that cannot be read as a record file (missing, a link, not a regular file, too large)."""


@dataclass(frozen=True)
class Entry:
    """One thing in a source: its tracker-relative path, what it is, and (git) its blob id and size."""

    path: str
    kind: str  # FILE, FOLDER, LINK, SUBMODULE or OTHER
    size: int | None = None
    ref: str = ""

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def parent(self) -> str:
        return self.path.rsplit("/", 1)[0] if "/" in self.path else ""


class Source(Protocol):
    """Read access to one version of a tracker's files."""

    def listing(self, folder: str) -> list[Entry] | None:
        """What is directly inside ``folder`` (None when it is not a folder)."""

    def walk(self, folder: str) -> list[Entry]:
        """Everything inside ``folder``, at all depths; links and submodules are listed, never entered."""

    def entry(self, path: str) -> Entry | None:
        """What ``path`` is (None when nothing is there, or a folder on the way is not a real folder)."""

    def read(self, path: str, limit: int = MAX_BYTES) -> bytes:
        """The bytes of the regular file at ``path`` (at most ``limit``); SourceError otherwise."""

    def spec(self) -> tuple[str, ...]:
        """Enough to open the same source again in another process."""

    def version(self, path: str) -> str | None:
        """A name for exactly what this source shows at ``path`` (``git:`` or ``worktree:`` and a git object id); None when unknown.

        Results kept between runs (cache.py) are looked up by it, so it must
        change whenever anything at or under ``path`` does.
        """

    def origin(self, path: str) -> str | None:
        """Where what is at ``path`` is read from: ``git`` (objects), ``worktree`` (files), None when from both."""

    def prefetch(self, folders: list[str]) -> None:
        """A hint that everything under ``folders`` is about to be read (a partial clone fetches what it lacks at once)."""

    def list_ahead(self, folders: list[str]) -> None:
        """A hint that ``folders`` are about to be walked (a git tree lists them all with one ``ls-tree``)."""

    def close(self) -> None: ...


def walk_listings(listing: Callable[[str], list[Entry] | None], folder: str) -> list[Entry]:
    """Every entry at any depth under ``folder``, by path, from a source's one-folder ``listing``."""
    out: list[Entry] = []
    todo = [folder]
    while todo:
        for entry in listing(todo.pop()) or []:
            out.append(entry)
            if entry.kind == FOLDER:
                todo.append(entry.path)
    return sorted(out, key=lambda e: e.path)


def _bad_path(path: str) -> bool:
    return not path or path.startswith("/") or "\0" in path or any(part in ("", ".", "..") for part in path.split("/"))


def _split(path: str) -> tuple[str, str]:
    """(parent folder, name) of a tracker-relative path; the parent of a top-level name is ""."""
    parent, _, name = path.rpartition("/")
    return parent, name


class WorkTree:
    """The files on disk under the tracker root, opened one folder at a time without following links."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def spec(self) -> tuple[str, ...]:
        return ("worktree", str(self.root))

    def version(self, path: str) -> str | None:
        return None  # files on disk have no name that git gives them until they are hashed

    def origin(self, path: str) -> str | None:
        return WORKTREE

    def prefetch(self, folders: list[str]) -> None:
        pass

    def list_ahead(self, folders: list[str]) -> None:
        pass

    def close(self) -> None:
        pass

    def _open_folder(self, folder: str) -> int:
        """A descriptor of ``folder``, opened one component at a time with O_NOFOLLOW (so never outside the root)."""
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for part in folder.split("/") if folder not in ("", ".") else ():
                if part in ("..", "."):
                    raise NotADirectoryError(errno.ENOTDIR, "not a folder", folder)
                inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                os.close(fd)
                fd = inner
        except OSError:
            os.close(fd)
            raise
        return fd

    @contextmanager
    def _folder(self, folder: str) -> Iterator[int]:
        fd = self._open_folder(folder)
        try:
            yield fd
        finally:
            os.close(fd)

    @staticmethod
    def _kind(mode: int) -> str:
        if stat.S_ISREG(mode):
            return FILE
        if stat.S_ISDIR(mode):
            return FOLDER
        if stat.S_ISLNK(mode):
            return LINK
        return OTHER

    def _scan(self, fd: int, folder: str) -> list[Entry]:
        entries = []
        with os.scandir(fd) as found:
            for item in found:
                path = f"{folder}/{item.name}" if folder else item.name
                if item.is_symlink():
                    kind = LINK
                elif item.is_dir(follow_symlinks=False):
                    kind = FOLDER
                elif item.is_file(follow_symlinks=False):
                    kind = FILE
                else:
                    kind = OTHER
                entries.append(Entry(path, kind))
        return sorted(entries, key=lambda e: e.path)

    def listing(self, folder: str) -> list[Entry] | None:
        try:
            with self._folder(folder) as fd:
                return self._scan(fd, folder)
        except OSError:
            return None

    def walk(self, folder: str) -> list[Entry]:
        return walk_listings(self.listing, folder)

    def entry(self, path: str) -> Entry | None:
        if _bad_path(path):
            return None
        parent, name = _split(path)
        try:
            with self._folder(parent) as fd:
                info = os.stat(name, dir_fd=fd, follow_symlinks=False)
        except OSError:
            return None
        return Entry(path, self._kind(info.st_mode), info.st_size)

    def read(self, path: str, limit: int = MAX_BYTES) -> bytes:
        if _bad_path(path):
            raise SourceError("not a path inside the repository")
        parent, name = _split(path)
        try:
            folder_fd = self._open_folder(parent)
        except FileNotFoundError:
            raise SourceError("no such file") from None
        except OSError:
            raise SourceError(
                "a folder on the way is a symbolic link or not a folder: records are read only inside the repository"
            ) from None
        try:
            # O_NONBLOCK: opening a FIFO must not wait for a writer.
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder_fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise SourceError("a record may not be a symbolic link") from None
            raise SourceError(f"cannot read file: {exc.strerror}") from None
        finally:
            os.close(folder_fd)
        try:
            return self._read_fd(fd, limit)
        finally:
            os.close(fd)

    @staticmethod
    def _read_fd(fd: int, limit: int) -> bytes:
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise SourceError("a record must be a regular file")
            if info.st_size > limit:
                raise SourceError(f"file is larger than {limit // 1024} KiB ({info.st_size} bytes)")
            chunks = []
            left = limit + 1  # bounded even if the file grows meanwhile
            while left > 0:
                chunk = os.read(fd, min(left, 1 << 20))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
        except OSError as exc:
            raise SourceError(f"cannot read file: {exc.strerror}") from None
        data = b"".join(chunks)
        if len(data) > limit:
            raise SourceError(f"file is larger than {limit // 1024} KiB")
        return data


class GitTree:
    """The tracker's files as one commit holds them (``ls-tree`` and ``cat-file --batch``), whatever the checkout shows."""

    def __init__(self, repo_root: Path, rev: str, prefix: str = "", promisor: str | None = DETECT) -> None:
        from . import gitrepo  # git is only for the commands that compare commits

        self.repo_root = repo_root
        self.rev = rev
        self.prefix = prefix  # the tracker's folder in the repository, "" or "sub/dir/"
        self.reader = gitrepo.TreeReader(repo_root)
        self.location = gitrepo.locate(repo_root)  # where the repository keeps its data (and results kept between runs)
        if promisor == DETECT:
            promisor = gitrepo.sparseness(self.location).promisor if self.location else None
        self.promisor = promisor  # a partial clone's remote: blobs may be missing, and are fetched
        self.fetched = 0  # objects fetched from the promisor so far
        self._lists: dict[str, list[Entry] | None] = {}
        self._entries: dict[str, Entry] = {}
        self._walks: dict[str, list[Entry]] = {}  # folders listed ahead, until walked

    def spec(self) -> tuple[str, ...]:
        return ("git", str(self.repo_root), self.rev, self.prefix)

    def version(self, path: str) -> str | None:
        if not path:
            return None
        if path not in self._entries:
            self.listing(path.rpartition("/")[0])  # asked for every folder in turn: list their parent once
        found = self.entry(path)
        return f"{GIT}:{found.ref}" if found is not None and found.ref else None

    def origin(self, path: str) -> str | None:
        return GIT

    def prefetch(self, folders: list[str], only: set[str] | None = None) -> None:
        """In a partial clone, fetch the objects missing under ``folders`` (``only``: those of them) in one request.

        Git alone would fetch each missing blob when it is first read, one request each.
        """
        if self.promisor is None:
            return
        trees = [e.ref for f in folders if (e := self.entry(f)) is not None and e.kind == FOLDER and e.ref]
        missing = self.reader.missing(trees)
        if only is not None:
            missing = [oid for oid in missing if oid in only]
        if missing:
            self.reader.fetch_objects(self.promisor, missing)
            self.fetched += len(missing)

    def close(self) -> None:
        self.reader.close()

    def _entry(self, mode: str, kind: str, sha: str, size: int | None, path: str, remember: bool = True) -> Entry:
        from .gitrepo import GITLINK_MODE, SYMLINK_MODE

        if mode == SYMLINK_MODE:
            what = LINK
        elif mode == GITLINK_MODE or kind == "commit":
            what = SUBMODULE
        elif kind == "tree":
            what = FOLDER
        elif kind == "blob":
            what = FILE
        else:
            what = OTHER
        entry = Entry(path[len(self.prefix) :], what, size, sha)
        if remember:
            self._entries[entry.path] = entry
        return entry

    def _listed(self, paths: list[str], recursive: bool, remember: bool = True) -> list[Entry]:
        """Entries of tracker-relative ``paths`` (a trailing / lists a folder; "" the tracker's top); ``remember``: for :meth:`entry`."""
        full = [self.prefix + p if p else (self.prefix or ".") for p in paths]
        # Sizes mean looking at every blob: a partial clone would fetch each missing one.
        rows = self.reader.ls_tree(self.rev, full, recursive, sizes=self.promisor is None)
        return [self._entry(r.mode, r.type, r.sha, r.size, r.path, remember) for r in rows if r.path.startswith(self.prefix)]

    def listing(self, folder: str) -> list[Entry] | None:
        folder = "" if folder == "." else folder.rstrip("/")
        if folder not in self._lists:
            if folder:
                here = self.entry(folder)
                if here is None or here.kind != FOLDER:
                    self._lists[folder] = None
                    return None
            self._lists[folder] = sorted(self._listed([folder + "/" if folder else ""], False), key=lambda e: e.path)
        return self._lists[folder]

    def changes(self, folder: str, before: str) -> list[tuple[str, Entry | None]] | None:
        """What changed directly in ``folder`` since it was the git tree ``before``: each name with its entry now (None: gone).

        One tree-to-tree diff and one listing of the names it finds; their
        entries are remembered for :meth:`entry`. None when git cannot tell
        (``before`` is not a tree this repository holds).
        """
        from .gitrepo import GitError

        now = self.entry(folder)
        if now is None or now.kind != FOLDER or not now.ref:
            return None
        try:
            names = sorted({path.split("/", 1)[0] for path in self.reader.tree_changes(before, now.ref)})
        except GitError:
            return None
        found = {e.name: e for e in self._listed([f"{folder}/{name}" for name in names], False)} if names else {}
        return [(name, found.get(name)) for name in names]

    def walk(self, folder: str) -> list[Entry]:
        if folder in self._walks:
            return self._walks.pop(folder)  # listed ahead (list_ahead): its entries are remembered
        return self.walk_many([folder]).get(folder, [])

    def list_ahead(self, folders: list[str]) -> None:
        """A hint that ``folders`` are about to be walked: one ``ls-tree`` for all of them instead of one each."""
        todo = [f for f in folders if f not in self._walks]
        if len(todo) > 1:
            self._walks.update(self.walk_many(todo, fetch=False))

    def walk_many(self, folders: list[str], fetch: bool = True, remember: bool = True) -> dict[str, list[Entry]]:
        """:meth:`walk` of several folders with one ``ls-tree``.

        ``fetch``: in a partial clone, fetch what they hold (it is read next).
        ``remember``: keep their entries for :meth:`entry` and :meth:`read`;
        without, memory stays flat however many folders are walked, and their
        files are read with :meth:`read_entry`.
        """
        self.look_up(folders)
        wanted = [f for f in folders if (e := self.entry(f)) is not None and e.kind == FOLDER]
        if fetch:
            self.prefetch(wanted)
        found: dict[str, list[Entry]] = {f: [] for f in folders}
        for entry in self._listed([f + "/" for f in wanted], True, remember):
            parts = entry.path.split("/")
            for depth in range(1, len(parts)):
                folder = "/".join(parts[:depth])
                if folder in found:
                    found[folder].append(entry)
                    break
        return {f: sorted(v, key=lambda e: e.path) for f, v in found.items()}

    def look_up(self, paths: list[str]) -> None:
        """Learn the entries of ``paths`` with one ``ls-tree`` for all that :meth:`entry` would look up one by one."""
        unknown = [
            p
            for p in paths
            if not _bad_path(p) and p not in self._entries and (parent := p.rpartition("/")[0]) and parent not in self._lists
        ]
        if len(unknown) > 1:
            self._listed(unknown, False)

    def entry(self, path: str) -> Entry | None:
        if _bad_path(path):
            return None
        if path in self._entries:
            return self._entries[path]
        parent = str(PurePosixPath(path).parent)
        if parent == ".":
            self.listing("")  # the top is small, and holds everything a tracker looks up first
            return self._entries.get(path)
        if parent in self._lists:
            return None if self._lists[parent] is None else self._entries.get(path)
        rows = self._listed([path], False)
        return next((e for e in rows if e.path == path), None)

    def read(self, path: str, limit: int = MAX_BYTES) -> bytes:
        entry = self.entry(path)
        if entry is None:
            raise SourceError("no such file in the commit")
        return self.read_entry(entry, limit)

    def read_entry(self, entry: Entry, limit: int = MAX_BYTES) -> bytes:
        """The bytes of a file this tree listed (:meth:`walk_many`), without looking it up again."""
        from .gitrepo import GitError

        if entry.kind == LINK:
            raise SourceError("a record may not be a symbolic link")
        if entry.kind != FILE:
            raise SourceError("a record must be a regular file")
        if entry.size is not None and entry.size > limit:
            raise SourceError(f"file is larger than {limit // 1024} KiB ({entry.size} bytes)")
        try:
            return self.reader.blob(entry.ref, limit)
        except GitError as exc:
            raise SourceError(str(exc)) from None


def open_spec(spec: tuple[str, ...]) -> Source:
    """The source a :meth:`Source.spec` describes."""
    if spec[0] == GIT:
        return GitTree(Path(spec[1]), spec[2], spec[3])
    if spec[0] == "checkout":
        from .checkout import open_checkout

        return open_checkout(Path(spec[1]))
    return WorkTree(Path(spec[1]))
