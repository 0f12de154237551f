"""Times as they are known: to the second, the minute or the day, about so, or not at all. Pure, no I/O.

A record keeps every time as a full RFC 3339 string, so every reader can sort
and compare it; how well that time is known is a note beside it, under
``times`` (in incident.yaml by the field's path, in an event for its ``at``)::

    detected_at: '2026-11-27T08:30:00Z'
    times:
      detected_at: minute                                  # a precision word ...
      resolution:
        service_restored_at: {precision: minute, margin_minutes: 15}   # ... or a note

- **exact** (no note): to the second, as recorded.
- **minute**: the minute is known, not the second (``--at 08:30Z``).
- **day**: only the date (``--at 2026-11-27``); the record holds 00:00 UTC of it.
- **unknown**: no time is known. The record holds where the time is placed (an
  event after the latest one recorded before it; an unknown detection at the
  declaration, the latest it can have been); nothing is measured from it.
- **approximate** (``~08:30Z``, ``about 08:30Z``, ``08:30Z±15m``): as
  published, "about"; with a margin when one is given.

Metrics from a day-precision or approximate time are marked approximate;
those from an unknown time are left out (``milestones``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from .formatting import now as clock
from .formatting import parse_moment

Precision = Literal["exact", "minute", "day", "unknown"]
PRECISIONS: tuple[Precision, ...] = ("exact", "minute", "day", "unknown")
_SPAN = {
    "exact": timedelta(0),
    "minute": timedelta(seconds=59),
    "day": timedelta(hours=23, minutes=59, seconds=59),
    "unknown": timedelta(0),
}
_MARGIN = re.compile(r"\s*(?:±|\+-|\+/-)\s*([0-9]{1,6})\s*(m|min|minutes?|h|hours?|d|days?)?\s*\Z", re.IGNORECASE)
_ABOUT = re.compile(r"\A\s*(?:~|about\s+|approx(?:imately)?\.?\s+|ca\.?\s+|circa\s+)", re.IGNORECASE)
_DAY = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_SECONDS = re.compile(r"[T ][0-9]{2}:[0-9]{2}:[0-9]{2}")
_UNIT_MINUTES = {"m": 1, "h": 60, "d": 1440}


@dataclass(frozen=True)
class Known:
    """A moment as the records know it: ``at`` (what the record holds), its precision, and whether it is approximate."""

    at: datetime
    precision: Precision = "exact"
    approximate: bool = False
    margin_minutes: int | None = None  # ± this much (implies approximate)

    @property
    def unknown(self) -> bool:
        return self.precision == "unknown"

    @property
    def rough(self) -> bool:
        """Not good to the minute: approximate, or known to the day only (a figure from it is approximate)."""
        return self.approximate or self.margin_minutes is not None or self.precision == "day"

    @property
    def earliest(self) -> datetime:
        """The earliest it can have been (``at`` when nothing bounds it; for unknown times, ``at`` too)."""
        return self.at - timedelta(minutes=self.margin_minutes or 0)

    @property
    def latest(self) -> datetime:
        """The latest it can have been: the end of its minute or day, plus the margin."""
        return self.at + _SPAN[self.precision] + timedelta(minutes=self.margin_minutes or 0)

    @property
    def bounded(self) -> bool:
        """Whether ``earliest``..``latest`` really bound it (not for "about" without a margin, nor unknown)."""
        return not self.unknown and (self.margin_minutes is not None or not self.approximate)

    def note(self) -> str | dict[str, Any] | None:
        """What a record keeps under ``times`` for it: None when exact, a precision word, or a mapping."""
        if self.precision == "exact" and not self.approximate and self.margin_minutes is None:
            return None
        if not self.approximate and self.margin_minutes is None:
            return self.precision
        note: dict[str, Any] = {"precision": self.precision}
        if self.margin_minutes is not None:
            note["margin_minutes"] = self.margin_minutes
        else:
            note["approximate"] = True
        return note

    def placed(self, at: datetime) -> Known:
        """The same knowledge, held at ``at`` (where an unknown time is put on the timeline)."""
        return replace(self, at=at)

    def text(self) -> str:
        """As people read it: ``2026-11-27 08:30:15 UTC``, ``about 2026-11-27 08:30 UTC``, ``2026-11-27 (day)``, ``unknown``."""
        if self.unknown:
            return "unknown"
        moment = self.at.astimezone(timezone.utc)
        day = moment.date().isoformat()  # four-digit years (strftime's %Y drops the zeros before 1000)
        shown = {
            "exact": f"{day} {moment:%H:%M:%S} UTC",
            "minute": f"{day} {moment:%H:%M} UTC",
            "day": f"{day} (day)",
        }[self.precision]
        if self.margin_minutes is not None:
            return f"{shown} ± {margin_text(self.margin_minutes)}"
        return f"about {shown}" if self.approximate else shown

    def as_dict(self) -> dict[str, Any]:
        """For JSON output: the time held, its precision, whether approximate, its margin and how it reads."""
        return {
            "at": None if self.unknown else format_time(self.at),
            "placed_at": format_time(self.at) if self.unknown else None,
            "precision": self.precision,
            "approximate": self.rough,
            "margin_minutes": self.margin_minutes,
            "text": self.text(),
        }


class Unknown:
    """``--at unknown``: no time is known; the command places the event (``Known.placed``)."""

    def __repr__(self) -> str:
        return "UNKNOWN_TIME"


UNKNOWN_TIME = Unknown()
When = datetime | Known  # what use cases take as a time: a plain datetime is exact


def known(value: When) -> Known:
    """``value`` as a ``Known`` (a datetime is an exact time)."""
    return value if isinstance(value, Known) else Known(value)


def format_time(moment: datetime) -> str:
    """The canonical record form, ``YYYY-MM-DDTHH:MM:SSZ`` (as ``model.format_time``)."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"  # four-digit years, as RFC 3339


def margin_text(minutes: int) -> str:
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def parse(text: str) -> Known | Unknown:
    """A time as people type it, with what they know of it; ValueError otherwise.

    ``now``; ``unknown``; ``2026-11-27`` (the day); ``2026-11-27T08:30Z`` (the
    minute); ``2026-11-27T08:30:15Z`` (exact); with ``~`` or ``about`` in front
    (approximate) or ``±15m``/``+-2h`` behind (approximate, within the margin).
    A missing zone means UTC.
    """
    raw = text.strip()
    if raw.lower() == "unknown":
        return UNKNOWN_TIME
    approximate = False
    margin: int | None = None
    about = _ABOUT.match(raw)
    if about:
        approximate, raw = True, raw[about.end() :]
    found = _MARGIN.search(raw)
    if found:
        unit = (found.group(2) or "m")[0].lower()
        margin, raw = int(found.group(1)) * _UNIT_MINUTES[unit], raw[: found.start()]
        if margin == 0:
            margin = None
        else:
            approximate = False  # a margin says more than "about"
    raw = raw.strip()
    if raw.lower() == "now":
        return Known(clock(), "exact", approximate, margin)
    if _DAY.match(raw):
        day = datetime.fromisoformat(raw).replace(tzinfo=timezone.utc)
        return Known(day, "day", approximate, margin)
    moment = parse_moment(raw)
    precision: Precision = "exact" if _SECONDS.search(raw) else "minute"
    return Known(moment, precision, approximate, margin)


def from_note(at: datetime, note: Any) -> Known:
    """The ``Known`` of a record's time ``at`` and its ``times`` note (None: exact)."""
    if isinstance(note, str) and note in PRECISIONS:
        return Known(at, note)
    if isinstance(note, Mapping):
        precision = note.get("precision", "exact")
        margin = note.get("margin_minutes")
        return Known(
            at,
            precision if precision in PRECISIONS else "exact",
            bool(note.get("approximate", False)),
            margin if isinstance(margin, int) and not isinstance(margin, bool) and margin > 0 else None,
        )
    return Known(at)


def before(a: Known, b: Known) -> bool:
    """Whether ``a`` was certainly before ``b``: its latest possible time before ``b``'s earliest (unknown or unbounded: no)."""
    if not (a.bounded and b.bounded):
        return False
    return a.latest < b.earliest
