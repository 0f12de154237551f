"""The tracker repository on disk: where records live and how they are read.

Reading a record means: strict YAML load, schema validation, then a model
object. Every problem becomes a finding; nothing here raises for bad records.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from . import validation
from .findings import Finding
from .model import Catalog, Event, Incident, KnownError, Process, parse_time
from .yamlio import Document, LoadError, load_file, loads

PROCESS_FILE = "process.yaml"
CATALOG_FILE = "catalog.yaml"
INCIDENTS_DIR = "incidents"
KEDB_DIR = "kedb"
INCIDENT_FILE = "incident.yaml"
PIR_FILE = "pir.yaml"
TIMELINE_DIR = "timeline"

INCIDENT_ID = re.compile(r"INC-[0-9]{4,8}\Z")
KNOWN_ERROR_ID = re.compile(r"KE-[0-9]{4,8}\Z")


class TrackerError(Exception):
    """The repository cannot be used at all (not a tracker, broken configuration)."""

    def __init__(self, message: str, findings: list[Finding] | None = None) -> None:
        super().__init__(message)
        self.findings = findings or []


@dataclass
class Record:
    """One file read: its repository-relative path, document (if it parsed), findings and text as stored."""

    path: str
    document: Document | None
    findings: list[Finding] = field(default_factory=list)
    text: str | None = None  # comments included, for the secret scanner; None if not a readable regular file

    @property
    def ok(self) -> bool:
        return self.document is not None and not self.findings


@dataclass
class Bundle:
    """An incident's folder: incident.yaml, its timeline and its PIR."""

    id: str
    incident: Record
    timeline: list[Record]
    pir: Record | None
    model: Incident | None
    others: list[Record] = field(default_factory=list)  # files in the folder that are not records (text only)

    @property
    def records(self) -> list[Record]:
        return [self.incident, *self.timeline, *([self.pir] if self.pir else [])]

    @property
    def findings(self) -> list[Finding]:
        return [f for record in self.records for f in record.findings]


def find_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` that holds process.yaml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / PROCESS_FILE).is_file():
            return folder
    raise TrackerError(
        f"no {PROCESS_FILE} found in {start} or any parent: not a tracker repository (run 'mimctl demo' to see one, or use --repo)"
    )


class Tracker:
    """Records of one tracker repository, read on demand."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._process: Process | None = None
        self._catalog: Catalog | None = None
        # Texts not yet written, read in place of the files (to validate a change first).
        self.overlay: dict[Path, str] = {}
        self._prefix = str(root).rstrip(os.sep) + os.sep

    def rel(self, path: Path) -> str:
        """``path`` relative to the repository root, as findings name it."""
        text = str(path)
        if text.startswith(self._prefix):
            return text[len(self._prefix) :]
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return text

    def read(self, path: Path, kind: str) -> Record:
        """Strictly load and schema-check one file."""
        rel = self.rel(path)
        text = self.overlay[path] if path in self.overlay else read_text(path)
        try:
            document = loads(self.overlay[path]) if path in self.overlay else load_file(path)
        except LoadError as exc:
            return Record(rel, None, [Finding(rel, exc.line, exc.column, exc.message, rule="yaml")], text)
        if not isinstance(document.data, dict):
            return Record(rel, None, [Finding(rel, 1, 1, "a record must be a YAML mapping (key: value)", rule="yaml")], text)
        return Record(rel, document, validation.check(document, kind, rel, self.root), text)

    def other_files(self, folder: Path, records: set[Path]) -> list[Record]:
        """Every regular file under ``folder`` that is not one of ``records``, with its text (to be scanned)."""
        out = []
        for path in sorted(_files_under(folder)):
            if path not in records:
                out.append(Record(self.rel(path), None, [], read_text(path)))
        return out

    def stray_files(self) -> list[Record]:
        """Files under the record folders that belong to no incident bundle or known error."""
        found: list[Path] = []
        incidents = self.root / INCIDENTS_DIR
        if incidents.is_dir():
            for entry in sorted(os.scandir(incidents), key=lambda e: e.name):
                path = Path(entry.path)
                if entry.is_file(follow_symlinks=False):
                    found.append(path)
                elif entry.is_dir(follow_symlinks=False) and not (INCIDENT_ID.match(entry.name) and (path / INCIDENT_FILE).is_file()):
                    found += sorted(_files_under(path))
        kedb = self.root / KEDB_DIR
        if kedb.is_dir():
            found += sorted(p for p in _files_under(kedb) if not (p.parent == kedb and p.suffix == ".yaml"))
        return [Record(self.rel(path), None, [], read_text(path)) for path in found]

    # --- configuration ------------------------------------------------------

    @property
    def process(self) -> Process:
        if self._process is None:
            record = self.read(self.root / PROCESS_FILE, "process")
            if not record.ok or record.document is None:
                raise TrackerError(f"{PROCESS_FILE} is invalid", record.findings)
            self._process = Process.from_data(record.document.data)
        return self._process

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            path = self.root / CATALOG_FILE
            if not path.exists():
                self._catalog = Catalog({}, {})
            else:
                record = self.read(path, "catalog")
                if not record.ok or record.document is None:
                    raise TrackerError(f"{CATALOG_FILE} is invalid", record.findings)
                self._catalog = Catalog.from_data(record.document.data)
        return self._catalog

    # --- incidents -----------------------------------------------------------

    def incident_dir(self, incident_id: str) -> Path:
        return self.root / INCIDENTS_DIR / incident_id

    def incident_ids(self) -> list[str]:
        """Folder names under incidents/ (sorted), whatever their form."""
        folder = self.root / INCIDENTS_DIR
        if not folder.is_dir():
            return []
        with os.scandir(folder) as entries:
            return sorted(e.name for e in entries if e.is_dir() and not e.name.startswith("."))

    def existing_incidents(self) -> IncidentIndex:
        """A set-like view: ``id in tracker.existing_incidents()`` without listing the folder."""
        return IncidentIndex(self)

    def resolve_incident_id(self, given: str) -> str:
        """The incident id for ``given`` (case-insensitive, digits may be short: ``42``)."""
        text = given.strip().upper()
        if text.isdigit():
            text = f"INC-{int(text):04d}"
        if not INCIDENT_ID.match(text):
            raise TrackerError(f"{given!r} is not an incident id (expected INC- and digits, e.g. INC-0042)")
        if not (self.incident_dir(text) / INCIDENT_FILE).is_file():
            raise TrackerError(f"no incident {text} in {self.root / INCIDENTS_DIR}")
        return text

    def load_bundle(self, incident_id: str) -> Bundle:
        folder = self.incident_dir(incident_id)
        incident = self.read(folder / INCIDENT_FILE, "incident")
        timeline_dir = folder / TIMELINE_DIR
        event_paths = set(timeline_dir.glob("*.yaml")) if timeline_dir.is_dir() else set()
        event_paths |= {p for p in self.overlay if p.parent == timeline_dir}
        timeline = [self.read(path, "event") for path in sorted(event_paths)]
        pir_path = folder / PIR_FILE
        pir = self.read(pir_path, "pir") if pir_path.exists() or pir_path in self.overlay else None
        model = None
        if incident.ok and all(r.ok for r in timeline) and (pir is None or pir.ok):
            model = build_incident(incident, timeline, pir)
        others = self.other_files(folder, {folder / INCIDENT_FILE, pir_path, *event_paths})
        return Bundle(incident_id, incident, timeline, pir, model, others)

    # --- known errors --------------------------------------------------------

    def known_error_paths(self) -> list[Path]:
        """Known-error files, including those of a change about to be written (the overlay)."""
        folder = self.root / KEDB_DIR
        found = set(folder.glob("*.yaml")) if folder.is_dir() else set()
        found |= {p for p in self.overlay if p.parent == folder and p.suffix == ".yaml"}
        return sorted(found)

    def load_known_errors(self) -> tuple[list[Record], list[KnownError]]:
        records = [self.read(path, "known-error") for path in self.known_error_paths()]
        models = [KnownError(r.document.data["id"], r.document.data) for r in records if r.ok and r.document is not None]
        return records, models


class IncidentIndex:
    """Membership test for incident ids, by looking for the file (cheap in a large repository)."""

    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker

    def __contains__(self, incident_id: object) -> bool:
        return (
            isinstance(incident_id, str)
            and bool(INCIDENT_ID.match(incident_id))
            and (self.tracker.incident_dir(incident_id) / INCIDENT_FILE).is_file()
        )


SCAN_LIMIT = 64 * 1024 * 1024  # bytes read of a file for the secret scanner (secrets.SCAN_LIMIT)


def read_text(path: Path) -> str | None:
    """A regular file's text for the secret scanner (undecodable bytes replaced); None for a link or device."""
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            return None
        with open(path, "rb") as handle:
            raw = handle.read(SCAN_LIMIT + 1)
    except OSError:
        return None
    return raw.decode("utf-8", "replace")


def _files_under(folder: Path) -> list[Path]:
    """Regular files at any depth under ``folder``, links not followed."""
    out = []
    for base, _dirs, names in os.walk(folder):
        for name in names:
            path = Path(base) / name
            if not path.is_symlink():
                out.append(path)
    return out


def build_incident(incident: Record, timeline: list[Record], pir: Record | None) -> Incident:
    """The model of a bundle whose records all passed their schemas."""
    assert incident.document is not None
    events = []
    for record in timeline:
        assert record.document is not None
        data = record.document.data
        events.append(Event(Path(record.path).name, parse_time(data["at"]), data["kind"], data))
    events.sort(key=lambda e: (e.at, e.name))
    pir_data = pir.document.data if pir and pir.document is not None else None
    return Incident(incident.document.data["id"], incident.document.data, tuple(events), pir_data)
