"""Git: the only module that imports GitPython.

Commits go through the git CLI (``repo.git.commit``) so that hooks and signing
behave as users expect. A commit names only the paths a command changed, so
the user's other staged work stays staged and out of it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any


class GitError(Exception):
    """Git refused, or the repository is in a state a command must not touch."""


@dataclass(frozen=True)
class IndexEntry:
    path: str
    line: str | None  # "mode sha stage\tpath" as update-index --index-info wants, or None


def _git() -> Any:
    import git  # 60 ms: only commands that touch git pay for it

    return git


TRANSACTION_ENV = "MIMCTL_TRANSACTION"  # carried by every git process of a command with an open journal


class GitRepo:
    """A working tree with its index and history."""

    transaction: str | None = None  # the open journal's id, passed to git (so repair can tell its processes)
    _object_format: str | None = None

    def __init__(self, root: Path) -> None:
        git = _git()
        try:
            self.repo = git.Repo(root, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise GitError(f"{root} is not inside a git repository (use --no-commit to edit without committing)") from None
        if self.repo.working_tree_dir is None:
            raise GitError("a bare repository has no working tree")
        self.root = Path(self.repo.working_tree_dir)
        self.git_dir = Path(self.repo.git_dir)
        self.common_dir = Path(self.repo.common_dir)

    def _run(self, *args: str, stdin: str | None = None) -> str:
        """Run the git CLI in the work tree (arguments as a list: never a shell)."""
        done = subprocess.run(
            ["git", *args],
            cwd=self.root,
            input=stdin.encode() if stdin is not None else None,
            capture_output=True,
            check=False,
            env=self._env(),
        )
        if done.returncode != 0:
            detail = " ".join(done.stderr.decode(errors="replace").split())
            command = next((a for a in args if not a.startswith("-")), "")
            raise GitError(f"git {command} failed: {detail or f'exit {done.returncode}'}")
        return done.stdout.decode(errors="surrogateescape")

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
        if self.repo.head.is_detached:
            raise GitError("HEAD is detached: check out a branch first (git switch -c NAME)")

    def has_head(self) -> bool:
        return bool(self.repo.head.is_valid())

    def head_sha(self) -> str | None:
        return self.repo.head.commit.hexsha if self.has_head() else None

    def dirty_paths(self, folder: str) -> list[tuple[str, str]]:
        """(status, path) of modified, deleted or untracked files under ``folder``.

        Status is git's two-letter porcelain code (``??`` untracked, `` M``, ``D `` ...);
        paths are relative to the repository root.
        """
        out = self._run("status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--", folder)
        return [(entry[:2], entry[3:]) for entry in out.split("\0") if len(entry) > 3]

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

    def blob_id(self, data: bytes) -> str:
        """The id git gives a blob of ``data`` (when no filter changes it), without running git."""
        if self._object_format is None:
            try:
                self._object_format = str(self.repo.config_reader("repository").get_value("extensions", "objectformat", "sha1"))
            except Exception:  # noqa: BLE001 - no such section, an odd config: git's default
                self._object_format = "sha1"
        return hashlib.new(self._object_format, b"blob %d\0" % len(data) + data).hexdigest()

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
        args = [parent, commit] if parent else ["--root", commit]
        out = self._run("diff-tree", "-r", "-z", "--no-renames", "--no-commit-id", *args)
        tokens = [t for t in out.split("\0") if t]
        changed: dict[str, str | None] = {}
        for info, path in zip(tokens[::2], tokens[1::2], strict=False):
            fields = info.split()
            changed[path] = None if fields[-1] == "D" else fields[3]
        return changed

    def branch(self) -> str | None:
        """The branch HEAD is on (``refs/heads/NAME``, perhaps without commits yet), or None when detached."""
        try:
            return str(self.repo.head.reference.path)
        except TypeError:  # detached
            return None

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

    def show(self, rev: str, path: str) -> bytes | None:
        """The bytes of ``path`` at ``rev``, or None if it did not exist there."""
        git = _git()
        try:
            blob = self.repo.commit(rev).tree / path
        except (KeyError, ValueError, git.BadName):
            return None
        data: bytes = blob.data_stream.read()
        return data

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


# --- reading git objects, never the checkout ------------------------------------------

SYMLINK_MODE, GITLINK_MODE, TREE_MODE = "120000", "160000", "040000"
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

    def ls_tree(self, rev: str, paths: Sequence[str], recursive: bool = False) -> list[TreeEntry]:
        """Entries named by ``paths`` at ``rev`` (a path ending in / lists that folder); ``recursive`` lists all depths, folders too."""
        if not paths:
            return []
        flags = ["-r", "-t"] if recursive else []
        out = self.run("ls-tree", "-z", "-l", *flags, rev, "--", *paths)
        entries = []
        for item in out.split(b"\0"):
            if not item:
                continue
            head, _, name = item.partition(b"\t")
            mode, kind, sha, size = head.decode().split()
            entries.append(TreeEntry(mode, kind, sha, int(size) if size.isdigit() else None, name.decode(errors="surrogateescape")))
        return entries

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


def init(root: Path, name: str | None = "mimctl demo", email: str = "demo@mimctl.invalid") -> GitRepo:
    """Create a repository; with ``name``, a local identity (the demo's scratch repository has no other)."""
    git = _git()
    repo = git.Repo.init(root, initial_branch="main")
    if name is not None:
        with repo.config_writer() as config:
            config.set_value("user", "name", name)
            config.set_value("user", "email", email)
            config.set_value("commit", "gpgsign", "false")
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
