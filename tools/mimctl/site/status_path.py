"""The status path: which incidents the status home, the API and the feeds need, found without loading the history.

A full build reads every record. The status path reads, for each incident,
only the head of incident.yaml (its ``stage:``, ``detected_at:`` and
``declared_at:`` lines) and the names of its timeline files (each starts with
the event's time and kind), then loads in full just the incidents that can
show on the status pages:

- every incident not yet closed (it may be unresolved);
- every incident with an event in the history bars' window (90 days);
- the most recent ones by detection and by declaration (the past-incidents
  table and ``incidents.json``'s 50);
- incidents in order of their newest update, stage change or declaration,
  until the feeds' newest entries are certain;
- and, for their links only, the incidents those pages name as related.

Of those, the status path writes the pages of the unresolved incidents, of
the past incidents on the status home and of incidents changed in the last
week; the full build that follows writes the others.

Heads come from heads.py: kept between runs by the git id of each folder,
and from a commit as one index under the incidents' folder id, so a second
run reads one kept result and nothing else of the history; only the few
candidates are kept as heads stream past.

The feeds take incidents in order of their newest feed entry. A head only
bounds it from above (the newest stage change or update file, though a stage
change after the incident closed, or an internal update, makes no public
entry), so an incident once loaded has its newest entry kept, under its
folder's tree id, the edition, the rules and mimctl's digest: the next run
orders by that instead of the bound, and loads about as many incidents as
the feeds show rather than every one closed since the newest entries.

A head that cannot be read that simply (quoted oddly, missing) makes the
incident a candidate: the strict loader then decides. The result says the same
as a full build (tests/test_status_path.py compares them).

Laid over a full build, the status path also takes off the pages of records
that edition no longer shows (``withdrawn``): an incident made internal or
security-sensitive, deleted or renumbered, a known error or maintenance made
internal. Whether an incident is shown is kept like its newest feed entry (""
for not shown), by its folder's tree id, so only the pages of folders changed
since a run saw them are loaded to decide.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from .. import cache, publication
from .. import maintenance as maintenance_records
from ..cache import Results
from ..formatting import file_stamp
from ..heads import Head, heads
from ..sources import FOLDER
from ..store import CATALOG_FILE, INCIDENTS_DIR, KEDB_DIR, PROCESS_FILE, Tracker
from . import layout
from .data import SiteData, collect, views
from .feeds import MAX_ENTRIES
from .state import HISTORY_DAYS
from .statusapi import MAX_RECORDS

RECENT_DAYS = 7  # incidents changed this recently get their page rebuilt on the status path
RECENT_ON_HOME = 10  # the status home's past incidents (status_page.RECENT)
FEED_RESERVE = 4 * MAX_ENTRIES  # heads kept in feed order before a second pass is needed
READ_AHEAD = 50  # incidents in feed order listed together, ahead of loading them one by one
FEED_TIMES = "feed-times"  # the kind of result kept: each loaded incident's newest feed entry, by folder tree id
KNOWN_ERROR_PAGES = "known-error-pages"  # the kind of result kept: the pages of the known errors an edition shows, with kedb/'s id


class FeedTimes:
    """Each incident's newest feed entry (a stamp, "" for none) as a build of one edition found it, by folder tree id."""

    def __init__(self, tracker: Tracker, edition: str) -> None:
        self.results = Results.for_tracker(tracker.source)
        # Filed under the rules as git holds them: a rule file changed on disk (no version) means nothing is kept.
        process = tracker.rules.version(PROCESS_FILE)
        catalog = tracker.rules.version(CATALOG_FILE) if tracker.has_catalog() else "no catalog"
        kept = process is not None and catalog is not None
        self.generation = cache.generation([FEED_TIMES, edition, process or "", catalog or ""])
        self.key = cache.key(self.generation, FEED_TIMES, "") if kept else None
        text = self.results.get({self.key}).get(self.key, "") if self.results is not None and self.key else ""
        self.kept = dict(line.split("\t", 1) for line in text.splitlines() if "\t" in line)
        self.learnt: dict[str, str] = {}

    def of(self, head: Head) -> str:
        """The newest feed entry of ``head``'s incident if known, else the head's bound on it."""
        return self.kept.get(head.tree, head.feed) if head.tree else head.feed

    def learn(self, head: Head, newest: str) -> None:
        if head.tree and self.kept.get(head.tree) != newest:
            self.learnt[head.tree] = newest

    def shown(self, head: Head) -> bool | None:
        """Whether a build of this edition showed ``head``'s incident at its folder's tree; None when no build kept that."""
        newest = self.kept.get(head.tree) if head.tree else None
        return None if newest is None else newest != ""

    def save(self, trees: set[str] | None = None) -> None:
        """Keep what was learnt, for the folders of this tree only (the others have changed or gone); None: every kept one."""
        if self.results is None or self.key is None:
            return
        trees = trees if trees is not None else {*self.kept, *self.learnt}
        try:
            if self.learnt or not trees.issuperset(self.kept):
                merged = {t: v for t, v in {**self.kept, **self.learnt}.items() if t in trees}
                self.results.put(self.generation, {self.key: "\n".join(f"{t}\t{v}" for t, v in merged.items())})
        finally:
            self.results.close()


@dataclass
class Candidates:
    """What the heads say the status pages need: the incidents to load, the recently changed ones, and the rest in feed order."""

    chosen: set[str]
    changed: set[str]
    feed_order: Iterator[Head]  # the heads not chosen, newest feed entry first
    heads: dict[str, Head]  # of the chosen incidents
    trees: set[str]  # every incident folder's tree id (where known)


def candidates(tracker: Tracker, now: datetime, feed_times: FeedTimes) -> Candidates:
    """The ids that must be loaded in full for the status pages (before the feeds), from one pass over the heads."""
    process = tracker.process
    ids = process.stage_ids
    open_stages = {s for s in ids if not process.reached_closing(s)}
    window = file_stamp(now - timedelta(days=HISTORY_DAYS + 1))
    recent = file_stamp(now - timedelta(days=RECENT_DAYS))
    chosen: set[str] = set()
    changed: set[str] = set()
    trees: set[str] = set()
    kept: dict[str, Head] = {}
    tops: dict[str, list[tuple[str, str, Head]]] = {"detected": [], "declared": [], "first": []}
    feeds: list[tuple[str, str, Head]] = []
    for h in heads(tracker):
        trees.add(h.tree)
        if h.stage is None or h.stage in open_stages or h.stage not in ids or not h.detected or not h.declared or h.last >= window:
            chosen.add(h.id)
        if h.last >= recent:
            changed.add(h.id)
        for key, heap in tops.items():
            _keep_top(heap, (getattr(h, key), h.id, h), MAX_RECORDS)
        if feed := feed_times.of(h):
            _keep_top(feeds, (feed, h.id, h), FEED_RESERVE)
        if h.id in chosen:
            kept[h.id] = h
    for heap in tops.values():
        for _, incident_id, h in heap:
            chosen.add(incident_id)
            kept[incident_id] = h  # its newest feed entry is learnt too
    return Candidates(chosen, changed, _feed_order(tracker, feeds, chosen, feed_times), kept, trees)


def _keep_top(heap: list[Any], item: Any, size: int) -> None:
    if len(heap) < size:
        heapq.heappush(heap, item)
    elif item > heap[0]:
        heapq.heapreplace(heap, item)


def _feed_order(tracker: Tracker, reserve: list[tuple[str, str, Head]], chosen: set[str], feed_times: FeedTimes) -> Iterator[Head]:
    """Heads not chosen, newest feed entry first; past the reserve, another pass over the heads gives the next ones."""
    page = sorted(reserve, reverse=True)
    while page:
        yield from (head for _, incident_id, head in page if incident_id not in chosen)
        if len(page) < FEED_RESERVE:
            return
        floor = page[-1][:2]
        following: list[tuple[str, str, Head]] = []
        for h in heads(tracker):
            if (feed := feed_times.of(h)) and (feed, h.id) < floor:
                _keep_top(following, (feed, h.id, h), FEED_RESERVE)
        page = sorted(following, reverse=True)


def _listed_ahead(tracker: Tracker, order: Iterator[Head], page: int = READ_AHEAD) -> Iterator[Head]:
    """``order`` as it is, each ``page`` of incidents listed (and in a partial clone fetched) together before the first is loaded."""
    while batch := list(itertools.islice(order, page)):
        tracker.read_ahead([h.id for h in batch])
        yield from batch


def collect_status(tracker: Tracker, edition: str, now: datetime | None = None, site_url: str = "") -> SiteData:
    """The records the status path shows: the incidents the status pages need, every maintenance and known error."""
    now = now or datetime.now(timezone.utc)
    feed_times = FeedTimes(tracker, edition)
    found = candidates(tracker, now, feed_times)
    loaded_heads = dict(found.heads)
    chosen = found.chosen
    site = collect(tracker, edition, now=now, site_url=site_url, incident_ids=sorted(chosen))
    incidents = list(site.incidents)
    skipped = list(site.skipped)
    # The feeds: take incidents by their newest feed-worthy event until the newest entries are settled.
    catalog = tracker.catalog
    known = {k.id for k in site.known_errors}
    times: list[datetime] = sorted((u.at for s in site.state.incidents.values() for u in s.updates), reverse=True)
    for head in _listed_ahead(tracker, found.feed_order):
        if len(times) >= MAX_ENTRIES and feed_times.of(head) < file_stamp(times[MAX_ENTRIES - 1]):
            break
        loaded_heads[head.id] = head
        shown, invalid = views(tracker, [head.id], edition, catalog, known)
        skipped += invalid
        if shown:
            incidents += shown
            extra = SiteData(edition, site.process, site.catalog, tuple(shown), site.known_errors, now)
            times = sorted([*times, *(u.at for s in extra.state.incidents.values() for u in s.updates)], reverse=True)
    # Pages: the unresolved incidents, those on the status home, and those changed lately (one just
    # closed, say); the full build that follows writes the rest. Their related incidents are loaded
    # too, for the links only.
    loaded = SiteData(site.edition, site.process, site.catalog, tuple(incidents), site.known_errors, now, maintenances=site.maintenances)
    home = sorted((s.incident for s in loaded.state.incidents.values() if not s.unresolved), key=lambda i: (i.data["detected_at"], i.id))
    paged = frozenset(
        {s.incident.id for s in loaded.state.unresolved()}
        | {i.id for i in home[-RECENT_ON_HOME:]}
        | (found.changed & {i.id for i in incidents})
    )
    related = sorted({r for i in incidents if i.id in paged for r in i.data.get("related_incidents", ())} - {i.id for i in incidents})
    present = [r for r in related if (e := tracker.source.entry(f"{INCIDENTS_DIR}/{r}")) is not None and e.kind == FOLDER]
    shown, invalid = views(tracker, present, edition, catalog, known)
    incidents += shown
    skipped += invalid
    for incident_id, head in loaded_heads.items():
        state = loaded.state.incidents.get(incident_id)
        feed_times.learn(head, file_stamp(max(u.at for u in state.updates)) if state is not None else "")
    feed_times.save(found.trees)
    return SiteData(
        edition=site.edition,
        process=site.process,
        catalog=site.catalog,
        incidents=tuple(sorted(incidents, key=lambda i: i.id)),
        known_errors=site.known_errors,
        now=now,
        skipped=tuple(skipped),
        maintenances=site.maintenances,
        site_url=site_url,
        complete=False,
        pages=paged,
    )


# --- pages a full build left that this edition no longer shows ---------------------------------


def withdrawn(tracker: Tracker, edition: str, pages: set[str]) -> set[str]:
    """Of ``pages`` (a full build's record pages, as site paths: ``incidents/INC-0002.html``), those whose record ``edition`` no longer shows.

    An incident's page and its review go when no folder of that id is left, or
    when the edition does not show the incident (not public, security-sensitive,
    invalid): decided by what an earlier run kept for the folder's tree id, or
    by loading it. Known errors' and maintenance pages go when the edition does
    not show that record: the known errors shown are kept with the kedb/
    folder's id, the maintenance (a few records) is loaded.
    """
    if not pages:
        return set()
    feed_times = FeedTimes(tracker, edition)
    catalog = tracker.catalog
    named: dict[str, list[str]] = {}  # the id each incident or review page is named after (page names are ids)
    for page in pages:
        if page.startswith(("incidents/", "reviews/")):
            named.setdefault(page.partition("/")[2].removesuffix(".html"), []).append(page)
    by_page: dict[str, Head] = {}
    for head in heads(tracker):
        if head.id in named:
            ours = {layout.built(layout.incident_page(head.id)), layout.built(layout.review_page(head.id))}
            by_page.update({page: head for page in named[head.id] if page in ours})
    undecided = {h.id: h for h in by_page.values() if feed_times.shown(h) is None}
    shown_now, _ = views(tracker, sorted(undecided), edition, catalog)
    visible = {i.id for i in shown_now}
    loaded = SiteData(edition, tracker.process, catalog, tuple(shown_now), (), datetime.now(timezone.utc))
    for incident_id, head in undecided.items():  # kept as collect_status keeps what it loads: the next run loads none of them
        state = loaded.state.incidents.get(incident_id)
        feed_times.learn(head, file_stamp(max(u.at for u in state.updates)) if state is not None else "")
    gone = {p for p in pages if p.startswith(("incidents/", "reviews/")) and p not in by_page}
    gone |= {p for p, h in by_page.items() if not (h.id in visible if h.id in undecided else feed_times.shown(h))}
    if any(p.startswith("kedb/") for p in pages):
        kept = _known_error_pages(tracker, edition, feed_times)
        gone |= {p for p in pages if p.startswith("kedb/") and p not in kept}
    if any(p.startswith("maintenance/") for p in pages):
        _, maintenances = maintenance_records.load(tracker)
        kept = {
            layout.built(layout.maintenance_page(m.id))
            for m in maintenances
            if edition != publication.PUBLIC or publication.maintenance_published(m.data)
        }
        gone |= {p for p in pages if p.startswith("maintenance/") and p not in kept}
    feed_times.save()  # and closes the kept results
    return gone


def _known_error_pages(tracker: Tracker, edition: str, feed_times: FeedTimes) -> set[str]:
    """The pages of the known errors ``edition`` shows, kept with the version of the kedb/ folder they were found in (the last one only)."""
    version = tracker.source.version(KEDB_DIR)
    results = feed_times.results
    key = cache.key(feed_times.generation, KNOWN_ERROR_PAGES, "") if version and results is not None and feed_times.key else None
    if key is not None and results is not None:
        kept_version, _, kept = results.get({key}).get(key, "").partition("\n")
        if kept_version == version:
            return set(kept.split("\n")) - {""}
    _, known_errors = tracker.load_known_errors()
    catalog = tracker.catalog
    shown = {
        layout.built(layout.known_error_page(k.id)) for k in known_errors if publication.known_error_view(k, catalog, edition) is not None
    }
    if key is not None and results is not None:
        results.put(feed_times.generation, {key: "\n".join([version or "", *sorted(shown)])})
    return shown
