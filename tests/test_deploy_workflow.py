"""Publishing: the status path deploys on its own and never waits for the archive; the full site is built apart; the internal edition never goes to Pages.

Two workflows, in this repository and in the template ``mimctl init`` writes:
``deploy.yml`` lays the status path over the last full build and is the only
one that deploys; ``archive.yml`` builds the full site, keeps it, and starts
``deploy.yml``. Each is read here as GitHub reads it (its triggers, jobs,
permissions and concurrency), and checked with zizmor.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mimctl.yamlio import load_file

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = [ROOT / ".github" / "workflows", ROOT / "tools" / "mimctl" / "starter" / "github" / "workflows"]
WORKFLOWS = [folder / name for folder in FOLDERS for name in ("deploy.yml", "archive.yml")]
IDS = ["repository", "init template"]


def _jobs(path: Path) -> dict[str, Any]:
    jobs: dict[str, Any] = load_file(path).data["jobs"]
    return jobs


def _uses(job: dict[str, Any]) -> list[str]:
    return [str(step.get("uses", "")) for step in job["steps"]]


def _runs(job: dict[str, Any]) -> list[str]:
    return [str(step.get("run", "")) for step in job["steps"]]


@pytest.mark.parametrize("folder", FOLDERS, ids=IDS)
def test_the_status_path_deploys_on_its_own_and_the_archive_never_deploys(folder: Path) -> None:
    deploy, archive = load_file(folder / "deploy.yml").data, load_file(folder / "archive.yml").data
    for data in (deploy, archive):
        assert data["on"]["push"]["branches"] == ["main"] and "workflow_dispatch" in data["on"] and data["permissions"] == {}
    # Apart: a public update never queues behind a full build, which takes minutes on a big tracker.
    assert deploy["concurrency"]["group"] != archive["concurrency"]["group"]
    assert deploy["concurrency"]["cancel-in-progress"] is False and archive["concurrency"]["cancel-in-progress"] is False
    (status,) = deploy["jobs"].values()
    assert "needs" not in status and any("--status-only" in run and "--public" in run for run in _runs(status))
    assert any(u.startswith("actions/deploy-pages@") for u in _uses(status))
    assert status["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    # Only deploy.yml deploys, so a slow archive can never replace a newer status: the archive keeps its build
    # for the status path and starts deploy.yml, which lays the newest status over it.
    (site,) = archive["jobs"].values()
    assert not any(u.startswith(("actions/deploy-pages@", "actions/upload-pages-artifact@")) for u in _uses(site))
    assert "environment" not in site and site["permissions"] == {"contents": "read", "pages": "read", "actions": "write"}
    assert any("site build --public --output site-public" in run for run in _runs(site))
    steps = site["steps"]
    kept = next(i for i, step in enumerate(steps) if str(step.get("uses", "")).startswith("actions/cache/save@"))
    started = next(i for i, step in enumerate(steps) if "gh workflow run deploy.yml" in str(step.get("run", "")))
    assert kept < started, "the full site is kept before the status path that uses it is started"
    assert (
        steps[started]["run"] == 'gh workflow run deploy.yml --ref "$BRANCH"'
        and steps[started]["env"]["BRANCH"] == "${{ github.ref_name }}"
    )
    restored = next(step for step in status["steps"] if str(step.get("uses", "")).startswith("actions/cache/restore@"))
    saved = steps[kept]
    assert restored["with"]["path"] == saved["with"]["path"] == "site-public"
    assert restored["with"]["restore-keys"] == "public-site-" and saved["with"]["key"].startswith("public-site-")


@pytest.mark.parametrize("folder", FOLDERS, ids=IDS)
def test_the_status_path_keeps_what_it_learnt_between_runs(folder: Path) -> None:
    """Each run starts on a fresh machine: the heads and feed order mimctl keeps must travel in the Actions cache."""
    steps = _jobs(folder / "deploy.yml")["status"]["steps"]
    (build,) = [i for i, s in enumerate(steps) if "--status-only" in str(s.get("run", ""))]
    kept_at = steps[build]["env"]["MIMCTL_CACHE"]
    assert "--rev HEAD" in steps[build]["run"], "read from the commit: one kept index answers for the whole history"
    restore = [
        i for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("actions/cache/restore@") and s["with"]["path"] == kept_at
    ]
    save = [i for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("actions/cache/save@") and s["with"]["path"] == kept_at]
    assert len(restore) == 1 and len(save) == 1 and restore[0] < build < save[0]
    assert steps[restore[0]]["with"]["restore-keys"] == "mimctl-kept-"
    # A cache entry cannot be written twice: each run (and each re-run) saves under its own key.
    assert steps[save[0]]["with"]["key"] == "mimctl-kept-${{ github.run_id }}-${{ github.run_attempt }}"


@pytest.mark.parametrize("folder", FOLDERS, ids=IDS)
def test_the_internal_edition_never_goes_to_pages(folder: Path) -> None:
    steps = _jobs(folder / "archive.yml")["site"]["steps"]
    internal = [s for s in steps if "site-internal" in str(s.get("run", "")) + str((s.get("with") or {}).get("path", ""))]
    assert len(internal) == 2 and all(s.get("if") == "github.event.repository.private" for s in internal)
    uploads = [
        s for s in _jobs(folder / "deploy.yml")["status"]["steps"] if str(s.get("uses", "")).startswith("actions/upload-pages-artifact@")
    ]
    assert [(s.get("with") or {}).get("path") for s in uploads] == ["site-public"]


@pytest.mark.parametrize("folder", FOLDERS, ids=IDS)
def test_public_builds_link_to_the_address_pages_reports(folder: Path) -> None:
    for name, job in (("deploy.yml", "status"), ("archive.yml", "site")):
        steps = _jobs(folder / name)[job]["steps"]
        ask = [i for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("actions/configure-pages@")]
        builds = [i for i, s in enumerate(steps) if "site build --public" in str(s.get("run", ""))]
        assert len(ask) == 1 and builds and all(ask[0] < i for i in builds), name
        step_id = steps[ask[0]]["id"]
        for i in builds:
            # The address reaches the command through the environment, never expanded inside the script.
            assert '--site-url "$PAGES_URL"' in steps[i]["run"] and "${{" not in steps[i]["run"]
            assert steps[i]["env"]["PAGES_URL"] == f"${{{{ steps.{step_id}.outputs.base_url }}}}"
            assert set(steps[i]["env"]) <= {"PAGES_URL", "MIMCTL_CACHE"}


def test_the_template_installs_the_pinned_mimctl() -> None:
    for name, job in (("deploy.yml", "status"), ("archive.yml", "site")):
        runs = "\n".join(_runs(_jobs(FOLDERS[1] / name)[job]))
        assert "-r .mimctl/requirements.txt" in runs, name


@pytest.mark.skipif(shutil.which("zizmor") is None, reason="zizmor is not installed")
def test_zizmor_finds_nothing() -> None:
    done = subprocess.run(["zizmor", "--offline", "--persona", "pedantic", *map(str, WORKFLOWS)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
