"""Times at the edges of the calendar given on the command line: a usage error or a finding, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitutil import assert_unchanged, declare, make_tracker, run, snapshot


@pytest.mark.parametrize(
    ("at", "code", "message"),
    [
        ("0001-01-01T00:00:00+01:00", 2, "outside the years 0001 to 9999 in UTC"),
        ("9999-12-31T23:59:59-01:00", 2, "outside the years 0001 to 9999 in UTC"),
        ("2026-11-27T23:59:60Z", 2, "is not a time like"),
        ("9999-12-31T23:59:59Z", 1, "is in the future"),
    ],
)
def test_an_edge_of_the_calendar_in_at_is_refused_clearly(tmp_path: Path, at: str, code: int, message: str) -> None:
    repo = make_tracker(tmp_path / "tracker")
    incident = declare(repo)
    before = snapshot(repo)
    result = run(["note", incident, "x", "--at", at], repo)
    assert result.exit_code == code and not result.crashed, result
    assert message in result.output, result
    assert_unchanged(before, snapshot(repo))
