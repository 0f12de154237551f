"""Git: the only module that runs git.

Everything goes through the git CLI: commits (``git commit``, so that hooks
and signing behave as users expect) and reading alike. A commit names only
the paths a command changed, so the user's other staged work stays staged and
out of it. The repository itself is found by looking for ``.git`` (no
process), and GitPython is not used: importing it cost a responder command
60 to 200 ms, more than the git processes it replaced.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any


class GitError(Exception):
    """Git refused, or the repository is in a state a command must not touch."""


@dataclass(frozen=True)
class IndexEntry:
    path: str
    line: str | None  # "mode sha stage\tpath" as update-index --index-info wants, or None


TRANSACTION_ENV = "MIMCTL_TRANSACTION"  # carried by every git process of a command with an open journal


# git commands that never move HEAD (any other may: head_sha asks again after it).
_READING = frozenset({"add", "diff", "diff-tree", "ls-files", "ls-tree", "log", "hash-object", "check-ignore", "status", "rev-parse"})


class GitRepo:
    """A working tree with its index and history."""

    transaction: str | None = None  # the open journal's id, passed to git (so repair can tell its processes)
    _object_format: str | None = None
    _outside_checked = False  # a sparse checkout was just found to hold nothing outside its cone (see _nothing_outside)

    def __init__(self, root: Path) -> None:
        location = locate(root) if root.exists() else None
        if location is None:
            raise GitError(f"{root} is not inside a git repository (use --no-commit to edit without committing)")
        self.location = location
        self._head: tuple[str | None] | None = None  # HEAD's commit, once asked (see head_sha)
        self.root = location.top
        self.git_dir = location.git_dir
        self.common_dir = location.common_dir

    def _run(self, *args: str, stdin: str | None = None, ok_codes: tuple[int, ...] = (0,)) -> str:
        """Run the git CLI in the work tree (arguments as a list: never a shell); its output."""
        return self._call(*args, stdin=stdin, ok_codes=ok_codes).stdout.decode(errors="surrogateescape")

    def _call(self, *args: str, stdin: str | None = None, ok_codes: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[bytes]:
        """:meth:`_run`, giving the finished process (its exit code, for a command whose answer is that)."""
        if not args or args[0] not in _READING:
            self._head = None  # it may move HEAD
        # A sparse checkout found to hold nothing outside its cone: git need not look for such files (one lstat per
        # folder left out, 0.3 s a command at 100,000 incidents).
        settings = ["-c", "sparse.expectFilesOutsideOfPatterns=true"] if self._outside_checked else []
        done = subprocess.run(
            ["git", *settings, *args],
            cwd=self.root,
            input=stdin.encode(errors="surrogateescape") if stdin is not None else None,
            capture_output=True,
            check=False,
            env=self._env(),
        )
        if done.returncode not in ok_codes:
            detail = " ".join(done.stderr.decode(errors="replace").split())
            command = next((a for a in args if not a.startswith("-")), "")
            raise GitError(f"git {command} failed: {detail or f'exit {done.returncode}'}")
        return done

    def _env(self) -> dict[str, str]:
        # No optional locks: a `git status` killed with its command must not leave index.lock behind.
        env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
        if self.transaction:
            env[TRANSACTION_ENV] = self.transaction
        return env

    # --- state ----------------------------------------------------------------

    def ensure_safe(self) -> None:
        """Refuse a merge, rebase, cherry-pick or revert in progress, and a detached HEAD."""
        for marker, what in (
            ("MERGE_HEAD", "a merge"),
            ("rebase-merge", "a rebase"),
            ("rebase-apply", "a rebase or am"),
            ("CHERRY_PICK_HEAD", "a cherry-pick"),
            ("REVERT_HEAD", "a revert"),
            ("BISECT_LOG", "a bisect"),
        ):
            if (self.git_dir / marker).exists():
                raise GitError(f"{what} is in progress: finish or abort it first, then run the command again")
        if self.branch() is None:
            raise GitError("HEAD is detached: check out a branch first (git switch -c NAME)")

    def has_head(self) -> bool:
        return self.head_sha() is not None

    def head_sha(self) -> str | None:
        """The commit HEAD is at; None before the first commit.

        Asked several times by one command (the journal, the commit, its
        check): git is asked again only after a command of ours moved HEAD.
        """
        if self._head is None:
            done = subprocess.run(
                ["git", "rev-parse", "--verify", "--quiet", "HEAD^{commit}"], cwd=self.root, capture_output=True, env=self._env()
            )
            sha = done.stdout.decode().strip()
            self._head = (sha if done.returncode == 0 and sha else None,)
        return self._head[0]

    def dirty_paths(self, folder: str) -> list[tuple[str, str]]:
        """(status, path) of files under ``folder`` whose work-tree content differs from HEAD's.

        Status is a two-letter code as git's porcelain gives it: ``??`` (not in
        HEAD and not ignored), `` M`` (changed) or `` D`` (deleted); paths are
        relative to the repository root. This compares the files with HEAD's
        tree, never reading the index, which in a large checkout costs as much
        as a whole ``git status``: what is staged but not on disk is not seen
        (committing only a command's own paths leaves it staged).
        """
        folder = folder.rstrip("/")
        committed: dict[str, str] = {}
        if self.has_head():
            for line in self._run("ls-tree", "-r", "-z", "HEAD", "--", folder + "/").split("\0"):
                if "\t" in line:
                    info, path = line.split("\t", 1)
                    committed[path] = info.split()[2]
        on_disk = _files_under(self.root, folder)
        changed = [p for p in sorted(set(committed) & set(on_disk)) if self.blob_id(on_disk[p]) != committed[p]]
        if changed:  # a filter (line endings, say) may store a file otherwise than its bytes: ask git
            filtered = self.filtered_blob_ids(changed)
            changed = [p for p in changed if filtered.get(p) != committed[p]]
        new = sorted(set(on_disk) - set(committed))
        if new:
            ignored = self._run("check-ignore", "--no-index", "-z", "--stdin", stdin="\0".join(new) + "\0", ok_codes=(0, 1))
            new = [p for p in new if p not in set(ignored.split("\0"))]
        gone = sorted(set(committed) - set(on_disk))
        return sorted([*(("??", p) for p in new), *((" M", p) for p in changed), *((" D", p) for p in gone)], key=lambda e: e[1])

    def relative(self, path: Path) -> str:
        """``path`` relative to the repository root, as git names it."""
        return path.resolve().relative_to(self.root.resolve()).as_posix()

    def index_entries(self, paths: list[str]) -> list[IndexEntry]:
        listed = self._run("ls-files", "-s", "-z", "--", *paths) if paths else ""
        found: dict[str, str] = {}
        for line in listed.split("\0"):
            if "\t" in line:
                found[line.split("\t", 1)[1]] = line
        return [IndexEntry(p, found.get(p)) for p in paths]

    def restore_index(self, entries: list[IndexEntry]) -> None:
        """Put the index entries of these paths back as they were."""
        for entry in entries:
            if entry.line is None:
                self._run("update-index", "--force-remove", "--", entry.path)
            else:
                self._run("update-index", "--index-info", stdin=entry.line + "\n")

    # --- committing -------------------------------------------------------------

    def commit_paths(self, paths: list[str], message: str) -> str | None:
        """Stage and commit exactly ``paths``; None when they hold no change.

        On failure (a hook, a full disk) the index entries of ``paths`` are put
        back as they were and GitError is raised; the caller restores files.
        Commands that change records use a journal instead (transaction.py),
        which also survives a crash.
        """
        before = self.index_entries(paths)
        try:
            sha = self.stage_and_commit(paths, message)
        except GitError:
            self.restore_index(before)
            raise
        if sha is None:
            self.restore_index(before)
        return sha

    def stage_and_commit(self, paths: list[str], message: str) -> str | None:
        """Stage exactly ``paths`` and commit them: the new HEAD, or None when they hold no change.

        Nothing is put back on failure: the caller does that.
        """
        self._outside_checked = _nothing_outside(self.root, sparseness(self.location))
        try:
            if self.has_head() and self._call("diff", "--cached", "--quiet", "--no-renames", "HEAD", ok_codes=(0, 1)).returncode == 0:
                # Nothing was staged: what this add stages is all there is to commit (it names each path it changes).
                if not self._run("add", "--all", "--verbose", "--", *paths).strip():
                    return None
                self._run("commit", "--quiet", "-F", "-", stdin=message)
                return self.head_sha()
            self._run("add", "--all", "--", *paths)
            against = ["HEAD"] if self.has_head() else []
            staged = {p for p in self._run("diff", "--cached", "--name-only", "-z", "--no-renames", *against).split("\0") if p}
            ours = self._expand(paths) if any((self.root / p).is_dir() for p in paths) else set(paths)
            if not staged & ours:
                return None
            if staged <= ours:
                # Only our paths are staged: a plain commit, much faster than
                # --only, which builds a temporary index of the whole tree.
                self._run("commit", "--quiet", "-F", "-", stdin=message)
            else:
                self._run("commit", "--quiet", "--only", "-F", "-", "--", *paths, stdin=message)
            return self.head_sha()
        finally:
            self._outside_checked = False

    def blob_id(self, data: bytes) -> str:
        """The id git gives a blob of ``data`` (when no filter changes it), without running git."""
        if self._object_format is None:
            self._object_format = object_format(self.location)
        return blob_id(data, self._object_format)

    def filtered_blob_ids(self, paths: list[str]) -> dict[str, str]:
        """The ids git would give the files at ``paths`` as they are now, after its filters (line endings...)."""
        if not paths:
            return {}
        out = self._run("hash-object", "--stdin-paths", stdin="\n".join(paths) + "\n")
        return dict(zip(paths, out.split(), strict=True))

    def blobs_at(self, rev: str, paths: list[str]) -> dict[str, str]:
        """The blob ``rev`` holds for each of ``paths`` (absent paths are left out)."""
        out = self._run("ls-tree", "-z", rev, "--", *paths)
        found = {}
        for entry in out.split("\0"):
            if "\t" in entry:
                info, path = entry.split("\t", 1)
                found[path] = info.split()[2]
        return found

    def changed_by(self, parent: str | None, commit: str) -> dict[str, str | None]:
        """Every path ``commit`` changed against ``parent`` (None: the first commit), with the blob it now holds (None: deleted)."""
        if parent:
            # git diff, not diff-tree: in a sparse checkout git 2.39's diff-tree expands the whole sparse index first
            # (0.6 s at 10,000 incidents), though it compares two trees; the output is the same raw format.
            out = self._run(
                "diff",
                "--raw",
                "--no-abbrev",
                "--no-color",
                "-r",
                "-z",
                "--no-renames",
                "--no-ext-diff",
                "--ignore-submodules=none",
                "--no-relative",
                parent,
                commit,
                "--",
            )
        else:
            out = self._run("diff-tree", "-r", "-z", "--no-renames", "--no-commit-id", "--root", commit)
        tokens = [t for t in out.split("\0") if t]
        changed: dict[str, str | None] = {}
        for info, path in zip(tokens[::2], tokens[1::2], strict=False):
            fields = info.split()
            changed[path] = None if fields[-1] == "D" else fields[3]
        return changed

    def branch(self) -> str | None:
        """The branch HEAD is on (``refs/heads/NAME``, perhaps without commits yet), or None when detached."""
        try:
            head = (self.git_dir / "HEAD").read_text(encoding="utf-8", errors="surrogateescape").strip()
        except OSError:
            head = ""
        if head.startswith("ref: "):
            return head[len("ref: ") :].strip()
        if head:
            return None  # a commit id: detached
        done = subprocess.run(["git", "symbolic-ref", "-q", "HEAD"], cwd=self.root, capture_output=True, env=self._env())
        name = done.stdout.decode(errors="surrogateescape").strip()
        return name if done.returncode == 0 and name else None

    def parent_and_subject(self, commit: str) -> tuple[str | None, str]:
        """The first parent (None for a first commit) and the subject of ``commit``."""
        out = self._run("log", "-1", "--format=%P%x00%s", commit, "--")
        parents, _, subject = out.rstrip("\n").partition("\0")
        return (parents.split()[0] if parents.strip() else None), subject

    def matches_head(self, paths: list[str]) -> bool:
        """Whether the work tree holds exactly what HEAD holds for ``paths``."""
        done = subprocess.run(
            ["git", "diff", "--quiet", "HEAD", "--", *paths], cwd=self.root, capture_output=True, check=False, env=self._env()
        )
        if done.returncode not in (0, 1):
            raise GitError(f"git diff failed: {' '.join(done.stderr.decode(errors='replace').split())}")
        return done.returncode == 0

    def move_branch(self, branch: str, to: str | None, current: str) -> None:
        """Point ``branch`` back at ``to`` (None: delete it), only if it still points at ``current``."""
        if to is None:
            self._run("update-ref", "-d", branch, current)
        else:
            self._run("update-ref", "-m", "mimctl: undo a commit that did not hold what was validated", branch, to, current)

    def _expand(self, paths: list[str]) -> set[str]:
        """Files under ``paths`` as git names them (a path may be a folder)."""
        listed = self._run("ls-files", "-z", "--", *paths)
        return {p for p in listed.split("\0") if p} | set(paths)

    # --- history ------------------------------------------------------------------

    def resolve(self, rev: str) -> str:
        return TreeReader(self.root).resolve(rev)

    def changed_files(self, base: str, worktree: bool = False, head: str = "HEAD") -> list[tuple[str, str]]:
        return TreeReader(self.root).changed_files(base, worktree, head)

    def list_dir(self, rev: str, folder: str) -> list[str]:
        """Names directly inside ``folder`` at ``rev`` (git ls-tree: fast in a large tree)."""
        out = self._run("ls-tree", "--name-only", "-z", rev, "--", folder.rstrip("/") + "/")
        return [PurePosixPath(p).name for p in out.split("\0") if p]

    def merge_base(self, base: str, head: str = "HEAD") -> str:
        return TreeReader(self.root).merge_base(base, head)

    def added_files(self, since: str, until: str = "HEAD", under: str = "") -> list[str]:
        """Files added between the commits ``since`` and ``until`` (under a folder), in path order."""
        args = ["diff", "--name-only", "-z", "--no-renames", "--diff-filter=A", self.resolve(since), self.resolve(until)]
        out = self._run(*args, "--", *([under] if under else []))
        return sorted(p for p in out.split("\0") if p)


def _files_under(root: Path, folder: str) -> dict[str, bytes]:
    """Every file (and link) under ``root/folder`` by repository path, with its bytes (a link's: its target), links never followed."""
    found: dict[str, bytes] = {}
    todo = [folder]
    while todo:
        current = todo.pop()
        try:
            entries = list(os.scandir(root / current))
        except OSError:
            continue
        for entry in entries:
            path = f"{current}/{entry.name}"
            if entry.is_symlink():
                found[path] = os.readlink(entry.path).encode(errors="surrogateescape")
            elif entry.is_dir(follow_symlinks=False):
                if entry.name != ".git":
                    todo.append(path)
            elif entry.is_file(follow_symlinks=False):
                try:
                    with open(entry.path, "rb") as handle:
                        found[path] = handle.read()
                except OSError:
                    found[path] = b""
    return found


# --- reading git objects, never the checkout ------------------------------------------

SYMLINK_MODE, GITLINK_MODE, TREE_MODE = "120000", "160000", "040000"
_PATHS_PER_CALL = 2000  # paths per git command line (a command line has a length limit)
# Names in pathspecs are literal: a folder called "INC-000[1]" or ":(glob)*" means itself.
_READ_ENV = {"GIT_LITERAL_PATHSPECS": "1", "GIT_OPTIONAL_LOCKS": "0"}


@dataclass(frozen=True)
class TreeEntry:
    """One entry of a git tree: its mode, object type and id, size (blobs only) and path from the repository root."""

    mode: str
    type: str
    sha: str
    size: int | None
    path: str


def _tree_entry(item: bytes, sizes: bool) -> TreeEntry:
    head, _, name = item.partition(b"\t")
    fields = head.decode().split()
    size = fields[3] if sizes else ""
    return TreeEntry(fields[0], fields[1], fields[2], int(size) if size.isdigit() else None, name.decode(errors="surrogateescape"))


def _tree_entries(out: bytes, sizes: bool) -> list[TreeEntry]:
    return [_tree_entry(item, sizes) for item in out.split(b"\0") if item]


class TreeReader:
    """Trees and blobs of one repository's commits: ``ls-tree`` listings, blobs from one long-lived ``cat-file --batch``.

    Nothing is read from the work tree, so what a commit holds is judged
    whatever the checkout shows (and a partial or sparse clone works).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._env = {**os.environ, **_READ_ENV}
        self._batch: subprocess.Popen[bytes] | None = None

    @classmethod
    def of(cls, path: Path) -> TreeReader:
        """The repository ``path`` is in (without GitPython: comparing commits needs only the git CLI)."""
        done = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=path, capture_output=True, check=False)
        top = done.stdout.decode(errors="surrogateescape").strip()
        if done.returncode != 0 or not top:
            raise GitError(f"{path} is not inside a git repository with a work tree")
        return cls(Path(top))

    def run(self, *args: str) -> bytes:
        done = subprocess.run(["git", *args], cwd=self.root, capture_output=True, check=False, env=self._env)
        if done.returncode != 0:
            detail = " ".join(done.stderr.decode(errors="replace").split())
            raise GitError(f"git {args[0]} failed: {detail or f'exit {done.returncode}'}")
        return done.stdout

    def resolve(self, rev: str) -> str:
        """The commit ``rev`` names; GitError that says how to get it when it is unknown."""
        if rev.startswith("-"):
            raise GitError(f"{rev!r} is not a revision")
        try:
            return self.run("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").decode().strip()
        except GitError:
            raise GitError(f"unknown revision {rev!r} (fetch it first, e.g. git fetch origin main)") from None

    def merge_base(self, base: str, head: str = "HEAD") -> str:
        """The commit where ``head`` left ``base``; GitError that says so when they share no history."""
        done = subprocess.run(["git", "merge-base", base, head], cwd=self.root, capture_output=True, check=False, env=self._env)
        if done.returncode == 1 and not done.stderr.strip():
            raise GitError(
                f"{head} and {base} share no history: the branch was not made from {base} "
                "(a fresh `git init`, or a shallow clone: fetch with full history, e.g. actions/checkout with fetch-depth: 0)"
            )
        if done.returncode != 0:
            detail = " ".join(done.stderr.decode(errors="replace").split())
            raise GitError(f"git merge-base failed: {detail or f'exit {done.returncode}'}")
        return done.stdout.decode().strip()

    def changed_files(self, base: str, worktree: bool = False, head: str = "HEAD") -> list[tuple[str, str]]:
        """(status, path) of what changed since ``base``: the commits up to ``head``, tree to tree.

        That costs time in proportion to the change. With ``worktree``, also
        uncommitted and untracked files, which means looking at every file.
        Symbolic links and submodules (gitlinks) are listed like files.
        """
        target = [] if worktree else [head]
        out = self.run("diff", "--name-status", "-z", "--no-renames", "--no-ext-diff", base, *target).decode(errors="surrogateescape")
        tokens = [t for t in out.split("\0") if t]
        result = [(tokens[i][0], tokens[i + 1]) for i in range(0, len(tokens) - 1, 2)]
        if worktree:
            untracked = self.run("ls-files", "--others", "--exclude-standard", "-z").decode(errors="surrogateescape")
            result += [("A", p) for p in untracked.split("\0") if p]
        return result

    def tree_changes(self, before: str, after: str) -> list[str]:
        """The paths (from the trees' top, at every depth) that tree ``after`` holds otherwise than tree ``before``, or not at all.

        One tree-to-tree diff, in time proportional to the change: git skips
        every subtree whose id is the same. (``git diff``, not ``diff-tree``:
        in a sparse checkout git 2.39's diff-tree expands the whole sparse
        index first, 7 s at 100,000 incidents, though it compares two trees.)
        """
        out = self.run(
            "diff",
            "--raw",
            "-z",
            "--no-abbrev",
            "--no-renames",
            "--no-ext-diff",
            "--ignore-submodules=none",
            "--no-relative",
            before,
            after,
        ).decode(errors="surrogateescape")
        tokens = [t for t in out.split("\0") if t]
        return tokens[1::2]

    def ls_tree(self, rev: str, paths: Sequence[str], recursive: bool = False, sizes: bool = True) -> list[TreeEntry]:
        """Entries named by ``paths`` at ``rev`` (a path ending in / lists that folder); ``recursive`` lists all depths, folders too.

        ``sizes`` asks git for each blob's size, which means looking at the
        blob: in a partial clone that fetches every missing one, one at a time
        (so GitTree leaves sizes out there, and bounds reads by the blob's header).
        """
        if not paths:
            return []
        flags = (["-r", "-t"] if recursive else []) + (["-l"] if sizes else [])
        out: list[TreeEntry] = []
        for start in range(0, len(paths), _PATHS_PER_CALL):
            out += _tree_entries(self.run("ls-tree", "-z", *flags, rev, "--", *paths[start : start + _PATHS_PER_CALL]), sizes)
        return out

    def iter_tree(self, rev: str, folder: str) -> Iterator[TreeEntry]:
        """Every entry under ``folder`` at ``rev``, at all depths (folders too), as git writes them: memory stays flat."""
        with subprocess.Popen(
            ["git", "ls-tree", "-z", "-r", "-t", rev, "--", folder.rstrip("/") + "/"],
            cwd=self.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=self._env,
        ) as listing:
            assert listing.stdout is not None
            rest = b""
            while chunk := listing.stdout.read(1 << 20):
                items = (rest + chunk).split(b"\0")
                rest = items.pop()
                for item in items:
                    yield _tree_entry(item, False)
            if listing.wait() != 0:
                raise GitError(f"git ls-tree failed for {folder} at {rev}")

    def missing(self, trees: Sequence[str]) -> list[str]:
        """Objects under the trees ``trees`` (ids, or REV:PATH) that this clone lacks (a partial clone), found without fetching."""
        if not trees:
            return []
        with subprocess.Popen(
            ["git", "rev-list", "--objects", "--missing=print", "--no-object-names", "--stdin"],
            cwd=self.root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=self._env,
        ) as walk:
            assert walk.stdin is not None and walk.stdout is not None
            walk.stdin.write(("\n".join(trees) + "\n").encode())
            walk.stdin.close()
            found: list[str] = []
            rest = b""
            while chunk := walk.stdout.read(1 << 20):  # every object is listed: keep only the missing ones
                lines = (rest + chunk).split(b"\n")
                rest = lines.pop()
                found += [line[1:].decode() for line in lines if line.startswith(b"?")]
            if rest.startswith(b"?"):
                found.append(rest[1:].decode())
            if walk.wait() != 0:
                raise GitError("git rev-list failed while looking for missing objects")
        return found

    def fetch_objects(self, remote: str, objects: Sequence[str]) -> None:
        """Fetch ``objects`` from a partial clone's ``remote`` in one request (git would fetch them one by one)."""
        if not objects:
            return
        done = subprocess.run(
            [
                "git",
                "-c",
                "fetch.negotiationAlgorithm=noop",
                "fetch",
                "--quiet",
                "--no-tags",
                "--no-write-fetch-head",
                "--recurse-submodules=no",
                "--filter=blob:none",
                "--stdin",
                remote,
            ],
            cwd=self.root,
            input=("\n".join(objects) + "\n").encode(),
            capture_output=True,
            check=False,
            env=self._env,
        )
        if done.returncode != 0:
            detail = " ".join(done.stderr.decode(errors="replace").split())
            raise GitError(f"fetching {len(objects)} missing objects from {remote} failed: {detail or f'exit {done.returncode}'}")

    def work_tree_changes(self) -> list[tuple[str, str]]:
        """(status, path) of every path whose work-tree file differs from HEAD: changed, staged, untracked or ignored.

        Paths are relative to the repository's top. One ``git status`` of the
        whole work tree, without a pathspec so that the untracked cache serves
        it; in a sparse checkout only what is checked out is looked at.
        """
        out = self.run("status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignored=matching", "--no-renames")
        return [(item[:2].decode(), item[3:].decode(errors="surrogateescape")) for item in out.split(b"\0") if len(item) > 3]

    def blob(self, sha: str, limit: int) -> bytes:
        """The bytes of blob ``sha``; GitError when it is missing or larger than ``limit``."""
        batch = self._batch
        if batch is None or batch.poll() is not None:
            batch = self._batch = subprocess.Popen(
                ["git", "cat-file", "--batch"], cwd=self.root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=self._env
            )
        assert batch.stdin is not None and batch.stdout is not None
        batch.stdin.write(sha.encode() + b"\n")
        batch.stdin.flush()
        header = batch.stdout.readline().split()
        if len(header) != 3:
            raise GitError(f"object {sha} is not in the repository")
        size = int(header[2])
        if header[1] != b"blob":
            self._skip(batch, size + 1)
            raise GitError(f"object {sha} is a {header[1].decode()}, not a file")
        if size > limit:
            self._skip(batch, size + 1)
            raise GitError(f"file is larger than {limit // 1024} KiB ({size} bytes)")
        data = batch.stdout.read(size + 1)
        return data[:size]

    @staticmethod
    def _skip(batch: subprocess.Popen[bytes], size: int) -> None:
        assert batch.stdout is not None
        while size > 0:
            chunk = batch.stdout.read(min(size, 1 << 20))
            if not chunk:
                return
            size -= len(chunk)

    def grep(self, rev: str, words: Sequence[str], paths: Sequence[str]) -> list[str]:
        """Files under ``paths`` at ``rev`` that contain any of ``words`` (whole words, fixed strings)."""
        if not words:
            return []
        patterns = [arg for word in words for arg in ("-e", word)]
        done = subprocess.run(
            ["git", "grep", "-l", "-z", "-w", "-F", "-I", "--no-textconv", *patterns, rev, "--", *paths],
            cwd=self.root,
            capture_output=True,
            check=False,
            env=self._env,
        )
        if done.returncode not in (0, 1):
            detail = " ".join(done.stderr.decode(errors="replace").split())
            raise GitError(f"git grep failed: {detail or f'exit {done.returncode}'}")
        prefix = f"{rev}:"
        return [p.removeprefix(prefix) for p in done.stdout.decode(errors="surrogateescape").split("\0") if p]

    def close(self) -> None:
        if self._batch is not None:
            if self._batch.stdin is not None:
                self._batch.stdin.close()
            self._batch.wait()
            if self._batch.stdout is not None:
                self._batch.stdout.close()
            self._batch = None


# --- the checkout: where git keeps it, what a sparse checkout holds, what a partial clone lacks ---


@dataclass(frozen=True)
class Location:
    """Where a work tree's git data is: its top folder, its own git folder, and the folder all its work trees share."""

    top: Path
    git_dir: Path
    common_dir: Path


def locate(path: Path) -> Location | None:
    """The git repository ``path`` is in, found by looking for ``.git`` upwards (no git process); None outside git."""
    if any(key in os.environ for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR")):
        return _locate_by_git(path)
    path = path.resolve()
    for folder in (path, *path.parents):
        dot = folder / ".git"
        if dot.is_dir():
            git_dir = dot
        elif dot.is_file():
            text = dot.read_text(encoding="utf-8", errors="replace").strip()
            if not text.startswith("gitdir:"):
                return _locate_by_git(path)
            git_dir = (folder / text[len("gitdir:") :].strip()).resolve()
        else:
            continue
        common = git_dir
        shared = git_dir / "commondir"
        if shared.is_file():
            common = (git_dir / shared.read_text(encoding="utf-8").strip()).resolve()
        return Location(folder, git_dir, common)
    return None


def _locate_by_git(path: Path) -> Location | None:
    done = subprocess.run(
        ["git", "rev-parse", "--path-format=absolute", "--show-toplevel", "--git-dir", "--git-common-dir"],
        cwd=path,
        capture_output=True,
        check=False,
    )
    lines = done.stdout.decode(errors="surrogateescape").splitlines()
    if done.returncode != 0 or len(lines) != 3:
        return None
    return Location(Path(lines[0]), Path(lines[1]), Path(lines[2]))


@dataclass(frozen=True)
class Sparseness:
    """What a checkout holds: everything, or (sparse) the folders of a cone; and, in a partial clone, who has the rest."""

    sparse: bool = False
    cone: tuple[str, ...] | None = None  # cone mode: folders checked out with everything in them (repository paths)
    promisor: str | None = None  # a partial clone's remote, which sends the objects it lacks

    @cached_property
    def _cone(self) -> frozenset[str]:
        return frozenset(self.cone or ())

    @cached_property
    def _on_the_way(self) -> frozenset[str]:
        """The folders on the way to a cone folder (the top included): cone mode checks out the files directly in them."""
        return frozenset(f.rsplit("/", depth)[0] if depth else "" for f in self.cone or () for depth in range(f.count("/") + 1)) | {""}

    def whole(self, path: str) -> bool:
        """Whether the work tree holds ``path`` and everything under it."""
        if not self.sparse:
            return True
        if self.cone is None:
            return False
        cone = self._cone
        while path:
            if path in cone:
                return True
            path = path.rpartition("/")[0]
        return False

    def holds(self, path: str, folder: bool) -> bool | None:
        """Whether the work tree has the file or folder at ``path`` (a repository path) checked out.

        Cone mode holds each cone folder with everything in it, the folders on
        the way to one, and the files directly in those (and at the top). None
        when only the index can say (a sparse checkout not in cone mode).
        """
        if not self.sparse:
            return True
        if self.cone is None:
            return None
        if self.whole(path):
            return True
        return path in self._on_the_way if folder else path.rpartition("/")[0] in self._on_the_way


def sparseness(location: Location) -> Sparseness:
    """What the checkout at ``location`` holds; costs no git process unless it is sparse or a partial clone."""
    sparse_file = location.git_dir / "info" / "sparse-checkout"
    try:
        config = (location.common_dir / "config").read_bytes().lower()
    except OSError:
        config = b""
    if not sparse_file.is_file() and b"partialclone" not in config and b"promisor" not in config:
        return Sparseness()
    done = subprocess.run(
        [
            "git",
            "config",
            "--get-regexp",
            r"^(core\.sparsecheckout|core\.sparsecheckoutcone|extensions\.partialclone|remote\..*\.promisor)$",
        ],
        cwd=location.top,
        capture_output=True,
        check=False,
    )
    values = dict(line.split(" ", 1) for line in done.stdout.decode(errors="replace").splitlines() if " " in line)
    sparse = _true(values.get("core.sparsecheckout", ""))
    promisors = [k[len("remote.") : -len(".promisor")] for k, v in values.items() if k.startswith("remote.") and _true(v)]
    promisor = values.get("extensions.partialclone") or (promisors[0] if promisors else None)
    if not sparse:
        return Sparseness(False, None, promisor)
    if not _true(values.get("core.sparsecheckoutcone", "true")):
        return Sparseness(True, None, promisor)
    listed = subprocess.run(["git", "sparse-checkout", "list"], cwd=location.top, capture_output=True, check=False)
    folders = tuple(sorted(line.strip().strip("/") for line in listed.stdout.decode(errors="surrogateescape").splitlines() if line.strip()))
    return Sparseness(True, folders, promisor)


def _nothing_outside(top: Path, held: Sparseness) -> bool:
    """Whether a cone-mode sparse checkout has nothing on disk where its cone leaves folders out.

    Git looks for such files before every command that reads the index (and
    takes any it finds back into the checkout); when this finds none, git is
    told not to look. It lists only the folders on the way to the cone (the
    top, ``incidents/``): a folder, link or anything but a regular file there
    that is not part of the cone counts as something outside it.
    """
    if not held.sparse or held.cone is None:
        return False
    cone, on_the_way = held._cone, held._on_the_way
    for parent in on_the_way:
        try:
            with os.scandir(top / parent if parent else top) as entries:
                for entry in entries:
                    path = f"{parent}/{entry.name}" if parent else entry.name
                    if path == ".git" or path in cone or path in on_the_way or entry.is_file(follow_symlinks=False):
                        continue
                    return False
        except FileNotFoundError:
            continue  # not on disk: nothing outside the cone in it either
        except OSError:
            return False
    return True


def object_format(location: Location) -> str:
    """The hash that names the repository's objects (``sha1``, or ``sha256``), for computing ids without git."""
    try:
        config = (location.common_dir / "config").read_bytes().lower()
    except OSError:
        return "sha1"
    if b"objectformat" not in config:
        return "sha1"
    done = subprocess.run(["git", "config", "extensions.objectformat"], cwd=location.top, capture_output=True, check=False)
    return done.stdout.decode().strip().lower() or "sha1"


def blob_id(data: bytes, hash_name: str = "sha1") -> str:
    """The id git gives a blob holding ``data`` (when no filter changes it)."""
    return hashlib.new(hash_name, b"blob %d\0" % len(data) + data).hexdigest()


def _true(value: str) -> bool:
    return value.strip().lower() in ("true", "yes", "on", "1")


def skip_worktree(top: Path, paths: Sequence[str]) -> tuple[set[str], set[str]]:
    """Under ``paths`` (repository paths), what the index leaves out of the work tree, and what it holds in it."""
    if not paths:
        return set(), set()
    out = subprocess.run(
        ["git", "ls-files", "-t", "-z", "--sparse", "--", *paths],
        cwd=top,
        capture_output=True,
        check=False,
        env={**os.environ, **_READ_ENV},
    ).stdout.decode(errors="surrogateescape")
    skipped = {item[2:].rstrip("/") for item in out.split("\0") if item.startswith("S ")}
    held = {item[2:] for item in out.split("\0") if len(item) > 2 and not item.startswith("S ")}
    return skipped, held


def widen(top: Path, folders: Sequence[str]) -> None:
    """Add ``folders`` (repository paths) to a cone-mode sparse checkout, checking out what HEAD holds there."""
    if not folders:
        return
    done = subprocess.run(
        ["git", "sparse-checkout", "add", "--stdin"], cwd=top, input=("\n".join(folders) + "\n").encode(), capture_output=True, check=False
    )
    if done.returncode != 0:
        detail = " ".join(done.stderr.decode(errors="replace").split())
        raise GitError(f"git sparse-checkout add failed: {detail or f'exit {done.returncode}'}")


# --- settings for a large tracker -------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """A repository setting a large tracker should use, and what it buys (docs/scaling.md has the measurements)."""

    key: str
    value: str
    why: str


SCALE_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "feature.manyFiles",
        "true",
        "index version 4 (paths prefix-compressed: a smaller index to read and write on every git add, commit and status) "
        "and the untracked cache (git status looks again only in folders that changed since it last looked)",
    ),
    Setting(
        "fetch.writeCommitGraph",
        "true",
        "the commit graph kept up to date on every fetch (gc keeps it too): fast git log, merge-base and mimctl check --base",
    ),
)
MAINTENANCE_ADVICE = "git maintenance start  # hourly prefetch and commit graph, daily repack (registers this clone with your scheduler)"


def settings_of(top: Path) -> dict[str, str]:
    """The repository's own (local) values of the scale settings that it sets."""
    done = subprocess.run(["git", "config", "--local", "--list"], cwd=top, capture_output=True, check=False)
    values = dict(line.split("=", 1) for line in done.stdout.decode(errors="replace").splitlines() if "=" in line)
    wanted = {s.key.lower() for s in SCALE_SETTINGS}
    return {key: value for key, value in values.items() if key in wanted}


def apply_settings(top: Path) -> list[Setting]:
    """Set the scale settings the repository does not set itself (a value it sets is its owner's choice); those set."""
    current = settings_of(top)
    applied = []
    for setting in SCALE_SETTINGS:
        if setting.key.lower() in current:
            continue
        done = subprocess.run(["git", "config", "--local", setting.key, setting.value], cwd=top, capture_output=True, check=False)
        if done.returncode != 0:
            raise GitError(f"git config {setting.key} failed: {' '.join(done.stderr.decode(errors='replace').split())}")
        applied.append(setting)
    if any(s.key == "feature.manyFiles" for s in applied) and (top / ".git").exists():
        # Take effect now rather than at the next write of the index.
        subprocess.run(["git", "update-index", "--index-version", "4"], cwd=top, capture_output=True, check=False)
        subprocess.run(["git", "update-index", "--untracked-cache"], cwd=top, capture_output=True, check=False)
    return applied


def write_commit_graph(top: Path) -> None:
    """Write the commit graph with changed-path filters (git log -- PATH then skips commits that do not touch PATH)."""
    subprocess.run(["git", "commit-graph", "write", "--reachable", "--changed-paths"], cwd=top, capture_output=True, check=False)


def clone_sparse(url: str, dest: Path, branch: str | None = None) -> None:
    """A blobless (partial) clone of ``url`` into ``dest``, sparse in cone mode with only the top-level files checked out."""
    if url.startswith("-"):
        raise GitError(f"{url!r} is not a repository URL")
    args = ["git", "clone", "--quiet", "--filter=blob:none", "--sparse", *(["--branch", branch] if branch else []), "--", url, str(dest)]
    done = subprocess.run(args, capture_output=True, check=False)
    if done.returncode != 0:
        detail = " ".join(done.stderr.decode(errors="replace").split())
        raise GitError(f"git clone failed: {detail or f'exit {done.returncode}'}")


def sparse_set(top: Path, folders: Sequence[str]) -> None:
    """Make the checkout at ``top`` hold exactly the top-level files and ``folders`` (cone mode, sparse index)."""
    done = subprocess.run(
        ["git", "sparse-checkout", "set", "--cone", "--sparse-index", "--stdin"],
        cwd=top,
        input=("\n".join(folders) + "\n").encode(),
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        detail = " ".join(done.stderr.decode(errors="replace").split())
        raise GitError(f"git sparse-checkout set failed: {detail or f'exit {done.returncode}'}")


def init(root: Path, name: str | None = "mimctl demo", email: str = "demo@mimctl.invalid") -> GitRepo:
    """Create a repository; with ``name``, a local identity (the demo's scratch repository has no other)."""
    root.mkdir(parents=True, exist_ok=True)
    _run_in(root, "init", "--quiet", "--initial-branch=main")
    if name is not None:
        for key, value in (("user.name", name), ("user.email", email), ("commit.gpgsign", "false")):
            _run_in(root, "config", "--local", key, value)
    return GitRepo(root)


def find(root: Path) -> GitRepo | None:
    """The repository ``root`` is in, or None."""
    try:
        return GitRepo(root)
    except GitError:
        return None


# --- other repositories: recent changes before an incident ----------------------


def _run_in(repo_path: Path, *args: str) -> str:
    """Run the git CLI in another repository (a list of arguments: never a shell)."""
    done = subprocess.run(["git", "-c", "core.quotepath=off", *args], cwd=repo_path, capture_output=True, check=False)
    if done.returncode != 0:
        detail = " ".join(done.stderr.decode(errors="replace").split())
        raise GitError(f"git {args[0]} in {repo_path} failed: {detail or f'exit {done.returncode}'}")
    return done.stdout.decode(errors="surrogateescape")


def _check_repository(repo_path: Path) -> bool:
    """Whether ``repo_path`` has commits; GitError unless it is a clone's top folder (or a bare clone)."""
    if not repo_path.is_dir():
        raise GitError(f"repository {repo_path} does not exist (clone it there, or fix its path in catalog.yaml)")
    try:
        bare, top = (_run_in(repo_path, "rev-parse", "--is-bare-repository", "--show-toplevel").splitlines() + [""])[:2]
    except GitError:
        raise GitError(f"{repo_path} is not a git repository (clone it there, or fix its path in catalog.yaml)") from None
    if bare != "true" and Path(top).resolve() != repo_path.resolve():
        raise GitError(f"{repo_path} is not the top folder of a git repository (it is inside {top})")
    probe = subprocess.run(["git", "rev-parse", "--verify", "--quiet", "HEAD"], cwd=repo_path, capture_output=True, check=False)
    return probe.returncode == 0


def log_window(repo_path: Path, since: datetime, until: datetime, paths: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Commits on ``repo_path``'s HEAD committed in [since, until] touching ``paths`` (globs), newest first.

    Each is ``{sha, author, authored_at, committed_at, subject, files}``; ``files``
    are the touched files matching ``paths`` (all of them when ``paths`` is empty).
    """
    bad = [p for p in paths if not p or p.startswith("-")]
    if bad:
        raise GitError(f"refusing path pattern {bad[0]!r}: it must not be empty or start with '-'")
    if not _check_repository(repo_path):
        return []  # no commits yet: nothing to list
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    out = _run_in(
        repo_path,
        "log",
        "-z",
        "--name-only",
        "--format=%x1e%H%x1f%an%x1f%aI%x1f%cI%x1f%s",
        f"--since={since.astimezone(timezone.utc).strftime(stamp)}",
        f"--until={until.astimezone(timezone.utc).strftime(stamp)}",
        "HEAD",
        "--",
        *(f":(glob){p}" for p in paths),
    )
    commits = []
    for chunk in out.split("\x1e")[1:]:
        header, _, rest = chunk.partition("\0")
        sha, author, authored, committed, subject = header.split("\x1f", 4)
        names = rest.split("\0")
        if names and names[0].startswith("\n"):
            names[0] = names[0][1:]
        commits.append(
            {
                "sha": sha,
                "author": author,
                "authored_at": authored,
                "committed_at": committed,
                "subject": subject,
                "files": [n for n in names if n],
            }
        )
    return commits


def remote_name(repo_path: Path) -> str | None:
    """The last part of ``origin``'s URL without ``.git`` (the repository's name in every clone), if any."""
    done = subprocess.run(["git", "config", "--get", "remote.origin.url"], cwd=repo_path, capture_output=True, check=False)
    url = done.stdout.decode(errors="replace").strip().rstrip("/")
    name = url.replace(":", "/").rsplit("/", 1)[-1].removesuffix(".git")
    return name or None


def published_commit(repo_path: Path) -> tuple[str, str] | None:
    """(origin's http(s) URL, HEAD's commit) of a clone, when HEAD is a commit that origin's branches hold; else None."""
    done = subprocess.run(["git", "config", "--get", "remote.origin.url"], cwd=repo_path, capture_output=True, check=False)
    url = done.stdout.decode(errors="replace").strip()
    if not url.startswith(("https://", "http://")):
        return None
    head = subprocess.run(["git", "rev-parse", "--verify", "--quiet", "HEAD"], cwd=repo_path, capture_output=True, check=False)
    sha = head.stdout.decode().strip()
    if head.returncode != 0 or not sha:
        return None
    pushed = subprocess.run(["git", "branch", "-r", "--contains", sha], cwd=repo_path, capture_output=True, check=False)
    if pushed.returncode != 0 or not pushed.stdout.strip():
        return None  # a local commit that no one else could install
    return url, sha
