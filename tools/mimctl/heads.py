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
checkout); only folders changed on disk are read from files. Read from a
commit, all of them are also kept as one index under the incidents/ folder's
tree id: a second run from the same tree reads that one result and nothing
else, and a run from a later commit compares its incidents/ tree with the
indexed one (one tree-to-tree diff, no listing of the folder) and reads
again only the folders that changed. They are filed under a digest of the modules that compute them
(not of all of mimctl, so that an upgrade which leaves those modules alone
does not read the whole history again).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from typing import NamedTuple

from . import cache
from .cache import Results
from .checkout import Checkout
from .formatting import file_stamp
from .model import Stage, parse_time
from .sources import FILE, FOLDER, Entry, GitTree, SourceError
from .store import INCIDENT_FILE, INCIDENTS_DIR, TIMELINE_DIR, Tracker

_HEAD = re.compile(r"^(stage|detected_at|declared_at):[ \t]*['\"]?([^'\"#\s]+)['\"]?[ \t]*(?:#.*)?$", re.MULTILINE)
_STAMP = re.compile(r"^([0-9]{8}T[0-9]{6}Z)-([a-z-]+?)-[0-9a-f]+\.yaml$")
_FEED_KINDS = ("stakeholder-update", "stage", "declared")
HEAD_BYTES = 16384  # the head of incident.yaml that is looked at
HEADS = "heads"  # the kind of result kept between runs
_COMPUTED_BY = ("heads.py", "formatting.py", "model.py")  # the code a head depends on: a change to any other module keeps them
BATCH = 10_000  # incident folders looked up (and read from git, in a partial clone fetched) at a time: each fetch is a pack, and git repacks all once there are 50


class Head(NamedTuple):
    """What the cheap scan learnt of one incident folder."""

    id: str
    stage: str | None
    detected: str
    declared: str
    first: str  # earliest timeline stamp (YYYYMMDDTHHMMSSZ), "" if none
    last: str
    feed: str  # newest stamp of an event the feeds may show
    tree: str = ""  # the git tree id of the folder it was read from, "" when read from files

    def dump(self) -> str:
        return json.dumps([self.stage, self.detected, self.declared, self.first, self.last, self.feed])

    @classmethod
    def load(cls, incident_id: str, text: str, tree: str = "") -> Head:
        stage, detected, declared, first, last, feed = json.loads(text)
        return cls(incident_id, stage, detected, declared, first, last, feed, tree)


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


def _committed(tracker: Tracker, folder: str, known: dict[str, str | None] | None = None) -> str | None:
    """The git tree id of ``folder`` when git holds exactly what the tracker shows there; None when it must be read from files.

    ``known``: the versions of the folders in ``folder``'s parent, by name, where already found.
    """
    if any(tracker.rel(p).startswith(folder + "/") for p in tracker.overlay):
        return None
    name = folder.rpartition("/")[2]
    version = known[name] if known is not None and name in known else tracker.source.version(folder)
    return version.split(":", 1)[1] if version else None


def heads(tracker: Tracker) -> Iterator[Head]:
    """Every incident's head: kept from an earlier run, read from git objects, or (changed on disk) from the files."""
    git = _git_side(tracker)
    results = Results.for_tracker(tracker.source) if git is not None else None
    generation = cache.code_version(*_COMPUTED_BY)
    try:
        index = _Index.load(results, generation)
        top = _top(tracker, git)
        if top and index.top == top:
            yield from index.each()  # the incidents' folder is as it was: nothing to look up
            return
        if top and index.top and git is not None and (changes := git.changes(INCIDENTS_DIR, index.top)) is not None:
            yield from _since(tracker, git, results, generation, index, top, changes)
            return
        ids = tracker.incident_ids()
        listed = _folder_trees(git) if git is not None and top is not None else None
        source = tracker.source
        known = source.folder_versions(INCIDENTS_DIR) if listed is None and git is not None and isinstance(source, Checkout) else None
        seen: dict[str, Head | str] = {}  # the heads to index: a kept line where one still serves
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            if listed is not None:
                trees = {i: listed.get(i) for i in chunk}
            else:
                trees = {i: _committed(tracker, f"{INCIDENTS_DIR}/{i}", known) for i in chunk} if git is not None else {}
            found, kept_lines = _look_up(tracker, git, results, generation, index, chunk, trees)
            for incident_id in chunk:
                head = found[incident_id]
                if head.tree or top:
                    seen[incident_id] = kept_lines.get(incident_id) or head
                yield head
        if top is not None:
            _save(results, generation, top, seen.values(), index)
        elif any(isinstance(item, Head) for item in seen.values()):
            _save(results, generation, "", {**index.by_id, **seen}.values(), index)  # for the folders alone
    finally:
        if results is not None:
            results.close()


def _look_up(
    tracker: Tracker,
    git: GitTree | None,
    results: Results | None,
    generation: str,
    index: _Index,
    ids: list[str],
    trees: dict[str, str | None],
) -> tuple[dict[str, Head], dict[str, str]]:
    """The heads of ``ids``, each folder's git tree id given where git holds it as the tracker shows it: from the index, kept, git, or files.

    Also the index lines of those taken from the index, to be kept again as they are.
    """
    indexed = {i: head for i, tree in trees.items() if tree and (head := index.head(i, tree)) is not None}
    keys = {i: cache.key(generation, HEADS, tree) for i, tree in trees.items() if tree and i not in indexed}
    kept = results.get(set(keys.values())) if results is not None else {}
    fresh: dict[str, str] = {}
    unread = [i for i in keys if keys[i] not in kept]
    read = _read_from_git(git, unread) if git is not None else {}
    found: dict[str, Head] = {}
    for incident_id in ids:
        key = keys.get(incident_id)
        tree = trees.get(incident_id) or ""
        if incident_id in indexed:
            head = indexed[incident_id]
        elif key is not None and key in kept:
            head = Head.load(incident_id, kept[key], tree)
        elif incident_id in read:
            head = read[incident_id]._replace(tree=tree)
            fresh[keys[incident_id]] = head.dump()
        else:
            head = scan(tracker, incident_id)  # changed on disk (or not a folder): indexed only with the whole tree
        found[incident_id] = head
    if results is not None:
        results.put(generation, fresh)
    return found, {i: index.by_id[i] for i in indexed}


def _since(
    tracker: Tracker,
    git: GitTree,
    results: Results | None,
    generation: str,
    index: _Index,
    top: str,
    changes: list[tuple[str, Entry | None]],
) -> Iterator[Head]:
    """Every head of a commit whose incidents/ tree is ``top``, from the index of an earlier tree and what changed since.

    Only the names the two trees hold differently are looked up, so a commit
    after the one indexed costs in proportion to what it changed, not to the
    history (no listing of incidents/).
    """
    found: dict[str, Head | str] = dict(index.by_id)
    trees: dict[str, str | None] = {}
    for name, entry in changes:
        if name.startswith("."):
            continue  # not an incident (layout_findings reports dot-names)
        if entry is None:
            found.pop(name, None)
        else:
            trees[name] = entry.ref if entry.kind == FOLDER and entry.ref else None
    changed, kept_lines = _look_up(tracker, git, results, generation, index, sorted(trees), trees)
    added = any(i not in found for i in changed)
    found.update({i: kept_lines.get(i) or head for i, head in changed.items()})
    if added:
        found = {i: found[i] for i in sorted(found)}
    for item in found.values():
        yield _parsed(item) if isinstance(item, str) else item
    _save(results, generation, top, found.values(), index)


def _top(tracker: Tracker, git: GitTree | None) -> str | None:
    """The git tree id of incidents/ when the tracker is read from a commit that holds exactly that folder; None otherwise.

    Only a commit's tree counts: in a checkout, what is on disk decides, and is
    looked at folder by folder.
    """
    if git is None or tracker.source is not git:
        return None
    return _committed(tracker, INCIDENTS_DIR)


def _folder_trees(git: GitTree) -> dict[str, str]:
    """The git tree id of each incident folder in the commit's incidents/, by name."""
    return {e.name: e.ref for e in git.listing(INCIDENTS_DIR) or [] if e.kind == FOLDER and e.ref}


class _Index:
    """Every head of one incidents/ tree, kept as one result: a run that finds that tree again reads nothing else.

    One line per incident (its id, its folder's tree id, its head); ``top`` is
    the tree id of the incidents/ folder they were all read from, "" when some
    were not (a checkout, a folder changed on disk, an id that cannot be written
    on a line), so that the index only serves folder by folder.

    The lines stay text until a head is asked for: a run holds one string per
    incident, not a parsed head (memory is what the index weighs on disk).
    """

    KIND = "heads-index"

    def __init__(self, top: str, lines: list[str]) -> None:
        self.top = top
        self.lines = lines

    @classmethod
    def load(cls, results: Results | None, generation: str) -> _Index:
        key = cache.key(generation, cls.KIND, "")
        text = results.get({key}).get(key, "") if results is not None else ""
        top, _, body = text.partition("\n")
        lines = body.split("\n") if body else []
        if any(line.count("\t") != _TABS for line in lines):
            return cls("", [])  # not what this code writes: as if nothing was kept
        return cls(top, lines)

    @cached_property
    def by_id(self) -> dict[str, str]:
        """Each incident's line, by id."""
        return {line[: line.index("\t")]: line for line in self.lines}

    def each(self) -> Iterator[Head]:
        """Every head, in the order kept (by id)."""
        return map(_parsed, self.lines)

    def head(self, incident_id: str, tree: str) -> Head | None:
        """The head kept for ``incident_id``'s folder when it was read from the tree ``tree``."""
        line = self.by_id.get(incident_id)
        if line is None or line.split("\t", 2)[1] != tree:
            return None
        return _parsed(line)


_TABS = 7  # fields on a line, less one


def _parsed(line: str) -> Head:
    incident_id, tree, stage, detected, declared, first, last, feed = line.split("\t")
    return Head(incident_id, stage or None, detected, declared, first, last, feed, tree)


def _line(head: Head) -> str | None:
    """The index line of a head; None when a field holds what would split a line or a field."""
    fields = (head.id, head.tree, head.stage or "", head.detected, head.declared, head.first, head.last, head.feed)
    return None if any(_UNWRITABLE.search(f) for f in fields) else "\t".join(fields)


def _save(results: Results | None, generation: str, top: str, found: Iterable[Head | str], before: _Index) -> None:
    """Keep the index of ``found`` (heads, or lines of ``before`` unchanged), unless it is ``before`` itself."""
    if results is None:
        return
    lines = []
    for item in found:
        line = item if isinstance(item, str) else _line(item)
        if line is None:
            top = ""  # this head is not kept: the index no longer holds the whole tree
            continue
        lines.append(line)
    if top == before.top and lines == before.lines:
        return
    results.put(generation, {cache.key(generation, _Index.KIND, ""): top + "\n" + "\n".join(lines)})


_UNWRITABLE = re.compile(r"[\t\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")  # what would split a line or a field


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
