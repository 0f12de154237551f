"""Put a checkout back in order after an interrupted command (a crash, a kill, a full disk).

What an interrupted command can leave: its journal (it then changed files,
the index or the branch), git lock files of its killed git commands, and
temporary files of its atomic writes. ``repair`` undoes the journaled change
(or, if the command had in fact committed what it meant to, keeps the
commit), removes the lock files once every process of that command is
provably gone, and removes the temporary files. It never touches a lock file
no mimctl command made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .gitrepo import GitError, GitRepo
from .journal import Journal, UndoFailed, temp_files
from .processes import still_running
from .store import INCIDENTS_DIR, KEDB_DIR
from .transaction import Refused, locked


@dataclass
class Outcome:
    """What repair found and did (or, with ``dry_run``, would do)."""

    state: str  # "clean", "repaired", "would-repair" or "cannot-repair"
    interrupted: dict[str, Any] | None = None
    actions: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"state": self.state, "interrupted": self.interrupted, "actions": self.actions, "problems": self.problems}


def repair(root: Path, dry_run: bool = False) -> Outcome:
    """Find and undo what interrupted commands left in the checkout at ``root`` (a tracker's root)."""
    with locked(root, busy="a mimctl command is writing to this checkout: wait for it to end, then run mimctl repair"):
        try:
            repo = GitRepo(root)
        except GitError as exc:
            raise Refused(str(exc)) from None
        outcome = Outcome("clean")
        journal = Journal.load(repo)
        if journal is not None:
            outcome.interrupted = _describe(journal)
            _handle(repo, journal, dry_run, outcome)
        elif (repo.git_dir / "index.lock").exists():
            outcome.problems.append(
                f"git's lock file {repo.git_dir / 'index.lock'} exists, but no mimctl command left it: "
                "if no git command is running in this repository, remove that file"
            )
        for path in temp_files(root, [INCIDENTS_DIR, KEDB_DIR]):
            if not dry_run:
                path.unlink(missing_ok=True)
            outcome.actions.append(f"removed {path.relative_to(root).as_posix()}, a temporary file of an interrupted write")
        if outcome.problems:
            outcome.state = "cannot-repair"
        elif outcome.actions:
            outcome.state = "would-repair" if dry_run else "repaired"
        return outcome


def _handle(repo: GitRepo, journal: Journal, dry_run: bool, outcome: Outcome) -> None:
    busy = still_running(journal.owner, journal.id)
    if busy:
        outcome.problems.append(f"the interrupted command may still be running ({busy}): wait for it to end, then run mimctl repair again")
        return
    if journal.committed(repo):
        head = repo.head_sha() or ""
        outcome.actions.append(f"the command had committed {head[:10]} ({journal.subject}) before it was interrupted: kept")
        for lock in journal.stale_locks(repo):
            if not dry_run:
                lock.unlink(missing_ok=True)
            outcome.actions.append(f"removed git's lock file {lock.name}, left by the interrupted command")
        if not dry_run:
            journal.finish(repo)
        outcome.actions.append("removed its journal")
        return
    try:
        outcome.actions += journal.undo(repo, dry_run=dry_run, locks=True)
    except UndoFailed as failed:
        outcome.problems.append(f"{failed.reason}; still as the command left them: {', '.join(failed.left)}")
        return
    outcome.actions.append("removed its journal: nothing of that command is left")


def _describe(journal: Journal) -> dict[str, Any]:
    return {
        "command": journal.command,
        "subject": journal.subject,
        "started": datetime.fromtimestamp(journal.created, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "process": journal.owner.describe(),
        "paths": [f.path for f in journal.files],
    }


def render(outcome: Outcome, dry_run: bool) -> str:
    """The outcome for people."""
    if outcome.state == "clean" and not outcome.problems:
        return "nothing to repair: no interrupted mimctl command left anything here"
    lines = []
    if outcome.interrupted:
        info = outcome.interrupted
        lines.append(f"An interrupted command left changes: {info['command'] or info['subject']} ({info['process']}, {info['started']})")
    if outcome.actions:
        lines.append("Would do:" if dry_run else "Done:")
        lines += [f"  {action}" for action in outcome.actions]
    if outcome.problems:
        lines.append("Cannot repair:")
        lines += [f"  {problem}" for problem in outcome.problems]
    elif not dry_run:
        lines.append("The checkout is as it was before the interrupted command (or as it committed).")
    return "\n".join(lines)
