"""CI supply chain: every workflow pins its actions, asks for least privilege and keeps untrusted text out of scripts.

Both sets of workflows: this repository's, and the ones `mimctl init` writes
into a new tracker (tools/mimctl/starter/github/).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW_DIRS = (ROOT / ".github" / "workflows", ROOT / "tools" / "mimctl" / "starter" / "github" / "workflows")
WORKFLOWS = sorted(p for folder in WORKFLOW_DIRS for p in folder.glob("*.y*ml"))
SHA = re.compile(r"^[^@\s]+@[0-9a-f]{40}$")
READ_ONLY = {"read", "none"}
# A job may write only this, and only when one of its scripts pushes.
PUSH_WRITES = {"contents"}
PUSH = re.compile(r"\bgit\b[^\n]*\spush\b")
# A job that deploys to GitHub Pages may write only these (what actions/deploy-pages needs).
PAGES_WRITES = {"pages", "id-token"}
# ... and actions, only when it starts another workflow (a push with the workflow token starts none).
DISPATCH = re.compile(r"\bgh workflow run\b")


def _name(path: Path) -> str:
    return f"{'template' if 'starter' in path.parts else 'repo'}/{path.name}"


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: not a mapping"
    if True in data and "on" not in data:  # YAML 1.1 reads the key `on:` as True
        data["on"] = data.pop(True)
    return data


def _steps(data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(name, step) for name, job in (data.get("jobs") or {}).items() for step in (job.get("steps") or [])]


def _uses(data: dict[str, Any]) -> list[str]:
    found = [str(step["uses"]) for _, step in _steps(data) if "uses" in step]
    found += [str(job["uses"]) for job in (data.get("jobs") or {}).values() if "uses" in job]
    return found


pytestmark = pytest.mark.skipif(not WORKFLOWS, reason="no workflows")


@pytest.mark.parametrize("path", WORKFLOWS, ids=_name)
def test_every_action_is_pinned_to_a_commit(path: Path) -> None:
    data = _load(path)
    unpinned = [u for u in _uses(data) if not u.startswith("./") and not SHA.match(u)]
    assert not unpinned, f"{path.name}: pin these to a 40-hex commit SHA (with a # vX.Y.Z comment): {unpinned}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=_name)
def test_top_level_permissions_are_empty_or_read_only(path: Path) -> None:
    data = _load(path)
    assert "permissions" in data, f"{path.name}: set top-level permissions: {{}}"
    top = data["permissions"]
    assert top == {} or top == "read-all" or (isinstance(top, dict) and set(top.values()) <= READ_ONLY), (
        f"{path.name}: top-level permissions must be {{}} or read-only, not {top!r}"
    )


@pytest.mark.parametrize("path", WORKFLOWS, ids=_name)
def test_job_permissions_are_minimal(path: Path) -> None:
    data = _load(path)
    for name, job in (data.get("jobs") or {}).items():
        permissions = job.get("permissions", {})
        assert permissions not in ("write-all",), f"{path.name}: job {name} asks for write-all"
        assert isinstance(permissions, dict), f"{path.name}: job {name}: permissions {permissions!r}"
        writes = {scope for scope, level in permissions.items() if level == "write"}
        scripts = "\n".join(str(step.get("run", "")) for step in job.get("steps") or [])
        pushes = bool(PUSH.search(scripts))
        deploys = any(str(step.get("uses", "")).startswith("actions/deploy-pages@") for step in job.get("steps") or [])
        allowed = (
            (PUSH_WRITES if pushes else set()) | ({"actions"} if DISPATCH.search(scripts) else set()) | (PAGES_WRITES if deploys else set())
        )
        assert writes <= allowed, f"{path.name}: job {name} writes {sorted(writes - allowed)} but " + (
            "only pushes (contents: write)" if pushes else "deploys to Pages only (pages, id-token)" if deploys else "never pushes"
        )


@pytest.mark.parametrize("path", WORKFLOWS, ids=_name)
def test_no_expression_inside_a_run_script(path: Path) -> None:
    data = _load(path)
    bad = [(job, step.get("name", "?")) for job, step in _steps(data) if "${{" in str(step.get("run", ""))]
    assert not bad, f'{path.name}: pass values through env: and use "$NAME" in the script: {bad}'


@pytest.mark.parametrize("path", WORKFLOWS, ids=_name)
def test_nothing_writes_to_github_env_or_output(path: Path) -> None:
    data = _load(path)
    bad = [(job, step.get("name", "?")) for job, step in _steps(data) if re.search(r"GITHUB_(ENV|OUTPUT|PATH)", str(step.get("run", "")))]
    assert not bad, f"{path.name}: record text must not reach GITHUB_ENV / GITHUB_OUTPUT / GITHUB_PATH: {bad}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=_name)
def test_no_pull_request_target(path: Path) -> None:
    data = _load(path)
    triggers = data.get("on")
    names = [triggers] if isinstance(triggers, str) else list(triggers or [])
    assert "pull_request_target" not in names, f"{path.name}: pull_request_target runs untrusted code with secrets"
    assert "workflow_run" not in names, f"{path.name}: workflow_run runs with secrets after untrusted workflows"


@pytest.mark.parametrize("path", WORKFLOWS, ids=_name)
def test_checkout_does_not_persist_credentials_unless_the_job_pushes(path: Path) -> None:
    data = _load(path)
    for name, job in (data.get("jobs") or {}).items():
        scripts = "\n".join(str(step.get("run", "")) for step in job.get("steps") or [])
        for step in job.get("steps") or []:
            if str(step.get("uses", "")).startswith("actions/checkout@") and not PUSH.search(scripts):
                assert (step.get("with") or {}).get("persist-credentials") is False, (
                    f"{path.name}: job {name}: set persist-credentials: false on checkout"
                )


@pytest.mark.parametrize("path", WORKFLOWS, ids=_name)
def test_jobs_that_hold_notification_secrets_use_an_environment(path: Path) -> None:
    data = _load(path)
    for name, job in (data.get("jobs") or {}).items():
        text = yaml.safe_dump(job)
        if "secrets." in text:
            assert job.get("environment"), f"{path.name}: job {name} reads secrets outside a GitHub environment"


def test_template_workflows_install_only_the_pin() -> None:
    """In a tracker made by init there is no pyproject: every workflow installs .mimctl/requirements.txt."""
    for path in WORKFLOW_DIRS[1].glob("*.yml"):
        scripts = "\n".join(str(step.get("run", "")) for _, step in _steps(_load(path)))
        installs = [line.strip() for line in scripts.splitlines() if "pip install" in line]
        assert installs, f"{path.name} installs nothing"
        assert all(re.search(r"install .*-r \S*(requirements|pin)\.txt", line) for line in installs), f"{path.name}: {installs}"
        assert "pip install ." not in scripts and "pyproject" not in scripts, path.name


def test_repository_workflows_are_the_template_but_for_the_install() -> None:
    """This repository is mimctl itself: its workflows install its own code where a tracker installs the pin."""

    def shape(path: Path) -> list[tuple[str, str]]:
        return [(job, str(step.get("name"))) for job, step in _steps(_load(path)) if "install" not in str(step.get("name", "")).lower()]

    template = {p.name: p for p in WORKFLOW_DIRS[1].glob("*.yml")}
    mine = {p.name: p for p in WORKFLOW_DIRS[0].glob("*.yml")}
    for name, path in template.items():
        assert name in mine, f"the template has {name} but this repository does not"
        ours = [s for s in shape(mine[name]) if "base branch (the code that judges)" not in s[1]]
        assert ours == shape(path), name


LINTERS_WANTED = pytest.mark.skipif(
    shutil.which("actionlint") is None or shutil.which("shellcheck") is None,
    reason="needs actionlint and shellcheck (.ci/run installs them)",
)


@LINTERS_WANTED
@pytest.mark.parametrize("folder", WORKFLOW_DIRS, ids=["repo", "template"])
def test_actionlint_with_shellcheck_reports_nothing(folder: Path) -> None:
    done = subprocess.run(
        ["actionlint", "-shellcheck", shutil.which("shellcheck") or "", *map(str, sorted(folder.glob("*.yml")))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("zizmor") is None, reason="zizmor is in the test extra")
@pytest.mark.parametrize("folder", WORKFLOW_DIRS, ids=["repo", "template"])
def test_zizmor_auditor_persona_reports_nothing(folder: Path) -> None:
    files = sorted(str(p) for p in folder.glob("*.yml"))
    done = subprocess.run(
        ["zizmor", "--offline", "--persona", "auditor", "--no-progress", *files], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
