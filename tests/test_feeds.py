"""The Atom and RSS history feeds, parsed the way a feed reader parses them."""

from __future__ import annotations

import dataclasses
import html
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from conftest import make_tracker
from gitutil import ok, t
from mimctl.model import Event, Incident, parse_time
from mimctl.site.data import INTERNAL, PUBLIC, SiteData, collect
from mimctl.site.feeds import MAX_ENTRIES, feed_id, feeds
from mimctl.store import Tracker

NOW = datetime(2025, 3, 11, 12, 0, tzinfo=timezone.utc)
BASE = "https://status.example.com/"
A = "{http://www.w3.org/2005/Atom}"
NASTY = 'Checkout <script>alert("x")</script> ]]> & <b>bold</b>'
SECRET = "Internal only: the database host is db-7.internal"


def declare(root: Path, at: str, visibility: str = "public") -> str:
    out = ok(
        [
            "new",
            "--title",
            "Card payments failing",
            "--service",
            "checkout-api",
            "--impact",
            "high",
            "--urgency",
            "high",
            "--severity",
            "SEV1",
            "--source",
            "alert",
            "--visibility",
            visibility,
            "--repo",
            str(root),
            "--no-commit",
            "--at",
            at,
            "--by",
            "pat",
            "--format",
            "json",
        ],
        root,
    )
    return str(out.json()["incident"])


def update(root: Path, incident_id: str, status: str, text: str, at: str, public: bool = True) -> None:
    ok(
        [
            "update",
            incident_id,
            "--public" if public else "--internal",
            "--status",
            status,
            text,
            "--repo",
            str(root),
            "--no-commit",
            "--at",
            at,
            "--by",
            "sam",
        ],
        root,
    )


@pytest.fixture(scope="module")
def tracker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A public incident with three public updates and an internal one; a private incident with one update."""
    root = make_tracker(tmp_path_factory.mktemp("feeds") / "tracker")
    first = declare(root, t(0))
    update(root, first, "investigating", "Card payments fail.", t(5))
    update(root, first, "identified", SECRET, t(7), public=False)
    update(root, first, "identified", NASTY, t(12))
    private = declare(root, t(1), visibility="internal")
    update(root, private, "investigating", "A private incident's update.", t(10))
    update(root, first, "monitoring", "Payments work again.", t(20))
    return root


def build(root: Path, edition: str) -> SiteData:
    site = collect(Tracker(root), edition, now=NOW)
    assert not site.skipped, site.skipped
    return site


def atom(site: SiteData) -> ET.Element:
    return ET.fromstring(feeds(site, BASE)["history.atom"])


def rss(site: SiteData) -> ET.Element:
    return ET.fromstring(feeds(site, BASE)["history.rss"])


def test_atom_has_the_required_elements(tracker: Path) -> None:
    feed = atom(build(tracker, PUBLIC))
    assert feed.tag == f"{A}feed"
    for tag in ("id", "title", "updated"):
        assert (feed.findtext(f"{A}{tag}") or "").strip(), f"feed without {tag}"
    assert feed.find(f"{A}author/{A}name") is not None, "entries have no author, so the feed needs one"
    assert feed.find(f"{A}link[@rel='self']").get("href") == f"{BASE}history.atom"  # type: ignore[union-attr]
    entries = feed.findall(f"{A}entry")
    assert entries
    for entry in entries:
        for tag in ("id", "title", "updated"):
            assert (entry.findtext(f"{A}{tag}") or "").strip(), f"entry without {tag}"
        assert entry.findtext(f"{A}id", "").startswith("urn:uuid:")
        parse_time(entry.findtext(f"{A}updated", ""))
    assert feed.findtext(f"{A}updated") == entries[0].findtext(f"{A}updated")


def test_entries_newest_first_with_stable_ids_and_links(tracker: Path) -> None:
    site = build(tracker, PUBLIC)
    entries = atom(site).findall(f"{A}entry")
    assert [e.findtext(f"{A}updated") for e in entries] == [t(20), t(12), t(5)]
    ids = [e.findtext(f"{A}id") for e in entries]
    assert len(set(ids)) == len(ids)
    names = sorted(p.stem for p in (tracker / "incidents" / "INC-0001" / "timeline").glob("*-stakeholder-update-*.yaml"))
    expected = {feed_id("INC-0001", f"INC-0001-{name}") for name in names}
    assert set(ids) <= expected and len(ids) == 3, "each public update's id names its incident and its timeline file"
    assert ids == [e.findtext(f"{A}id") for e in atom(build(tracker, PUBLIC)).findall(f"{A}entry")]
    # Setting site_url later (or moving the site) changes no id: readers do not see every entry again.
    moved = ET.fromstring(feeds(site, "https://elsewhere.example.org/status/")["history.atom"])
    assert [e.findtext(f"{A}id") for e in moved.findall(f"{A}entry")] == ids
    assert moved.findtext(f"{A}id") == atom(site).findtext(f"{A}id") == ET.fromstring(feeds(site)["history.atom"]).findtext(f"{A}id")
    assert {e.find(f"{A}link").get("href") for e in entries} == {f"{BASE}incidents/INC-0001.html"}  # type: ignore[union-attr]
    relative = ET.fromstring(feeds(site)["history.atom"])
    assert relative.find(f"{A}entry/{A}link").get("href") == "incidents/INC-0001.html"  # type: ignore[union-attr]
    # RSS carries the same ids as its guids, in the same order.
    items = rss(site).findall("channel/item")
    assert [i.findtext("guid") for i in items] == ids
    assert all(i.find("guid").get("isPermaLink") == "false" for i in items)  # type: ignore[union-attr]


def test_public_feeds_leave_out_internal_updates_and_private_incidents(tracker: Path) -> None:
    public = feeds(build(tracker, PUBLIC), BASE)
    for text in public.values():
        assert SECRET not in text and "private incident" not in text and "INC-0002" not in text
    internal = atom(build(tracker, INTERNAL))
    contents = [e.findtext(f"{A}content") for e in internal.findall(f"{A}entry")]
    assert SECRET in contents and "A private incident's update." in contents
    assert len(contents) == 5


def test_record_text_round_trips_as_text_not_markup(tracker: Path) -> None:
    site = build(tracker, PUBLIC)
    texts = feeds(site, BASE)
    assert all("<script>" not in text and "<b>" not in text for text in texts.values())
    entry = next(e for e in atom(site).findall(f"{A}entry") if e.findtext(f"{A}updated") == t(12))
    content = entry.find(f"{A}content")
    assert content is not None and content.get("type") == "text" and content.text == NASTY
    item = next(i for i in rss(site).findall("channel/item") if "Identified" in i.findtext("title", ""))
    # RSS readers treat a description as HTML: it holds the text escaped once more.
    assert html.unescape(item.findtext("description", "")) == NASTY


def test_a_title_with_markup_round_trips(tracker: Path) -> None:
    """Titles cannot hold <, > or & (schema), but the feed must not depend on that."""
    site = build(tracker, PUBLIC)
    title = 'Pay <script>alert(1)</script> ]]> & "more"'
    incidents = tuple(dataclasses.replace(i, data={**i.data, "title": title}) for i in site.incidents)
    texts = feeds(dataclasses.replace(site, incidents=incidents), BASE)
    assert all("<script>" not in text for text in texts.values())
    titles = [e.findtext(f"{A}title", "") for e in ET.fromstring(texts["history.atom"]).findall(f"{A}entry")]
    assert titles and all(title in t for t in titles)
    assert all(title in i.findtext("title", "") for i in ET.fromstring(texts["history.rss"]).findall("channel/item"))


def test_rss_channel_and_items(tracker: Path) -> None:
    root = rss(build(tracker, PUBLIC))
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None
    for tag in ("title", "link", "description"):
        assert channel.findtext(tag), f"channel without {tag}"
    dates = [parsedate_to_datetime(i.findtext("pubDate", "")) for i in channel.findall("item")]
    assert dates == sorted(dates, reverse=True) and dates[0] == parse_time(t(20))
    assert all(i.findtext("link") == f"{BASE}incidents/INC-0001.html" for i in channel.findall("item"))


def test_capped_newest_first_and_control_characters_survive(tracker: Path) -> None:
    site = build(tracker, PUBLIC)
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    events = tuple(
        Event(
            f"{(start + timedelta(minutes=n)):%Y%m%dT%H%M%SZ}-stakeholder-update-{n:06x}.yaml",
            start + timedelta(minutes=n),
            "stakeholder-update",
            {"audience": "public", "status": "investigating", "text": f"Update {n}\x01\x1b"},
        )
        for n in range(MAX_ENTRIES + 50)
    )
    busy = Incident("INC-0099", site.incidents[0].data | {"id": "INC-0099"}, events)
    texts = feeds(dataclasses.replace(site, incidents=(busy,)), BASE)
    entries = ET.fromstring(texts["history.atom"]).findall(f"{A}entry")
    assert len(entries) == MAX_ENTRIES
    assert (entries[0].findtext(f"{A}content") or "").startswith(f"Update {MAX_ENTRIES + 49}")
    assert len(ET.fromstring(texts["history.rss"]).findall("channel/item")) == MAX_ENTRIES


def test_empty_feeds_are_valid(tmp_path: Path) -> None:
    site = build(make_tracker(tmp_path / "tracker"), PUBLIC)
    feed = atom(site)
    assert feed.findall(f"{A}entry") == [] and feed.findtext(f"{A}updated")
    assert rss(site).findall("channel/item") == []
