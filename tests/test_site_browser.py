"""The published site in a real browser (headless Chromium): what readers see, and that records cannot run scripts.

Each site is built once per module and served by http.server on 127.0.0.1.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from gitutil import ok, t
from site_fixtures import (
    ACTIVE_EVENTS,
    ACTIVE_TITLE,
    CHROMIUM,
    CHROMIUM_ARGS,
    IDENTITY,
    KE_ID,
    KE_SEARCH,
    KE_TITLE,
    Sample,
    build,
    cli,
    html_files,
    sample_tracker,
    script_findings,
    serve,
    xss_tracker,
)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"headless Chromium not installed at {CHROMIUM} (CI installs it)")

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# Records every way a script could announce itself, before any page script runs.
HOOKS = """
window.__alerts = [];
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = (...args) => { window.__alerts.push(name + ":" + args.join(",")); };
}
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Watch:
    """What a page did besides rendering: requests, dialogs, console errors, page errors."""

    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("request", lambda request: self.requests.append(request.url))

        def dialog(d: Any) -> None:
            self.dialogs.append(f"{d.type}: {d.message}")
            d.dismiss()

        page.on("dialog", dialog)
        page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))


@pytest.fixture
def page(browser: Any) -> Iterator[tuple[Any, Watch]]:
    context = browser.new_context(service_workers="block")
    context.add_init_script(HOOKS)
    page = context.new_page()
    page.set_default_timeout(10_000)
    watch = Watch()
    watch.attach(page)
    yield page, watch
    context.close()


def open_search(tab: Any) -> Any:
    """Open Material's search: the header's search field (wide screens) or its icon (narrow ones)."""
    box = tab.locator(".md-search__input")
    if not box.is_visible():
        tab.locator("label[for=__search]:visible").first.click()
    box.click()
    return box


def search(tab: Any, query: str) -> None:
    """Type a query as a person does (Material searches on key presses, not on a bare input event)."""
    box = open_search(tab)
    box.fill("")
    box.press_sequentially(query)


# --- the sample site -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    return sample_tracker(tmp_path_factory.mktemp("browser") / "tracker")


@pytest.fixture(scope="module")
def site_url(sample: Sample) -> Iterator[str]:
    site = build(sample.root, sample.root.parent / "site")
    with serve(site) as url:
        yield url


def test_home_page_shows_the_active_incident_and_service_statuses(
    page: tuple[Any, Watch], site_url: str, sample: Sample, tmp_path: Path
) -> None:
    tab, watch = page
    tab.set_viewport_size({"width": 1280, "height": 900})
    tab.goto(site_url + "index.html")
    tab.screenshot(path=str(tmp_path / "status-home.png"), full_page=True)
    assert "mim-indicator-critical" in (tab.locator(".mim-overall").get_attribute("class") or "")
    # What is broken comes first: right under the banner, before the incidents and the catalog.
    blocks = tab.locator("article.md-content__inner > div").evaluate_all("els => els.map(e => e.className)")
    assert blocks[:3] == ["mim-status", "mim-now", "mim-current"], blocks
    affected = tab.locator(".mim-affected-now li.mim-component")
    assert affected.count() == 1
    assert affected.first.locator("> span").inner_text() == "Checkout API"  # the name, not the id
    assert affected.first.locator("> strong").inner_text() == "Major outage"
    assert ACTIVE_TITLE in affected.first.inner_text(), "the incident behind it is named"
    box = affected.first.bounding_box()
    assert box is not None and box["y"] < 900, f"the affected component is below the fold: {box}"
    active = tab.locator("article.mim-active")
    assert ACTIVE_TITLE in active.first.inner_text(), "the most severe incident first"
    # Every component under its catalog group, with a 90-day history bar.
    groups = tab.locator(".mim-all section.mim-group > h3").all_inner_texts()
    assert groups == ["Customer", "Payments", "Internal", "Other services"], groups
    statuses = {
        item.locator("> span").inner_text().strip(): item.locator("> strong").inner_text().strip()
        for item in tab.locator(".mim-all li.mim-component").all()
    }
    assert statuses["Checkout API"] == "Major outage", statuses
    others = {name: status for name, status in statuses.items() if name != "Checkout API"}
    assert others and set(others.values()) == {"Operational"}, others
    assert tab.locator(".mim-all .mim-bar").first.locator("i").count() == 90
    # The link from the status page reaches the incident.
    active.first.locator("h3 a").click()
    tab.wait_for_url(re.compile(rf"incidents/{sample.active}\.html$"))
    assert not watch.dialogs and not watch.errors, (watch.dialogs, watch.errors)


def test_incident_timeline_is_in_chronological_order(page: tuple[Any, Watch], site_url: str, sample: Sample) -> None:
    tab, _ = page
    tab.goto(f"{site_url}incidents/{sample.active}.html")
    times = tab.locator("ol.mim-timeline > li > time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    kinds = tab.locator("ol.mim-timeline > li > strong").all_inner_texts()
    assert times == sorted(times), times
    # Recorded out of order (the notes at +30 and then +10 minutes), shown in real-world order.
    shown = list(zip(times, kinds, strict=True))
    assert shown == sorted(ACTIVE_EVENTS), shown
    heading = tab.locator("h2", has_text="Timeline").inner_text()
    assert f"({len(ACTIVE_EVENTS)} events)" in heading


def _ke_result(tab: Any) -> Any:
    return tab.locator(f".md-search-result__item:has(a[href*='kedb/{KE_ID}.html'])")


def test_kedb_search_finds_a_known_error_by_a_symptom(page: tuple[Any, Watch], site_url: str) -> None:
    tab, watch = page
    tab.goto(site_url + "kedb/index.html")
    search(tab, KE_SEARCH)
    tab.locator(".md-search-result__item", has_text=KE_TITLE).first.wait_for(state="visible", timeout=15_000)
    # The known error's own page is among the results; it opens on the symptom that matched.
    result = _ke_result(tab)
    result.first.wait_for(state="visible")
    result.first.locator(f"a[href*='kedb/{KE_ID}.html']").first.click()
    tab.wait_for_url(re.compile(rf"kedb/{KE_ID}\.html"))
    assert KE_TITLE in tab.locator("h1").inner_text()
    assert "blank order total" in tab.locator("#symptoms + div").inner_text()
    assert not watch.dialogs and not watch.errors, (watch.dialogs, watch.errors)


def test_kedb_search_result_shows_the_known_error_title(page: tuple[Any, Watch], site_url: str) -> None:
    tab, _ = page
    tab.goto(site_url + "kedb/index.html")
    search(tab, KE_SEARCH)
    result = _ke_result(tab)
    result.first.wait_for(state="visible", timeout=15_000)
    assert KE_TITLE in result.first.inner_text(), result.first.inner_text()


def test_search_opens_with_the_slash_key(page: tuple[Any, Watch], site_url: str) -> None:
    tab, _ = page
    tab.goto(site_url + "index.html")
    tab.wait_for_load_state("load")
    tab.keyboard.press("/")
    box = tab.locator(".md-search__input")
    box.wait_for(state="visible")
    box.type("exchange rate sync")
    tab.locator(".md-search-result__item", has_text=KE_TITLE).first.wait_for(state="visible", timeout=15_000)


def _offsite(urls: list[str]) -> list[str]:
    return [u for u in urls if urlsplit(u).scheme not in ("data", "blob", "about") and urlsplit(u).hostname not in LOCAL_HOSTS]


def test_pages_make_no_request_outside_localhost(page: tuple[Any, Watch], site_url: str, sample: Sample) -> None:
    tab, watch = page
    for path in (
        "index.html",
        f"incidents/{sample.active}.html",
        "incidents/index.html",
        f"kedb/{KE_ID}.html",
        "reviews/INC-0001.html",
        "reports/index.html",
        "cli.html",
    ):
        tab.goto(site_url + path)
    search(tab, "payments")
    tab.locator(".md-search-result__item").first.wait_for(state="visible")
    tab.wait_for_load_state("networkidle")
    assert len(watch.requests) > 7
    assert not _offsite(watch.requests), _offsite(watch.requests)


# --- hostile records -------------------------------------------------------------------


@pytest.fixture(scope="module")
def xss_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    root = xss_tracker(tmp_path_factory.mktemp("xss-browser") / "tracker")
    site = build(root, root.parent / "site")
    generated = ("index.html", "incidents/", "kedb/", "reviews/", "reports/")
    pages = [p.relative_to(site).as_posix() for p in html_files(site)]
    with serve(site) as url:
        yield url, [p for p in pages if p.startswith(generated)]


PROVOKE = """
() => {
  const links = [...document.querySelectorAll("a[href]")];
  const scripted = links.filter(a => a.getAttribute("href").replace(/[\\s\\x00-\\x1f]/g, "").toLowerCase().startsWith("javascript:"));
  for (const a of scripted) { a.dispatchEvent(new MouseEvent("mouseover", {bubbles: true})); a.click(); }
  for (const el of document.querySelectorAll("article *")) {
    for (const type of ["mouseover", "mouseenter", "focus", "click"]) {
      if (el.closest("a")) continue;  // a click inside a link would navigate away
      el.dispatchEvent(new MouseEvent(type, {bubbles: true, cancelable: true}));
    }
  }
  const handlers = [...document.querySelectorAll("*")].flatMap(
    el => [...el.attributes].filter(a => a.name.startsWith("on")).map(a => el.tagName + " " + a.name));
  return {scripted: scripted.map(a => a.outerHTML), handlers, alerts: window.__alerts};
}
"""


def test_no_record_text_runs_a_script_in_the_browser(page: tuple[Any, Watch], xss_site: tuple[str, list[str]]) -> None:
    tab, watch = page
    url, pages = xss_site
    assert any(p.startswith("incidents/INC-") for p in pages) and "kedb/KE-0001.html" in pages and "reviews/INC-0001.html" in pages
    problems = []
    for path in pages:
        tab.goto(url + path)
        found = tab.evaluate(PROVOKE)
        for link in tab.locator("a[href^='javascript' i]").all():
            link.hover()
        if found["scripted"] or found["handlers"] or found["alerts"]:
            problems.append(f"{path}: {found}")
    assert not problems, "\n".join(problems)
    assert not watch.dialogs, watch.dialogs
    assert not [e for e in watch.errors if "alert" in e], watch.errors
    assert len(pages) >= 10


def test_search_results_for_hostile_records_run_no_script(page: tuple[Any, Watch], xss_site: tuple[str, list[str]]) -> None:
    """Material renders search results as HTML, from the search index's copy of each page."""
    tab, watch = page
    url, _ = xss_site
    tab.goto(url + "index.html")
    open_search(tab)
    for query in ("alert", "onmouseover", "script", "XSS summary", "javascript"):
        search(tab, query)
        tab.locator(".md-search-result__item").first.wait_for(state="visible", timeout=15_000)
        found = tab.evaluate(PROVOKE.replace("article *", ".md-search-result *"))
        assert not found["handlers"] and not found["scripted"] and not found["alerts"], (query, found)
    assert not watch.dialogs, watch.dialogs
    assert not [e for e in watch.errors if "alert" in e], watch.errors


# --- the common Material extensions on -------------------------------------------------

EXTENDED_MARKDOWN = """
markdown_extensions:
  - tables
  - admonition
  - toc:
      permalink: true
  - attr_list
  - md_in_html
  - def_list
  - footnotes
  - abbr
  - pymdownx.betterem
  - pymdownx.caret
  - pymdownx.mark
  - pymdownx.tilde
  - pymdownx.critic
  - pymdownx.details
  - pymdownx.highlight
  - pymdownx.inlinehilite
  - pymdownx.keys
  - pymdownx.magiclink
  - pymdownx.smartsymbols
  - pymdownx.superfences
  - pymdownx.tabbed:
      alternate_style: true
  - pymdownx.tasklist
  - pymdownx.snippets
  - pymdownx.emoji
"""
SNIPPET_PAYLOAD = 'Pasted config:\n\n--8<-- "mkdocs.yml"\n\n;--8<-- "process.yaml"\n\n{++ <img src=x onerror=alert(2)> ++}\n\n==mark== ^^caret^^ ++ctrl+alt++ :smile:'


def extended_config(root: Path) -> None:
    """The tracker's mkdocs.yml with the extensions organisations commonly turn on."""
    config = (root / "mkdocs.yml").read_text(encoding="utf-8")
    start = config.index("markdown_extensions:")
    end = config.index("\nnav:")
    (root / "mkdocs.yml").write_text(config[:start] + EXTENDED_MARKDOWN.strip() + "\n" + config[end:], encoding="utf-8")


@pytest.fixture(scope="module")
def extended_xss_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str], Path]]:
    root = xss_tracker(tmp_path_factory.mktemp("xss-extended") / "tracker")
    extended_config(root)
    cli(root, "note", "INC-0002", SNIPPET_PAYLOAD, "--at", t(9), "--by", "mallory")
    site = build(root, root.parent / "site")
    pages = [p.relative_to(site).as_posix() for p in html_files(site)]
    with serve(site) as url:
        yield url, [p for p in pages if p.startswith(("index.html", "incidents/INC-", "kedb/", "reviews/", "reports/"))], site


def test_record_text_stays_text_with_the_common_extensions_on(
    page: tuple[Any, Watch], extended_xss_site: tuple[str, list[str], Path]
) -> None:
    tab, watch = page
    url, pages, site = extended_xss_site
    assert "pymdownx.snippets" in (site.parent / "tracker" / "mkdocs.yml").read_text(encoding="utf-8")
    findings = script_findings(site)
    assert not findings, "\n".join(findings[:20])
    problems = []
    for path in pages:
        tab.goto(url + path)
        found = tab.evaluate(PROVOKE)
        if found["scripted"] or found["handlers"] or found["alerts"]:
            problems.append(f"{path}: {found}")
    assert not problems, "\n".join(problems)
    assert not watch.dialogs, watch.dialogs
    active = (site / "incidents" / "INC-0002.html").read_text(encoding="utf-8")
    # Snippets were not included, critic marks and emoji not applied: the text is shown as written.
    assert "site_name:" not in active and "priority_matrix" not in active
    assert "--8&lt;--" in active or '--8<-- "mkdocs.yml"' in active.replace("&quot;", '"')
    assert "<mark>" not in active and "<ins" not in active and "<kbd" not in active
    assert len(pages) >= 10


# --- navigation in every edition ---------------------------------------------------------


@pytest.fixture(scope="module")
def editions(tmp_path_factory: pytest.TempPathFactory, sample: Sample) -> Iterator[dict[str, str]]:
    base = tmp_path_factory.mktemp("editions")
    with pytest.MonkeyPatch.context() as patch:
        for key, value in IDENTITY.items():
            patch.setenv(key, value)
        ok(["init", "org", "--site-url", "https://status.example.com/"], base)
    sites = {
        "sample internal": build(sample.root, base / "sample-internal"),
        "sample public": build(sample.root, base / "sample-public", public=True),
        "init internal": build(base / "org", base / "init-internal"),
        "init public": build(base / "org", base / "init-public", public=True),
    }
    with serve(base) as url:
        yield {name: f"{url}{site.name}/" for name, site in sites.items()}


@pytest.mark.parametrize("edition", ["sample internal", "sample public", "init internal", "init public"])
def test_every_edition_navigates_to_known_errors_and_reviews(
    page: tuple[Any, Watch], editions: dict[str, str], edition: str, tmp_path: Path
) -> None:
    tab, watch = page
    tab.set_viewport_size({"width": 1280, "height": 900})
    reviews = "Reviews" if "internal" in edition else "Incident reports"
    for tab_name, target in (("Known errors", "kedb/index.html"), (reviews, "reviews/index.html"), ("Incidents", "incidents/index.html")):
        tab.goto(editions[edition] + "index.html")
        link = tab.locator(".md-tabs__link", has_text=tab_name).first
        assert link.is_visible(), f"{edition}: no {tab_name!r} tab on the status home"
        link.click()
        tab.wait_for_url(re.compile(re.escape(target) + "$"))
        assert tab.locator("h1").first.is_visible()
    tab.screenshot(path=str(tmp_path / f"{edition.replace(' ', '-')}.png"))
    assert not watch.errors, watch.errors


def test_wide_tables_scroll_instead_of_being_cut(page: tuple[Any, Watch], site_url: str, tmp_path: Path) -> None:
    tab, _ = page
    tab.set_viewport_size({"width": 760, "height": 900})
    for path in ("reports/index.html", "index.html", "incidents/index.html"):
        tab.goto(site_url + path)
        found = tab.evaluate(
            """() => [...document.querySelectorAll('.mim-scroll')].map(box => ({
                 overflow: getComputedStyle(box).overflowX,
                 wider: box.scrollWidth > box.clientWidth + 1,
                 inside: box.getBoundingClientRect().right <= document.documentElement.clientWidth + 1}))"""
        )
        assert found, f"{path}: no table"
        assert all(f["overflow"] == "auto" and f["inside"] for f in found), (path, found)
        if path == "reports/index.html":
            assert any(f["wider"] for f in found), "the report's wide tables are wider than the screen: they scroll"
            tab.screenshot(path=str(tmp_path / "reports-narrow.png"), full_page=True)
