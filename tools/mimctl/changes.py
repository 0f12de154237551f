"""Recent changes before an incident: commits to the repositories of its affected services.

catalog.yaml maps each service to repositories (``{path, paths}``): ``path`` is
a local clone (relative to the tracker root, or absolute) and ``paths`` are
the globs of that repository that belong to the service (none: all of it).
Commits count by their committer date, the time they landed on the branch,
which is closer to "deployed" than the author date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from . import gitrepo
from .model import Catalog, Incident, format_time, parse_time

DEFAULT_WINDOW = timedelta(hours=24)
_WINDOW = re.compile(r"([0-9]{1,5})([mhdw])\Z")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_window(text: str) -> timedelta:
    """``90m``, ``6h``, ``2d`` or ``1w`` as a timedelta; ValueError otherwise."""
    match = _WINDOW.match(text.strip().lower())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not a window like 90m, 6h, 2d or 1w")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


@dataclass(frozen=True)
class Commit:
    """One commit in the window, with the services whose mapped paths it touched."""

    repository: str
    sha: str
    author: str
    authored_at: datetime
    committed_at: datetime
    subject: str
    files: tuple[str, ...]
    services: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "repository": self.repository,
            "sha": self.sha,
            "author": self.author,
            "authored_at": format_time(self.authored_at),
            "committed_at": format_time(self.committed_at),
            "subject": self.subject,
            "files": list(self.files),
            "services": list(self.services),
        }


@dataclass(frozen=True)
class Changes:
    """What changed in the window before detection, and what could not be looked at."""

    incident_id: str
    since: datetime
    until: datetime
    commits: tuple[Commit, ...]
    repositories: tuple[str, ...]  # every repository looked at
    unconfigured: tuple[str, ...] = ()  # affected services without repositories in catalog.yaml
    errors: tuple[str, ...] = field(default=())  # repositories that could not be read

    def as_dict(self) -> dict[str, Any]:
        return {
            "incident": self.incident_id,
            "since": format_time(self.since),
            "until": format_time(self.until),
            "repositories": list(self.repositories),
            "unconfigured_services": list(self.unconfigured),
            "errors": list(self.errors),
            "commits": [c.as_dict() for c in self.commits],
        }


def repository_path(root: Path, entry: dict[str, Any]) -> Path:
    """Where a catalog ``repositories`` entry's clone is (relative paths from the tracker root)."""
    path = Path(str(entry["path"])).expanduser()
    return path if path.is_absolute() else root / path


def recent_changes(root: Path, catalog: Catalog, incident: Incident, window: timedelta = DEFAULT_WINDOW) -> Changes:
    """Commits in ``window`` before detection to the affected services' repositories, newest first.

    A repository that cannot be read is reported in ``errors`` and the others
    are still listed (collect, then fail once).
    """
    until = incident.detected_at
    since = until - window
    found: dict[tuple[str, str], Commit] = {}
    looked: list[str] = []
    unconfigured: list[str] = []
    errors: list[str] = []
    for service_id in dict.fromkeys(incident.services):
        service = catalog.services.get(service_id)
        entries = service.repositories if service else ()
        if not entries:
            unconfigured.append(service_id)
            continue
        for entry in entries:
            path = repository_path(root, entry)
            name = str(entry["path"])
            if name not in looked:
                looked.append(name)
            try:
                rows = gitrepo.log_window(path, since, until, tuple(entry.get("paths") or ()))
            except gitrepo.GitError as exc:
                message = f"{service_id}: {exc}"
                if message not in errors:
                    errors.append(message)
                continue
            for row in rows:
                key = (str(path.resolve()), row["sha"])
                old = found.get(key)
                files = tuple(sorted({*(old.files if old else ()), *row["files"]}))
                services = old.services if old else ()
                if service_id not in services:
                    services = (*services, service_id)
                found[key] = Commit(
                    name,
                    row["sha"],
                    row["author"],
                    parse_time(row["authored_at"]),
                    parse_time(row["committed_at"]),
                    row["subject"],
                    files,
                    services,
                )
    commits = sorted(found.values(), key=lambda c: (c.committed_at, c.sha), reverse=True)
    return Changes(incident.id, since, until, tuple(commits), tuple(looked), tuple(unconfigured), tuple(errors))


def changes_text(changes: Changes) -> str:
    """The changes for people: one line per commit, then the files it touched."""
    lines = [f"{changes.incident_id}: commits from {format_time(changes.since)} to {format_time(changes.until)} (detection)"]
    for commit in changes.commits:
        lines.append(
            f"{format_time(commit.committed_at)}  {commit.sha[:10]}  {commit.author}  {commit.subject}"
            f"  [{commit.repository}; {', '.join(commit.services)}]"
        )
        lines += [f"    {name}" for name in commit.files]
    if not changes.commits:
        lines.append("no commits in the window" if changes.repositories else "no repositories to look at")
    if changes.unconfigured:
        lines.append(f"no repositories configured in catalog.yaml for: {', '.join(changes.unconfigured)}")
    lines += [f"error: {message}" for message in changes.errors]
    return "\n".join(lines)
