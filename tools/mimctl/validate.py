"""Validate a tracker repository, or some of its records: collect every finding."""

from __future__ import annotations

import os
from collections.abc import Container
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from . import rules, secret_scan
from .findings import Finding
from .layout import KEDB
from .model import Catalog, Process
from .sources import FOLDER
from .store import (
    CATALOG_FILE,
    INCIDENT_ID,
    INCIDENTS_DIR,
    KEDB_DIR,
    PROCESS_FILE,
    SCHEMAS_DIR,
    Bundle,
    Tracker,
    TrackerError,
)

PARALLEL_THRESHOLD = 300  # incidents; below this, starting processes costs more than it saves


@dataclass
class ValidationResult:
    """What a validation run looked at and found."""

    files: int = 0
    findings: list[Finding] = field(default_factory=list)

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


def validate(tracker: Tracker, scope: Scope | None = None, now: datetime | None = None, jobs: int | None = None) -> ValidationResult:
    """Check configuration, catalog, layout, incidents and known errors; never raises for bad records."""
    scope = scope or Scope()
    report = ValidationResult()
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
    if tracker.has_catalog():
        catalog_record = tracker.read_rule(CATALOG_FILE, "catalog")
        report.files += 1
        report.findings += catalog_record.findings
        try:
            report.findings += rules.check_catalog(catalog_record, tracker.catalog)
        except TrackerError:
            return report
    catalog = tracker.catalog
    report.findings += rules.check_alerts(process_record, process, catalog)

    folders = tracker.incident_folders()
    incident_ids = set(folders)
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
    if scope.known_errors:
        report.findings += rules.check_ids([f"{KEDB_DIR}/{n}" for n in tracker.names(KEDB) if n.lower().endswith(".yaml")], "known_error")
        ke_records, _ = tracker.load_known_errors(scope.known_error_files)
        report.files += len(ke_records)
        for record in ke_records:
            report.findings += record.findings
            report.findings += secret_scan.scan_known_error(record)
            if record.ok:
                report.findings += rules.check_known_error(record, catalog, incident_ids)

    if scope.maintenance:
        from . import maintenance  # scheduled maintenance records (their own module)

        maintenance_files, maintenance_findings = maintenance.findings(tracker)
        report.files += maintenance_files
        report.findings += maintenance_findings

    selected = folders if scope.incidents is None else sorted(scope.incidents)
    files, findings = _check_in_parallel(tracker, selected, incident_ids, known_error_ids, now, jobs)
    report.files += files
    report.findings += findings
    report.findings = sorted(set(report.findings))
    return report


def _check_incidents(
    spec: tuple[str, tuple[str, ...], tuple[str, ...]] | Tracker,
    selected: list[str],
    incident_ids: set[str],
    known_error_ids: set[str],
    now: datetime | None,
) -> tuple[int, list[Finding]]:
    """Files read and findings of the given incident folders (one worker's share)."""
    tracker = spec if isinstance(spec, Tracker) else Tracker.from_spec(spec)
    process, catalog = tracker.process, tracker.catalog
    files = 0
    findings: list[Finding] = []
    for incident_id in selected:
        if not INCIDENT_ID.match(incident_id):
            continue  # a layout finding
        entry = tracker.source.entry(f"{INCIDENTS_DIR}/{incident_id}")
        if entry is None or entry.kind != FOLDER:
            continue  # gone (a deleted incident) or a layout finding
        bundle = tracker.load_bundle(incident_id)
        files += len(bundle.records)
        findings += bundle_findings(bundle, process, catalog, incident_ids, known_error_ids, now)
    if tracker is not spec:
        tracker.close()
    return files, findings


def _check_in_parallel(
    tracker: Tracker, selected: list[str], incident_ids: set[str], known_error_ids: set[str], now: datetime | None, jobs: int | None
) -> tuple[int, list[Finding]]:
    """Spread incidents over processes when there are enough to repay starting them."""
    workers = jobs or int(os.environ.get("MIMCTL_JOBS", "0")) or (os.cpu_count() or 1)
    if workers <= 1 or len(selected) < PARALLEL_THRESHOLD or tracker.overlay:
        return _check_incidents(tracker, selected, incident_ids, known_error_ids, now)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    size = max(50, len(selected) // (workers * 4))
    chunks = [selected[i : i + size] for i in range(0, len(selected), size)]
    context = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    files, findings = 0, []
    spec = tracker.spec()
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(_check_incidents, spec, chunk, incident_ids, known_error_ids, now) for chunk in chunks]
        for future in futures:
            chunk_files, chunk_findings = future.result()
            files += chunk_files
            findings += chunk_findings
    return files, findings


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
