"""The reports section of the site: the page, its SVG charts and the CSV/JSON downloads, from real records."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import shutil
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from mimctl.cli import main
from mimctl.site.charts import bar_chart, stacked_bar_chart
from mimctl.site.data import INTERNAL, PUBLIC, SiteData, collect
from mimctl.site.reports import reports
from mimctl.store import Tracker

REPO_ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)
SVG = "{http://www.w3.org/2000/svg}"
EVIL = "<script>alert(1)</script>"


def _run(root: Path, *args: str, at: str = "2026-04-03T10:00:00Z") -> str:
    result = CliRunner().invoke(main, [*args, "--repo", str(root), "--no-commit", "--at", at], env={"MIMCTL_USER": "tester"})
    assert result.exit_code == 0, result.output
    return result.output


def _declare(root: Path, severity: str, services: list[str], at: str) -> None:
    service_args = [arg for service in services for arg in ("--service", service)]
    _run(
        root,
        "new",
        "--title",
        "Checkout errors",
        *service_args,
        "--impact",
        "high",
        "--urgency",
        "high",
        "--severity",
        severity,
        "--source",
        "alert",
        "--visibility",
        "public",
        at=at,
    )


@pytest.fixture(scope="module")
def tracker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three incidents: two SEV1 in March (acked after 5 and 15 minutes), one SEV2 in April with an overdue action."""
    root = tmp_path_factory.mktemp("reports") / "tracker"
    (root / "incidents").mkdir(parents=True)
    for name in ("process.yaml", "catalog.yaml"):
        shutil.copyfile(REPO_ROOT / name, root / name)
    shutil.copytree(REPO_ROOT / "schemas", root / "schemas")

    _declare(root, "SEV1", ["checkout-api"], "2026-03-01T10:00:00Z")
    _run(root, "ack", "INC-0001", at="2026-03-01T10:05:00Z")
    added = _run(root, "containment", "add", "INC-0001", "--action", "Failover", "--rollback", "Fail back", at="2026-03-01T10:20:00Z")
    action = re.search(r"\bC-[0-9a-f]{4}\b", added).group(0)  # type: ignore[union-attr]
    _run(root, "containment", "set", "INC-0001", action, "effective", at="2026-03-01T10:25:00Z")
    _run(root, "resolution", "INC-0001", "--service-restored", at="2026-03-01T10:50:00Z")
    _run(root, "resolution", "INC-0001", "--implemented", "CHG-1", "--summary", "Fixed", at="2026-03-01T11:00:00Z")

    _declare(root, "SEV1", ["payments-gateway", "checkout-api"], "2026-03-15T10:00:00Z")
    _run(root, "ack", "INC-0002", at="2026-03-15T10:15:00Z")

    _declare(root, "SEV2", ["web-shop"], "2026-04-02T10:00:00Z")
    _run(root, "pir", "new", "INC-0003")
    _run(root, "pir", "action", "add", "INC-0003", "--title", "Alert on pool saturation", "--owner", "bob", "--due", "2026-04-20")
    return root


@pytest.fixture(scope="module")
def site(tracker: Path) -> SiteData:
    return collect(Tracker(tracker), INTERNAL, now=NOW)


@pytest.fixture(scope="module")
def files(site: SiteData) -> dict[str, str]:
    return reports(site)


def _row(page: str, first_cell: str) -> list[str]:
    """The cells (as text) of the first table row starting with ``first_cell``."""
    for row in re.findall(r"<tr>(.*?)</tr>", page):
        cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no table row for {first_cell!r} in:\n{page}")


def test_the_page_shows_counts_and_response_times_by_severity(files: dict[str, str]) -> None:
    page = files["reports/index.md"]
    assert page.startswith("# Incident reports\n")
    # Severity | Incidents | then each duration of process.yaml and its median: MTTD, MTTA, MTTM, MTTR, recover, impact
    assert _row(page, "Severity") == [
        "Severity",
        "Incidents",
        *(x for label in ("MTTD", "MTTA", "MTTM", "MTTR", "recover", "impact") for x in (label, "median")),
    ]
    none = ["—", "—"]
    assert _row(page, "SEV1") == ["SEV1", "2", *none, "10m", "10m", "25m (n=1)", "25m", "50m (n=1)", "50m", *none, *none]
    assert _row(page, "SEV2") == ["SEV2", "1", *none * 6]
    assert _row(page, "All incidents")[:6] == ["All incidents", "3", "—", "—", "10m (n=2)", "10m"]


def test_services_and_months_are_grouped(files: dict[str, str]) -> None:
    page = files["reports/index.md"]
    assert _row(page, "checkout-api")[:6] == ["checkout-api", "2", "—", "—", "10m", "10m"]  # INC-0002 counts for both its services
    assert _row(page, "payments-gateway")[:6] == ["payments-gateway", "1", "—", "—", "15m", "15m"]
    assert _row(page, "2026-03")[:2] == ["2026-03", "2"]
    assert _row(page, "2026-04")[:2] == ["2026-04", "1"]


def test_every_chart_linked_from_the_page_is_generated(files: dict[str, str]) -> None:
    page = files["reports/index.md"]
    images = re.findall(r"!\[[^\]]+\]\(([^)]+)\)", page)
    assert images and all(f"reports/{name}" in files for name in images)
    assert {name for name in files if name.endswith(".svg")} == {f"reports/{name}" for name in images}
    assert "[CSV](metrics.csv)" in page and "[JSON](metrics.json)" in page


def test_charts_are_valid_self_contained_svg(files: dict[str, str]) -> None:
    for name, svg in files.items():
        if not name.endswith(".svg"):
            continue
        root = ET.fromstring(svg)
        assert root.tag == f"{SVG}svg" and root.get("role") == "img", name
        assert root.find(f"{SVG}title") is not None, name
        assert "<script" not in svg and "href" not in svg and "url(" not in svg, name


def test_month_chart_shows_months_without_incidents(tracker: Path) -> None:
    site = collect(Tracker(tracker), INTERNAL, now=NOW)
    may = replace(site.incidents[0], data={**site.incidents[0].data, "detected_at": "2026-05-01T09:00:00Z"})
    svg = reports(replace(site, incidents=(site.incidents[0], may)))["reports/incidents-by-month.svg"]
    labels = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert labels == ["2026-03", "2026-04", "2026-05"]


def test_csv_and_json_hold_the_same_figures(files: dict[str, str]) -> None:
    rows = list(csv.DictReader(io.StringIO(files["reports/metrics.csv"])))
    data = json.loads(files["reports/metrics.json"])
    flat: dict[tuple[str, str, str], tuple[str, ...]] = {}
    for dimension, groups in data["groups"].items():
        for group in groups:
            flat[(dimension, group["key"], "incidents")] = (str(group["incidents"]), "", "")
            figures = {
                **{k: group[k] for k in data["definitions"] if k != "time_in_stage"},
                **{f"stage:{s}": v for s, v in group["time_in_stage"].items()},
            }
            for metric, f in figures.items():
                as_text = ["" if f[k] is None else str(f[k]) for k in ("mean_seconds", "median_seconds")]
                flat[(dimension, group["key"], metric)] = (str(f["count"]), *as_text)
    assert {(r["dimension"], r["key"], r["metric"]): (r["count"], r["mean_seconds"], r["median_seconds"]) for r in rows} == flat
    assert len(rows) == len(flat)
    sev1 = next(g for g in data["groups"]["severity"] if g["key"] == "SEV1")
    assert sev1["time_to_acknowledge"] == {"count": 2, "mean_seconds": 600.0, "median_seconds": 600.0, "approximate": 0, "unknown": 0}
    assert sev1["time_to_mitigate"]["mean_seconds"] == 1500.0
    assert data["generated_at"] == "2026-05-01T12:00:00Z"


def test_overdue_actions_are_listed_on_the_internal_page_only(tracker: Path, files: dict[str, str]) -> None:
    page = files["reports/index.md"]
    assert _row(page, "2026-04-20") == ["2026-04-20", "INC-0003", "A1", "bob", "open", "Alert on pool saturation"]
    public = reports(collect(Tracker(tracker), PUBLIC, now=NOW))
    assert "## Action items" not in public["reports/index.md"]
    assert "bob" not in public["reports/index.md"]


def test_output_is_deterministic(site: SiteData, files: dict[str, str]) -> None:
    assert reports(site) == files


def test_record_text_is_escaped_in_markdown_svg_and_csv(site: SiteData) -> None:
    first = site.incidents[0]
    evil = replace(first, data={**first.data, "services": [EVIL], "severity": "SEV<b>1</b>"})
    out = reports(replace(site, incidents=(evil,)))
    page = out["reports/index.md"]
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown as text, in an HTML block no Markdown extension reads
    svg = out["reports/incidents-by-service.svg"]
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert EVIL in {t.text for t in ET.fromstring(svg).iter(f"{SVG}text")}  # shown as text, not run
    ET.fromstring(out["reports/stage-time-by-severity.svg"])
    keys = {r["key"] for r in csv.DictReader(io.StringIO(out["reports/metrics.csv"]))}
    assert EVIL in keys


# --- charts on their own -----------------------------------------------------------


def test_bar_chart_escapes_labels_and_is_deterministic() -> None:
    labels = [EVIL, "a\"b'c & d", "bell\x07 and nul\x00 dropped"]
    svg = bar_chart("Incidents <by> service", labels, [3, 1, 0], "incidents")
    assert svg == bar_chart("Incidents <by> service", labels, [3, 1, 0], "incidents")
    root = ET.fromstring(svg)
    assert root.find(f"{SVG}title").text == "Incidents <by> service"  # type: ignore[union-attr]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert EVIL in texts and "a\"b'c & d" in texts and "bell and nul dropped" in texts
    assert len(root.findall(f"{SVG}g")) == 3 and all(g.find(f"{SVG}title") is not None for g in root.findall(f"{SVG}g"))
    widths = [float(r.get("width", "0")) for r in root.iter(f"{SVG}rect")][1:]  # the first is the background
    assert widths[0] > widths[1] > widths[2] == 0.0


def test_bar_chart_formats_values_and_handles_no_data() -> None:
    svg = bar_chart("MTTR", ["SEV1"], [1.5], "h", value_format=lambda h: f"{h * 60:.0f} min")
    assert "90 min" in svg
    empty = ET.fromstring(bar_chart("Nothing", [], []))
    assert "No data yet." in [t.text for t in empty.iter(f"{SVG}text")]
    with pytest.raises(ValueError):
        bar_chart("Bad", ["a"], [1, 2])


def test_stacked_bar_chart_has_a_segment_per_series_and_a_legend() -> None:
    svg = stacked_bar_chart("Time in stage", ["SEV1", "SEV2"], [("Identify", [1.0, 2.0]), (EVIL, [3.0, 0.0])], "h")
    root = ET.fromstring(svg)
    tips = [t.text for r in root.iter(f"{SVG}rect") for t in r.findall(f"{SVG}title")]
    assert tips == ["SEV1, Identify: 1 h", f"SEV1, {EVIL}: 3 h", "SEV2, Identify: 2 h"]  # no empty segment
    assert EVIL in [t.text for t in root.iter(f"{SVG}text")]  # the legend
    assert "4 h" in [t.text for t in root.iter(f"{SVG}text")]  # the total after the bar
    with pytest.raises(ValueError):
        stacked_bar_chart("Bad", ["a", "b"], [("x", [1.0])])
