"""Status history feeds: ``history.atom`` (Atom 1.0) and ``history.rss`` (RSS 2.0).

One entry per stakeholder update of the edition, newest first. Built with
ElementTree so record text is always character data, never markup. Entry ids
are ``tag:`` URIs (RFC 4151) made from the incident id and the event's file
name, which never change once written (timeline files are append-only).
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from ..model import Event, Incident, format_time
from .data import PUBLIC, SiteData

ATOM = "http://www.w3.org/2005/Atom"
MAX_ENTRIES = 200
TAG_DATE = "2024"  # the tag: URI date part; fixed so ids never change between builds
# Characters XML 1.0 cannot carry at all; the schema keeps them out of titles, but free text may hold them.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Entry:
    """One stakeholder update as a feed entry."""

    id: str
    title: str
    link: str
    text: str
    status: str
    audience: str
    at: str
    rfc822: str


def feeds(site: SiteData, base_url: str = "", name: str = "Service status") -> dict[str, str]:
    """The Atom and RSS feeds of status updates as {relative path: XML text}."""
    entries = feed_entries(site, base_url)
    updated = entries[0].at if entries else format_time(site.now)
    return {
        "history.atom": _xml(_atom(site, entries, base_url, name, updated)),
        "history.rss": _xml(_rss(site, entries, base_url, name)),
    }


def feed_entries(site: SiteData, base_url: str = "") -> list[Entry]:
    """The edition's stakeholder updates, newest first, at most ``MAX_ENTRIES``."""
    audience = PUBLIC if site.public else None
    pairs = [(incident, update) for incident in site.incidents for update in incident.updates(audience)]
    pairs.sort(key=lambda pair: (pair[1].at, pair[0].id, pair[1].name), reverse=True)
    return [_entry(incident, update, base_url) for incident, update in pairs[:MAX_ENTRIES]]


def _entry(incident: Incident, update: Event, base_url: str) -> Entry:
    status = str(update.data.get("status", ""))
    audience = str(update.data.get("audience", ""))
    return Entry(
        id=f"tag:{_authority(base_url)},{TAG_DATE}:{incident.id}/{PurePosixPath(update.name).stem}",
        title=f"{incident.id}: {incident.title} ({status.capitalize()})" if status else f"{incident.id}: {incident.title}",
        link=_url(base_url, f"incidents/{incident.id}.html"),
        text=update.text,
        status=status,
        audience=audience,
        at=format_time(update.at),
        rfc822=_rfc822(update.at),
    )


def _rfc822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(timezone.utc), usegmt=True)


def _authority(base_url: str) -> str:
    return urlsplit(base_url).hostname or "localhost"


def _url(base_url: str, path: str) -> str:
    return f"{base_url.rstrip('/')}/{path}" if base_url else path


def _text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _text(v) for k, v in attrib.items()})
    if text is not None:
        element.text = _text(text)
    return element


def _atom(site: SiteData, entries: list[Entry], base_url: str, name: str, updated: str) -> ET.Element:
    # Plain tag names under an xmlns attribute: ElementTree's default_namespace refuses unqualified attributes.
    feed = ET.Element("feed", xmlns=ATOM)
    _sub(feed, "id", f"tag:{_authority(base_url)},{TAG_DATE}:{site.edition}/history")
    _sub(feed, "title", f"{name}: history")
    _sub(feed, "updated", updated)
    _sub(feed, "link", rel="self", href=_url(base_url, "history.atom"))
    _sub(feed, "link", rel="alternate", href=_url(base_url, ""))
    author = _sub(feed, "author")
    _sub(author, "name", name)
    for entry in entries:
        item = _sub(feed, "entry")
        _sub(item, "id", entry.id)
        _sub(item, "title", entry.title, type="text")
        _sub(item, "updated", entry.at)
        _sub(item, "published", entry.at)
        _sub(item, "link", rel="alternate", href=entry.link)
        _sub(item, "content", entry.text, type="text")
        if entry.status:
            _sub(item, "category", term=entry.status)
        if entry.audience and not site.public:
            _sub(item, "category", term=entry.audience)
    return feed


def _rss(site: SiteData, entries: list[Entry], base_url: str, name: str) -> ET.Element:
    rss = ET.Element("rss", version="2.0")
    channel = _sub(rss, "channel")
    _sub(channel, "title", f"{name}: history")
    _sub(channel, "link", _url(base_url, ""))
    _sub(channel, "description", f"Status updates of {name}, newest first.")
    _sub(channel, "lastBuildDate", entries[0].rfc822 if entries else _rfc822(site.now))
    for entry in entries:
        item = _sub(channel, "item")
        _sub(item, "title", entry.title)
        _sub(item, "link", entry.link)
        # Readers render an RSS description as HTML, so it carries the text escaped as HTML.
        _sub(item, "description", html.escape(entry.text))
        _sub(item, "guid", entry.id, isPermaLink="false")
        _sub(item, "pubDate", entry.rfc822)
        if entry.status:
            _sub(item, "category", entry.status)
        if entry.audience and not site.public:
            _sub(item, "category", entry.audience)
    return rss


def _xml(root: ET.Element) -> str:
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="utf-8"?>\n{body}\n'
