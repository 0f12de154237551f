"""Give an incident a fresh id: the way out of an id collision between branches.

Two responders who each declare an incident on their own branch both get the
next free number; the pull-request check of the second branch then fails.
``renumber`` moves ``incidents/OLD`` to ``incidents/NEW``, rewrites the
``id:`` field and every reference (other incidents' ``related_incidents``,
known errors' ``incidents``, the PIR's ``incident``), validates the result,
and commits it as one commit. Timeline files move unchanged: they are
append-only, and git sees them as renames.

Like ``transaction.apply``: one writer per checkout (the same lock), and on
any failure files, folders and index are put back as they were.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import gitrepo, rules
from .findings import Finding
from .gitrepo import GitError, GitRepo
from .store import INCIDENT_FILE, INCIDENT_ID, INCIDENTS_DIR, PIR_FILE, Tracker, TrackerError
from .transaction import Refused, locked, refuse_leftovers, write_and_commit
from .usecases.records import read_mentioning
from .validate import bundle_findings
from .yamlio import atomic_write, edit_text


@dataclass
class Renumbered:
    """What ``renumber`` did: the ids, the files it wrote and the commit."""

    old: str
    new: str
    paths: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    commit: str | None = None


def normalise_id(given: str) -> str:
    """``INC-0042`` from ``inc-0042`` or ``42``; TrackerError when it is not an incident id."""
    text = given.strip().upper()
    if text.isascii() and text.isdigit():
        text = f"INC-{int(text):04d}"
    if not INCIDENT_ID.match(text) or not text.isascii():
        raise TrackerError(f"{given!r} is not an incident id (expected INC- and 4 to 8 digits, e.g. INC-0042)")
    return text


def next_free_id(taken: set[str]) -> str:
    """One more than the highest ``INC-`` number in ``taken`` (ids of any case)."""
    numbers = [int(i[4:]) for i in taken if i[:4].upper() == "INC-" and i[4:].isascii() and i[4:].isdigit()]
    return f"INC-{max(numbers, default=0) + 1:04d}"


def base_incident_ids(tracker: Tracker, repo: GitRepo, base: str) -> set[str]:
    """Folder names under incidents/ at revision ``base``."""
    sha = repo.resolve(base)
    prefix = repo.relative(tracker.root)
    prefix = "" if prefix == "." else prefix + "/"
    return set(repo.list_dir(sha, prefix + INCIDENTS_DIR))


def _text(path: Path) -> str:
    # Bytes, decoded without newline translation, so a CRLF file stays CRLF.
    return path.read_bytes().decode("utf-8")


def _replace_in_list(data: Any, key: str, old: str, new: str) -> None:
    items = data.get(key)
    if isinstance(items, list):
        for index, item in enumerate(items):
            if item == old:
                items[index] = new


def _references(tracker: Tracker, old: str) -> list[tuple[Path, str]]:
    """(file, key) of other incidents and known errors that name ``old``."""
    found: list[tuple[Path, str]] = []
    candidates = [(tracker.incident_dir(i) / INCIDENT_FILE, "related_incidents") for i in tracker.incident_ids() if i != old]
    candidates += [(path, "incidents") for path in tracker.known_error_paths()]
    for path, key in candidates:
        kind = "incident" if key == "related_incidents" else "known-error"
        data = read_mentioning(tracker, tracker.rel(path), kind, (old,))  # a broken file: validate reports it, renumber leaves it
        if data is not None and isinstance(data.get(key), list) and old in data[key]:
            found.append((path, key))
    return found


def renumber(tracker: Tracker, old_given: str, new_given: str | None = None, base: str | None = None, commit: bool = True) -> Renumbered:
    """Move incident ``old`` to ``new`` (default: the next id free here and on ``base``) and commit."""
    old = tracker.resolve_incident_id(old_given)
    with locked(tracker.root):
        repo: GitRepo | None = None
        if commit or base:
            try:
                repo = GitRepo(tracker.root)
                if commit:
                    repo.ensure_safe()
            except GitError as exc:
                raise Refused(str(exc)) from None
        taken = set(tracker.incident_ids())
        if base:
            assert repo is not None
            taken |= base_incident_ids(tracker, repo, base)
        new = normalise_id(new_given) if new_given else next_free_id(taken)
        folded = {i.casefold() for i in taken}
        if new.casefold() in folded or tracker.incident_dir(new).exists():
            where = f" here or on {base}" if base else ""
            raise Refused(f"{new} is already taken{where}: give another id, or none for the next free one")

        old_dir, new_dir = tracker.incident_dir(old), tracker.incident_dir(new)
        writes = _plan(tracker, old, new)
        _validate(tracker, old, new, writes)

        moved = sorted(p for p in old_dir.rglob("*") if p.is_file() or p.is_symlink())
        old_rel = [tracker.rel(p) for p in moved]
        new_rel = [tracker.rel(new_dir / p.relative_to(old_dir)) for p in moved]
        # What each written file held before, keyed by where it is written.
        before = {path: _text(old_dir / path.relative_to(new_dir) if path.is_relative_to(new_dir) else path) for path in writes}
        result = Renumbered(old, new, references=sorted(tracker.rel(p) for p in writes if not p.is_relative_to(new_dir)))
        result.paths = sorted({*new_rel, *(tracker.rel(p) for p in writes)})
        repo = repo or gitrepo.find(tracker.root)
        if repo is None:  # no git (and --no-commit): move and write, putting back on a failure
            _move_without_git(old_dir, new_dir, writes, before)
            return result
        refuse_leftovers(repo)
        to_commit: list[str] = []
        if commit:
            tracked = repo.index_entries([repo.relative(tracker.root / p) for p in old_rel])
            to_commit = sorted({*(e.path for e in tracked if e.line is not None), *(repo.relative(tracker.root / p) for p in result.paths)})
        data = {repo.relative(path): text.encode("utf-8") for path, text in writes.items()}
        moves = [(repo.relative(old_dir), repo.relative(new_dir))]
        message = _message(old, new, result.references)
        result.commit = write_and_commit(repo, message.split("\n", 1)[0], data, to_commit, message, moves)
        return result


def _move_without_git(old_dir: Path, new_dir: Path, writes: dict[Path, str], before: dict[Path, str]) -> None:
    renamed = False
    try:
        os.rename(old_dir, new_dir)
        renamed = True
        for path, text in writes.items():
            atomic_write(path, text)
    except OSError as exc:
        _restore(old_dir, new_dir, renamed, before)
        raise Refused(f"nothing was changed: {exc}") from None
    except BaseException:
        _restore(old_dir, new_dir, renamed, before)
        raise


def _plan(tracker: Tracker, old: str, new: str) -> dict[Path, str]:
    """The new text of every file that changes, at its final path."""
    old_dir, new_dir = tracker.incident_dir(old), tracker.incident_dir(new)
    writes: dict[Path, str] = {}

    def set_id(data: Any) -> None:
        data["id"] = new

    writes[new_dir / INCIDENT_FILE] = edit_text(_text(old_dir / INCIDENT_FILE), set_id)
    if (old_dir / PIR_FILE).is_file():

        def set_incident(data: Any) -> None:
            if isinstance(data, dict) and data.get("incident") == old:
                data["incident"] = new

        writes[new_dir / PIR_FILE] = edit_text(_text(old_dir / PIR_FILE), set_incident)
    for path, key in _references(tracker, old):

        def swap(data: Any, key: str = key) -> None:
            _replace_in_list(data, key, old, new)

        writes[path] = edit_text(_text(path), swap)
    return writes


def _validate(tracker: Tracker, old: str, new: str, writes: dict[Path, str]) -> None:
    """Refuse unless the renumbered incident and every edited record are valid."""
    old_dir, new_dir = tracker.incident_dir(old), tracker.incident_dir(new)
    overlay = dict(writes)
    for path in old_dir.rglob("*.yaml"):
        target = new_dir / path.relative_to(old_dir)
        if target not in overlay:
            overlay[target] = _text(path)
    incident_ids = (set(tracker.incident_ids()) - {old}) | {new}
    known_error_ids = {p.stem for p in tracker.known_error_paths()}
    affected = {new} | {p.parent.name for p in writes if p.name == INCIDENT_FILE}
    findings: list[Finding] = []
    view = tracker.with_overlay(overlay)
    for incident_id in sorted(affected):
        bundle = view.load_bundle(incident_id)
        findings += bundle_findings(bundle, view.process, view.catalog, incident_ids, known_error_ids)
    for path in writes:
        if path.parent == view.root / "kedb":
            record = view.read(path, "known-error")
            findings += record.findings
            if record.ok:
                findings += rules.check_known_error(record, view.catalog, incident_ids)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise Refused(f"{old} would not be valid as {new}; nothing was changed", errors)


def _restore(old_dir: Path, new_dir: Path, renamed: bool, before: dict[Path, str]) -> None:
    """Put the edited files back as they were and the folder back under its old name."""
    for path, text in before.items():
        if renamed or not path.is_relative_to(new_dir):
            atomic_write(path, text)
    if renamed:
        os.rename(new_dir, old_dir)


def _message(old: str, new: str, references: list[str]) -> str:
    body = f"{old} was taken on another branch; the incident is now {new}."
    if references:
        body += "\n\nReferences updated in: " + ", ".join(references) + "."
    return f"{new}: renumber from {old} (id collision)\n\n{body}\n\nIncident: {new}\nPrevious-Id: {old}\n"
