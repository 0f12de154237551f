"""Incident heads: an incident's stage and times, from the start of its incident.yaml and the names of its timeline files.

Commands that need a few incidents out of a long history (the open ones for
``list``, the active ones for ``escalate``, the status path's candidates, a
responder checkout's cone) look at heads instead of loading every record. A
head is read without the strict loader, so it only ever selects: the records
selected are then loaded and judged as usual, and a head that cannot be read
that simply (a stage given twice, quoted oddly, missing) selects its incident.

Heads are kept between runs (cache.py), filed under the git tree id of the
incident's folder, and read from git objects whenever git holds exactly what
the tracker shows there (a commit's tree, or a folder unchanged in the
checkout); only folders changed on disk are read from files. A second run
lists the incidents' folder and reads nothing else of the history.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from . import cache
from .cache import Results
from .checkout import Checkout
from .formatting import file_stamp
from .model import Stage, parse_time
from .sources import FILE, GitTree, SourceError
from .store import INCIDENT_FILE, INCIDENTS_DIR, TIMELINE_DIR, Tracker

_HEAD = re.compile(r"^(stage|detected_at|declared_at):[ \t]*['\"]?([^'\"#\s]+)['\"]?[ \t]*(?:#.*)?$", re.MULTILINE)
_STAMP = re.compile(r"^([0-9]{8}T[0-9]{6}Z)-([a-z-]+?)-[0-9a-f]+\.yaml$")
_FEED_KINDS = ("stakeholder-update", "stage", "declared")
HEAD_BYTES = 16384  # the head of incident.yaml that is looked at
HEADS = "heads"  # the kind of result kept between runs
BATCH = 10_000  # incident folders looked up (and read from git, in a partial clone fetched) at a time: each fetch is a pack, and git repacks all once there are 50


@dataclass(frozen=True)
class Head:
    """What the cheap scan learnt of one incident folder."""

    id: str
    stage: str | None
    detected: str
    declared: str
    first: str  # earliest timeline stamp (YYYYMMDDTHHMMSSZ), "" if none
    last: str
    feed: str  # newest stamp of an event the feeds may show

    def dump(self) -> str:
        return json.dumps([self.stage, self.detected, self.declared, self.first, self.last, self.feed])

    @classmethod
    def load(cls, incident_id: str, text: str) -> Head:
        stage, detected, declared, first, last, feed = json.loads(text)
        return cls(incident_id, stage, detected, declared, first, last, feed)


def _isostamp(value: str) -> str:
    try:
        return file_stamp(parse_time(value))
    except ValueError:
        return ""


def head_of(incident_id: str, text: str, timeline: Iterable[str]) -> Head:
    """The head of an incident from the start of its incident.yaml and the names of its timeline files."""
    values: dict[str, list[str]] = {}
    for key, value in _HEAD.findall(text[:HEAD_BYTES]):
        values.setdefault(key, []).append(value)
    stages = values.get("stage", [])
    stamps: list[tuple[str, str]] = []
    for name in timeline:
        match = _STAMP.match(name)
        if match:
            stamps.append((match.group(1), match.group(2)))
    stamps.sort()
    feed = [s for s, kind in stamps if kind in _FEED_KINDS]
    return Head(
        incident_id,
        stages[0] if len(stages) == 1 else None,
        _isostamp(values["detected_at"][0]) if len(values.get("detected_at", [])) == 1 else "",
        _isostamp(values["declared_at"][0]) if len(values.get("declared_at", [])) == 1 else "",
        stamps[0][0] if stamps else "",
        stamps[-1][0] if stamps else "",
        feed[-1] if feed else "",
    )


def scan(tracker: Tracker, incident_id: str) -> Head:
    """The head of one incident, read through the tracker's source (links are never followed)."""
    folder = f"{INCIDENTS_DIR}/{incident_id}"
    try:
        text = tracker.source.read(f"{folder}/{INCIDENT_FILE}").decode("utf-8", "replace")
    except SourceError:
        text = ""
    names = [e.name for e in tracker.source.listing(f"{folder}/{TIMELINE_DIR}") or [] if e.kind == FILE]
    return head_of(incident_id, text, names)


def _git_side(tracker: Tracker) -> GitTree | None:
    """The tree heads can be read from as git objects: the source's own commit, or the checkout's HEAD."""
    source = tracker.source
    if isinstance(source, GitTree):
        return source
    if isinstance(source, Checkout):
        return source.git
    return None


def _committed(tracker: Tracker, folder: str) -> str | None:
    """The git tree id of ``folder`` when git holds exactly what the tracker shows there; None when it must be read from files."""
    if any(tracker.rel(p).startswith(folder + "/") for p in tracker.overlay):
        return None
    version = tracker.source.version(folder)
    return version.split(":", 1)[1] if version else None


def heads(tracker: Tracker) -> Iterator[Head]:
    """Every incident's head: kept from an earlier run, read from git objects, or (changed on disk) from the files."""
    git = _git_side(tracker)
    results = Results.for_tracker(tracker.source) if git is not None else None
    generation = cache.generation([HEADS])
    ids = tracker.incident_ids()
    try:
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            trees = {i: _committed(tracker, f"{INCIDENTS_DIR}/{i}") for i in chunk} if git is not None else {}
            keys = {i: cache.key(generation, HEADS, tree) for i, tree in trees.items() if tree}
            kept = results.get(set(keys.values())) if results is not None else {}
            fresh: dict[str, str] = {}
            unread = [i for i in keys if keys[i] not in kept]
            read = _read_from_git(git, unread) if git is not None else {}
            for incident_id in chunk:
                key = keys.get(incident_id)
                if key is not None and key in kept:
                    yield Head.load(incident_id, kept[key])
                elif incident_id in read:
                    head = read[incident_id]
                    fresh[keys[incident_id]] = head.dump()
                    yield head
                else:
                    yield scan(tracker, incident_id)
            if results is not None:
                results.put(generation, fresh)
    finally:
        if results is not None:
            results.close()


def _read_from_git(git: GitTree, incident_ids: list[str]) -> dict[str, Head]:
    """Heads of incident folders read from git objects: one listing of all of them, then each incident.yaml."""
    folders = [f"{INCIDENTS_DIR}/{i}" for i in incident_ids]
    walked = git.walk_many(folders, fetch=False, remember=False) if folders else {}  # memory stays flat over the history
    wanted = {e.ref for entries in walked.values() for e in entries if e.name == INCIDENT_FILE and e.parent.count("/") == 1}
    git.prefetch(folders, only=wanted)  # a partial clone fetches each incident.yaml it lacks, in one request, and nothing else
    out = {}
    for incident_id, folder in zip(incident_ids, folders, strict=True):
        entries = walked.get(folder, [])
        record = next((e for e in entries if e.path == f"{folder}/{INCIDENT_FILE}" and e.kind == FILE), None)
        try:
            text = git.read_entry(record).decode("utf-8", "replace") if record is not None else ""
        except SourceError:
            text = ""
        timeline = f"{folder}/{TIMELINE_DIR}/"
        names = [e.name for e in entries if e.kind == FILE and e.parent == timeline[:-1]]
        out[incident_id] = head_of(incident_id, text, names)
    return out


def select(tracker: Tracker, keep: Callable[[Stage], bool]) -> list[str]:
    """Ids of the incidents whose stage (by their heads) ``keep`` accepts, and of those whose stage a head cannot tell."""
    process = tracker.process
    out = []
    for head in heads(tracker):
        stage = process.stage(head.stage) if head.stage else None
        if stage is None or keep(stage):
            out.append(head.id)
    return out


def open_incidents(tracker: Tracker) -> list[str]:
    """Incidents not in a final stage (what ``list`` shows), by their heads."""
    return select(tracker, lambda stage: not stage.final)


def active_incidents(tracker: Tracker) -> list[str]:
    """Incidents in an active stage (still impairing service: escalation and update reminders apply), by their heads."""
    return select(tracker, lambda stage: stage.active)
