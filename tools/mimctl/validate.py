"""Validate a tracker repository, or some of its records: collect every finding.

Results are kept between runs (cache.py): an incident folder or known error
that has not changed since it was judged, by the same judge and rules, is not
read again, so validating an unchanged tracker costs little more than listing
it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Container
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from . import cache, rules, secret_scan
from .cache import Asked, Clock, Judged, Results
from .findings import Finding
from .layout import KEDB, LAYOUT
from .model import Catalog, Process
from .sources import FOLDER, GitTree
from .store import (
    CATALOG_FILE,
    INCIDENT_ID,
    INCIDENTS_DIR,
    KEDB_DIR,
    LOOK_UP_ALONE,
    PROCESS_FILE,
    SCHEMAS_DIR,
    Bundle,
    IncidentFolders,
    Record,
    Tracker,
    TrackerError,
)

PARALLEL_THRESHOLD = 300  # incidents; below this, starting processes costs more than it saves


@dataclass
class ValidationResult:
    """What a validation run looked at and found."""

    files: int = 0
    findings: list[Finding] = field(default_factory=list)
    kept: int = 0  # records whose findings came from an earlier run (unchanged since)

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)


@dataclass(frozen=True)
class Scope:
    """Which records to validate; everything by default."""

    incidents: frozenset[str] | None = None
    known_errors: bool = True
    stray: tuple[str, ...] = ()
    known_error_files: frozenset[str] | None = None  # with known_errors: only these kedb/ files (None: all)
    maintenance: bool = True


def scope_for(tracker: Tracker, paths: list[Path]) -> Scope:
    """The incidents (and whether the KEDB) that the given paths touch."""
    incidents: set[str] = set()
    known_errors = False
    maintenance = False
    stray: list[str] = []
    for path in paths:
        # Lexically, never through a link: incidents/INC-0003 may itself be one.
        rel = PurePosixPath(tracker.rel(Path(os.path.normpath(Path.cwd().resolve() / path))))
        parts = rel.parts
        if rel.as_posix() in (".", ""):
            return Scope()
        if parts[0] == INCIDENTS_DIR and len(parts) >= 2:
            incidents.add(parts[1])
        elif parts[0] == INCIDENTS_DIR:
            return Scope(None, known_errors)
        elif parts[0] == KEDB_DIR:
            known_errors = True
        elif parts[0] == "maintenance":  # maintenance.MAINTENANCE_DIR
            maintenance = True
        elif rel.as_posix() in (PROCESS_FILE, CATALOG_FILE) or parts[0] == "schemas":
            return Scope()  # the rules changed: every record is judged again
        elif not path.exists():
            stray.append(rel.as_posix())
    return Scope(frozenset(incidents), known_errors, tuple(stray), maintenance=maintenance)


def validate(
    tracker: Tracker, scope: Scope | None = None, now: datetime | None = None, jobs: int | None = None, keep: bool = True
) -> ValidationResult:
    """Check configuration, catalog, layout, incidents and known errors; never raises for bad records.

    ``keep``: use and keep results between runs (cache.py), where the tracker is in git.
    """
    scope = scope or Scope()
    report = ValidationResult()
    now = now or datetime.now(timezone.utc)
    for stray in scope.stray:
        report.findings.append(Finding(stray, 1, 1, "no such file", rule="path"))
    try:
        tracker.schema_root  # noqa: B018 - refuses schemas that are links, or not JSON, before anything is judged by them
    except TrackerError as exc:
        report.findings += exc.findings or [Finding(SCHEMAS_DIR, 1, 1, str(exc), rule="schema-file")]
        return report
    process_record = tracker.read_rule(PROCESS_FILE, "process")
    report.files += 1
    report.findings += process_record.findings
    try:
        process = tracker.process
    except TrackerError:
        return report  # nothing else can be judged without the process
    report.findings += rules.check_process(process_record, process)
    catalog_blob = ""
    if tracker.has_catalog():
        catalog_record = tracker.read_rule(CATALOG_FILE, "catalog")
        catalog_blob = catalog_record.blob
        report.files += 1
        report.findings += catalog_record.findings
        try:
            report.findings += rules.check_catalog(catalog_record, tracker.catalog)
        except TrackerError:
            return report
    catalog = tracker.catalog
    report.findings += rules.check_alerts(process_record, process, catalog)
    results = Results.for_tracker(tracker.source) if keep and not tracker.overlay else None
    generation = cache.generation([process_record.blob, catalog_blob])

    # An unchanged tracker, validated whole: one result for everything below the rules.
    version = _whole_version(tracker) if results is not None and scope == Scope() else None
    whole = cache.key(generation, "tracker", version) if version else None
    memo = _kept_whole(results, whole, now)
    if memo is not None:
        report.files += memo.files
        report.findings += memo.findings
        report.kept += memo.records
    else:
        part = _records(tracker, scope, catalog, results, generation, now, jobs)
        report.files += part.files
        report.findings += part.findings
        report.kept += part.kept
        if whole is not None and results is not None:
            results.put(generation, {whole: part.summary().dump()})
    if results is not None:
        results.close()
    report.findings = sorted(set(report.findings))
    return report


@dataclass
class _Part:
    """What judging the record folders found, and every result it rests on."""

    files: int = 0
    findings: list[Finding] = field(default_factory=list)
    kept: int = 0
    judged: list[Judged] = field(default_factory=list)

    def summary(self) -> Judged:
        """One result for all of it: it holds while every result it is made of holds."""
        spans = [j.holds for j in self.judged]
        holds = None
        if None not in spans:
            holds = (
                max((s[0] for s in spans if s), default=cache.NEVER_BEFORE),
                min((s[1] for s in spans if s), default=cache.NEVER_AFTER),
            )
        return Judged(self.files, self.findings, {}, holds, records=len(self.judged))


def _records(
    tracker: Tracker, scope: Scope, catalog: Catalog, results: Results | None, generation: str, now: datetime, jobs: int | None
) -> _Part:
    """Layout, stray files, known errors, maintenance and incidents: everything below the rules."""
    report = _Part()
    few = scope.incidents is not None and len(scope.incidents) < PARALLEL_THRESHOLD
    # Judging a few incidents (a pull request's), references are looked up one by one: no listing of the history.
    folders = [] if few else tracker.incident_folders()
    incident_ids: Container[str] = IncidentFolders(tracker) if few else set(folders)
    ke_paths = tracker.known_error_paths()
    known_error_ids = {p.stem for p in ke_paths}
    if scope.incidents is None:
        report.findings += tracker.layout_findings(None if scope.known_errors else {INCIDENTS_DIR: set(tracker.incident_ids())})
        report.findings += rules.check_ids([f"{INCIDENTS_DIR}/{i}" for i in tracker.incident_ids()], "incident", form=False)
        for other in tracker.stray_files():  # no record holds exceptions for these
            report.findings += secret_scan.scan_file(other)
    else:
        only = {INCIDENTS_DIR: set(scope.incidents)}
        if scope.known_errors:
            only[KEDB_DIR] = set(tracker.names(KEDB))
        report.findings += tracker.layout_findings(only)
        for other in tracker.stray_files(only):
            report.findings += secret_scan.scan_file(other)
    containers: dict[str, Container[str]] = {"incidents": incident_ids, "known_errors": known_error_ids}
    if scope.known_errors:
        report.findings += rules.check_ids([f"{KEDB_DIR}/{n}" for n in tracker.names(KEDB) if n.lower().endswith(".yaml")], "known_error")
        wanted = [tracker.rel(p) for p in ke_paths if scope.known_error_files is None or tracker.rel(p) in scope.known_error_files]
        kept, missed = _kept(results, generation, "known-error", tracker, wanted, containers, now)
        ke_records, _ = tracker.load_known_errors(set(missed))
        judged = dict(kept)
        for record in ke_records:
            judged[record.path] = _judge_known_error(tracker, record, catalog, incident_ids)
        _keep(results, generation, "known-error", judged, kept)
        for found in judged.values():
            report.files += found.files
            report.findings += found.findings
        report.kept += len(kept)
        report.judged += judged.values()

    if scope.maintenance:
        from . import maintenance  # scheduled maintenance records (their own module)

        maintenance_files, maintenance_findings = maintenance.findings(tracker)
        report.files += maintenance_files
        report.findings += maintenance_findings

    selected = [i for i in (folders if scope.incidents is None else sorted(scope.incidents)) if INCIDENT_ID.match(i)]
    kept, missed = _kept(results, generation, "incident", tracker, [f"{INCIDENTS_DIR}/{i}" for i in selected], containers, now)
    tracker.prefetch([path.split("/", 1)[1] for path in missed])
    judged = dict(kept)
    judged.update(_check_in_parallel(tracker, [path.split("/", 1)[1] for path in missed], incident_ids, known_error_ids, now, jobs))
    _keep(results, generation, "incident", judged, kept)
    for found in judged.values():
        report.files += found.files
        report.findings += found.findings
    report.kept += len(kept)
    report.judged += judged.values()
    return report


# --- results kept between runs ------------------------------------------------------------------------


def _whole_version(tracker: Tracker) -> str | None:
    """A name for everything a whole validation reads below the rules (None when something in it has no name)."""
    named = []
    for source, names in ((tracker.source, [folder.name for folder in LAYOUT]), (tracker.rules, [SCHEMAS_DIR])):
        for name in names:
            if source.entry(name) is None:
                named.append(f"{name}\0-")
                continue
            version = source.version(name)
            if version is None:
                return None
            named.append(f"{name}\0{version}")
    return "whole:" + hashlib.sha256("\0".join(named).encode()).hexdigest()


def _kept_whole(results: Results | None, key: str | None, now: datetime) -> Judged | None:
    """The result kept for a whole validation under ``key``, if it still holds at ``now``."""
    if results is None or key is None:
        return None
    text = results.get({key}).get(key)
    if text is None:
        return None
    try:
        judged = Judged.load(text)
    except (ValueError, KeyError, TypeError, IndexError):
        return None
    return judged if judged.still_holds({}, now) else None


def _kept(
    results: Results | None,
    generation: str,
    kind: str,
    tracker: Tracker,
    paths: list[str],
    containers: dict[str, Container[str]],
    now: datetime,
) -> tuple[dict[str, Judged], list[str]]:
    """The results kept for ``paths`` that still hold, and the paths to judge again."""
    if results is None:
        return {}, paths
    if isinstance(tracker.source, GitTree) and len(paths) <= LOOK_UP_ALONE:
        tracker.source.look_up(paths)  # a few (a pull request's): their folder is not listed
    versions = {path: tracker.source.version(path) for path in paths}
    keys = {path: cache.key(generation, kind, version) for path, version in versions.items() if version}
    found = results.get(set(keys.values()))
    kept: dict[str, Judged] = {}
    for path, key in keys.items():
        text = found.get(key)
        if text is None:
            continue
        try:
            judged = Judged.load(text)
        except (ValueError, KeyError, TypeError, IndexError):
            continue  # not what this mimctl keeps: judge again
        if judged.still_holds(containers, now):
            kept[path] = judged
    return kept, [p for p in paths if p not in kept]


def _keep(results: Results | None, generation: str, kind: str, judged: dict[str, Judged], kept: dict[str, Judged]) -> None:
    if results is not None:
        fresh = {cache.key(generation, kind, j.key): j.dump() for path, j in judged.items() if j.key and path not in kept}
        results.put(generation, fresh)


def _content_key(tracker: Tracker, folder: str, files: dict[str, str]) -> str | None:
    """``origin:id`` of what was judged: computed from the bytes read, so that it names exactly what the findings are about."""
    origin = tracker.source.origin(folder)
    if origin is None or not files or any(not blob for blob in files.values()):
        return None
    return f"{origin}:{cache.tree_id(files, tracker.object_format)}"


def _judge_known_error(tracker: Tracker, record: Record, catalog: Catalog, incident_ids: Container[str]) -> Judged:
    asked = Asked(incident_ids)
    findings = list(record.findings) + secret_scan.scan_known_error(record)
    if record.ok:
        findings += rules.check_known_error(record, catalog, asked)  # type: ignore[arg-type]
    origin = tracker.source.origin(record.path)
    key = f"{origin}:{record.blob}" if origin and record.blob and record.text is not None else None
    return Judged(1, findings, {"incidents": asked.answers}, key=key)


def judge_bundle(
    tracker: Tracker,
    bundle: Bundle,
    process: Process,
    catalog: Catalog,
    incident_ids: Container[str],
    known_error_ids: Container[str],
    now: datetime,
) -> Judged:
    """One incident folder's findings, with what they depended on and the key of what was read."""
    incidents, known_errors, clock = Asked(incident_ids), Asked(known_error_ids), Clock(now)
    findings = bundle_findings(bundle, process, catalog, incidents, known_errors, clock.moment())
    key = None
    if not bundle.layout and not bundle.others:
        folder = f"{INCIDENTS_DIR}/{bundle.id}"
        files = {r.path[len(folder) + 1 :]: r.blob for r in bundle.records}
        key = _content_key(tracker, folder, files)
    return Judged(len(bundle.records), findings, {"incidents": incidents.answers, "known_errors": known_errors.answers}, clock.holds(), key)


def _check_incidents(
    spec: tuple[str, tuple[str, ...], tuple[str, ...]] | Tracker,
    selected: list[str],
    incident_ids: Container[str],
    known_error_ids: set[str],
    now: datetime,
) -> dict[str, Judged]:
    """The findings of the given incident folders (one worker's share), by path."""
    tracker = spec if isinstance(spec, Tracker) else Tracker.from_spec(spec)
    process, catalog = tracker.process, tracker.catalog
    out: dict[str, Judged] = {}
    for incident_id in selected:
        folder = f"{INCIDENTS_DIR}/{incident_id}"
        entry = tracker.source.entry(folder)
        if entry is None or entry.kind != FOLDER:
            continue  # gone (a deleted incident) or a layout finding
        out[folder] = judge_bundle(tracker, tracker.load_bundle(incident_id), process, catalog, incident_ids, known_error_ids, now)
    if tracker is not spec:
        tracker.close()
    return out


def _check_in_parallel(
    tracker: Tracker, selected: list[str], incident_ids: Container[str], known_error_ids: set[str], now: datetime, jobs: int | None
) -> dict[str, Judged]:
    """Spread incidents over processes when there are enough to repay starting them."""
    workers = jobs or int(os.environ.get("MIMCTL_JOBS", "0")) or (os.cpu_count() or 1)
    if workers <= 1 or len(selected) < PARALLEL_THRESHOLD or tracker.overlay or not isinstance(incident_ids, set):
        return _check_incidents(tracker, selected, incident_ids, known_error_ids, now)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    size = max(50, len(selected) // (workers * 4))
    chunks = [selected[i : i + size] for i in range(0, len(selected), size)]
    context = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    out: dict[str, Judged] = {}
    spec = tracker.spec()
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(_check_incidents, spec, chunk, incident_ids, known_error_ids, now) for chunk in chunks]
        for future in futures:
            out.update(future.result())
    return out


def bundle_findings(
    bundle: Bundle,
    process: Process,
    catalog: Catalog,
    incident_ids: Container[str],
    known_error_ids: Container[str],
    now: datetime | None = None,
) -> list[Finding]:
    """Everything wrong with one incident folder: layout, schemas, cross-record rules, secrets."""
    out = list(bundle.findings)
    out += rules.check_bundle(bundle, process, catalog, incident_ids, known_error_ids, now)
    out += secret_scan.scan_bundle(bundle)
    return out
