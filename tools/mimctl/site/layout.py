"""Where generated pages live and how they link to each other.

The site is built with ``use_directory_urls: false``: ``incidents/INC-0001.md``
becomes ``incidents/INC-0001.html``, so links between generated pages are plain
relative paths computed here.
"""

from __future__ import annotations

import json
import posixpath
import re

from ..layout import INCIDENT_ID, KNOWN_ERROR_ID, MAINTENANCE_ID

_SLUG = re.compile(r"[^a-z0-9_-]+")
# The folders of single records' pages, each page named after its record's id (the functions below).
RECORD_PAGE_FOLDERS = (("incidents", INCIDENT_ID), ("reviews", INCIDENT_ID), ("kedb", KNOWN_ERROR_ID), ("maintenance", MAINTENANCE_ID))


def slug(value: str) -> str:
    """A safe file-name part for ids and tags (which the schemas already restrict)."""
    return _SLUG.sub("-", value.lower()).strip("-") or "x"


def incident_page(incident_id: str) -> str:
    return f"incidents/{slug(incident_id).upper()}.md"


def known_error_page(ke_id: str) -> str:
    return f"kedb/{slug(ke_id).upper()}.md"


def review_page(incident_id: str) -> str:
    return f"reviews/{slug(incident_id).upper()}.md"


def maintenance_page(maintenance_id: str) -> str:
    return f"maintenance/{slug(maintenance_id).upper()}.md"


def service_incidents_page(service_id: str) -> str:
    return f"incidents/service/{slug(service_id)}.md"


def built(page: str) -> str:
    """The file the site holds for the page or file ``page`` (docs-relative): ``incidents/INC-0001.md`` -> ``incidents/INC-0001.html``."""
    return page[:-3] + ".html" if page.endswith(".md") else page


def href(source: str, target: str) -> str:
    """Relative URL from the page ``source`` to the page or file ``target`` (both docs-relative)."""
    relative = posixpath.relpath(built(target), posixpath.dirname(source) or ".")
    return relative


def front_matter(title: str, **extra: object) -> str:
    """YAML front matter with a JSON-quoted title, so MkDocs never reads it from a heading."""
    lines = ["---", f"title: {json.dumps(title, ensure_ascii=False)}"]
    lines += [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in extra.items()]
    return "\n".join(lines) + "\n---\n\n"
