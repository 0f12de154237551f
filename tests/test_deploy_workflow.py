"""The deploy workflow: the status path first, then the full public site to Pages; the internal edition never to Pages."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mimctl.yamlio import load_file

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = [ROOT / ".github" / "workflows" / "deploy.yml", ROOT / "tools" / "mimctl" / "starter" / "github" / "workflows" / "deploy.yml"]


def _jobs(path: Path) -> dict[str, Any]:
    jobs: dict[str, Any] = load_file(path).data["jobs"]
    return jobs


def _runs(job: dict[str, Any]) -> list[str]:
    return [str(step.get("run", "")) for step in job["steps"]]


@pytest.mark.parametrize("path", WORKFLOWS, ids=["repository", "init template"])
def test_status_path_deploys_first_then_the_full_site(path: Path) -> None:
    data = load_file(path).data
    assert data["on"]["push"]["branches"] == ["main"] and data["permissions"] == {}
    jobs = _jobs(path)
    assert jobs["site"]["needs"] == "status"
    assert any("--status-only" in run and "--public" in run for run in _runs(jobs["status"]))
    assert any("site build --public --output site-public" in run for run in _runs(jobs["site"]))
    for name in ("status", "site"):
        uses = [str(s.get("uses", "")) for s in jobs[name]["steps"]]
        assert any(u.startswith("actions/deploy-pages@") for u in uses), name
        assert jobs[name]["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    # The status path is laid over the last full build, which the full job keeps.
    assert any(str(s.get("uses", "")).startswith("actions/cache/restore@") for s in jobs["status"]["steps"])
    assert any(str(s.get("uses", "")).startswith("actions/cache/save@") for s in jobs["site"]["steps"])


@pytest.mark.parametrize("path", WORKFLOWS, ids=["repository", "init template"])
def test_the_internal_edition_never_goes_to_pages(path: Path) -> None:
    steps = _jobs(path)["site"]["steps"]
    internal = [s for s in steps if "site-internal" in str(s.get("run", "")) + str((s.get("with") or {}).get("path", ""))]
    assert len(internal) == 2 and all(s.get("if") == "github.event.repository.private" for s in internal)
    uploads = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-pages-artifact@")]
    assert [(s.get("with") or {}).get("path") for s in uploads] == ["site-public"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=["repository", "init template"])
def test_public_builds_link_to_the_address_pages_reports(path: Path) -> None:
    for name in ("status", "site"):
        steps = _jobs(path)[name]["steps"]
        ask = [i for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("actions/configure-pages@")]
        builds = [i for i, s in enumerate(steps) if "site build --public" in str(s.get("run", ""))]
        assert len(ask) == 1 and builds and all(ask[0] < i for i in builds), name
        step_id = steps[ask[0]]["id"]
        for i in builds:
            # The address reaches the command through the environment, never expanded inside the script.
            assert '--site-url "$PAGES_URL"' in steps[i]["run"] and "${{" not in steps[i]["run"]
            assert steps[i]["env"] == {"PAGES_URL": f"${{{{ steps.{step_id}.outputs.base_url }}}}"}


def test_the_template_installs_the_pinned_mimctl() -> None:
    runs = "\n".join(_runs(_jobs(WORKFLOWS[1])["status"]))
    assert "-r .mimctl/requirements.txt" in runs


@pytest.mark.skipif(shutil.which("zizmor") is None, reason="zizmor is not installed")
def test_zizmor_finds_nothing() -> None:
    done = subprocess.run(["zizmor", "--offline", "--persona", "pedantic", *map(str, WORKFLOWS)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
