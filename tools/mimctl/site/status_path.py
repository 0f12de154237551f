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

A head that cannot be read that simply (quoted oddly, missing) makes the
incident a candidate: the strict loader then decides. The result says the same
as a full build (tests/test_status_path.py compares them).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ..formatting import file_stamp
from ..model import parse_time
from ..store import INCIDENT_FILE, TIMELINE_DIR, Tracker
from .data import SiteData, collect, views
from .feeds import MAX_ENTRIES
from .state import HISTORY_DAYS
from .statusapi import MAX_RECORDS

_HEAD = re.compile(r"^(stage|detected_at|declared_at):[ \t]*['\"]?([^'\"#\s]+)['\"]?[ \t]*(?:#.*)?$", re.MULTILINE)
_STAMP = re.compile(r"^([0-9]{8}T[0-9]{6}Z)-([a-z-]+?)-[0-9a-f]+\.yaml$")
_FEED_KINDS = ("stakeholder-update", "stage", "declared")
RECENT_DAYS = 7  # incidents changed this recently get their page rebuilt on the status path
RECENT_ON_HOME = 10  # the status home's past incidents (status_page.RECENT)


@dataclass
class Head:
    """What the cheap scan learnt of one incident folder."""

    id: str
    stage: str | None
    detected: str
    declared: str
    first: str  # earliest timeline stamp (YYYYMMDDTHHMMSSZ), "" if none
    last: str
    feed: str  # newest stamp of an event the feeds may show


def _iso_stamp(value: str) -> str:
    try:
        return file_stamp(parse_time(value))
    except ValueError:
        return ""


def scan(tracker: Tracker, incident_id: str) -> Head:
    folder = tracker.incident_dir(incident_id)
    values: dict[str, list[str]] = {}
    try:
        with open(folder / INCIDENT_FILE, encoding="utf-8", errors="replace") as handle:
            head = handle.read(16384)
    except OSError:
        head = ""
    for key, value in _HEAD.findall(head):
        values.setdefault(key, []).append(value)
    stages = values.get("stage", [])
    stamps: list[tuple[str, str]] = []
    try:
        with os.scandir(folder / TIMELINE_DIR) as entries:
            for entry in entries:
                match = _STAMP.match(entry.name)
                if match:
                    stamps.append((match.group(1), match.group(2)))
    except OSError:
        pass
    stamps.sort()
    feed = [s for s, kind in stamps if kind in _FEED_KINDS]
    return Head(
        incident_id,
        stages[0] if len(stages) == 1 else None,
        _iso_stamp(values["detected_at"][0]) if len(values.get("detected_at", [])) == 1 else "",
        _iso_stamp(values["declared_at"][0]) if len(values.get("declared_at", [])) == 1 else "",
        stamps[0][0] if stamps else "",
        stamps[-1][0] if stamps else "",
        feed[-1] if feed else "",
    )


def candidates(tracker: Tracker, now: datetime) -> tuple[list[Head], set[str]]:
    """Every incident's head, and the ids that must be loaded in full for the status pages (before the feeds)."""
    process = tracker.process
    ids = process.stage_ids
    open_stages = {s for s in ids if not process.reached_closing(s)}
    window = file_stamp(now - timedelta(days=HISTORY_DAYS + 1))
    heads = [scan(tracker, incident_id) for incident_id in tracker.incident_ids()]
    chosen = {
        h.id
        for h in heads
        if h.stage is None or h.stage in open_stages or h.stage not in ids or not h.detected or not h.declared or h.last >= window
    }
    for key in ("detected", "declared", "first"):
        chosen.update(h.id for h in sorted(heads, key=lambda h: (getattr(h, key), h.id), reverse=True)[:MAX_RECORDS])
    return heads, chosen


def collect_status(tracker: Tracker, edition: str, now: datetime | None = None, site_url: str = "") -> SiteData:
    """The records the status path shows: the incidents the status pages need, every maintenance and known error."""
    now = now or datetime.now(timezone.utc)
    heads, chosen = candidates(tracker, now)
    site = collect(tracker, edition, now=now, site_url=site_url, incident_ids=sorted(chosen))
    incidents = list(site.incidents)
    skipped = list(site.skipped)
    # The feeds: take incidents by their newest feed-worthy event until the newest entries are settled.
    catalog = tracker.catalog
    known = {k.id for k in site.known_errors}
    times: list[datetime] = sorted((u.at for s in site.state.incidents.values() for u in s.updates), reverse=True)
    for head in sorted((h for h in heads if h.id not in chosen and h.feed), key=lambda h: (h.feed, h.id), reverse=True):
        if len(times) >= MAX_ENTRIES and head.feed < file_stamp(times[MAX_ENTRIES - 1]):
            break
        found, invalid = views(tracker, [head.id], edition, catalog, known)
        skipped += invalid
        if found:
            incidents += found
            extra = SiteData(edition, site.process, site.catalog, tuple(found), site.known_errors, now)
            times = sorted([*times, *(u.at for s in extra.state.incidents.values() for u in s.updates)], reverse=True)
    # Pages: the unresolved incidents, those on the status home, and those changed lately (one just
    # closed, say); the full build that follows writes the rest. Their related incidents are loaded
    # too, for the links only.
    recent = file_stamp(now - timedelta(days=RECENT_DAYS))
    changed = {h.id for h in heads if h.last >= recent}
    loaded = SiteData(site.edition, site.process, site.catalog, tuple(incidents), site.known_errors, now, maintenances=site.maintenances)
    home = sorted((s.incident for s in loaded.state.incidents.values() if not s.unresolved), key=lambda i: (i.data["detected_at"], i.id))
    paged = frozenset(
        {s.incident.id for s in loaded.state.unresolved()} | {i.id for i in home[-RECENT_ON_HOME:]} | (changed & {i.id for i in incidents})
    )
    related = sorted({r for i in incidents if i.id in paged for r in i.data.get("related_incidents", ())} - {i.id for i in incidents})
    found, invalid = views(tracker, [r for r in related if tracker.incident_dir(r).is_dir()], edition, catalog, known)
    incidents += found
    skipped += invalid
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
