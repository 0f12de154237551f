"""A real Statuspage client (npm ``statuspage.io``) reads every endpoint of a built site over HTTP.

The site is built with MkDocs and served by http.server on 127.0.0.1; Node runs
``js/read-statuspage.js``, which calls each of the client's methods and
computes the page status a client would show. That status, the components and
the unresolved incidents must be what the status home shows.
``.ci/run`` installs the client (pinned in ``tests/js/package.json``) into ``tests/js/node_modules``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from site_fixtures import REPO_ROOT, build, serve
from test_status_invariants import _lifecycle_tracker

CLIENT = Path(__file__).parent / "js"
NODE = shutil.which("node")


def _client_missing() -> str:
    npm = shutil.which("npm")
    if not (CLIENT / "node_modules" / "statuspage.io").is_dir() and npm:
        subprocess.run([npm, "install", "--no-save", "--silent"], cwd=CLIENT, check=True, timeout=600)
    if NODE is None:
        return "node is not installed (CI installs Debian's nodejs)"
    if not (CLIENT / "node_modules" / "statuspage.io").is_dir():
        return "the statuspage.io client is not installed: npm install --prefix tests/js --no-save"
    return ""


@pytest.fixture(scope="module")
def client_ready() -> None:
    missing = _client_missing()
    if missing and os.environ.get("CI"):
        pytest.fail(f"CI must run the Statuspage client: {missing}")
    if missing:
        pytest.skip(missing)


@pytest.fixture(scope="module")
def tracker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = _lifecycle_tracker(tmp_path_factory.mktemp("client") / "tracker")
    shutil.copyfile(REPO_ROOT / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copytree(REPO_ROOT / "docs", root / "docs")
    return root


def read_with_client(site: Path) -> dict[str, Any]:
    with serve(site) as url:
        done = subprocess.run(
            [NODE or "node", str(CLIENT / "read-statuspage.js"), url], capture_output=True, text=True, timeout=120, cwd=CLIENT
        )
    assert done.returncode == 0, f"the Statuspage client failed:\n{done.stderr}"
    return dict(json.loads(done.stdout))


def home(site: Path) -> dict[str, Any]:
    """What the status home shows: the banner, each component's status, the current incidents."""
    page = (site / "index.html").read_text(encoding="utf-8")
    banner = re.search(r'class="mim-overall mim-indicator-([a-z]+)">([^<]*)<', page)
    assert banner, "no banner on the status home"
    everything = page.split('id="components"', 1)[1]
    components = dict(re.findall(r'<li class="mim-component [^"]*"><span>([^<]*)</span><strong class="mim-cs mim-([a-z_]+)">', everything))
    current = re.findall(r'<article class="mim-active.*?· (INC-[0-9]+)</p>', page)
    return {"indicator": banner.group(1), "description": banner.group(2), "components": components, "current": current}


@pytest.mark.parametrize("public", [True, False])
def test_a_statuspage_client_reads_every_endpoint_and_agrees_with_the_page(
    client_ready: None, tracker: Path, tmp_path: Path, public: bool
) -> None:
    site = build(tracker, tmp_path / "site", public=public)
    out = read_with_client(site)
    read, computed = out["read"], out["computed"]
    shown = home(site)
    assert read["status"]["status"]["indicator"] == computed["indicator"] == shown["indicator"], (read["status"], computed, shown)
    assert read["status"]["status"]["description"] == shown["description"]
    names = {c["name"] for c in read["components"]["components"] if not c["group"]}
    assert names == set(shown["components"]), "every component on the page, and only those"
    assert {name: status for name, status in computed["components"].items() if name in names} == shown["components"]
    assert sorted(computed["unresolved"]) == sorted(shown["current"])
    for key in ("status", "summary", "components", "incidents", "unresolved", "upcoming", "active", "all"):
        assert set(read[key]["page"]) >= {"id", "name", "url", "time_zone", "updated_at"}, key
    assert [m["id"] for m in read["active"]["scheduled_maintenances"]] == ["MNT-0002"]
    assert [m["id"] for m in read["upcoming"]["scheduled_maintenances"]] == ["MNT-0001"]
    assert {m["id"] for m in read["all"]["scheduled_maintenances"]} == {"MNT-0001", "MNT-0002", "MNT-0003"}
    for maintenance in read["all"]["scheduled_maintenances"]:
        assert maintenance["scheduled_for"] and maintenance["scheduled_until"] and maintenance["incident_updates"]
    if public:
        assert "INC-0005" not in json.dumps(read), "an internal incident reached the public API"
    search = shown["components"]
    assert search["Product search"] == "partial_outage" and search["Sign-in"] == "operational"
