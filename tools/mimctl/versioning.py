"""Schema versions: which version a tracker's records follow, how its schema copies compare, and the upgrade.

Records are always judged by the schemas of the running mimctl (the judge
never comes from the case). A tracker keeps copies of them in ``schemas/``
only so that editors can check records as people type; ``mimctl validate``
warns when a copy is older than, newer than or different from this mimctl's.
``.mimctl/tracker.yaml`` (written by ``mimctl init``) says which schema
version the records follow; ``mimctl upgrade`` brings copies, marker and
records forward in one commit, running each record migration on the way.

Each schema's ``$id`` carries its version:
``https://mimctl.github.io/schemas/v1/incident.schema.json``. Copies made
before versioning have no version in their ``$id`` and count as version 0.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .findings import Finding
from .store import INCIDENTS_DIR, Tracker, TrackerError
from .transaction import Change, Refused
from .vocabulary import SCHEMAS

SCHEMA_VERSION = 1
SCHEMAS_DIR = "schemas"
MARKER = ".mimctl/tracker.yaml"
RULE = "schema-version"
_ID = re.compile(r"https://mimctl\.github\.io/schemas/(?:v(?P<version>[0-9]{1,6})/)?(?P<kind>[a-z-]+)\.schema\.json\Z")


def schema_version(schema: Mapping[str, Any]) -> int | None:
    """The version in a schema's ``$id`` (0 for an id from before versioning); None if it is not a mimctl schema."""
    found = _ID.match(str(schema.get("$id", "")))
    if found is None:
        return None
    return int(found["version"]) if found["version"] else 0


def marker_text(version: int = SCHEMA_VERSION) -> str:
    """The text of ``.mimctl/tracker.yaml`` for ``version``."""
    return (
        "# Written by mimctl: the schema version this tracker's records follow.\n"
        "# `mimctl upgrade` moves it forward, with schemas/ and any record changes, in one commit.\n"
        f"schema_version: {version}\n"
    )


def packaged() -> dict[str, str]:
    """This mimctl's schemas: file name -> text."""
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(SCHEMAS.glob("*.schema.json"))}


# --- what the tracker says --------------------------------------------------------------


@dataclass(frozen=True)
class Stated:
    """The version the marker states (None: no marker), and the problem reading it, if any."""

    version: int | None
    problem: Finding | None = None


def stated_version(tracker: Tracker) -> Stated:
    """What ``.mimctl/tracker.yaml`` says; a finding when it exists but cannot be read."""
    if tracker.source.entry(MARKER) is None:
        return Stated(None)
    record = tracker.read(tracker.root / MARKER, None)
    document = record.document
    if document is None:
        found = record.findings[0] if record.findings else Finding(MARKER, 1, 1, "not a YAML mapping")
        message = f"cannot read the tracker's schema version: {found.message}"
        return Stated(None, Finding(MARKER, found.line, found.column, message, rule=RULE))
    value = document.data.get("schema_version") if isinstance(document.data, dict) else None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        line, column = document.position(("schema_version",)) if isinstance(document.data, dict) else (1, 1)
        return Stated(
            None,
            Finding(MARKER, line, column, "schema_version must be a whole number (the version the records follow)", "schema_version", RULE),
        )
    return Stated(value)


def _copy(root: Path, name: str) -> tuple[str | None, int | None]:
    """A schema copy's text and version (None, None when it is missing; text, None when it is not a mimctl schema)."""
    path = root / SCHEMAS_DIR / name
    if not path.is_file() or path.is_symlink():
        return None, None
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = json.loads(text)
    except ValueError:
        return text, None
    return text, schema_version(data) if isinstance(data, dict) else None


def _id_line(text: str) -> int:
    return next((n for n, line in enumerate(text.splitlines(), 1) if '"$id"' in line), 1)


def drift(tracker: Tracker) -> list[Finding]:
    """Warnings about copies that are older, newer or different from this mimctl's, and the marker's version."""
    root = tracker.root
    out: list[Finding] = []
    stated = stated_version(tracker)
    if stated.problem is not None:
        out.append(stated.problem)
    elif stated.version is not None and stated.version != SCHEMA_VERSION:
        line = next(
            (n for n, text in enumerate((root / MARKER).read_text(encoding="utf-8").splitlines(), 1) if "schema_version" in text), 1
        )
        if stated.version < SCHEMA_VERSION:
            message = f"the records follow schema version {stated.version}; this mimctl's is {SCHEMA_VERSION}: run mimctl upgrade"
            out.append(Finding(MARKER, line, 1, message, "schema_version", RULE, "warning"))
        else:
            message = f"the records follow schema version {stated.version}, newer than this mimctl knows ({SCHEMA_VERSION}): upgrade mimctl"
            out.append(Finding(MARKER, line, 1, message, "schema_version", RULE))
    if not (root / SCHEMAS_DIR).is_dir():
        message = "no schema copies: editors cannot check records as you type (mimctl upgrade adds them)"
        return [*out, Finding(SCHEMAS_DIR, 1, 1, message, rule=RULE, severity="warning")]
    for name, text in packaged().items():
        copy, version = _copy(root, name)
        where = f"{SCHEMAS_DIR}/{name}"
        if copy is None:
            out.append(
                Finding(where, 1, 1, "missing: editors cannot check these records (mimctl upgrade adds it)", rule=RULE, severity="warning")
            )
        elif copy == text:
            continue
        elif version is not None and version < SCHEMA_VERSION:
            message = (
                f"this copy is schema version {version}; records are judged by this mimctl's version {SCHEMA_VERSION}: run mimctl upgrade"
            )
            out.append(Finding(where, _id_line(copy), 1, message, "$id", RULE, "warning"))
        elif version is not None and version > SCHEMA_VERSION:
            message = f"this copy is schema version {version}, newer than this mimctl's {SCHEMA_VERSION}: upgrade mimctl"
            out.append(Finding(where, _id_line(copy), 1, message, "$id", RULE, "warning"))
        else:
            message = f"this copy differs from this mimctl's schema (version {SCHEMA_VERSION}), which judges the records: mimctl upgrade restores it"
            out.append(Finding(where, _id_line(copy), 1, message, "", RULE, "warning"))
    return out


# --- moving forward ------------------------------------------------------------------------

# A record migration: the tracker (at version ``source``) -> texts to write (tracker-relative path -> text).
Rewrite = Callable[[Tracker], dict[str, str]]


@dataclass(frozen=True)
class Migration:
    """How records change from schema version ``source`` to ``source + 1``."""

    source: int
    description: str
    rewrite: Rewrite | None = None  # None: the records need no change


MIGRATIONS: dict[int, Migration] = {
    0: Migration(0, "schemas carry their version in $id; the tracker states its version in .mimctl/tracker.yaml; no record changes"),
}


@dataclass
class Upgrade:
    """What ``mimctl upgrade`` does: from which version, to which, every file it writes and why."""

    source: int
    target: int
    writes: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)  # path -> why it is written
    migrations: list[str] = field(default_factory=list)

    @property
    def needed(self) -> bool:
        return bool(self.writes)

    def change(self) -> Change:
        """The one commit that makes the upgrade."""
        body = "\n".join(f"- {path}: {why}" for path, why in self.reasons.items())
        if self.migrations:
            body += "\n\nRecord migrations:\n" + "\n".join(f"- {m}" for m in self.migrations)
        return Change(
            None,
            dict(self.writes),
            f"Upgrade the tracker to schema version {self.target}",
            body,
            trailers={"Schema-Version": str(self.target), "Previous-Schema-Version": str(self.source)},
        )


def current_version(tracker: Tracker) -> int:
    """The version the records follow: the marker's, else the oldest schema copy's, else 0 (before versioning)."""
    stated = stated_version(tracker)
    if stated.problem is not None:
        raise TrackerError(f"{MARKER} cannot be read", [stated.problem])
    if stated.version is not None:
        return stated.version
    versions = [v for name in packaged() if (v := _copy(tracker.root, name)[1]) is not None]
    return min(versions, default=0)


def plan_upgrade(tracker: Tracker) -> Upgrade:
    """Everything that brings the tracker to this mimctl's schema version; TrackerError if the tracker is newer."""
    source = current_version(tracker)
    newer = [name for name in packaged() if (_copy(tracker.root, name)[1] or 0) > SCHEMA_VERSION]
    if source > SCHEMA_VERSION or newer:
        found = source if source > SCHEMA_VERSION else max(_copy(tracker.root, n)[1] or 0 for n in newer)
        raise TrackerError(f"the tracker is at schema version {found}, newer than this mimctl's {SCHEMA_VERSION}: upgrade mimctl instead")
    plan = Upgrade(source, SCHEMA_VERSION)
    for step in range(source, SCHEMA_VERSION):
        migration = MIGRATIONS[step]
        plan.migrations.append(f"{step} -> {step + 1}: {migration.description}")
        if migration.rewrite is not None:
            for path, text in migration.rewrite(tracker).items():
                plan.writes[path] = text
                plan.reasons[path] = f"migrated to schema version {step + 1}"
    for name, text in packaged().items():
        copy, version = _copy(tracker.root, name)
        if copy == text:
            continue
        path = f"{SCHEMAS_DIR}/{name}"
        plan.writes[path] = text
        plan.reasons[path] = (
            "added"
            if copy is None
            else f"version {version} -> {SCHEMA_VERSION}"
            if version is not None and version != SCHEMA_VERSION
            else "restored to this mimctl's"
        )
    if stated_version(tracker).version != SCHEMA_VERSION:
        plan.writes[MARKER] = marker_text()
        plan.reasons[MARKER] = f"schema_version {SCHEMA_VERSION}"
    _check_records(tracker, plan)
    return plan


def _check_records(tracker: Tracker, plan: Upgrade) -> None:
    """Refuse a migration whose records would not be valid (judged by this mimctl)."""
    from .validate import bundle_findings

    incidents = sorted({p.split("/")[1] for p in plan.writes if p.startswith(f"{INCIDENTS_DIR}/") and p.count("/") >= 2})
    if not incidents:
        return
    view = tracker.with_overlay({tracker.root / p: t for p, t in plan.writes.items()})
    known_errors = {p.stem for p in view.known_error_paths()}
    errors = [
        f
        for incident_id in incidents
        for f in bundle_findings(view.load_bundle(incident_id), view.process, view.catalog, view.existing_incidents(), known_errors)
        if f.severity == "error"
    ]
    if errors:
        raise Refused("the migrated records would not be valid; nothing was changed", errors)
