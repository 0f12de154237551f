"""The scale benchmark's trackers (bench/synth.py ``generate_history``): valid, deterministic, shaped like a real history.

Figures measured on records that do not validate, or that change from run to
run, would mean nothing: the benchmark's tracker must pass ``mimctl validate``
from git objects, be the same commit for the same seed, and have only its
newest incidents open, which ``mimctl clone`` checks out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gitutil import bench_script, git, ok

synth = bench_script("synth")

INCIDENTS, OPEN, PER_COMMIT = 24, 3, 10


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth.generate_history(tmp_path_factory.mktemp("history") / "origin.git", INCIDENTS, open_incidents=OPEN, per_commit=PER_COMMIT)


def test_the_history_is_the_same_commit_for_the_same_seed(origin: Path, tmp_path: Path) -> None:
    again = synth.generate_history(tmp_path / "again.git", INCIDENTS, open_incidents=OPEN, per_commit=PER_COMMIT)
    assert git("rev-parse", "main", cwd=again) == git("rev-parse", "main", cwd=origin)
    assert git("rev-list", "--count", "main", cwd=origin).strip() == "3", "one commit per 10 incidents"


def test_the_history_validates_and_only_the_newest_incidents_are_open(origin: Path, tmp_path: Path) -> None:
    full = tmp_path / "full"
    git("clone", "--quiet", str(origin), str(full), cwd=tmp_path)
    ok(["validate", "--rev", "HEAD"], full)
    listed = ok(["list", "--format", "json"], full).json()
    open_ids = sorted(item["id"] for item in listed["incidents"])
    assert open_ids == [f"INC-{n:05d}" for n in range(INCIDENTS - OPEN + 1, INCIDENTS + 1)]

    responder = ok(["clone", f"file://{origin}", str(tmp_path / "responder"), "--format", "json"], tmp_path).json()
    assert responder["open_incidents"] == open_ids and responder["incidents"] == INCIDENTS
    on_disk = sorted(p.name for p in (Path(responder["path"]) / "incidents").iterdir())
    assert on_disk == open_ids


def test_reading_every_head_from_git_keeps_no_entry_of_the_folders_read(origin: Path, tmp_path: Path) -> None:
    """Memory stays flat over the history: the heads of every incident stream past, and the commit's tree keeps no entry of them."""
    from mimctl.heads import heads
    from mimctl.store import Tracker, committed_source

    full = tmp_path / "full"
    git("clone", "--quiet", str(origin), str(full), cwd=tmp_path)
    source = committed_source(full, "HEAD")
    seen = [h.id for h in heads(Tracker(full, source))]
    assert len(seen) == INCIDENTS
    kept = [path for path in source._entries if path.count("/") > 1]  # anything inside an incident folder
    assert kept == [], kept[:5]
