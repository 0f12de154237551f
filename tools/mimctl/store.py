"""The tracker repository: where records live and how they are read.

Reading a record means: bytes from a source (the work tree, or a git
commit's tree: see sources.py), strict YAML load, schema validation, then a
model object. What may exist in a record folder is one table (layout.py);
anything else there is a finding, never read. Every problem becomes a
finding; nothing here raises for bad records.

The rules a record is judged by (process.yaml, catalog.yaml and the schemas)
come from the tracker's ``rules`` source, which is the records' own source
unless the caller says otherwise: the pull-request check judges a change's
records with the base branch's rules.
"""

from __future__ import annotations

import atexit
import copy
import json
import os
import shutil
import tempfile
from collections.abc import Collection, Container, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import MappingProxyType

from . import schema_check
from .checkout import Checkout, open_checkout
from .findings import Finding
from .gitrepo import blob_id, object_format
from .layout import INCIDENT_ID, INCIDENTS, KEDB, KNOWN_ERROR_ID, LAYOUT, RecordFolder, not_a_folder, sort_out
from .model import Catalog, Event, Incident, KnownError, Process, parse_time, sort_events
from .sources import FILE, FOLDER, Entry, GitTree, Source, SourceError, WorkTree, open_spec
from .yamlio import Document, LoadError, load_bytes

__all__ = ["INCIDENT_ID", "KNOWN_ERROR_ID", "Bundle", "Record", "Tracker", "TrackerError", "find_root"]

PROCESS_FILE = "process.yaml"
CATALOG_FILE = "catalog.yaml"
SCHEMAS_DIR = "schemas"
INCIDENTS_DIR = INCIDENTS.name
KEDB_DIR = KEDB.name
INCIDENT_FILE = "incident.yaml"
PIR_FILE = "pir.yaml"
TIMELINE_DIR = "timeline"


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
    blob: str = ""  # the git blob id of the bytes read (what results kept between runs are filed under); "" if none

    @property
    def ok(self) -> bool:
        return self.document is not None and not self.findings


@dataclass
class Bundle:
    """An incident's folder: incident.yaml, its timeline and its PIR, and what else the folder wrongly holds."""

    id: str
    incident: Record
    timeline: list[Record]
    pir: Record | None
    model: Incident | None
    layout: list[Finding] = field(default_factory=list)
    others: list[Record] = field(default_factory=list)  # files in the folder that are not records (text only, for the secret scanner)

    @property
    def records(self) -> list[Record]:
        return [self.incident, *self.timeline, *([self.pir] if self.pir else [])]

    @property
    def findings(self) -> list[Finding]:
        return [*self.layout, *(f for record in self.records for f in record.findings)]


def find_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` that holds process.yaml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / PROCESS_FILE).is_file():
            return folder
    raise TrackerError(
        f"no {PROCESS_FILE} found in {start} or any parent: not a tracker repository (run 'mimctl demo' to see one, or use --repo)"
    )


def find_root_at(start: Path, rev: str) -> Path | None:
    """The nearest folder at or above ``start`` whose process.yaml commit ``rev`` holds (None: none, or not in git).

    A pull request may delete process.yaml: its check still judges it, at the
    folder where the base has its tracker.
    """
    from .gitrepo import GitError, TreeReader, locate

    location = locate(start.resolve())
    if location is None:
        return None
    top = location.top.resolve()
    reader = TreeReader(top)
    try:
        sha = reader.resolve(rev)
        start = start.resolve()
        for folder in (start, *start.parents):
            if folder != top and top not in folder.parents:
                break
            rel = folder.relative_to(top).as_posix()
            wanted = PROCESS_FILE if rel == "." else f"{rel}/{PROCESS_FILE}"
            if any(row.path == wanted and row.type == "blob" for row in reader.ls_tree(sha, [wanted], sizes=False)):
                return folder
    except GitError:
        return None
    finally:
        reader.close()
    return None


def committed_source(root: Path, rev: str) -> GitTree:
    """The files of the tracker at ``root`` as commit ``rev`` holds them; TrackerError outside git or for an unknown revision."""
    from .gitrepo import GitError, TreeReader, locate

    location = locate(root)
    if location is None:
        raise TrackerError(f"{root} is not in a git repository: there is no commit to read")
    try:
        sha = TreeReader(location.top).resolve(rev)
    except GitError as exc:
        raise TrackerError(str(exc)) from None
    rel = root.resolve().relative_to(location.top.resolve()).as_posix()
    return GitTree(location.top, sha, "" if rel == "." else rel + "/")


class Tracker:
    """Records of one tracker repository, read on demand from ``source``, judged by the rules in ``rules``."""

    def __init__(self, root: Path, source: Source | None = None, rules: Source | None = None) -> None:
        self.root = root
        self.source: Source = source or open_checkout(root)
        self.rules: Source = rules or self.source
        self._process: Process | None = None
        self._catalog: Catalog | None = None
        self._schema_root: tuple[Path | None] | None = None
        self._overlay: Mapping[Path, str] = MappingProxyType({})
        self._prefix = str(root).rstrip(os.sep) + os.sep
        self._hash = ""

    @property
    def overlay(self) -> Mapping[Path, str]:
        """Texts not yet written, read in place of the files (a change being validated before it is written)."""
        return self._overlay

    def with_overlay(self, texts: Mapping[Path, str]) -> Tracker:
        """A view of this tracker in which ``texts`` (absolute path -> text) are read in place of the files.

        The view shares the source, the rules and what was already read of
        them; this tracker is unchanged (views are never modified in place).
        """
        view = copy.copy(self)
        view._overlay = MappingProxyType(dict(texts))
        return view

    @property
    def object_format(self) -> str:
        """The hash git names this tracker's objects with (sha1 unless the repository says sha256)."""
        if not self._hash:
            location = getattr(self.source, "location", None)
            self._hash = object_format(location) if location is not None else "sha1"
        return self._hash

    def prefetch(self, incident_ids: Collection[str]) -> None:
        """A hint that these incidents are about to be read (a partial clone fetches what it lacks in one go)."""
        self.source.prefetch([f"{INCIDENTS_DIR}/{i}" for i in incident_ids])

    def read_ahead(self, incident_ids: Collection[str]) -> None:
        """A hint that these incidents are about to be loaded: their folders listed at once, what a partial clone lacks fetched at once."""
        folders = [f"{INCIDENTS_DIR}/{i}" for i in incident_ids]
        self.source.list_ahead(folders)
        self.source.prefetch(folders)

    def spec(self) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
        """Enough to open the same tracker in another process (see :meth:`from_spec`)."""
        return (str(self.root), self.source.spec(), self.rules.spec())

    @classmethod
    def from_spec(cls, spec: tuple[str, tuple[str, ...], tuple[str, ...]]) -> Tracker:
        source = open_spec(spec[1])
        return cls(Path(spec[0]), source, source if spec[2] == spec[1] else open_spec(spec[2]))

    def close(self) -> None:
        self.source.close()
        self.rules.close()

    def rel(self, path: Path) -> str:
        """``path`` relative to the repository root, as findings name it."""
        text = str(path)
        if text.startswith(self._prefix):
            return text[len(self._prefix) :]
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return text

    def read(self, path: Path, kind: str | None, source: Source | None = None) -> Record:  # kind None: a file with no schema (mkdocs.yml)
        """Strictly load and schema-check one file (from the records' source unless another is given).

        The record keeps its text as stored (comments included) for the secret scanner.
        """
        rel = self.rel(path)
        try:
            raw = self.overlay[path].encode() if path in self.overlay else (source or self.source).read(rel, SCAN_LIMIT)
        except SourceError as exc:
            return Record(rel, None, [Finding(rel, 1, 1, str(exc), rule="path")])
        text = raw.decode("utf-8", "replace")
        blob = blob_id(raw, self.object_format)
        try:
            document = load_bytes(raw)
        except LoadError as exc:
            return Record(rel, None, [Finding(rel, exc.line, exc.column, exc.message, rule="yaml")], text, blob)
        if not isinstance(document.data, dict):
            return Record(rel, None, [Finding(rel, 1, 1, "a record must be a YAML mapping (key: value)", rule="yaml")], text, blob)
        return Record(rel, document, schema_check.check(document, kind, rel, self.schema_root) if kind else [], text, blob)

    def read_rule(self, name: str, kind: str) -> Record:
        """process.yaml or catalog.yaml, from the rules' source."""
        return self.read(self.root / name, kind, self.rules)

    def text_of(self, rel: str) -> Record:
        """A file that is not a record, with its text only (for the secret scanner); no text if it is not a regular file."""
        try:
            raw = self.source.read(rel, SCAN_LIMIT)
        except SourceError:
            return Record(rel, None, [], None)
        return Record(rel, None, [], raw.decode("utf-8", "replace"), blob_id(raw, self.object_format))

    def stray_files(self, only: dict[str, set[str]] | None = None) -> list[Record]:
        """Files under the record folders that belong to no incident folder or known error (``only``: just these names)."""
        found: list[str] = []
        for folder in LAYOUT:
            for entry in self._entries_in(folder, only):
                if entry.kind == FILE and not sort_out(folder, [entry]).records:
                    found.append(entry.path)
                elif entry.kind == FOLDER and not (folder is INCIDENTS and INCIDENT_ID.match(entry.name)):
                    found += [e.path for e in self.source.walk(entry.path) if e.kind == FILE]
        return [self.text_of(path) for path in sorted(found)]

    # --- configuration ------------------------------------------------------

    @property
    def process(self) -> Process:
        if self._process is None:
            record = self.read_rule(PROCESS_FILE, "process")
            if not record.ok or record.document is None:
                raise TrackerError(f"{PROCESS_FILE} is invalid", record.findings)
            self._process = Process.from_data(record.document.data)
        return self._process

    def has_catalog(self) -> bool:
        return self.rules.entry(CATALOG_FILE) is not None

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            if not self.has_catalog():
                self._catalog = Catalog({}, {})
            else:
                record = self.read_rule(CATALOG_FILE, "catalog")
                if not record.ok or record.document is None:
                    raise TrackerError(f"{CATALOG_FILE} is invalid", record.findings)
                self._catalog = Catalog.from_data(record.document.data)
        return self._catalog

    @property
    def schema_root(self) -> Path | None:
        """The folder whose schemas/ judge the records (None: the packaged schemas); TrackerError if they are unsafe."""
        if self._schema_root is None:
            self._schema_root = (_schema_root(self.root, self.rules),)
        return self._schema_root[0]

    # --- layout ---------------------------------------------------------------

    def layout_findings(self, only: dict[str, set[str]] | None = None) -> list[Finding]:
        """Findings for what the record folders' top level wrongly holds (``only``: just these names per folder)."""
        out: list[Finding] = []
        for folder in LAYOUT:
            problem = not_a_folder(folder.name, self.source.entry(folder.name), "a folder of records")
            if problem is not None:
                out.append(problem)
                continue
            out += sort_out(folder, self._entries_in(folder, only)).findings
        return out

    def _entries_in(self, folder: RecordFolder, only: dict[str, set[str]] | None) -> list[Entry]:
        """The entries directly in a record folder (``only``: just these names per folder, in name order)."""
        wanted = only.get(folder.name, set()) if only is not None else None
        if wanted is not None and len(wanted) <= LOOK_UP_ALONE:  # a folder of 100,000 incidents is not listed for a few
            named = (self.source.entry(f"{folder.name}/{name}") for name in sorted(wanted) if _one_name(name))
            return [e for e in named if e is not None]
        entries = self.source.listing(folder.name) or []
        return entries if wanted is None else [e for e in entries if e.name in wanted]

    def names(self, folder: RecordFolder) -> list[str]:
        """Every name directly in a record folder, whatever it is (for allocating and comparing ids)."""
        return sorted(e.name for e in self.source.listing(folder.name) or [])

    # --- incidents -----------------------------------------------------------

    def incident_dir(self, incident_id: str) -> Path:
        return self.root / INCIDENTS_DIR / incident_id

    def incident_ids(self) -> list[str]:
        """Names under incidents/ (sorted), whatever their form, except dot-names (layout_findings has those)."""
        return [name for name in self.names(INCIDENTS) if not name.startswith(".")]

    def incident_folders(self) -> list[str]:
        """The incident folders that can hold records: real folders named by an incident id."""
        entries = self.source.listing(INCIDENTS_DIR) or []
        return sorted(e.name for e in entries if e.kind == FOLDER and INCIDENT_ID.match(e.name))

    def existing_incidents(self) -> IncidentIndex:
        """A set-like view: ``id in tracker.existing_incidents()`` without listing the folder."""
        return IncidentIndex(self)

    def has_incident(self, incident_id: str) -> bool:
        """Whether incidents/ID is a real folder with a regular incident.yaml (never through a link)."""
        if not INCIDENT_ID.match(incident_id):
            return False
        folder = self.source.entry(f"{INCIDENTS_DIR}/{incident_id}")
        if folder is None or folder.kind != FOLDER:
            return False
        record = self.source.entry(f"{INCIDENTS_DIR}/{incident_id}/{INCIDENT_FILE}")
        return record is not None and record.kind == FILE

    def resolve_incident_id(self, given: str) -> str:
        """The incident id for ``given`` (case-insensitive, digits may be short: ``42``)."""
        text = given.strip().upper()
        if text.isdigit():
            text = f"INC-{int(text):04d}"
        if not INCIDENT_ID.match(text):
            raise TrackerError(f"{given!r} is not an incident id (expected INC- and digits, e.g. INC-0042)")
        folder = self.source.entry(f"{INCIDENTS_DIR}/{text}")
        if folder is not None and folder.kind != FOLDER:
            raise TrackerError(f"{INCIDENTS_DIR}/{text} is not an incident folder ({folder.kind}): run mimctl validate")
        if not self.has_incident(text):
            raise TrackerError(f"no incident {text} in {self.root / INCIDENTS_DIR}")
        return text

    def load_bundle(self, incident_id: str) -> Bundle:
        folder = f"{INCIDENTS_DIR}/{incident_id}"
        incident_path = f"{folder}/{INCIDENT_FILE}"
        entries = self._with_overlay(folder, self._entries_of(folder))
        if entries is None:
            here = self.source.entry(folder)
            problem = not_a_folder(folder, here, "an incident folder") or Finding(folder, 1, 1, "no such incident folder", rule="path")
            return Bundle(incident_id, Record(incident_path, None), [], None, None, [problem])
        found = sort_out(INCIDENTS, entries, top=folder)
        layout = list(found.findings)
        if incident_path in found.records.get("incident", []):
            incident = self.read(self.root / incident_path, "incident")
        else:
            incident = Record(incident_path, None)
            if not any(f.path == incident_path for f in layout):
                layout.append(Finding(folder, 1, 1, f"incident folder has no {INCIDENT_FILE}", rule="path"))
        timeline = [self.read(self.root / path, "event") for path in sorted(found.records.get("event", []))]
        pir_paths = found.records.get("pir", [])
        pir = self.read(self.root / pir_paths[0], "pir") if pir_paths else None
        model = None
        if not layout and incident.ok and all(r.ok for r in timeline) and (pir is None or pir.ok):
            model = build_incident(incident, timeline, pir)
        records = {path for paths in found.records.values() for path in paths}
        others = [self.text_of(e.path) for e in entries if e.kind == FILE and e.path not in records and e.path not in self._pending()]
        return Bundle(incident_id, incident, timeline, pir, model, layout, others)

    def _pending(self) -> set[str]:
        return {self.rel(p) for p in self.overlay}

    def _entries_of(self, folder: str) -> list[Entry] | None:
        here = self.source.entry(folder)
        if here is None or here.kind != FOLDER:
            return None
        return self.source.walk(folder)

    def _with_overlay(self, folder: str, entries: list[Entry] | None) -> list[Entry] | None:
        """The listing with the overlay's files (and the folders they need) added: a change about to be written."""
        pending = [self.rel(p) for p in self.overlay]
        pending = [p for p in pending if p.startswith(folder + "/")]
        if not pending:
            return entries
        out = {e.path: e for e in entries or []}
        for path in pending:
            parent = PurePosixPath(path).parent
            while str(parent) != folder and str(parent) not in out:
                out[str(parent)] = Entry(str(parent), FOLDER)
                parent = parent.parent
            out.setdefault(path, Entry(path, FILE))
        return list(out.values())

    # --- known errors --------------------------------------------------------

    def known_error_paths(self) -> list[Path]:
        """Known-error files, including those of a change about to be written (the overlay)."""
        entries = self._with_overlay(KEDB_DIR, self.source.listing(KEDB_DIR)) or []
        found = sort_out(KEDB, entries)
        return [self.root / path for path in sorted(found.records.get("known-error", []))]

    def load_known_errors(self, only: Collection[str] | None = None) -> tuple[list[Record], list[KnownError]]:
        """Every known error (``only``: just these tracker-relative paths), read and schema-checked."""
        paths = self.known_error_paths()
        if only is not None:
            paths = [p for p in paths if self.rel(p) in only]
        records = [self.read(path, "known-error") for path in paths]
        models = [KnownError(r.document.data["id"], r.document.data) for r in records if r.ok and r.document is not None]
        return records, models


LOOK_UP_ALONE = 200  # names looked up one by one (one git process each from a commit) rather than by listing their folder


def _one_name(name: str) -> bool:
    """Whether ``name`` names an entry directly in a folder (not a path, not . or ..)."""
    return bool(name) and "/" not in name and name not in (".", "..")


class IncidentFolders(Container[str]):
    """Membership in :meth:`Tracker.incident_folders`, each name looked up alone: for judging a few incidents of a long history."""

    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker
        self._known: dict[str, bool] = {}

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str) or not INCIDENT_ID.match(name):
            return False
        if name not in self._known:
            entry = self.tracker.source.entry(f"{INCIDENTS_DIR}/{name}")
            self._known[name] = entry is not None and entry.kind == FOLDER
        return self._known[name]


class IncidentIndex:
    """Membership test for incident ids, by looking for the file (cheap in a large repository)."""

    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker

    def __contains__(self, incident_id: object) -> bool:
        return isinstance(incident_id, str) and self.tracker.has_incident(incident_id)


SCAN_LIMIT = 64 * 1024 * 1024  # bytes of a file read for the secret scanner (secrets.SCAN_LIMIT); records stop at 1 MiB


def build_incident(incident: Record, timeline: list[Record], pir: Record | None) -> Incident:
    """The model of a bundle whose records all passed their schemas."""
    assert incident.document is not None
    events = []
    for record in timeline:
        assert record.document is not None
        data = record.document.data
        events.append(Event(Path(record.path).name, parse_time(data["at"]), data["kind"], data))
    pir_data = pir.document.data if pir and pir.document is not None else None
    return Incident(incident.document.data["id"], incident.document.data, sort_events(events), pir_data)


# --- schemas -------------------------------------------------------------------------

_MATERIALISED: dict[tuple[str, ...], Path] = {}


def _remove_copy(copy: Path, owner: int) -> None:
    if os.getpid() == owner:  # not in a forked worker: the copy is the parent's
        shutil.rmtree(copy, ignore_errors=True)


def _schema_root(root: Path, rules: Source) -> Path | None:
    """Where validation finds the schemas of ``rules``: the tracker root, a copy of a commit's, or None (packaged)."""
    folder = rules.entry(SCHEMAS_DIR)
    problem = not_a_folder(SCHEMAS_DIR, folder, "a folder of schemas")
    if problem is not None:
        raise TrackerError(f"{SCHEMAS_DIR} is not a folder", [problem])
    if folder is None:
        return None
    entries = [e for e in rules.listing(SCHEMAS_DIR) or [] if e.name.endswith(".schema.json")]
    unsafe = [e for e in entries if e.kind != FILE]
    if unsafe:
        findings = [
            Finding(e.path, 1, 1, f"a schema must be a regular file in the repository, not a {e.kind}", rule="layout") for e in unsafe
        ]
        raise TrackerError("the schemas are not regular files", findings)
    if not any(e.name == "incident.schema.json" for e in entries):
        return None  # validation falls back to the packaged schemas
    if isinstance(rules, WorkTree) or (isinstance(rules, Checkout) and rules.whole(SCHEMAS_DIR)):
        return root
    key = rules.spec()
    if key not in _MATERIALISED:
        texts = {}
        findings = []
        for entry in entries:
            raw = rules.read(entry.path)
            try:
                json.loads(raw)
            except ValueError as exc:
                findings.append(Finding(entry.path, 1, 1, f"not valid JSON: {exc}", rule="schema-file"))
            texts[entry.name] = raw
        if findings:
            raise TrackerError("the schemas are not valid JSON", findings)
        copy = Path(tempfile.mkdtemp(prefix="mimctl-schemas-"))
        atexit.register(_remove_copy, copy, os.getpid())
        (copy / SCHEMAS_DIR).mkdir()
        for name, raw in texts.items():
            (copy / SCHEMAS_DIR / name).write_bytes(raw)
        _MATERIALISED[key] = copy
    return _MATERIALISED[key]
