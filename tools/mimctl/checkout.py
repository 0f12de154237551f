"""The records as a checkout holds them: files on disk where the work tree has them, git objects where it does not.

A responder's checkout may be sparse (only the config, the known errors and
the open incidents are on disk) and a partial clone (blobs of the rest are
fetched on demand). Ids, listings and references must still see every
record, so this source answers from the work tree for what is checked out
(uncommitted edits included) and from HEAD's tree for what a sparse checkout
leaves out, and remembers what it read from git objects so that a command can
say so. In a checkout that is not sparse it is the work tree, plus the names
git gives its unchanged folders (for results kept between runs, cache.py).
"""

from __future__ import annotations

from pathlib import Path

from . import gitrepo
from .gitrepo import GitError, Location, Sparseness
from .sources import FILE, FOLDER, GIT, WORKTREE, Entry, GitTree, Source, SourceError, WorkTree, walk_listings
from .yamlio import MAX_BYTES


def open_checkout(root: Path) -> Source:
    """The source of the tracker at ``root``: a :class:`Checkout` inside git, else the work tree alone."""
    location = gitrepo.locate(root)
    if location is None:
        return WorkTree(root)
    return Checkout(root, location, gitrepo.sparseness(location))


class Checkout:
    """The tracker's files in a git checkout: the work tree, and HEAD's tree for what a sparse checkout leaves out."""

    def __init__(self, root: Path, location: Location, sparseness: Sparseness, rev: str = "HEAD") -> None:
        self.root = root
        self.location = location
        self.sparseness = sparseness
        self.rev = rev
        rel = root.resolve().relative_to(location.top.resolve()).as_posix()
        self.prefix = "" if rel == "." else rel + "/"
        self.work = WorkTree(root)
        self._git: GitTree | None = None
        self._has_head: bool | None = None
        self._index: dict[str, tuple[set[str], set[str]]] = {}  # top folder -> (left out, folders holding a checked-out file)
        self._dirty: set[str] | None = None
        self.from_git: set[str] = set()  # records (incident folders, files) read from git objects because they are not checked out
        self.widened: list[str] = []  # folders this command added to a sparse checkout

    # --- what the work tree holds --------------------------------------------------------

    @property
    def sparse(self) -> bool:
        return self.sparseness.sparse

    def checked_out(self, path: str, folder: bool) -> bool:
        """Whether the work tree is where ``path`` (tracker-relative) lives, rather than only git's objects."""
        held = self.sparseness.holds(self.prefix + path, folder)
        if held is not None:
            return held
        top = self.prefix + path.split("/", 1)[0]
        if top not in self._index:  # not cone mode: the index says what is left out
            skipped, present = gitrepo.skip_worktree(self.location.top, [top])
            folders = {p.rsplit("/", depth)[0] for p in present for depth in range(1, p.count("/") + 1)}
            self._index[top] = (skipped, folders)
        skipped, folders = self._index[top]
        full = self.prefix + path
        if folder:  # left out when the index leaves out something in it and holds nothing in it
            return full in folders or not any(s == full or s.startswith(full + "/") for s in skipped)
        return not any(full == s or full.startswith(s + "/") for s in skipped)

    def whole(self, path: str) -> bool:
        """Whether everything at and under ``path`` is in the work tree."""
        return self.sparseness.whole(self.prefix + path) if path else not self.sparse

    # --- git's side ------------------------------------------------------------------------

    @property
    def git(self) -> GitTree | None:
        """HEAD's tree, or None before the first commit."""
        if self._has_head is None:
            try:
                gitrepo.TreeReader(self.location.top).resolve(self.rev)
                self._has_head = True
            except GitError:
                self._has_head = False
        if not self._has_head:
            return None
        if self._git is None:
            self._git = GitTree(self.location.top, self.rev, self.prefix, promisor=self.sparseness.promisor)
        return self._git

    def _git_listing(self, folder: str) -> list[Entry] | None:
        tree = self.git
        return tree.listing(folder) if tree is not None else None

    def _git_entry(self, path: str) -> Entry | None:
        tree = self.git
        return tree.entry(path) if tree is not None else None

    def _note(self, path: str) -> None:
        self.from_git.add("/".join(path.split("/")[:2]))  # the incident folder, or the file

    @property
    def fetched(self) -> int:
        return self._git.fetched if self._git is not None else 0

    # --- the Source questions -------------------------------------------------------------

    def spec(self) -> tuple[str, ...]:
        return ("checkout", str(self.root))

    def close(self) -> None:
        if self._git is not None:
            self._git.close()

    def listing(self, folder: str) -> list[Entry] | None:
        folder = "" if folder == "." else folder.rstrip("/")
        disk = self.work.listing(folder)
        if self.whole(folder):
            return disk
        theirs = self._git_listing(folder)
        if disk is None and theirs is None:
            return None
        merged = {e.path: e for e in theirs or () if not self.checked_out(e.path, e.kind == FOLDER)}
        merged.update({e.path: e for e in disk or ()})  # what is on disk is what is there
        return sorted(merged.values(), key=lambda e: e.path)

    def walk(self, folder: str) -> list[Entry]:
        if self.whole(folder):
            return self.work.walk(folder)
        if not self.checked_out(folder, True) and self.work.entry(folder) is None:
            tree = self.git
            return tree.walk(folder) if tree is not None else []
        return walk_listings(self.listing, folder)

    def entry(self, path: str) -> Entry | None:
        here = self.work.entry(path)
        if here is not None or self.whole(path.rpartition("/")[0]):
            return here
        there = self._git_entry(path)
        if there is None or self.checked_out(path, there.kind == FOLDER):
            return None  # checked out, and gone from the work tree: deleted there
        return there

    def read(self, path: str, limit: int = MAX_BYTES) -> bytes:
        if self.checked_out(path, False):
            return self.work.read(path, limit)
        if self.work.entry(path) is not None:
            return self.work.read(path, limit)  # left on disk outside the sparse checkout
        tree = self.git
        if tree is None:
            raise SourceError("no such file")
        data = tree.read(path, limit)
        self._note(path)
        return data

    def prefetch(self, folders: list[str]) -> None:
        tree = self.git
        if tree is not None and tree.promisor:
            tree.prefetch([f for f in folders if not self.checked_out(f, True) and self.work.entry(f) is None])

    def list_ahead(self, folders: list[str]) -> None:
        tree = self.git if self.sparse else None
        if tree is not None:
            tree.list_ahead([f for f in folders if not self.checked_out(f, True) and self.work.entry(f) is None])

    # --- names for what is shown, for results kept between runs ------------------------------

    def origin(self, path: str) -> str | None:
        if self.whole(path):
            return WORKTREE
        here = self.work.entry(path)
        if here is None:
            there = self._git_entry(path)
            return GIT if there is not None and not self.checked_out(path, there.kind == FOLDER) else None
        if here.kind == FILE and self.checked_out(path, False):
            return WORKTREE
        return None  # a folder partly checked out, or something left on disk outside the sparse checkout

    def version(self, path: str) -> str | None:
        where = self.origin(path)
        tree = self.git
        if where is None or tree is None:
            return None
        tree.listing(path.rpartition("/")[0])  # asked for every folder in turn: list their parent once
        found = tree.entry(path)
        if found is None or not found.ref:
            return None
        if where == WORKTREE and self._changed(path):
            return None
        return f"{where}:{found.ref}"

    def folder_versions(self, folder: str) -> dict[str, str | None]:
        """:meth:`version` of every folder HEAD holds directly in ``folder``, by name, looking on disk only at what is there.

        A folder that is neither on disk nor checked out is as HEAD holds it:
        its version is HEAD's tree id, with no look at it on disk (one listing
        of the folder on disk instead of one look per folder). The others are
        asked one by one.
        """
        tree = self.git
        theirs = tree.listing(folder) if tree is not None else None
        if theirs is None:
            return {}
        disk = {e.name for e in self.work.listing(folder) or ()}
        out: dict[str, str | None] = {}
        for entry in theirs:
            if entry.kind != FOLDER:
                continue
            if entry.name in disk or self.checked_out(entry.path, True) or not entry.ref:
                out[entry.name] = self.version(entry.path)
            else:
                out[entry.name] = f"{GIT}:{entry.ref}"
        return out

    def _changed(self, path: str) -> bool:
        """Whether the work tree differs from HEAD at or under ``path`` (one ``git status`` per command)."""
        if self._dirty is None:
            dirty: set[str] = set()
            for _, changed in gitrepo.TreeReader(self.location.top).work_tree_changes():
                if not changed.startswith(self.prefix):
                    continue
                changed = changed[len(self.prefix) :].rstrip("/")
                while changed and changed not in dirty:
                    dirty.add(changed)
                    changed = changed.rpartition("/")[0]
            self._dirty = dirty
        return path in self._dirty

    # --- widening a sparse checkout ----------------------------------------------------------

    def make_room(self, paths: list[str]) -> list[str]:
        """Check out the record folders of ``paths`` (tracker-relative) that a sparse checkout leaves out; the folders added."""
        return self.add(sorted({_unit(p) for p in paths if not self.checked_out(p, False)}))

    def add(self, folders: list[str]) -> list[str]:
        """Add ``folders`` (tracker-relative) to a sparse checkout, with what HEAD holds in them; those not there before."""
        wanted = [f for f in folders if not self.whole(f)]
        if not wanted:
            return []
        gitrepo.widen(self.location.top, [self.prefix + folder for folder in wanted])
        self.sparseness = gitrepo.sparseness(self.location)
        self._index.clear()
        self._dirty = None
        self.widened += wanted
        return wanted


def _unit(path: str) -> str:
    """The folder a sparse checkout adds for ``path``: an incident's folder, or the record folder a file is in."""
    parts = path.split("/")
    return "/".join(parts[:2]) if len(parts) > 2 else parts[0]


def make_room(source: Source, paths: list[str]) -> list[str]:
    """Before writing ``paths``: check out what a sparse checkout leaves out of them (nothing to do otherwise)."""
    return source.make_room(paths) if isinstance(source, Checkout) else []


def notes(source: Source) -> list[str]:
    """What a command should tell its user about where records came from: read from git objects, fetched, checked out."""
    if not isinstance(source, Checkout):
        return []
    out = []
    read = sorted(source.from_git - set(source.widened))  # those checked out since are said below
    if read:
        incidents = [r.split("/", 1)[1] for r in read if r.startswith("incidents/")]
        others = [r for r in read if not r.startswith("incidents/")]
        named = ", ".join([*incidents[:5], *others[:5]])
        more = len(incidents[5:]) + len(others[5:])
        out.append(
            f"not checked out here, read from git objects ({source.rev}): {named}"
            + (f" and {more:,} more" if more else "")
            + (f" (mimctl widen {incidents[0]} checks it out)" if len(incidents) == 1 and not others else "")
        )
    if source.fetched:
        out.append(f"fetched {source.fetched:,} missing objects from {source.sparseness.promisor} (a partial clone)")
    if source.widened:
        out.append("checked out (added to this sparse checkout): " + ", ".join(source.widened))
    return out
