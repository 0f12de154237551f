"""How figures and times read, one way everywhere: durations, command-line times, file stamps, CSV.

Pure functions, no I/O. Record times themselves (``2026-11-27T08:35:00Z``) are
``model.format_time``/``model.parse_time``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timezone

# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def duration(seconds: float | None, missing: str = "-") -> str:
    """``2d 03h``, ``1h 05m`` or ``7m`` (to the nearest minute); ``missing`` when there is no figure."""
    if seconds is None:
        return missing
    minutes = round(max(0.0, seconds) / 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h"
    return f"{hours}h {mins:02d}m" if hours else f"{mins}m"


def now() -> datetime:
    """The current time in UTC, to the second (as records keep it)."""
    return datetime.now(timezone.utc).replace(microsecond=0)


def parse_moment(text: str) -> datetime:
    """A time as people type it: RFC 3339, seconds and zone optional (UTC), or ``now``; ValueError otherwise."""
    text = text.strip()
    if text.lower() == "now":
        return now()
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(microsecond=0)


def parse_day(text: str | None) -> date:
    """A ``YYYY-MM-DD`` date, or today (local) when none is given; ValueError otherwise."""
    return date.fromisoformat(text) if text else datetime.now().date()


def file_stamp(moment: datetime) -> str:
    """``20261127T083500Z``: UTC in ISO 8601's basic form, as timeline file names begin (they sort by time) and iCalendar writes times."""
    utc = moment.astimezone(timezone.utc)
    return f"{utc.year:04d}{utc:%m%dT%H%M%S}Z"  # strftime's %Y drops the zeros of a year before 1000


def csv_cell(value: object) -> object:
    """A value safe in a spreadsheet: text that would run as a formula gets a leading apostrophe.

    Numbers stay numbers (a negative number is not a formula); None is an empty cell.
    """
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV (RFC 4180 quoting, ``\\n`` line ends) with every cell made formula-safe; no final newline."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([csv_cell(h) for h in header])
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return out.getvalue().rstrip("\n")
