"""The fast validator (jsonschema-rs) and the reference (jsonschema) agree on valid and invalid records.

Records are accepted on the fast validator's word alone, so a disagreement
would let an invalid record through or hide a finding: these tests are the
proof DESIGN.md asks for before such a fast path is used.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mimctl import schema_check
from mimctl.yamlio import Document, LoadError, load_file

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = str(ROOT / "schemas")
KIND_OF = {"incident.yaml": "incident", "pir.yaml": "pir"}


def _kind(path: Path) -> str | None:
    if path.parent.name == "timeline":
        return "event"
    if path.parent.name == "kedb":
        return "known-error"
    return KIND_OF.get(path.name)


def _records() -> list[tuple[Path, str]]:
    """Record files of the sample tracker and the corpora that reach a schema (the loader accepts them)."""
    found = []
    for base in (ROOT / "incidents", ROOT / "kedb", ROOT / "tests" / "corpus"):
        for path in sorted(base.rglob("*.yaml")):
            kind = _kind(path)
            try:
                loadable = kind is not None and load_file(path) is not None
            except LoadError:
                loadable = False
            if loadable:
                found.append((path, kind))
    return found


def _agree(data: Any, kind: str) -> tuple[bool, list[str]]:
    fast = schema_check._fast_validator(SCHEMAS, kind)
    assert fast is not None, "jsonschema-rs is a dependency"
    slow = schema_check.slow_check(Document(data), kind, "x", SCHEMAS)
    return fast.is_valid(data) == (not slow), [f.message for f in slow]


RECORDS = _records()


@pytest.mark.parametrize(("path", "kind"), RECORDS, ids=[str(p.relative_to(ROOT)) for p, _ in RECORDS])
def test_both_validators_agree_on_every_record_file(path: Path, kind: str) -> None:
    same, messages = _agree(load_file(path).data, kind)
    assert same, f"{path}: jsonschema says {messages or 'valid'}"


def test_the_corpus_has_both_valid_and_invalid_records() -> None:
    verdicts = set()
    for path, kind in RECORDS:
        data = load_file(path).data
        verdicts.add(not schema_check.slow_check(Document(data), kind, "x", SCHEMAS))
    assert verdicts == {True, False}


BASE = load_file(ROOT / "incidents" / "INC-0004" / "incident.yaml").data
ODD = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "INC-0042\n",
            "2026-02-30T10:00:00Z",
            "2026-11-27T24:00:00Z",
            "2026-11-27T10:00:00+25:00",
            "2026-11-27T10:00Z",
            "2026-11-27 10:00:00Z",
            "2026-11-27T23:59:60Z",
            "0000-01-01T00:00:00Z",
            "0001-01-01T00:30:00+01:00",
            "9999-12-31T23:30:00-01:00",
            "2026-11-27t10:00:00z",
            "2026-11-27T10:00:00.1234567Z",
            "2026-11-27T10:00:00.5Z",
            "SEV1",
            "high",
            "\u0085",
            "a\u2028b",
            "<b>",
            "x" * 201,
            "https://example.com/a b",
            "https://ok.example/x",
            "C-1a2b",
            "A1",
            "2026-12-01",
            "2026-13-01",
        ]
    ),
    st.integers(min_value=-3, max_value=12),
    st.booleans(),
    st.none(),
    st.lists(st.text(max_size=5), max_size=3),
)
PATHS = [
    ("title",),
    ("id",),
    ("priority",),
    ("detected_at",),
    ("started_at",),
    ("severity",),
    ("services",),
    ("services", 0),
    ("bridge", "url"),
    ("impacted_users", "count"),
    ("roles", "incident_manager"),
    ("visibility",),
    ("unknown",),
    ("validation", "confirmed_at"),
    ("pir", "scheduled_at"),
    ("closure", "summary"),
    ("detection", "source"),
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(PATHS), ODD), min_size=1, max_size=3))
def test_both_validators_agree_on_mutated_incidents(mutations: list[tuple[tuple[Any, ...], Any]]) -> None:
    data = copy.deepcopy(BASE)
    for path, value in mutations:
        target = data
        for part in path[:-1]:
            if not isinstance(target, dict) or not isinstance(target.get(part), dict | list):
                break
            target = target[part]
        else:
            last = path[-1]
            if isinstance(target, dict) or isinstance(target, list) and isinstance(last, int) and last < len(target):
                target[last] = value
    same, messages = _agree(data, "incident")
    assert same, f"disagreement on {mutations!r}: jsonschema says {messages or 'valid'}"


# What jsonschema-rs's own date-time check accepts and Python's datetime cannot hold (or RFC 3339
# does not allow): both validators refuse them through the one rule in schema_check.py.
REFUSED_TIMES = [
    "2026-11-27T23:59:60Z",  # a leap second
    "0000-01-01T00:00:00Z",  # year 0
    "0001-01-01T00:30:00+01:00",  # before year 1 in UTC
    "9999-12-31T23:30:00-01:00",  # after year 9999 in UTC
    "2026-11-27T10:00:00+24:00",
    "2026-11-27T10:00:00+01:60",
    "2026-02-29T10:00:00Z",
    "2026-11-27t10:00:00Z",
    "2026-11-27T10:00:00z",
    "2026-11-27T10:00:00.1234567Z",
    "2026-11-27T10:00Z",
    "2026-11-27T10:00:00+0100",
    "\uff12026-11-27T10:00:00Z",
]
ACCEPTED_TIMES = [
    "2026-11-27T10:00:00Z",
    "2026-11-27T10:00:00.5Z",
    "2026-11-27T10:00:00.12Z",
    "2026-11-27T10:00:00.1234Z",
    "2026-11-27T10:00:00.12345+05:30",
    "2028-02-29T10:00:00-23:59",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999Z",
]


@pytest.mark.parametrize("value", REFUSED_TIMES + ACCEPTED_TIMES)
def test_both_validators_apply_one_date_time_rule(value: str) -> None:
    data = {**copy.deepcopy(BASE), "detected_at": value}
    fast = schema_check._fast_validator(SCHEMAS, "incident")
    slow = schema_check.slow_check(Document(data), "incident", "x", SCHEMAS)
    accepted = value in ACCEPTED_TIMES
    assert fast.is_valid(data) is accepted
    assert (not slow) is accepted, [f.message for f in slow]
    assert (schema_check.parse_datetime(value) is not None) is accepted


def test_an_accepted_date_time_is_the_moment_it_names() -> None:
    from datetime import datetime, timezone

    assert schema_check.parse_datetime("2026-11-27T10:00:00.5+05:30") == datetime(2026, 11, 27, 4, 30, 0, 500000, tzinfo=timezone.utc)
    assert schema_check.parse_datetime("9999-12-31T23:59:59.999999Z") == datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc)
