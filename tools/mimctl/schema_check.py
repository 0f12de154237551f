"""Schema validation of loaded records; the only module that imports jsonschema."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from .findings import Finding, dotted
from .yamlio import Document

PACKAGED_SCHEMAS = Path(__file__).parent / "schemas"


def schema_dir(root: Path | None) -> Path:
    """The schemas records are judged by: always this mimctl's (a tracker's schemas/ copy only serves editors)."""
    return PACKAGED_SCHEMAS


# The one date-time rule, for jsonschema and jsonschema-rs alike: RFC 3339 with
# seconds and a zone, as the schemas' pattern writes it, and only moments that
# Python's datetime can hold in UTC (no leap second, no year 0, nothing that
# an offset pushes past 0001-01-01 or 9999-12-31). Python's own parsers differ
# between versions and accept forms RFC 3339 does not; this does not.
_DATE_TIME = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})T(?P<h>[0-9]{2}):(?P<m>[0-9]{2}):(?P<s>[0-9]{2})"
    r"(?:\.(?P<frac>[0-9]{1,6}))?(?:Z|(?P<sign>[+-])(?P<oh>[0-9]{2}):(?P<om>[0-9]{2}))\Z"
)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
DATE_TIME_HINT = "RFC 3339 with seconds and a zone, e.g. 2026-11-27T08:35:00Z, between the years 0001 and 9999 in UTC"


def parse_datetime(value: str) -> datetime | None:
    """``value`` as an aware UTC datetime if it is a date-time records may hold, else None."""
    match = _DATE_TIME.match(value)
    if match is None:
        return None
    day = parse_date(match["date"])
    hour, minute, second = int(match["h"]), int(match["m"]), int(match["s"])
    if day is None or hour > 23 or minute > 59 or second > 59:
        return None
    offset = timedelta(0)
    if match["sign"]:
        hours, minutes = int(match["oh"]), int(match["om"])
        if hours > 23 or minutes > 59:
            return None
        offset = (1 if match["sign"] == "+" else -1) * timedelta(hours=hours, minutes=minutes)
    micro = int((match["frac"] or "0").ljust(6, "0"))
    try:
        local = datetime(day.year, day.month, day.day, hour, minute, second, micro, tzinfo=timezone(offset))
        return local.astimezone(timezone.utc)
    except (OverflowError, ValueError):  # an offset pushed it out of years 1..9999
        return None


def parse_date(value: str) -> date | None:
    """``value`` (YYYY-MM-DD, a real day of the years 0001 to 9999) as a date, else None."""
    if not _DATE.match(value):
        return None
    try:
        return date(int(value[:4]), int(value[5:7]), int(value[8:]))
    except ValueError:
        return None


def _is_datetime(value: object) -> bool:
    return not isinstance(value, str) or parse_datetime(value) is not None


def _is_date(value: object) -> bool:
    return not isinstance(value, str) or parse_date(value) is not None


FORMATS = {"date-time": _is_datetime, "date": _is_date}


@lru_cache(maxsize=16)
def _validator(directory: str, kind: str) -> Any:
    import jsonschema

    # Our own format checks: jsonschema skips date-time silently unless optional
    # packages are installed, and one of those takes two seconds to import.
    checker = jsonschema.FormatChecker(formats=())
    for name, check_format in FORMATS.items():
        checker.checks(name)(check_format)
    schema = json.loads((Path(directory) / f"{kind}.schema.json").read_text(encoding="utf-8"))
    base = jsonschema.validators.validator_for(schema)
    cls = jsonschema.validators.extend(base, {"pattern": _pattern})  # type: ignore[no-untyped-call]
    return cls(schema, format_checker=checker)


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    # In ECMA-262 (the schemas' dialect) a final $ matches only at the very end;
    # in Python it also matches before a final newline ("INC-0042\n").
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def _pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if isinstance(instance, str) and not _compile(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@lru_cache(maxsize=16)
def _fast_validator(directory: str, kind: str) -> Any:
    """jsonschema-rs for the same schema (100x faster), or None where it is not installed.

    It only answers "valid or not": a record it accepts is valid; for one it
    refuses, jsonschema gives the findings. Formats are checked by the same
    functions in both (jsonschema-rs alone accepts leap seconds and year 0000).
    tests/test_validation_fast.py shows on the corpus and on generated records
    that both agree.
    """
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - an optional speed-up
        return None
    schema = json.loads((Path(directory) / f"{kind}.schema.json").read_text(encoding="utf-8"))
    return jsonschema_rs.Draft7Validator(schema, validate_formats=True, formats=FORMATS)


def check(document: Document, kind: str, path: str, root: Path | None = None) -> list[Finding]:
    """Every schema violation of ``document`` as findings, most relevant first."""
    directory = str(schema_dir(root))
    fast = _fast_validator(directory, kind)
    if fast is not None and fast.is_valid(document.data):
        return []
    return slow_check(document, kind, path, directory)


def slow_check(document: Document, kind: str, path: str, directory: str) -> list[Finding]:
    """The findings, from jsonschema (the reference implementation)."""
    from jsonschema.exceptions import relevance

    validator = _validator(directory, kind)
    errors = sorted(validator.iter_errors(document.data), key=relevance)
    findings = []
    seen: set[tuple[str, str]] = set()
    for error in errors:
        for leaf in _leaves(error):
            where = tuple(leaf.absolute_path)
            if leaf.validator == "additionalProperties" and isinstance(leaf.instance, dict):
                extra = sorted(set(leaf.instance) - set(leaf.schema.get("properties", {})))
                where = (*where, extra[0]) if extra else where
            message = _message(leaf)
            key = (dotted(where), message)
            if key in seen:
                continue
            seen.add(key)
            line, col = document.position(where)
            findings.append(Finding(path, line, col, message, dotted(where)))
    return findings


def _leaves(error: Any) -> list[Any]:
    """The errors a person should read: for if/then and anyOf, the inner causes."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        from jsonschema.exceptions import best_match

        best = best_match(error.context)
        return [best] if best is not None else [error]
    if error.validator == "allOf" and error.context:
        return list(error.context)
    return [error]


def _message(error: Any) -> str:
    validator = error.validator
    if validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"missing required field '{missing}'"
    if validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return "unknown field " + ", ".join(f"'{name}'" for name in extra)
    if validator == "pattern":
        value = _short(error.instance)
        hint = error.schema.get("description") or ""
        if "<>&" in error.validator_value:
            hint = "single-line text may not contain <, > or & or control characters"
        return f"{value} is not in the expected form" + (f" ({hint})" if hint else "")
    if validator == "enum":
        options = ", ".join(str(option) for option in error.validator_value)
        return f"{_short(error.instance)} is not one of: {options}"
    if validator == "type":
        return f"{_short(error.instance)} should be of type {error.validator_value}"
    if validator == "format":
        hint = DATE_TIME_HINT if error.validator_value == "date-time" else "YYYY-MM-DD, a real day"
        return f"{_short(error.instance)} is not a valid {error.validator_value} ({hint})"
    if validator == "maxLength":
        return f"text is longer than {error.validator_value} characters"
    message = str(error.message)
    return message if len(message) < 300 else message[:297] + "..."


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
