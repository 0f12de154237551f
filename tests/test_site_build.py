"""The published site as `mimctl site build` makes it: pages, editions, API files, feeds, scale, XSS.

Each fixture builds one site per module (``mkdocs build --strict`` through
``build_site``) from a tracker in tmp_path; the tests only read the files.
"""

from __future__ import annotations

import html as html_module
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from gitutil import run, t
from mimctl.events import KINDS
from mimctl.gates import GATES, gates_of
from mimctl.site.build import SiteBuildError
from mimctl.site.cli_reference import all_commands
from mimctl.store import Tracker
from mimctl.validate import validate
from mimctl.yamlio import load_file
from site_fixtures import (
    FREE_TEXT_PAYLOADS,
    INTERNAL_UPDATE,
    KE_ID,
    KE_TITLE,
    LINE_PAYLOAD,
    PRIVATE_TITLE,
    PUBLIC_UPDATE,
    SENSITIVE_TITLE,
    XSS_CORPUS,
    Sample,
    build,
    cli,
    clone_incident,
    copy_sample,
    declare,
    html_files,
    new_tracker,
    parse_html,
    sample_tracker,
    script_findings,
    write_known_error,
    xss_tracker,
)

API_FILES = [
    "api/v2/status.json",
    "api/v2/summary.json",
    "api/v2/components.json",
    "api/v2/incidents.json",
    "api/v2/incidents/unresolved.json",
]
INCIDENT_PAGE = re.compile(r"(^|/)INC-[0-9]+\.html$")
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    return sample_tracker(tmp_path_factory.mktemp("site") / "tracker")


@pytest.fixture(scope="module")
def internal(sample: Sample) -> Path:
    return build(sample.root, sample.root.parent / "internal")


@pytest.fixture(scope="module")
def public(sample: Sample) -> Path:
    return build(sample.root, sample.root.parent / "public", public=True)


def page_text(site: Path) -> dict[str, str]:
    """Every text file of a built site, by site-relative path (pages, JSON, feeds, search index, sitemap)."""
    return {
        p.relative_to(site).as_posix(): p.read_text(encoding="utf-8")
        for p in site.rglob("*")
        if p.is_file() and p.suffix in (".html", ".json", ".atom", ".rss", ".xml")
    }


def links(site: Path, page: str) -> set[str]:
    """The site-relative targets of the <a href> links of ``page`` (fragments and external links dropped)."""
    base = Path(page).parent
    found = set()
    for element in parse_html(site / page):
        href = element.attrs.get("href", "")
        if element.tag != "a" or not href or urlsplit(href).scheme or href.startswith("#"):
            continue
        target = (base / urlsplit(href).path).as_posix()
        found.add(Path(*[p for p in _normalise(target)]).as_posix())
    return found


def _normalise(path: str) -> list[str]:
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return parts


def nav_links(site: Path, page: str) -> set[str]:
    """Targets of the links inside the navigation (<nav> elements and the tabs) of ``page``."""
    html = (site / page).read_text(encoding="utf-8")
    navs = re.findall(r"<nav\b.*?</nav>", html, flags=re.DOTALL)
    hrefs = set()
    for nav in navs:
        hrefs.update(re.findall(r'href="([^"]*)"', nav))
    base = Path(page).parent
    return {"/".join(_normalise((base / h.split("#")[0]).as_posix())) for h in hrefs if h and not urlsplit(h).scheme}


# --- it builds, every record has a page -----------------------------------------------------


def test_strict_build_of_a_tracker_with_its_own_mkdocs_yml(sample: Sample, internal: Path) -> None:
    assert (sample.root / "mkdocs.yml").exists()
    assert (internal / "index.html").exists()
    assert (internal / "about.html").exists(), "the repo's own guides (its docs_dir) are part of the build"


def test_a_tracker_without_mkdocs_yml_builds_with_the_starter_config(tmp_path: Path) -> None:
    root = new_tracker(tmp_path / "tracker", mkdocs=False)
    copy_sample(root, ("INC-0001",), ("KE-0001",))
    site = build(root, tmp_path / "site")
    assert (site / "incidents" / "INC-0001.html").exists()
    assert (site / "kedb" / "KE-0001.html").exists()


def test_the_cli_builds_the_site(sample: Sample, tmp_path: Path) -> None:
    result = run(["site", "build", "--public", "-o", str(tmp_path / "out"), "--repo", str(sample.root), "--format", "json"], sample.root)
    assert result.exit_code == 0, result
    assert result.json()["edition"] == "public"
    assert (tmp_path / "out" / "index.html").exists()


def test_a_broken_page_fails_the_strict_build(sample: Sample, tmp_path: Path) -> None:
    root = new_tracker(tmp_path / "tracker")
    (root / "docs" / "about.md").write_text("# About\n\n[broken](no-such-page.md)\n", encoding="utf-8")
    with pytest.raises(SiteBuildError):
        build(root, tmp_path / "site")


def test_every_incident_and_known_error_has_a_page(sample: Sample, internal: Path) -> None:
    tracker = Tracker(sample.root)
    incident_ids = tracker.incident_ids()
    ke_ids = [p.stem for p in tracker.known_error_paths()]
    assert len(incident_ids) == 4 and ke_ids == ["KE-0001", KE_ID]
    for incident_id in incident_ids:
        assert (internal / "incidents" / f"{incident_id}.html").is_file(), incident_id
    for ke_id in ke_ids:
        page = (internal / "kedb" / f"{ke_id}.html").read_text(encoding="utf-8")
        assert re.search(f'<h1 id="{ke_id.lower()}[^"]*">{ke_id}: ', page), ke_id
    assert KE_TITLE in (internal / "kedb" / f"{KE_ID}.html").read_text(encoding="utf-8")
    assert (internal / "reviews" / "INC-0001.html").is_file()


def test_incident_pages_are_reached_from_the_index_not_from_the_navigation(sample: Sample, internal: Path) -> None:
    index_links = links(internal, "incidents/index.html")
    pages = sorted(p.relative_to(internal).as_posix() for p in (internal / "incidents").glob("INC-*.html"))
    assert pages and set(pages) <= index_links, f"not linked from the index: {set(pages) - index_links}"
    for page in pages:
        in_nav = {link for link in nav_links(internal, page) if INCIDENT_PAGE.search(link)}
        assert not in_nav, f"{page}: incident pages in its navigation: {sorted(in_nav)}"
    assert "incidents/index.html" in nav_links(internal, pages[0]), "the index itself is a nav entry"
    ke_links = links(internal, "kedb/index.html")
    assert {"kedb/KE-0001.html", f"kedb/{KE_ID}.html"} <= ke_links


def test_an_incident_page_does_not_grow_with_the_number_of_incidents(tmp_path: Path) -> None:
    """With the default navigation every page lists every page: 5,000 incidents made 8.5 GB."""
    root = new_tracker(tmp_path / "tracker")
    first = declare(root, "Card payments failing at checkout", "checkout-api", "SEV2", t(0))
    cli(root, "note", first, "Error rate at 40%", "--at", t(5))
    write_known_error(root, "KE-0001", "Receipts without totals", ["Receipt emails show no total."], ["checkout-api"])
    for number in range(2, 4):
        clone_incident(root, first, f"INC-{number:04d}")
    few = build(root, tmp_path / "few")
    for number in range(4, 61):
        clone_incident(root, first, f"INC-{number:04d}")
    many = build(root, tmp_path / "many")
    assert len(list((many / "incidents").glob("INC-*.html"))) == 60
    for page in ("incidents/INC-0002.html", "kedb/KE-0001.html", "about.html"):
        small, large = (few / page).stat().st_size, (many / page).stat().st_size
        # One more nav link is ~150 bytes: 57 more incidents in the nav would add ~8 KB.
        assert abs(large - small) <= 256, f"{page}: {small} bytes with 3 incidents, {large} with 60"


# --- the public edition ---------------------------------------------------------------------


def test_public_edition_leaves_out_private_and_security_sensitive_incidents(sample: Sample, public: Path) -> None:
    assert (public / "incidents" / f"{sample.active}.html").exists()
    assert (public / "incidents" / f"{sample.closed}.html").exists()
    for left_out in (sample.private, sample.sensitive):
        assert not (public / "incidents" / f"{left_out}.html").exists()
    texts = page_text(public)
    for secret in (sample.private, sample.sensitive, PRIVATE_TITLE, SENSITIVE_TITLE):
        leaks = [path for path, text in texts.items() if secret in text]
        assert not leaks, f"{secret!r} is published in {leaks}"


def test_public_edition_has_public_updates_only(sample: Sample, public: Path, internal: Path) -> None:
    texts = page_text(public)
    assert PUBLIC_UPDATE in texts[f"incidents/{sample.active}.html"]
    leaks = [path for path, text in texts.items() if INTERNAL_UPDATE in text]
    assert not leaks, f"an internal update is published in {leaks}"
    assert INTERNAL_UPDATE in (internal / "incidents" / f"{sample.active}.html").read_text(encoding="utf-8")


def test_public_edition_has_no_reports_or_guides_and_only_published_known_errors(public: Path, internal: Path) -> None:
    assert (internal / "reports" / "index.html").exists() and not (public / "reports").exists()
    for page in ("about.html", "cli.html", "responders.html"):
        assert not (public / page).exists(), page
    # Known errors and incident reports are reachable, holding only what is marked for readers: none here.
    assert (public / "kedb" / "index.html").exists() and (public / "reviews" / "index.html").exists()
    assert not list((public / "kedb").glob("KE-*.html")) and not list((public / "reviews").glob("INC-*.html"))
    texts = page_text(public)
    for secret in (KE_ID, KE_TITLE, "KE-0001", "reports/"):
        leaks = [path for path, text in texts.items() if secret in text]
        assert not leaks, f"{secret!r} is in the public edition: {leaks}"


def test_public_edition_leaves_out_internal_detail_of_public_incidents(public: Path) -> None:
    page = (public / "incidents" / "INC-0001.html").read_text(encoding="utf-8")
    # Internal-only facts of the sample incident: the bridge, root cause, change and problem records.
    for secret in ("meet.example.com", "4.12.0", "PRB-0207", "CHG-4468", "Payments gateway connection pool"):
        assert secret not in page, secret


def test_public_edition_names_no_responders(public: Path) -> None:
    page = (public / "incidents" / "INC-0001.html").read_text(encoding="utf-8")
    # The sample incident's responders (roles, MIRT, scribe): none of them is public.
    named = [person for person in ("priya", "dana", "lee", "sam") if re.search(rf"\b{person}\b", page)]
    assert not named, f"responders named on the public page: {named}"


# --- status API, feeds, CLI reference -------------------------------------------------------


@pytest.mark.parametrize("edition", ["internal", "public"])
def test_statuspage_json_files_exist_and_parse(edition: str, request: pytest.FixtureRequest, sample: Sample) -> None:
    site: Path = request.getfixturevalue(edition)
    parsed = {name: json.loads((site / name).read_text(encoding="utf-8")) for name in API_FILES}
    assert parsed["api/v2/status.json"]["status"]["indicator"] == "critical"
    assert parsed["api/v2/summary.json"]["status"] == parsed["api/v2/status.json"]["status"]
    unresolved = [i["id"] for i in parsed["api/v2/incidents/unresolved.json"]["incidents"]]
    listed = [i["id"] for i in parsed["api/v2/incidents.json"]["incidents"]]
    assert sample.active in unresolved and sample.closed not in unresolved and sample.closed in listed
    if edition == "public":
        assert sample.private not in listed and sample.sensitive not in listed
    checkout = next(c for c in parsed["api/v2/components.json"]["components"] if c["name"] == "Checkout API")
    assert checkout["status"] == "major_outage"


def test_feeds_parse(internal: Path, public: Path, sample: Sample) -> None:
    for site in (internal, public):
        atom = ET.parse(site / "history.atom").getroot()
        assert atom.tag == f"{ATOM}feed"
        assert atom.findall(f"{ATOM}entry"), "the feed has entries"
        rss = ET.parse(site / "history.rss").getroot()
        assert rss.tag == "rss" and rss.find("channel") is not None
    public_atom = (public / "history.atom").read_text(encoding="utf-8")
    assert PUBLIC_UPDATE in public_atom and INTERNAL_UPDATE not in public_atom and PRIVATE_TITLE not in public_atom


def _documented_commands(site: Path) -> set[str]:
    html = (site / "cli.html").read_text(encoding="utf-8")
    return set(re.findall(r"<h2[^>]*><code>(mimctl[^<]*)</code>", html))


def test_cli_reference_documents_every_command(internal: Path) -> None:
    commands = {" ".join(path) for path, _ in all_commands()}
    assert {"mimctl", "mimctl new", "mimctl site build", "mimctl pir action add"} <= commands
    documented = _documented_commands(internal)
    missing = sorted(commands - documented)
    assert not missing, f"commands missing from cli.html: {missing}"
    html = (internal / "cli.html").read_text(encoding="utf-8")
    for path, command in all_commands():
        summary = (command.get_short_help_str(limit=200) or "").rstrip(".")
        assert summary[:40] in html.replace("&#39;", "'").replace("&quot;", '"'), f"{' '.join(path)}: its help text is not on the page"


def _table_rows(html: str, header: str) -> list[list[str]]:
    """The body rows of the table whose header row holds ``header``, each as its cells' text (tags removed)."""
    table = next(t for t in re.findall(r"<table>.*?</table>", html, re.S) if header in t)
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("</thead>", 1)[1], re.S)
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows]


def test_the_records_guide_shows_every_event_kind_with_its_fields(internal: Path) -> None:
    rows = _table_rows((internal / "records.html").read_text(encoding="utf-8"), "Fields (required in bold)")
    assert [row[0] for row in rows] == list(KINDS)
    for (_, fields, written), kind in zip(rows, KINDS.values(), strict=True):
        shown = re.findall(r"(?:^|, )([a-z_]+)", re.sub(r" \([^)]*\)", "", fields))
        assert shown == list(kind.fields), kind.name
        assert written == kind.written_by.replace("`", ""), kind.name


def test_the_process_guide_shows_every_gate_item_of_the_trackers_process(sample: Sample, internal: Path) -> None:
    process = Tracker(sample.root).process
    gates = gates_of(process)
    rows = _table_rows((internal / "process.html").read_text(encoding="utf-8"), "What a reviewer reads")
    assert [row[0] for row in rows] == list(gates) and set(GATES) <= set(gates)
    for row, gate in zip(rows, gates.values(), strict=True):
        assert row[1] == html_module.escape(gate.description, quote=False), gate.name
        assert row[2], f"{gate.name}: no rule shown"
        assert (row[3] == "yes") is gate.live_only, gate.name
        assert row[4] == ", ".join(s.id for s in process.stages if gate.name in s.gate), gate.name


def test_the_notifications_guide_shows_every_channel_type(internal: Path) -> None:
    from mimctl import channels

    rows = _table_rows((internal / "notifications.html").read_text(encoding="utf-8"), "what is sent")
    assert [row[0] for row in rows] == list(channels.TYPES)
    assert all(row[1] and row[2] for row in rows)


# --- no network ------------------------------------------------------------------------


RESOURCE_ATTRS = {
    "script": "src",
    "link": "href",
    "img": "src",
    "iframe": "src",
    "source": "src",
    "video": "src",
    "audio": "src",
    "embed": "src",
    "object": "data",
    "track": "src",
    "image": "href",
    "use": "href",
}


def _external(value: str) -> bool:
    parts = urlsplit(value.strip())
    return bool(parts.scheme and parts.scheme not in ("data", "blob")) or value.strip().startswith("//")


def external_references(site: Path) -> list[str]:
    found = []
    for path in html_files(site):
        rel = path.relative_to(site).as_posix()
        for element in parse_html(path):
            attr = RESOURCE_ATTRS.get(element.tag)
            if attr and _external(element.attrs.get(attr, "")):
                found.append(f"{rel}: <{element.tag} {attr}={element.attrs[attr]!r}>")
            if element.tag == "a" and urlsplit(element.attrs.get("href", "").strip()).scheme not in ("", "http", "https", "mailto"):
                found.append(f"{rel}: <a href={element.attrs['href']!r}>")
            for key in ("srcset", "poster", "background"):
                if key in element.attrs and _external(element.attrs[key]):
                    found.append(f"{rel}: <{element.tag} {key}={element.attrs[key]!r}>")
    for css in site.rglob("*.css"):
        for target in re.findall(r"url\(\s*['\"]?([^'\")]+)", css.read_text(encoding="utf-8")):
            if _external(target):
                found.append(f"{css.relative_to(site)}: url({target})")
        if re.search(r"@import\s+(url\()?['\"]?(https?:)?//", css.read_text(encoding="utf-8")):
            found.append(f"{css.relative_to(site)}: @import of an external stylesheet")
    return found


def test_no_page_loads_anything_from_another_host(internal: Path, public: Path) -> None:
    for site in (internal, public):
        found = external_references(site)
        assert not found, "external resources:\n" + "\n".join(found[:20])


def test_the_external_reference_check_catches_cdn_and_fonts(tmp_path: Path) -> None:
    (tmp_path / "x.html").write_text(
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">'
        '<script src="//cdn.example.com/a.js"></script><img src="http://example.com/a.png"><a href="ftp://x">x</a>',
        encoding="utf-8",
    )
    (tmp_path / "s.css").write_text("@font-face{src:url(https://fonts.gstatic.com/x.woff2)}", encoding="utf-8")
    assert len(external_references(tmp_path)) == 5


# --- hostile records -------------------------------------------------------------------


@pytest.fixture(scope="module")
def xss_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return xss_tracker(tmp_path_factory.mktemp("xss") / "tracker")


@pytest.fixture(scope="module")
def xss_sites(xss_root: Path) -> dict[str, Path]:
    return {"internal": build(xss_root, xss_root.parent / "internal"), "public": build(xss_root, xss_root.parent / "public", public=True)}


def _strings(value: object) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def test_the_hostile_corpus_holds_every_payload_in_every_free_text_field() -> None:
    texts = [s for path in sorted(XSS_CORPUS.rglob("*.yaml")) for s in _strings(load_file(path).data)]
    free = [s for s in texts if s.startswith("XSS ")]
    assert len(free) >= 60
    for value in free:
        missing = [p for p in FREE_TEXT_PAYLOADS if p not in value]
        assert not missing, f"{value.splitlines()[0]}: missing {missing}"
    assert sum(LINE_PAYLOAD in s for s in texts) >= 60, "single-line fields hold the payloads the schema allows"


def test_hostile_records_are_valid(xss_root: Path) -> None:
    """The payloads are all allowed by the schemas: the site must cope with them, not validation."""
    report = validate(Tracker(xss_root))
    assert report.findings == [], "\n".join(f.as_text() for f in report.findings)


def test_hostile_records_reach_the_pages(xss_sites: dict[str, Path]) -> None:
    site = xss_sites["internal"]
    incident = (site / "incidents" / "INC-0001.html").read_text(encoding="utf-8")
    for marker in (
        "XSS summary",
        "XSS major_reason",
        "XSS cause.summary",
        "XSS resolution_plan",
        "XSS closure.summary",
        "onmouseover=&quot;alert(1) title",
    ):
        assert marker in incident, marker
    known_error = (site / "kedb" / "KE-0001.html").read_text(encoding="utf-8")
    for marker in ("XSS symptoms.0", "XSS workaround.0", "XSS root_cause", "XSS fix.summary"):
        assert marker in known_error, marker
    review = (site / "reviews" / "INC-0001.html").read_text(encoding="utf-8")
    for marker in ("XSS summary", "XSS root_causes.0", "XSS what_went_well.0", "onmouseover=&quot;alert(1) actions.0.title"):
        assert marker in review, marker
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in incident, "escaped text stays visible as text"


@pytest.mark.parametrize("edition", ["internal", "public"])
def test_no_script_can_run_from_a_record(edition: str, xss_sites: dict[str, Path]) -> None:
    site = xss_sites[edition]
    assert len(html_files(site)) >= 10
    findings = script_findings(site)
    assert not findings, "\n".join(findings[:30])


def test_search_index_keeps_record_html_escaped(xss_sites: dict[str, Path], tmp_path: Path) -> None:
    """Material shows search results as HTML: the index's text must hold no live markup from a record."""
    index = json.loads((xss_sites["internal"] / "search" / "search_index.json").read_text(encoding="utf-8"))
    for number, doc in enumerate(index["docs"]):
        (tmp_path / f"{number}.html").write_text(f"<h1>{doc['title']}</h1>{doc['text']}", encoding="utf-8")
    findings = script_findings(tmp_path)
    assert not findings, "\n".join(findings[:30])


def test_the_script_check_catches_each_kind_of_injection(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text(
        '<p onclick="x()">a</p><a href=" JaVa\tScript:alert(1)">b</a><script>alert(1)</script><svg onload=alert(1)></svg><img src=x>',
        encoding="utf-8",
    )
    findings = script_findings(tmp_path)
    assert len(findings) >= 5, findings


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "</title><script>alert(1)</script>"),
        ("title", '"><svg onload=alert(1)>'),
        ("title", "<img src=x onerror=alert(1)>"),
        ("title", "Tom & Jerry"),
        ("bridge.url", "javascript:alert(1)"),
        ("bridge.url", " javascript:alert(1)"),
        ("bridge.url", 'https://ok.example.com/" onmouseover="alert(1)'),
        ("tags", '["[x](javascript:alert(1))"]'),
        ("regions", '["<script>"]'),
        ("impacted_users.segment", "<b>bold</b>"),
    ],
)
def test_validation_refuses_markup_in_single_line_fields_and_script_urls(field: str, value: str, tmp_path: Path) -> None:
    root = new_tracker(tmp_path / "tracker", mkdocs=False)
    incident_id = declare(root, "Checkout down")
    record = root / "incidents" / incident_id / "incident.yaml"
    before = record.read_bytes()
    args = ["set", incident_id, field, value, "--repo", str(root), "--no-commit", "--at", t(1)]
    if value.startswith("["):
        args.append("--json")
    result = run(args, root)
    assert result.exit_code != 0 and not result.crashed, result
    assert record.read_bytes() == before, "a refused change leaves the record as it was"


def test_the_bridge_command_refuses_a_javascript_url(tmp_path: Path) -> None:
    root = new_tracker(tmp_path / "tracker", mkdocs=False)
    incident_id = declare(root, "Checkout down")
    result = run(["bridge", incident_id, "javascript:alert(1)", "--repo", str(root), "--no-commit", "--at", t(1)], root)
    assert result.exit_code != 0 and not result.crashed, result
    assert "javascript" not in (root / "incidents" / incident_id / "incident.yaml").read_text(encoding="utf-8")


def test_a_hand_edited_title_with_markup_is_refused_by_validation(tmp_path: Path) -> None:
    root = new_tracker(tmp_path / "tracker", mkdocs=False)
    incident_id = declare(root, "Checkout down")
    record = root / "incidents" / incident_id / "incident.yaml"
    text = record.read_text(encoding="utf-8").replace("title: Checkout down", "title: '</title><script>alert(1)</script>'")
    record.write_text(text, encoding="utf-8")
    report = validate(Tracker(root))
    assert any(f.path.endswith("incident.yaml") and "title" in f.as_text() for f in report.findings), report.findings


def test_incident_pages_speak_in_the_right_tense_with_durations(sample: Sample, internal: Path, public: Path) -> None:
    for site in (internal, public):
        over = (site / "incidents" / f"{sample.closed}.html").read_text(encoding="utf-8")
        ongoing = (site / "incidents" / f"{sample.active}.html").read_text(encoding="utf-8")
        assert "This incident affected" in over and re.search(r" for [0-9]+h [0-9]{2}m\. Resolved at", over), "past tense, with how long"
        assert "This incident is affecting Checkout API since" in ongoing and "so far)" in ongoing
        history = (site / "incidents" / "index.html").read_text(encoding="utf-8")
        assert "<th>Duration</th>" in history and re.search(r"<td>[0-9]+h [0-9]{2}m</td>", history)
