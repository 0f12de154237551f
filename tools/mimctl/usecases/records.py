"""The machinery every use case shares: reading an incident, and writing an event plus edits as one Change."""

from __future__ import annotations

import copy
import re
import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .. import events
from ..formatting import file_stamp
from ..model import ABSENT, Incident, format_time, get_path
from ..sources import SourceError
from ..store import INCIDENT_FILE, INCIDENTS_DIR, PIR_FILE, TIMELINE_DIR, Tracker
from ..timing import Known, Unknown, When, known
from ..transaction import Change, Refused
from ..yamlio import dump_new, edit_file

SCHEMA_FROM_INCIDENT = "../../schemas/incident.schema.json"
SCHEMA_FROM_EVENT = "../../../schemas/event.schema.json"
SCHEMA_FROM_PIR = "../../schemas/pir.schema.json"


# --- where records live ------------------------------------------------------------


def incident_path(incident_id: str) -> str:
    """``incidents/INC-…/incident.yaml``, relative to the tracker."""
    return f"{INCIDENTS_DIR}/{incident_id}/{INCIDENT_FILE}"


def pir_path(incident_id: str) -> str:
    """``incidents/INC-…/pir.yaml``, relative to the tracker."""
    return f"{INCIDENTS_DIR}/{incident_id}/{PIR_FILE}"


def event_path(incident_id: str, at: When, kind: str) -> str:
    """A new timeline file: ``incidents/INC-…/timeline/<time>-<kind>-<6 hex>.yaml`` (the one place names are made)."""
    return f"{INCIDENTS_DIR}/{incident_id}/{TIMELINE_DIR}/{file_stamp(known(at).at)}-{kind}-{secrets.token_hex(3)}.yaml"


def new_short_id(prefix: str) -> str:
    """A containment action or hypothesis id: ``C-1a2b``, ``H-9f3c``."""
    return f"{prefix}-{secrets.token_hex(2)}"


# --- reading ---------------------------------------------------------------------------


def load_incident(tracker: Tracker, given_id: str) -> Incident:
    """The incident's model, or Refused with its findings if its records are invalid."""
    incident_id = tracker.resolve_incident_id(given_id)
    bundle = tracker.load_bundle(incident_id)
    if bundle.model is None:
        raise Refused(f"{incident_id} has invalid records; fix them first", bundle.findings)
    return bundle.model


@dataclass(frozen=True)
class Loaded:
    """Every incident whose records are valid, and the ids of those left out (``mimctl validate`` says why)."""

    incidents: tuple[Incident, ...]
    skipped: tuple[str, ...]


def valid_incidents(tracker: Tracker, only: Collection[str] | None = None) -> Loaded:
    """Load every incident folder (``only``: just these); the invalid ones are skipped, not fatal."""
    found: list[Incident] = []
    skipped: list[str] = []
    ids = tracker.incident_ids() if only is None else sorted(only)
    tracker.prefetch(ids)
    for incident_id in ids:
        model = tracker.load_bundle(incident_id).model
        if model is None:
            skipped.append(incident_id)
        else:
            found.append(model)
    return Loaded(tuple(found), tuple(skipped))


_WORD = re.compile(r"[A-Za-z0-9]+")


def words_of(value: str) -> tuple[str, ...]:
    """The runs of ASCII letters and digits in ``value``: a YAML file holding ``value`` holds each of them as written.

    YAML may quote a string, escape its other characters or fold it at a
    space, but never changes or splits such a run; so a file without one of
    them cannot hold ``value`` (unless written by hand with a letter escaped,
    like ``"\\x41"`` for ``A``, which no YAML writer does).
    """
    return tuple(_WORD.findall(value))


def read_mentioning(tracker: Tracker, path: str, kind: str, words: Sequence[str]) -> dict[str, Any] | None:
    """The record at ``path`` (read by the store) when its text holds every one of ``words``; None otherwise, or if it cannot be read.

    Finding the few records that mention something among many: the text is
    searched first, and only those that mention it are loaded.
    """
    try:
        text = tracker.source.read(path).decode("utf-8", "replace")
    except SourceError:
        return None
    if not all(word in text for word in words):
        return None
    document = tracker.read(tracker.root / path, kind).document
    return document.data if document is not None and isinstance(document.data, dict) else None


def preview(tracker: Tracker, change: Change) -> Incident | None:
    """The incident of ``change`` as it will be once the change is written (None: it would not be valid)."""
    if change.incident_id is None:
        return None
    view = tracker.with_overlay({tracker.root / path: text for path, text in change.writes.items()})
    return view.load_bundle(change.incident_id).model


# --- writing -----------------------------------------------------------------------------


def clean(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` without empty values (None, "", and empty lists and mappings): records leave them out."""
    return {k: v for k, v in data.items() if v not in (None, "", [], (), {})}


def place(when: When | Unknown, incident: Incident) -> Known:
    """A time for an event of ``incident``: as given, or, when unknown, placed after the events recorded so far.

    An unknown time is held at the latest time on the timeline (the declaration
    or detection when there is none), so the event lists after them; its
    precision stays ``unknown`` and no figure is measured from it.
    """
    if not isinstance(when, Unknown):
        return known(when)
    times = [e.at for e in incident.events] + [t.at for t in (incident.time("declared_at"), incident.time("detected_at")) if t is not None]
    return Known(max(times), "unknown")


def next_seq(incident: Incident | None) -> int:
    """The recording order of the next event on ``incident``'s timeline: one more than any so far (1 for a new incident)."""
    if incident is None:
        return 1
    return max(max((e.seq for e in incident.events), default=0), len(incident.events)) + 1


def event_text(at: When, kind: str, by: str | None, fields: Mapping[str, Any], seq: int | None = None) -> str:
    """A new timeline event file's text; the fields must belong to the kind (``events``).

    ``seq`` is its place in recording order (``model.event_order``): it orders
    events recorded for the same instant. A time not known to the second says
    how it is known under ``times.at`` (``timing``).
    """
    events.check_fields(kind, fields)
    when = known(at)
    note = when.note()
    data = clean({"at": format_time(when.at), "kind": kind, "by": by, "seq": seq, "times": {"at": note} if note else None, **fields})
    return dump_new(data, SCHEMA_FROM_EVENT)


def time_edits(data: Mapping[str, Any], edits: Mapping[str, Any]) -> dict[str, Any]:
    """``edits`` with every ``Known`` value written as a record time, and its note under ``times.<path>``.

    A time known to the second has no note; a stale note from an earlier, rougher value is removed.
    """
    out: dict[str, Any] = {}
    for path, value in edits.items():
        if not isinstance(value, Known):
            out[path] = value
            continue
        out[path] = format_time(value.at)
        note = value.note()
        if note is not None or get_path(data.get("times") or {}, path) is not ABSENT:
            out[f"times.{path}"] = note
    return out


def set_path(data: Any, dotted: str, value: Any) -> None:
    """Set ``a.b.c`` in nested mappings, creating the missing ones; None removes the key."""
    parts = dotted.split(".")
    for part in parts[:-1]:
        if part not in data or not isinstance(data[part], dict):
            data[part] = {}
        data = data[part]
    if value is None:
        data.pop(parts[-1], None)
    else:
        data[parts[-1]] = value


def prune(data: Any, dotted: str) -> None:
    """Remove the mapping at ``a.b`` and each one above it that is left empty."""
    parts = dotted.split(".")
    while parts:
        trail = [data]
        for part in parts[:-1]:
            inner = trail[-1].get(part) if isinstance(trail[-1], dict) else None
            if not isinstance(inner, dict):
                return
            trail.append(inner)
        if trail[-1].get(parts[-1]) != {}:
            return
        trail[-1].pop(parts[-1])
        parts = parts[:-1]


def record(
    tracker: Tracker,
    incident: Incident,
    kind: str,
    at: When,
    by: str | None,
    subject: str,
    fields: Mapping[str, Any] | None = None,
    edits: Mapping[str, Any] | None = None,
    trailers: Mapping[str, str] | None = None,
    summary: Mapping[str, object] | None = None,
) -> Change:
    """An event on the timeline plus edits to incident.yaml (dotted path -> value; None removes), as one change.

    A ``Known`` value in ``edits`` is a time: it is written with how it is known (``time_edits``).
    """
    writes: dict[str, str] = {}
    edits = time_edits(incident.data, edits or {})
    if edits:
        path = incident_path(incident.id)

        def change(data: Any) -> None:
            for dotted, value in edits.items():
                set_path(data, dotted, value)
                if value is None and dotted.startswith("times."):
                    prune(data, dotted.rsplit(".", 1)[0])

        writes[path] = edit_file(tracker.root / path, change, path)  # as stored: CRLF, a BOM stay
    # The event carries the values it set, so the incident as of any moment is a replay (Incident.as_of).
    # A copy: a value shared with the event's own fields would be written as a YAML alias.
    sets = copy.deepcopy(
        {p: v for p, v in (edits or {}).items() if p != "stage" and (v is not None or get_path(incident.data, p) is not ABSENT)}
    )
    writes[event_path(incident.id, at, kind)] = event_text(at, kind, by, {**(fields or {}), "sets": sets}, next_seq(incident))
    return Change(
        incident.id,
        writes,
        f"{incident.id}: {subject}",
        trailers={"Incident": incident.id, "Stage": incident.stage, "Event": kind, **(trailers or {})},
        summary=dict(summary or {}),
    )


def add_event(
    change: Change, incident_id: str, at: When, kind: str, by: str | None, fields: Mapping[str, Any], incident: Incident | None = None
) -> str:
    """Add one more timeline event to ``change`` (several events in one commit); its path.

    It is recorded after the events already in the change and, when given, after ``incident``'s own.
    """
    path = event_path(incident_id, at, kind)
    written = sum(1 for p in change.writes if f"/{TIMELINE_DIR}/" in p)  # each has the next seq after the incident's own
    change.writes[path] = event_text(at, kind, by, fields, next_seq(incident) + written)
    return path
