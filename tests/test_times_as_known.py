"""Times as they are known: to the second, the minute or the day, about so, within a margin, or unknown.

What the command line takes, what the records keep, what every output shows,
and what validation and the metrics make of it.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from conftest import make_tracker
from gitutil import ok, ok_json, run
from mimctl import timing, validate
from mimctl.model import Event, Incident, parse_time
from mimctl.site.data import INTERNAL, PUBLIC, collect
from mimctl.site.incident_pages import incident_pages
from mimctl.store import Tracker
from mimctl.timing import UNKNOWN_TIME, Known

INC = "INC-0001"


# --- reading what people type --------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "precision", "approximate", "margin", "at"),
    [
        ("2026-11-27T08:30:15Z", "exact", False, None, "2026-11-27T08:30:15Z"),
        ("2026-11-27T08:30Z", "minute", False, None, "2026-11-27T08:30:00Z"),
        ("2026-11-27 08:30", "minute", False, None, "2026-11-27T08:30:00Z"),
        ("2026-11-27T09:30+01:00", "minute", False, None, "2026-11-27T08:30:00Z"),
        ("2026-11-27", "day", False, None, "2026-11-27T00:00:00Z"),
        ("~2026-11-27T08:30Z", "minute", True, None, "2026-11-27T08:30:00Z"),
        ("about 2026-11-27T08:30Z", "minute", True, None, "2026-11-27T08:30:00Z"),
        ("2026-11-27T08:30Z±15m", "minute", False, 15, "2026-11-27T08:30:00Z"),
        ("2026-11-27T08:30Z +- 2h", "minute", False, 120, "2026-11-27T08:30:00Z"),
        ("~2026-11-27", "day", True, None, "2026-11-27T00:00:00Z"),
    ],
)
def test_what_people_type_is_read_with_what_they_know(typed: str, precision: str, approximate: bool, margin: int | None, at: str) -> None:
    found = timing.parse(typed)
    assert isinstance(found, Known)
    assert (found.precision, found.approximate, found.margin_minutes, found.at) == (precision, approximate, margin, parse_time(at))


def test_unknown_and_nonsense() -> None:
    assert timing.parse("unknown") is UNKNOWN_TIME
    for bad in ("yesterday", "2026-13-01", "~", "2026-11-27T25:00Z"):
        with pytest.raises(ValueError):
            timing.parse(bad)


def test_bounds_of_a_time_known_to_the_minute_or_the_day() -> None:
    minute = Known(parse_time("2026-11-27T08:30:00Z"), "minute")
    assert (minute.earliest, minute.latest) == (parse_time("2026-11-27T08:30:00Z"), parse_time("2026-11-27T08:30:59Z"))
    day = Known(parse_time("2026-11-27T00:00:00Z"), "day")
    assert day.latest == parse_time("2026-11-27T23:59:59Z") and day.rough and not minute.rough
    exact = Known(parse_time("2026-11-27T08:30:30Z"))
    assert not timing.before(minute, exact)  # within the same minute: cannot say
    assert timing.before(Known(parse_time("2026-11-27T08:29:00Z"), "minute"), exact)
    about = Known(parse_time("2026-11-27T06:00:00Z"), "minute", approximate=True)
    assert not timing.before(about, exact) and not about.bounded  # "about" has no bounds to compare


@pytest.mark.parametrize(
    ("known", "shown"),
    [
        (Known(parse_time("2026-11-27T08:30:15Z")), "2026-11-27 08:30:15 UTC"),
        (Known(parse_time("2026-11-27T08:30:00Z"), "minute"), "2026-11-27 08:30 UTC"),
        (Known(parse_time("2026-11-27T00:00:00Z"), "day"), "2026-11-27 (day)"),
        (Known(parse_time("2026-11-27T08:30:00Z"), "minute", approximate=True), "about 2026-11-27 08:30 UTC"),
        (Known(parse_time("2026-11-27T08:30:00Z"), "minute", margin_minutes=90), "2026-11-27 08:30 UTC ± 90m"),
        (Known(parse_time("2026-11-27T08:30:00Z"), "unknown"), "unknown"),
    ],
)
def test_how_a_time_reads(known: Known, shown: str) -> None:
    assert known.text() == shown
    assert timing.from_note(known.at, known.note()) == known  # what a record keeps reads back the same


# --- the command line and the records ---------------------------------------------------------------


def _declare(root: Path, *extra: str) -> None:
    ok(
        ["new", "--title", "Checkout errors", "--service", "checkout-api", "--impact", "high", "--urgency", "high"]
        + ["--severity", "SEV1", "--source", "alert", "--no-commit", "--repo", str(root), *extra],
        root,
    )


def _event(root: Path, kind: str) -> dict[str, object]:
    (path,) = sorted((root / "incidents" / INC / "timeline").glob(f"*-{kind}-*.yaml"))
    data: dict[str, object] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def _incident(root: Path) -> dict[str, object]:
    data: dict[str, object] = yaml.safe_load((root / "incidents" / INC / "incident.yaml").read_text(encoding="utf-8"))
    return data


def test_the_records_keep_what_is_known_and_nothing_for_exact_times(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "t")
    _declare(root, "--at", "2025-03-10T08:20:00Z", "--started", "~2025-03-10T08:02Z", "--detected", "2025-03-10T08:10Z±5m")
    data = _incident(root)
    assert data["started_at"] == "2025-03-10T08:02:00Z" and data["detected_at"] == "2025-03-10T08:10:00Z"
    assert data["times"] == {
        "started_at": {"precision": "minute", "approximate": True},
        "detected_at": {"precision": "minute", "margin_minutes": 5},
    }
    assert "times" not in _event(root, "declared")  # declared to the second: no note
    ok(["resolution", INC, "--service-restored", "--at", "2025-03-11", "--no-commit", "--repo", str(root)], root)
    assert _incident(root)["times"]["resolution"] == {"service_restored_at": "day"}  # type: ignore[index]
    assert _event(root, "resolution")["times"] == {"at": "day"}
    assert _event(root, "resolution")["sets"]["times.resolution.service_restored_at"] == "day"  # type: ignore[index]
    ok(["resolution", INC, "--service-restored", "--at", "2025-03-10T11:02:03Z", "--no-commit", "--repo", str(root)], root)
    assert "resolution" not in _incident(root)["times"]  # type: ignore[operator]  # exact now: the stale note goes
    assert validate.validate(Tracker(root)).ok


def test_an_unknown_detection_time_is_held_at_the_declaration_and_never_measured(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "t")
    _declare(root, "--at", "2025-03-10T08:20:00Z", "--started", "2025-03-10T08:02Z", "--detected", "unknown")
    data = _incident(root)
    assert data["detected_at"] == "2025-03-10T08:20:00Z" and data["times"]["detected_at"] == "unknown"  # type: ignore[index]
    ok(["ack", INC, "--at", "2025-03-10T08:25:00Z", "--no-commit", "--repo", str(root)], root)
    info = ok_json(["show", INC], root)
    assert info["milestones"]["detected"]["precision"] == "unknown" and info["milestones"]["detected"]["text"] == "unknown"
    assert info["durations"]["time_to_acknowledge"]["seconds"] is None
    assert info["durations"]["time_to_acknowledge"]["missing"] == "time unknown: detected"
    assert "Detected         unknown" in ok(["show", INC], root).stdout
    stats = ok_json(["stats"], root)
    assert stats["overall"]["time_to_acknowledge"] == {"count": 0, "mean": None, "median": None, "approximate": 0, "unknown": 1}
    left_out = next(line for line in ok(["stats"], root).stdout.splitlines() if line.startswith("left out, a time unknown:"))
    assert "MTTA 1" in left_out and "MTTD 1" in left_out


def test_an_event_without_a_known_time_is_placed_after_what_is_recorded(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "t")
    _declare(root, "--at", "2025-03-10T08:20:00Z")
    ok(["note", INC, "Paged the database team", "--at", "2025-03-10T09:00:00Z", "--no-commit", "--repo", str(root)], root)
    ok(
        ["containment", "add", INC, "--action", "Drained eu-west", "--rollback", "Undrain it", "--at", "unknown"]
        + ["--no-commit", "--repo", str(root)],
        root,
    )
    event = _event(root, "containment")
    assert event["at"] == "2025-03-10T09:00:00Z" and event["times"] == {"at": "unknown"}
    model = Tracker(root).load_bundle(INC).model
    assert model is not None and [e.kind for e in model.events][-1] == "containment"
    page = incident_pages(collect(Tracker(root), INTERNAL))[f"incidents/{INC}.md"]
    assert '<span class="mim-unknown">unknown</span> <strong>containment</strong>' in page


def test_a_declaration_needs_a_time(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "t")
    result = run(
        ["new", "--title", "x", "--service", "checkout-api", "--impact", "high", "--urgency", "high", "--severity", "SEV1"]
        + ["--source", "alert", "--at", "unknown", "--no-commit", "--repo", str(root)],
        root,
    )
    assert result.exit_code == 2 and "--at" in result.stderr and "the day, at least" in result.stderr, result
    assert not (root / "incidents" / INC).exists()


def test_a_bad_time_names_what_would_do(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "t")
    _declare(root, "--at", "2025-03-10T08:20:00Z")
    result = run(["note", INC, "x", "--at", "half past eight", "--no-commit", "--repo", str(root)], root)
    assert result.exit_code == 2 and "2026-11-27T08:35Z" in result.stderr and "unknown" in result.stderr, result


# --- validation ------------------------------------------------------------------------------------------


def test_detection_before_the_impact_started_is_allowed(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "t")
    _declare(root, "--at", "2025-03-10T08:20:00Z", "--detected", "2025-03-10T08:00:00Z", "--started", "2025-03-10T08:15:00Z")
    assert validate.validate(Tracker(root)).ok


def test_an_event_before_detection_is_refused_naming_the_kinds_that_may_be(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "t")
    _declare(root, "--at", "2025-03-10T08:20:00Z")
    refused = run(["ack", INC, "--at", "2025-03-10T08:10:00Z", "--no-commit", "--repo", str(root)], root)
    assert refused.exit_code == 1 and "nothing was changed" in refused.stderr, refused
    assert "is before the incident was detected (2025-03-10T08:20:00Z)" in refused.stderr
    assert "only these kinds may be: alert, evidence, note" in refused.stderr
    assert "correct detected_at" in refused.stderr


def test_an_event_in_the_minute_of_detection_is_not_before_it(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "t")
    _declare(root, "--at", "2025-03-10T08:20:00Z", "--detected", "2025-03-10T08:10:30Z")
    ok(["ack", INC, "--at", "2025-03-10T08:10Z", "--no-commit", "--repo", str(root)], root)  # 08:10 to the minute
    assert validate.validate(Tracker(root)).ok
    ok(["note", INC, "Before", "--at", "2025-03-10T08:09Z", "--no-commit", "--repo", str(root)], root)  # a note may be
    assert validate.validate(Tracker(root)).ok


# --- what readers see -------------------------------------------------------------------------------


def test_pages_show_times_as_known(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "t")
    _declare(
        root, "--at", "2025-03-10T08:20:00Z", "--started", "~2025-03-10T08:02Z", "--detected", "2025-03-10T08:10Z", "--visibility", "public"
    )
    ok(["resolution", INC, "--service-restored", "--at", "2025-03-11", "--no-commit", "--repo", str(root)], root)
    internal = incident_pages(collect(Tracker(root), INTERNAL))[f"incidents/{INC}.md"]
    assert '<time datetime="2025-03-10T08:02:00Z" class="mim-about">about 2025-03-10 08:02 UTC</time>' in internal
    assert '<time datetime="2025-03-10T08:10:00Z">2025-03-10 08:10 UTC</time>' in internal
    assert '<time datetime="2025-03-11" class="mim-about">2025-03-11 (day)</time>' in internal
    assert "about 15h 50m (between 15h 49m and 1d 15h)" in internal  # time to resolve, to a day
    public = incident_pages(collect(Tracker(root), PUBLIC))[f"incidents/{INC}.md"]
    assert "about 2025-03-10 08:02 UTC" in public  # the start, as the public sees it
    assert "2025-03-11 (day)" in public  # restored: the public view is measured on the whole record


def test_a_model_event_knows_its_time() -> None:
    event = Event("x", parse_time("2025-03-10T08:00:00Z"), "note", {"times": {"at": {"precision": "day", "approximate": True}}})
    assert event.known == Known(parse_time("2025-03-10T08:00:00Z"), "day", approximate=True)
    incident = Incident(INC, {"detected_at": "2025-03-10T08:00:00Z", "times": {"detected_at": "minute"}})
    assert incident.time("detected_at") == Known(datetime(2025, 3, 10, 8, tzinfo=timezone.utc), "minute")
    assert incident.time("started_at") is None
