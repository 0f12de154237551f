"""The status path (``mimctl site build --status-only``) says exactly what a full build says, without reading the history."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from gitutil import git, ok, t
from mimctl.site.data import INTERNAL, PUBLIC, collect
from mimctl.site.generate import generate
from mimctl.site.status_path import collect_status
from mimctl.store import Tracker, committed_source
from site_fixtures import REPO_ROOT, committed_synthetic, counting_loads, sample_tracker, update

sys.path.insert(0, str(REPO_ROOT / "bench"))
import synth  # noqa: E402

MOMENTS = (datetime(2026, 6, 15, tzinfo=timezone.utc), datetime(2023, 3, 1, tzinfo=timezone.utc))


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth.generate(tmp_path_factory.mktemp("path") / "tracker", 400, events=6, seed=7, commit=False)


@pytest.mark.parametrize("edition", [INTERNAL, PUBLIC])
def test_the_status_path_writes_what_the_full_build_writes(synthetic: Path, edition: str) -> None:
    for root in (synthetic, REPO_ROOT):
        for now in MOMENTS:
            full_site = collect(Tracker(root), edition, now=now)
            full = generate(full_site)
            fast_site = collect_status(Tracker(root), edition, now=now)
            fast = generate(fast_site)
            assert {"index.md", "api/v2/summary.json", "history.atom", "history.rss"} <= set(fast)
            different = sorted(path for path, text in fast.items() if full.get(path) != text)
            assert not different, f"{root.name} at {now}: the status path differs from the full build in {different[:5]}"
            unresolved = {s.incident.id for s in full_site.state.unresolved()}
            assert unresolved <= {i.id for i in fast_site.paged()}, "every unresolved incident has its page"
            if root == synthetic and now == MOMENTS[0]:
                paged = len(fast_site.paged())
                assert paged < len(full_site.incidents) / 2, (paged, len(full_site.incidents))


def test_over_a_full_build_only_the_status_files_change(tmp_path: Path) -> None:
    sample = sample_tracker(tmp_path / "tracker")
    out = tmp_path / "site"
    ok(["site", "build", "--public", "-o", str(out), "--repo", str(sample.root)], sample.root)
    keep = {p: p.read_bytes() for p in (out / "incidents" / "index.html", out / "sitemap.xml")}
    searched = _search_docs(out)
    update(sample.root, sample.active, "identified", "We found the cause: a full connection pool.", t(90))
    result = ok(["site", "build", "--public", "--status-only", "-o", str(out), "--repo", str(sample.root), "--format", "json"], sample.root)
    assert result.json()["status_only"] is True
    for path, before in keep.items():
        assert path.read_bytes() == before, f"{path.name} is the full build's, untouched"
    after = _search_docs(out)
    rewritten = {"index.html", f"incidents/{sample.active}.html", f"incidents/{sample.closed}.html", "maintenance/index.html"}
    assert {k: v for k, v in after.items() if k not in rewritten} == {k: v for k, v in searched.items() if k not in rewritten}, (
        "the search entries of the pages the status path did not write are the full build's"
    )
    assert "a full connection pool" in after[f"incidents/{sample.active}.html"], "those of the pages it wrote are its own"
    for page in ("index.html", f"incidents/{sample.active}.html", "history.atom", "api/v2/incidents/unresolved.json"):
        assert "a full connection pool" in (out / page).read_text(encoding="utf-8"), page
    nav = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="kedb/index.html"' in nav and 'href="incidents/index.html"' in nav, "the navigation still reaches the full build's pages"


def _search_docs(site: Path) -> dict[str, str]:
    """The text the search index holds for each page."""
    docs = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    found: dict[str, str] = {}
    for doc in docs:
        page = doc["location"].partition("#")[0]
        found[page] = found.get(page, "") + doc["title"] + "\n" + doc["text"] + "\n"
    return found


def test_a_status_path_alone_is_a_site(tmp_path: Path) -> None:
    sample = sample_tracker(tmp_path / "tracker")
    out = tmp_path / "status"
    ok(["site", "build", "--status-only", "-o", str(out), "--repo", str(sample.root)], sample.root)
    assert (out / "index.html").is_file() and (out / "api" / "v2" / "status.json").is_file()
    assert (out / "incidents" / f"{sample.active}.html").is_file() and not (out / "kedb").exists()


@pytest.fixture
def committed(tmp_path: Path) -> Path:
    return committed_synthetic(tmp_path / "tracker", 400, events=6, seed=7)


def _status_from_commit(root: Path, edition: str, now: datetime, loaded: list[str] | None = None) -> dict[str, str]:
    tracker = Tracker(root, committed_source(root, "HEAD"))
    try:
        return generate(collect_status(tracker, edition, now=now))
    finally:
        tracker.close()


def _differences(root: Path, edition: str, now: datetime) -> list[str]:
    full = generate(collect(Tracker(root), edition, now=now))
    fast = _status_from_commit(root, edition, now)
    return sorted(path for path, text in fast.items() if full.get(path) != text)


@pytest.mark.parametrize("edition", [INTERNAL, PUBLIC])
def test_kept_feed_times_load_fewer_incidents_and_change_nothing(committed: Path, edition: str, monkeypatch: pytest.MonkeyPatch) -> None:
    now = MOMENTS[0]
    loaded = counting_loads(monkeypatch)
    assert not _differences(committed, edition, now)
    first = len(loaded)
    loaded.clear()
    assert not _differences(committed, edition, now), "the second run, ordered by the kept newest entries, says the same"
    assert len(loaded) < first, (len(loaded), first)


def test_a_late_update_on_an_old_incident_reaches_the_feeds_whatever_was_kept(committed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    now = MOMENTS[0]
    loaded = counting_loads(monkeypatch)
    assert not _differences(committed, PUBLIC, now)
    first = set(loaded)
    loaded.clear()
    assert not _differences(committed, PUBLIC, now)
    # An old incident the first run loaded for the feeds and the second did not (its newest entry, kept,
    # is older than the feeds' oldest) gets an update: outside the history bars' window, so only its
    # place in the feeds can bring it in, but newer than the feeds' oldest entry (2024-08-30).
    old = next(
        committed / "incidents" / i
        for i in sorted(first - set(loaded))
        if "visibility: public" in (committed / "incidents" / i / "incident.yaml").read_text(encoding="utf-8")
    )
    event = old / "timeline" / "20250101T120000Z-stakeholder-update-0a0a0a.yaml"
    event.write_text(
        "at: '2025-01-01T12:00:00Z'\nkind: stakeholder-update\nby: t\naudience: public\nstatus: resolved\n"
        "text: A late word on an old incident.\n",
        encoding="utf-8",
    )
    git("add", "-A", cwd=committed)
    git("commit", "-q", "-m", "a late update", cwd=committed)
    assert not _differences(committed, PUBLIC, now)
    feed = _status_from_commit(committed, PUBLIC, now)["history.atom"]
    assert "A late word on an old incident." in feed
    assert feed.index("A late word") < feed.index("2024-"), "among the entries of 2025, before those of 2024"
