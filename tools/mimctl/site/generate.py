"""Records in, site files out: the one pure function behind every build."""

from __future__ import annotations

from .data import SiteData

# What the status path (``mimctl site build --status-only``) writes: the status home, the
# status API, the feeds and the pages of the incidents it holds (the active and recent ones).
STATUS_FILES = ("index.md", "api/v2/", "history.atom", "history.rss", "incidents/INC-", "maintenance/")


def generate(site: SiteData, base_url: str = "") -> dict[str, str]:
    """Every generated file of the edition, as {docs-relative path: content}.

    For the status path (``site.complete`` false) only the status home, the
    API, the feeds, maintenance and the pages of the incidents loaded.
    """
    from .feeds import feeds
    from .incident_pages import incident_pages, index_pages
    from .maintenance_pages import maintenance_pages
    from .status_page import home_page
    from .statusapi import status_api

    base_url = base_url or site.site_url
    files: dict[str, str] = {"index.md": home_page(site)}
    files.update(incident_pages(site))
    files.update(status_api(site, base_url))
    files.update(feeds(site, base_url))
    files.update(maintenance_pages(site))
    if not site.complete:
        return files
    files.update(index_pages(site))
    from .knowledge_pages import kedb_pages, review_pages

    if site.shows("kedb"):
        files.update(kedb_pages(site))
    if site.shows("reviews"):
        files.update(review_pages(site))
    if site.shows("reports"):
        from .reports import reports

        files.update(reports(site))
    return files
