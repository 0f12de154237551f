"""The feeds of a tracker made by ``mimctl init`` and of the demo, judged by the W3C feed validator's rules and by feedparser.

There is no W3C validator package to install, so the rules it applies to
these feeds are written out here (RFC 4287 for Atom, the RSS 2.0
specification and the validator's own checks for RSS), and feedparser, what
most readers use, must parse both with no ``bozo`` flag.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest

from gitutil import ok, run, t
from mimctl.cli.demo import DEMO_SITE_URL
from mimctl.site.build import build_site
from site_fixtures import IDENTITY

A = "{http://www.w3.org/2005/Atom}"
SITE_URL = "https://status.example.com/"
RFC3339 = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$")
RFC822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} (GMT|[+-][0-9]{4})$"
)


def absolute(url: str | None) -> bool:
    parts = urlsplit(url or "")
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def uri(value: str | None) -> bool:
    """An absolute IRI, as RFC 4287 requires of atom:id (the validator refuses relative ones)."""
    return bool(value) and bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$", value or ""))


def atom_problems(text: str, location: str) -> list[str]:
    found = []
    feed = ET.fromstring(text)
    if feed.tag != f"{A}feed":
        return ["not an Atom feed"]
    if not uri(feed.findtext(f"{A}id")):
        found.append("feed id is not an absolute IRI")
    if not (feed.findtext(f"{A}title") or "").strip():
        found.append("feed has no title")
    if not RFC3339.match(feed.findtext(f"{A}updated") or ""):
        found.append("feed updated is not an RFC 3339 date")
    links = {link.get("rel", "alternate"): link.get("href") for link in feed.findall(f"{A}link")}
    if links.get("self") != location:
        found.append(f"rel=self is {links.get('self')!r}, not the feed's address {location!r}")
    if not absolute(links.get("alternate")):
        found.append(f"alternate link {links.get('alternate')!r} is not absolute")
    entries = feed.findall(f"{A}entry")
    if feed.find(f"{A}author/{A}name") is None and any(e.find(f"{A}author") is None for e in entries):
        found.append("no author for the feed or its entries")
    ids = [e.findtext(f"{A}id") for e in entries]
    if len(set(ids)) != len(ids):
        found.append("duplicate entry ids")
    for entry in entries:
        name = entry.findtext(f"{A}id")
        if not uri(name):
            found.append(f"entry id {name!r} is not an absolute IRI")
        for tag in ("updated", "published"):
            value = entry.findtext(f"{A}{tag}")
            if value is not None and not RFC3339.match(value):
                found.append(f"{name}: {tag} {value!r} is not RFC 3339")
        if not (entry.findtext(f"{A}title") or "").strip():
            found.append(f"{name}: no title")
        alternate = [link.get("href") for link in entry.findall(f"{A}link") if link.get("rel", "alternate") == "alternate"]
        if not alternate or not all(absolute(h) for h in alternate):
            found.append(f"{name}: alternate link {alternate} is not absolute")
        if entry.find(f"{A}content") is None and entry.find(f"{A}summary") is None:
            found.append(f"{name}: neither content nor summary")
    return found


def rss_problems(text: str, location: str) -> list[str]:
    found = []
    root = ET.fromstring(text)
    channel = root.find("channel")
    if root.tag != "rss" or root.get("version") != "2.0" or channel is None:
        return ["not an RSS 2.0 feed"]
    for tag in ("title", "link", "description"):
        if not (channel.findtext(tag) or "").strip():
            found.append(f"channel has no {tag}")
    if not absolute(channel.findtext("link")):
        found.append(f"channel link {channel.findtext('link')!r} is not absolute")
    self_link = channel.find(f"{A}link")
    if self_link is None or self_link.get("rel") != "self" or self_link.get("href") != location:
        found.append("no atom:link rel=self with the feed's address (the validator recommends it)")
    for tag in ("lastBuildDate", "pubDate"):
        value = channel.findtext(tag)
        if value is not None and not RFC822.match(value):
            found.append(f"channel {tag} {value!r} is not an RFC 822 date")
    guids = []
    for item in channel.findall("item"):
        title = item.findtext("title")
        if not (title or item.findtext("description")):
            found.append("an item has neither title nor description")
        if not absolute(item.findtext("link")):
            found.append(f"{title}: link {item.findtext('link')!r} is not absolute")
        guid = item.find("guid")
        if guid is None or not guid.text:
            found.append(f"{title}: no guid")
        else:
            guids.append(guid.text)
            if guid.get("isPermaLink", "true") == "true" and not absolute(guid.text):
                found.append(f"{title}: a permalink guid must be an absolute URL")
        if not RFC822.match(item.findtext("pubDate") or ""):
            found.append(f"{title}: pubDate {item.findtext('pubDate')!r} is not an RFC 822 date")
    if len(set(guids)) != len(guids):
        found.append("duplicate guids")
    return found


def check_feeds(site: Path, site_url: str) -> None:
    atom = (site / "history.atom").read_text(encoding="utf-8")
    rss = (site / "history.rss").read_text(encoding="utf-8")
    problems = atom_problems(atom, site_url + "history.atom") + rss_problems(rss, site_url + "history.rss")
    assert not problems, "\n".join(problems)
    for text, kind in ((atom, "atom10"), (rss, "rss20")):
        parsed = feedparser.parse(text)
        assert not parsed.bozo, f"{kind}: {parsed.get('bozo_exception')}"
        assert parsed.version == kind and parsed.entries, kind
        for entry in parsed.entries:
            assert absolute(entry.link) and entry.id and entry.get("published_parsed") or entry.get("updated_parsed")


@pytest.fixture(autouse=True)
def identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in IDENTITY.items():  # a user's identity comes from their git configuration; here, the environment
        monkeypatch.setenv(key, value)


@pytest.fixture(scope="module")
def init_site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("init")
    with pytest.MonkeyPatch.context() as patch:
        for key, value in IDENTITY.items():
            patch.setenv(key, value)
        return _init_site(base)


def _init_site(base: Path) -> dict[str, Path]:
    ok(["init", "tracker", "--site-url", SITE_URL], base)
    root = base / "tracker"
    ok(["new", "--title", "Sign-in failing", "--service", "auth", "--impact", "high", "--urgency", "high", "--severity", "SEV1",
        "--source", "user-report", "--visibility", "public", "--at", t(0)], root)  # fmt: skip
    ok(["update", "INC-0001", "--public", "--status", "investigating", "Sign-in fails for some users. We are on it.", "--at", t(5)], root)
    ok(["maintenance", "schedule", "--title", "Sign-in upgrade", "--service", "auth", "--from", t(600), "--until", t(660),
        "--public", "Sign-in may be slow for a minute.", "--at", t(6)], root)  # fmt: skip
    return {edition: build_site(root, base / edition, public=edition == "public") for edition in ("internal", "public")}


@pytest.mark.parametrize("edition", ["internal", "public"])
def test_feeds_of_a_tracker_made_by_init_are_valid(init_site: dict[str, Path], edition: str) -> None:
    check_feeds(init_site[edition], SITE_URL)
    atom = ET.parse(init_site[edition] / "history.atom").getroot()
    titles = [e.findtext(f"{A}title") for e in atom.findall(f"{A}entry")]
    assert "Sign-in failing (Investigating)" in titles and "Maintenance: Sign-in upgrade (Scheduled)" in titles


def test_feeds_of_the_demo_are_valid(tmp_path: Path) -> None:
    ok(["demo", "--path", str(tmp_path / "demo")], tmp_path)
    for folder in ("site", "site-public"):
        check_feeds(tmp_path / "demo" / folder, DEMO_SITE_URL)


def test_the_rules_catch_what_the_validator_refuses(tmp_path: Path) -> None:
    bad_atom = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><id>history</id><title>x</title><updated>2025-01-01</updated>'
        '<link rel="self" href="history.atom"/><link rel="alternate" href=""/>'
        "<entry><id>tag:localhost,2024:a</id><title>t</title><updated>2025-01-01T00:00:00Z</updated>"
        '<link rel="alternate" href="incidents/INC-0001.html"/></entry></feed>'
    )
    found = atom_problems(bad_atom, SITE_URL + "history.atom")
    assert {"feed id is not an absolute IRI", "feed updated is not an RFC 3339 date"} <= set(found) and len(found) >= 6, found
    bad_rss = '<rss version="2.0"><channel><title>x</title><link></link><description>d</description><item><title>t</title><link>a.html</link><pubDate>2025-01-01</pubDate></item></channel></rss>'
    assert len(rss_problems(bad_rss, SITE_URL + "history.rss")) >= 5


def test_a_build_without_site_url_says_so(tmp_path: Path) -> None:
    ok(["init", "plain"], tmp_path)
    result = ok(["site", "build", "-o", str(tmp_path / "out"), "--format", "json"], tmp_path / "plain")
    assert "site_url is not set" in result.stderr and result.json()["warnings"]
    with_url = ok(["site", "build", "-o", str(tmp_path / "out2")], tmp_path / "plain")
    assert "site_url" in with_url.stderr  # still unset: every build says so until it is


def test_site_url_given_to_the_build_makes_valid_feeds_of_a_tracker_without_one(tmp_path: Path) -> None:
    # What the deploy workflow does: the address Pages reports, given on the command line.
    ok(["init", "plain"], tmp_path)
    root = tmp_path / "plain"
    ok(["new", "--title", "Payments slow", "--service", "auth", "--impact", "high", "--urgency", "high", "--severity", "SEV2",
        "--source", "monitoring", "--visibility", "public", "--at", t(0)], root)  # fmt: skip
    ok(["update", "INC-0001", "--public", "--status", "investigating", "Payments are slow. We are on it.", "--at", t(5)], root)
    pages = "https://acme.github.io/status"  # configure-pages gives it without the trailing slash
    for status_only in (False, True):
        args = ["site", "build", "--public", "-o", str(tmp_path / "public"), "--site-url", pages, "--format", "json"]
        result = ok(args + (["--status-only"] if status_only else []), root)
        assert "site_url is not set" not in result.stderr and result.json()["warnings"] == []
        check_feeds(tmp_path / "public", pages + "/")
    assert "site_url" not in (root / "mkdocs.yml").read_text(encoding="utf-8").replace("# site_url", "")


@pytest.mark.parametrize("url", ["status.example.com", "javascript:alert(1)", "https://a.example/ x"])
def test_a_site_url_that_is_not_an_address_is_refused(tmp_path: Path, url: str) -> None:
    ok(["init", "plain"], tmp_path)
    result = run(["site", "build", "-o", str(tmp_path / "out"), "--site-url", url], tmp_path / "plain")
    assert result.exit_code == 2 and not result.crashed and "--site-url" in result.stderr, result
    assert not (tmp_path / "out").exists()


def test_feed_dates_are_real_times() -> None:
    # RFC 822 dates as email.utils writes them parse back to the same moment.
    moment = datetime(2025, 3, 11, 12, 0, tzinfo=timezone.utc)
    from mimctl.site.feeds import _rfc822

    assert RFC822.match(_rfc822(moment)) and parsedate_to_datetime(_rfc822(moment)) == moment
