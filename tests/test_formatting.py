"""One format for durations and times, and CSV that a spreadsheet cannot run."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from pathlib import Path

import pytest

from gitutil import declare, make_tracker, ok, run
from mimctl import views
from mimctl.formatting import csv_cell, csv_text, duration, file_stamp, parse_moment


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "-"),
        (0, "0m"),
        (29, "0m"),
        (31, "1m"),
        (7 * 60, "7m"),
        (3600, "1h 00m"),
        (3600 + 5 * 60, "1h 05m"),
        (86400 * 2 + 3 * 3600, "2d 03h"),
        (86400 * 3 + 4 * 3600 + 59 * 60, "3d 04h"),
        (-60, "0m"),
    ],
)
def test_one_duration_format(seconds: float | None, text: str) -> None:
    assert duration(seconds) == text


def test_show_and_pages_use_the_same_duration_format() -> None:
    assert views.duration(86400 * 3 + 4 * 3600) == duration(86400 * 3 + 4 * 3600) == "3d 04h"


def test_times_as_people_type_them() -> None:
    assert parse_moment("2026-11-27T08:35Z") == datetime(2026, 11, 27, 8, 35, tzinfo=timezone.utc)
    assert parse_moment("2026-11-27 10:35:07+02:00") == datetime(2026, 11, 27, 8, 35, 7, tzinfo=timezone.utc)
    assert parse_moment(" now ").tzinfo == timezone.utc
    with pytest.raises(ValueError):
        parse_moment("yesterday")
    assert file_stamp(datetime(2026, 11, 27, 9, 35, 7, tzinfo=timezone.utc)) == "20261127T093507Z"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_that_would_run_as_a_formula_is_text(start: str) -> None:
    value = f'{start}HYPERLINK("https://evil.example","click")'
    assert csv_cell(value) == "'" + value
    header, row = csv.reader(io.StringIO(csv_text(["title"], [[value]])))
    assert header == ["title"] and row == ["'" + value]


def test_numbers_and_plain_text_stay_as_they_are() -> None:
    assert csv_cell(-3.5) == -3.5 and csv_cell(0) == 0 and csv_cell(None) == "" and csv_cell("Alert on pool") == "Alert on pool"
    assert csv_text(["a", "b"], [[1, None], ["x,y", "-"]]) == 'a,b\n1,\n"x,y",\'-'


def test_actions_csv_does_not_print_a_formula(tmp_path: Path) -> None:
    repo = make_tracker(tmp_path / "tracker")
    incident = declare(repo)
    evil = '=HYPERLINK("https://evil.example/runbook","Open the runbook")'
    ok(["pir", "action", "add", incident, "--title", evil, "--owner", "@sre", "--due", "2025-04-01"], repo)
    result = run(["actions", "--format", "csv", "--owner", "@sre"], repo)
    assert result.exit_code == 0, result
    assert "=HYPERLINK" in result.stdout and ",=HYPERLINK" not in result.stdout and '"=HYPERLINK' not in result.stdout
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0]["title"] == "'" + evil
    assert rows[0]["owner"] == "'@sre"


def test_a_year_before_1000_keeps_its_four_digits_in_records_file_names_and_text(tmp_path: Path) -> None:
    """RFC 3339 and the timeline's file names have four-digit years; strftime's %Y writes 999, which sorts and parses as another time."""
    from mimctl.timing import Known, format_time

    moment = datetime(999, 3, 4, 5, 6, 7, tzinfo=timezone.utc)
    assert file_stamp(moment) == "09990304T050607Z"
    assert format_time(moment) == "0999-03-04T05:06:07Z" and parse_moment(format_time(moment)) == moment
    assert Known(moment).text() == "0999-03-04 05:06:07 UTC"
    repo = make_tracker(tmp_path / "tracker")
    incident = declare(repo, "0999-03-04T05:06:07Z")
    timeline = sorted(p.name for p in (repo / "incidents" / incident / "timeline").iterdir())
    assert timeline[0].startswith("09990304T050607Z-"), timeline
    assert "detected_at: '0999-03-04T05:06:07Z'" in (repo / "incidents" / incident / "incident.yaml").read_text(encoding="utf-8")
    ok(["validate"], repo)
    assert "0999-03-04 05:06:07 UTC" in ok(["show", incident], repo).stdout
