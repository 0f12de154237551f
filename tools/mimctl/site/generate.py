"""Records in, site files out: the one pure function behind every build."""

from __future__ import annotations

from .data import SiteData


def generate(site: SiteData, base_url: str = "") -> dict[str, str]:
    """Every generated file of the edition, as {docs-relative path: content}."""
    from .feeds import feeds
    from .incident_pages import incident_pages
    from .statusapi import status_api

    files: dict[str, str] = {}
    files.update(incident_pages(site))
    files.update(status_api(site, base_url))
    files.update(feeds(site, base_url))
    if not site.public:
        from .knowledge_pages import kedb_pages, review_pages
        from .reports import reports

        files.update(kedb_pages(site))
        files.update(review_pages(site))
        files.update(reports(site))
    return files
