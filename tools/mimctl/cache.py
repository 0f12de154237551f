"""Results kept between runs: what was found in a record, filed under the git id of exactly what was judged.

``mimctl validate`` of a tracker whose records have not changed should cost
little more than listing them. So the findings of each incident folder (and
each known error) are kept, filed under a key made of:

- the judge: a digest of this mimctl's code and schemas and of the libraries
  that read and judge records (PyYAML, jsonschema, jsonschema-rs, RE2);
- the rules: the git blob ids of the process.yaml and catalog.yaml read;
- where the record was read from (``git`` objects or ``worktree`` files) and
  the git id of what was read: the folder's tree id, computed from the bytes
  that were judged, never taken from what git says is there.

A result also says what else it depended on, and is used again only while
that still holds: each other record whose existence it asked about (a related
incident, a known error) and the moments at which a comparison with the clock
("in the future") would have turned out otherwise.

The file lives in the repository's git folder (``.git/mimctl/cache.sqlite``,
shared by its work trees), never in the work tree; ``MIMCTL_CACHE`` names
another folder, or ``off``. Any problem with it (locked, corrupt, read-only)
means it is not used: a cache can make a run slower, never different.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from collections.abc import Collection, Container, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .findings import Finding

if TYPE_CHECKING:
    import sqlite3

CACHE_ENV = "MIMCTL_CACHE"
FORMAT = "1"  # what a stored result looks like; part of every key
KEEP_GENERATIONS = 8  # judges x rules kept; older ones are dropped
_JUDGING_LIBRARIES = ("PyYAML", "jsonschema", "jsonschema-rs", "google-re2", "ruamel.yaml")


# --- what a result depended on --------------------------------------------------------------


class Asked(Container[str]):
    """A set of ids that remembers every id it was asked about, and the answer."""

    def __init__(self, ids: Container[str]) -> None:
        self.ids = ids
        self.answers: dict[str, bool] = {}

    def __contains__(self, item: object) -> bool:
        found = item in self.ids
        if isinstance(item, str):
            self.answers[item] = found
        else:
            self.answers["\0unhashable"] = False  # never the same again: the result is not kept
        return found


class _Watched(datetime):
    """``now``, or a time derived from it by adding or subtracting a duration, that notes every comparison made with it."""

    clock: Clock

    def _compared(self, other: object) -> None:
        if isinstance(other, datetime):
            # self is clock.now + offset: "other < self" turns out otherwise once now passes other - offset.
            offset = datetime.__sub__(self, self.clock.now)
            self.clock.turns.append(datetime.__sub__(other, offset) if isinstance(other, _Watched) else other - offset)
        else:
            self.clock.opaque = True

    def __lt__(self, other: object) -> bool:
        self._compared(other)
        return datetime.__lt__(self, other)  # type: ignore[operator]

    def __le__(self, other: object) -> bool:
        self._compared(other)
        return datetime.__le__(self, other)  # type: ignore[operator]

    def __gt__(self, other: object) -> bool:
        self._compared(other)
        return datetime.__gt__(self, other)  # type: ignore[operator]

    def __ge__(self, other: object) -> bool:
        self._compared(other)
        return datetime.__ge__(self, other)  # type: ignore[operator]

    def __eq__(self, other: object) -> bool:
        self._compared(other)
        return datetime.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        self._compared(other)
        return datetime.__ne__(self, other)

    __hash__ = datetime.__hash__

    def __sub__(self, other: Any) -> Any:
        if not isinstance(other, timedelta):
            self.clock.opaque = True  # a duration measured from now: not followed
        return datetime.__sub__(self, other)

    def __rsub__(self, other: Any) -> Any:
        self.clock.opaque = True
        return NotImplemented

    def __getattribute__(self, name: str) -> Any:
        if name not in _FOLLOWED:
            object.__getattribute__(self, "clock").opaque = True  # now.date(), now.year, str(now) ...: not followed
        return object.__getattribute__(self, name)


_FOLLOWED = frozenset(
    {
        "clock",
        "_compared",
        "__lt__",
        "__le__",
        "__gt__",
        "__ge__",
        "__eq__",
        "__ne__",
        "__hash__",
        "__sub__",
        "__rsub__",
        "__add__",
        "__radd__",
        "__class__",
        "tzinfo",
        "utcoffset",
        "astimezone",
    }
)


@dataclass
class Clock:
    """The moment rules judge by, noting when their answers would change (so that a result can say how long it holds)."""

    now: datetime
    turns: list[datetime] = field(default_factory=list)
    opaque: bool = False

    def moment(self) -> datetime:
        """``now`` for the rules: a datetime that reports to this clock."""
        watched = type("Now", (_Watched,), {"clock": self})
        n = self.now
        moment: datetime = watched(n.year, n.month, n.day, n.hour, n.minute, n.second, n.microsecond, n.tzinfo)
        return moment

    def holds(self) -> tuple[int, int] | None:
        """The moments (microseconds since 1970, both excluded) between which the answers stay the same; None: only now."""
        if self.opaque:
            return None
        now = _micros(self.now)
        times = [_micros(t) for t in self.turns]
        before = max((t for t in times if t <= now), default=NEVER_BEFORE)
        after = min((t for t in times if t > now), default=NEVER_AFTER)
        return (before, after)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
NEVER_BEFORE, NEVER_AFTER = -(2**62), 2**62


def _micros(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    delta = datetime.__sub__(moment, _EPOCH)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


# --- a result ---------------------------------------------------------------------------------------


@dataclass
class Judged:
    """One incident folder's (or known error's) findings, and what else they depended on."""

    files: int
    findings: list[Finding]
    asked: dict[str, dict[str, bool]] = field(default_factory=dict)  # container name -> {id: was it there}
    holds: tuple[int, int] | None = (NEVER_BEFORE, NEVER_AFTER)
    key: str | None = None  # where to keep it (None: not to be kept)
    records: int = 1  # how many records it is the result of (a whole validation's: all of them)

    def still_holds(self, containers: dict[str, Container[str]], now: datetime) -> bool:
        if self.holds is None or not self.holds[0] < _micros(now) < self.holds[1]:
            return False
        return all((item in containers[name]) == answer for name, answers in self.asked.items() for item, answer in answers.items())

    def dump(self) -> str:
        return json.dumps(
            {
                "files": self.files,
                "findings": [[f.path, f.line, f.column, f.message, f.field, f.rule, f.severity] for f in self.findings],
                "asked": self.asked,
                "holds": self.holds,
                **({"records": self.records} if self.records != 1 else {}),
            },
            separators=(",", ":"),
        )

    @classmethod
    def load(cls, text: str) -> Judged:
        data = json.loads(text)
        holds = data["holds"]
        spans = (holds[0], holds[1]) if holds else None
        return cls(data["files"], [Finding(*f) for f in data["findings"]], data["asked"], spans, records=data.get("records", 1))


# --- keys ---------------------------------------------------------------------------------------------


PACKAGE = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def judge_version() -> str:
    """A digest of everything that judges a record: this mimctl's code and schemas, the libraries it judges with, Python."""
    return digest_of(PACKAGE)


def digest_of(package: Path) -> str:
    """The judge's digest for the mimctl package in ``package``."""
    from . import __version__

    digest = hashlib.sha256(f"{FORMAT}\0{__version__}\0{sys.version}\0".encode())
    files = [p for p in package.rglob("*") if p.suffix in (".py", ".json", ".yaml", ".yml") and "__pycache__" not in p.parts]
    for path in sorted(files):
        try:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
        except OSError:
            digest.update(b"unreadable\0")
    for name in _JUDGING_LIBRARIES:
        digest.update(f"{name}={_library_version(name)}\0".encode())
    return digest.hexdigest()[:32]


def code_version(*modules: str) -> str:
    """A digest of the named modules of this mimctl (``heads.py`` ...): for results that only those modules compute."""
    from . import __version__

    digest = hashlib.sha256(f"{FORMAT}\0{__version__}\0".encode())
    for name in modules:
        try:
            digest.update(name.encode() + b"\0" + (PACKAGE / name).read_bytes() + b"\0")
        except OSError:
            digest.update(b"unreadable\0")
    return digest.hexdigest()[:32]


def _library_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def generation(rules: Iterable[str]) -> str:
    """The judge and the rules (blob ids of process.yaml and catalog.yaml) that results are kept for."""
    return hashlib.sha256(("\0".join([judge_version(), *rules])).encode()).hexdigest()[:32]


def key(generation_id: str, kind: str, version: str) -> str:
    """Where the result for ``version`` (``git:ID`` or ``worktree:ID``) of a record of ``kind`` is kept."""
    return f"{generation_id}:{kind}:{version}"


def tree_id(files: dict[str, str], hash_name: str = "sha1") -> str:
    """The id git gives a tree holding ``files`` (relative path -> blob id, regular files), as git builds it."""
    folders: dict[str, dict[str, tuple[str, str]]] = {"": {}}
    for path in files:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            folders.setdefault("/".join(parts[:depth]), {})
    for path, blob in files.items():
        parent, _, name = path.rpartition("/")
        folders[parent][name] = ("100644", blob)
    ids: dict[str, str] = {}
    for folder in sorted(folders, key=lambda f: f.count("/") if f else -1, reverse=True):
        entries = dict(folders[folder])
        for child, child_id in ids.items():
            parent, _, name = child.rpartition("/")
            if parent == folder and child:
                entries[name] = ("40000", child_id)
        # git orders a tree's entries by name, a folder's name as if it ended in "/"
        ordered = sorted(entries.items(), key=lambda item: item[0] + ("/" if item[1][0] == "40000" else ""))
        body = b"".join(mode.encode() + b" " + name.encode() + b"\0" + bytes.fromhex(oid) for name, (mode, oid) in ordered)
        ids[folder] = hashlib.new(hash_name, b"tree %d\0" % len(body) + body).hexdigest()
    return ids[""]


# --- the store ----------------------------------------------------------------------------------------


class Results:
    """Kept results in one SQLite file; every failure to use it means a miss, never an error."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self.broken = False

    @classmethod
    def for_tracker(cls, source: Any) -> Results | None:
        """The results kept for the repository ``source`` reads (None outside git, or with MIMCTL_CACHE=off)."""
        chosen = os.environ.get(CACHE_ENV, "")
        if chosen.lower() in ("off", "0", "no", "false"):
            return None
        if chosen:
            return cls(Path(chosen) / "cache.sqlite")
        location = getattr(source, "location", None)
        if location is None:
            return None
        return cls(location.common_dir / "mimctl" / "cache.sqlite")

    def _connect(self) -> sqlite3.Connection | None:
        import sqlite3  # only commands that keep results pay for it

        if self._db is None and not self.broken:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=2.0, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                db.execute("CREATE TABLE IF NOT EXISTS generations (id TEXT PRIMARY KEY, used REAL NOT NULL)")
                self._db = db
            except (sqlite3.Error, OSError):
                self.broken = True
        return self._db

    def get(self, keys: Collection[str]) -> dict[str, str]:
        """The kept values of those ``keys`` that are kept."""
        import sqlite3

        db = self._connect()
        if db is None or not keys:
            return {}
        out: dict[str, str] = {}
        wanted = list(keys)
        try:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                rows = db.execute(f"SELECT key, value FROM results WHERE key IN ({','.join('?' * len(chunk))})", chunk)
                out.update(rows.fetchall())
        except sqlite3.Error:
            self.broken = True
            return {}
        return out

    def put(self, generation_id: str, items: dict[str, str]) -> None:
        """Keep ``items`` (key -> value) for ``generation_id``, dropping the results of all but the newest generations."""
        import sqlite3
        import time

        db = self._connect()
        if db is None or not items:
            return

        try:
            db.execute("BEGIN IMMEDIATE")
            db.executemany("INSERT OR REPLACE INTO results (key, value) VALUES (?, ?)", items.items())
            db.execute("INSERT OR REPLACE INTO generations (id, used) VALUES (?, ?)", (generation_id, time.time()))
            old = [row[0] for row in db.execute("SELECT id FROM generations ORDER BY used DESC LIMIT -1 OFFSET ?", (KEEP_GENERATIONS,))]
            for stale in old:
                db.execute("DELETE FROM results WHERE key >= ? AND key < ?", (stale + ":", stale + ";"))
                db.execute("DELETE FROM generations WHERE id = ?", (stale,))
            db.execute("COMMIT")
        except sqlite3.Error:
            self.broken = True
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
