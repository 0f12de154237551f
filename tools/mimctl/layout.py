"""The layout of record folders: which paths may exist under ``incidents/`` and ``kedb/``, and what each one is.

One table. Everything in a record folder is either a known record file (read
and validated as its kind) or a finding with its path: other names,
``*.yml``, nested or dot folders, symbolic links and submodules alike. Nothing
that is not in the table is ever read, and a link is never followed. A new
kind of record folder (say, scheduled maintenance) is one more entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from .findings import Finding
from .sources import FILE, FOLDER, LINK, SUBMODULE, Entry
from .yamlio import TEMP_FILE

INCIDENT_ID = re.compile(r"INC-[0-9]{4,8}\Z")
KNOWN_ERROR_ID = re.compile(r"KE-[0-9]{4,8}\Z")
EVENT_FILE_PATTERN = r"[0-9]{8}T[0-9]{6}Z-[a-z0-9-]{1,40}-[0-9a-f]{6}\.yaml"
EVENT_FILE = re.compile(EVENT_FILE_PATTERN + r"\Z")


@dataclass(frozen=True)
class Place:
    """One folder of a record layout (a path of name patterns under the record folder) and what it may hold."""

    path: tuple[re.Pattern[str], ...]
    files: tuple[tuple[re.Pattern[str], str], ...] = ()  # file name pattern -> record kind
    folders: tuple[re.Pattern[str], ...] = ()  # allowed sub-folder names (each a Place of its own)
    wrong_file: str = "{name!r} is not a record file"
    wrong_folder: str = "unexpected folder {name!r}"


@dataclass(frozen=True)
class RecordFolder:
    """A folder of records under the tracker root, and the places inside it."""

    name: str
    id: re.Pattern[str]
    places: tuple[Place, ...]
    noun: str = "record"

    def place(self, folder: str) -> Place | None:
        """The place of ``folder`` (tracker-relative), or None when it is not one of this layout's folders."""
        parts = PurePosixPath(folder).parts
        if not parts or parts[0] != self.name:
            return None
        rest = parts[1:]
        for place in self.places:
            if len(place.path) == len(rest) and all(p.match(n) for p, n in zip(place.path, rest, strict=False)):
                return place
        return None

    def record_id(self, path: str) -> str | None:
        """The id a path under this folder belongs to (the first name below the folder, without .yaml)."""
        parts = PurePosixPath(path).parts
        if len(parts) < 2 or parts[0] != self.name:
            return None
        return parts[1].removesuffix(".yaml")


def _exact(name: str) -> re.Pattern[str]:
    return re.compile(re.escape(name) + r"\Z")


INCIDENTS = RecordFolder(
    "incidents",
    INCIDENT_ID,
    (
        Place(
            (),
            folders=(INCIDENT_ID,),
            wrong_file="{name!r} is not an incident folder: incidents/ holds one folder per incident, named by its id",
            wrong_folder="folder name {name!r} is not an incident id (INC- and 4 to 8 digits)",
        ),
        Place(
            (INCIDENT_ID,),
            files=((_exact("incident.yaml"), "incident"), (_exact("pir.yaml"), "pir")),
            folders=(_exact("timeline"),),
            wrong_file="{name!r} is not a record file: an incident folder holds incident.yaml, pir.yaml and timeline/",
            wrong_folder="unexpected folder {name!r}: an incident folder holds incident.yaml, pir.yaml and timeline/",
        ),
        Place(
            (INCIDENT_ID, _exact("timeline")),
            files=((EVENT_FILE, "event"),),
            wrong_file="timeline file name {name!r} is not in the form YYYYMMDDTHHMMSSZ-kind-xxxxxx.yaml",
            wrong_folder="unexpected folder {name!r}: a timeline holds event files only",
        ),
    ),
    "incident",
)

KEDB = RecordFolder(
    "kedb",
    KNOWN_ERROR_ID,
    (
        Place(
            (),
            files=((re.compile(r"KE-[0-9]{4,8}\.yaml\Z"), "known-error"),),
            wrong_file="file name {name!r} is not a known-error id (KE- and 4 to 8 digits, then .yaml)",
            wrong_folder="unexpected folder {name!r}: kedb/ holds one KE-….yaml file per known error",
        ),
    ),
    "known error",
)

MAINTENANCE_ID = re.compile(r"MNT-[0-9]{4,8}\Z")
MAINTENANCE = RecordFolder(
    "maintenance",
    MAINTENANCE_ID,
    (
        Place(
            (),
            files=((re.compile(r"MNT-[0-9]{4,8}\.yaml\Z"), "maintenance"),),
            wrong_file="file name {name!r} is not a maintenance id (MNT- and 4 to 8 digits, then .yaml)",
            wrong_folder="unexpected folder {name!r}: maintenance/ holds one MNT-….yaml file per scheduled maintenance",
        ),
    ),
    "scheduled maintenance",
)

LAYOUT: tuple[RecordFolder, ...] = (INCIDENTS, KEDB, MAINTENANCE)


def folder_of(path: str) -> RecordFolder | None:
    """The record folder ``path`` (tracker-relative) is in, if any."""
    top = PurePosixPath(path).parts[0] if path else ""
    return next((f for f in LAYOUT if f.name == top), None)


@dataclass
class Sorted:
    """A listing sorted out: the record files by kind, the allowed folders, and a finding for everything else."""

    records: dict[str, list[str]] = field(default_factory=dict)
    folders: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def _hint(name: str, place: Place) -> str:
    """Why a near miss is one: the usual slips (.yml, the wrong case) named."""
    if any(pattern.match(name) for pattern, _ in place.files):
        return ""
    if TEMP_FILE.match(name):
        return " (a temporary file of an interrupted write: mimctl repair removes it)"
    if any(re.match(pattern.pattern, name, re.IGNORECASE) for pattern, _ in place.files):
        return " (check the case of the name and of .yaml)"
    respelled = re.sub(r"\.ya?ml\Z", ".yaml", name, flags=re.IGNORECASE)
    if any(pattern.match(respelled) for pattern, _ in place.files):
        return " (records end in .yaml)"
    return ""


def _problem(entry: Entry, place: Place) -> str:
    name = entry.name
    if entry.kind == LINK:
        return f"{name!r} is a symbolic link: records must be regular files in the repository (links are never followed)"
    if entry.kind == SUBMODULE:
        return f"{name!r} is a submodule (gitlink), not a record: remove it (git rm --cached)"
    if entry.kind == FILE:
        return place.wrong_file.format(name=name) + _hint(name, place)
    if entry.kind == FOLDER:
        return place.wrong_folder.format(name=name)
    return f"{name!r} is not a regular file or folder"


def sort_out(folder: RecordFolder, entries: Iterable[Entry], top: str | None = None) -> Sorted:
    """Sort ``entries`` (a listing under ``folder``, recursive or not) into records, folders and findings.

    An entry below a folder that is itself not allowed is skipped: that folder
    has its own finding. ``top`` is the folder the listing started from, when
    it is below the record folder's own top (an incident folder, say).
    """
    out = Sorted()
    allowed = {folder.name} if top is None else {top}
    places: dict[str, Place | None] = {}
    for entry in sorted(entries, key=lambda e: (e.path.count("/"), e.path)):
        parent = entry.parent
        if parent not in allowed:
            continue
        if parent not in places:
            places[parent] = folder.place(parent)
        place = places[parent]
        if place is None:
            continue
        if entry.kind == FILE:
            kind = next((k for pattern, k in place.files if pattern.match(entry.name)), None)
            if kind is not None:
                out.records.setdefault(kind, []).append(entry.path)
                continue
        elif entry.kind == FOLDER and any(pattern.match(entry.name) for pattern in place.folders):
            out.folders.append(entry.path)
            allowed.add(entry.path)
            continue
        out.findings.append(Finding(entry.path, 1, 1, _problem(entry, place), rule="layout"))
    return out


def not_a_folder(path: str, entry: Entry | None, what: str) -> Finding | None:
    """A finding when the folder ``path`` that should hold records is a link, a submodule or a file."""
    if entry is None or entry.kind == FOLDER:
        return None
    place = Place((), wrong_file=f"{{name!r}} should be {what}, but is a file")
    return Finding(path, 1, 1, _problem(entry, place), rule="layout")
