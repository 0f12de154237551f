"""Status history feeds: ``history.atom`` (Atom 1.0, RFC 4287) and ``history.rss`` (RSS 2.0).

One entry per update readers were given (the same updates as the status API,
incidents and scheduled maintenance alike), newest first. Built with
ElementTree so record text is always character data, never markup.

Entry ids are ``urn:uuid:`` URIs made (UUID version 5) from the record id and
the update's own id (a timeline file name, append-only), never from the site's
host: setting or changing ``site_url`` later does not make readers see every
entry again. Links are absolute when ``site_url`` is set, as the W3C feed
validator requires; without it they are relative (``mimctl site build`` warns).
"""

from __future__ import annotations

import html
import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime

from ..model import format_time
from . import layout
from .data import SiteData
from .parts import INCIDENT_STATUS_LABEL

ATOM = "http://www.w3.org/2005/Atom"
MAX_ENTRIES = 200
# Fixed namespace of mimctl feed ids: uuid5(NAMESPACE, "INC-0001/<update id>") never changes.
NAMESPACE = uuid.UUID("6f1b1d2e-3c1a-5d4e-9f0b-6d696d63746c")
# Characters XML 1.0 cannot carry at all; the schema keeps them out of titles, but free text may hold them.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Entry:
    """One update as a feed entry."""

    id: str
    title: str
    link: str
    text: str
    status: str
    at: str
    moment: datetime

    @property
    def rfc822(self) -> str:
        return _rfc822(self.moment)


def feed_id(*parts: str) -> str:
    """A stable ``urn:uuid:`` for a feed or an entry."""
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, '/'.join(parts))}"


def feeds(site: SiteData, base_url: str = "", name: str = "Service status") -> dict[str, str]:
    """The Atom and RSS feeds of status updates as {relative path: XML text}."""
    base_url = base_url or site.site_url
    entries = feed_entries(site, base_url)
    updated = entries[0].at if entries else format_time(site.now)
    return {
        "history.atom": _xml(_atom(site, entries, base_url, name, updated)),
        "history.rss": _xml(_rss(site, entries, base_url, name)),
    }


def feed_entries(site: SiteData, base_url: str = "") -> list[Entry]:
    """The edition's updates (incidents and maintenance), newest first, at most ``MAX_ENTRIES``."""
    found: list[Entry] = []

    def add(entry_id: str, title: str, link: str, status: str, text: str, at: datetime) -> None:
        label = INCIDENT_STATUS_LABEL.get(status, status)
        found.append(Entry(entry_id, f"{title} ({label})", link, text, status, format_time(at), at))

    for state in site.state.incidents.values():
        incident = state.incident
        link = _url(base_url, layout.href("index.md", layout.incident_page(incident.id)))
        for update in state.updates:
            add(feed_id(incident.id, update.id), incident.title, link, update.status, update.text, update.at)
    for maintenance in site.state.maintenances:
        record = maintenance.maintenance
        link = _url(base_url, layout.href("index.md", layout.maintenance_page(record.id)))
        for item in record.updates:
            add(feed_id(record.id, f"update-{item.index}"), f"Maintenance: {record.title}", link, item.status, item.text, item.at)
    found.sort(key=lambda e: (e.moment, e.id), reverse=True)
    return found[:MAX_ENTRIES]


def _rfc822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(timezone.utc), usegmt=True)


def _url(base_url: str, path: str) -> str:
    return f"{base_url.rstrip('/')}/{path}" if base_url else path


def _text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _text(v) for k, v in attrib.items()})
    if text is not None:
        element.text = _text(text)
    return element


def _home(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/" if base_url else "./"


def _atom(site: SiteData, entries: list[Entry], base_url: str, name: str, updated: str) -> ET.Element:
    # Plain tag names under an xmlns attribute: ElementTree's default_namespace refuses unqualified attributes.
    feed = ET.Element("feed", xmlns=ATOM)
    _sub(feed, "id", feed_id("history", site.edition))
    _sub(feed, "title", f"{name}: history")
    _sub(feed, "updated", updated)
    _sub(feed, "link", rel="self", type="application/atom+xml", href=_url(base_url, "history.atom"))
    _sub(feed, "link", rel="alternate", type="text/html", href=_home(base_url))
    author = _sub(feed, "author")
    _sub(author, "name", name)
    for entry in entries:
        item = _sub(feed, "entry")
        _sub(item, "id", entry.id)
        _sub(item, "title", entry.title, type="text")
        _sub(item, "updated", entry.at)
        _sub(item, "published", entry.at)
        _sub(item, "link", rel="alternate", type="text/html", href=entry.link)
        _sub(item, "content", entry.text, type="text")
        if entry.status:
            _sub(item, "category", term=entry.status)
    return feed


def _rss(site: SiteData, entries: list[Entry], base_url: str, name: str) -> ET.Element:
    rss = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM})
    channel = _sub(rss, "channel")
    _sub(channel, "title", f"{name}: history")
    _sub(channel, "link", _home(base_url))
    _sub(channel, "description", f"Status updates of {name}, newest first.")
    if base_url:  # the W3C validator asks for the feed's own address
        _sub(channel, "atom:link", href=_url(base_url, "history.rss"), rel="self", type="application/rss+xml")
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
    return rss


def _xml(root: ET.Element) -> str:
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="utf-8"?>\n{body}\n'
