"""CI supply chain: every workflow pins its actions, asks for least privilege and keeps untrusted text out of scripts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

WORKFLOWS = sorted((Path(__file__).resolve().parents[1] / ".github" / "workflows").glob("*.y*ml"))
SHA = re.compile(r"^[^@\s]+@[0-9a-f]{40}$")
READ_ONLY = {"read", "none"}
# A job may write only this, and only when one of its scripts pushes.
PUSH_WRITES = {"contents"}
PUSH = re.compile(r"\bgit\b[^\n]*\spush\b")
# A job that deploys to GitHub Pages may write only these (what actions/deploy-pages needs).
PAGES_WRITES = {"pages", "id-token"}


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


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit(path: Path) -> None:
    data = _load(path)
    unpinned = [u for u in _uses(data) if not u.startswith("./") and not SHA.match(u)]
    assert not unpinned, f"{path.name}: pin these to a 40-hex commit SHA (with a # vX.Y.Z comment): {unpinned}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_top_level_permissions_are_empty_or_read_only(path: Path) -> None:
    data = _load(path)
    assert "permissions" in data, f"{path.name}: set top-level permissions: {{}}"
    top = data["permissions"]
    assert top == {} or top == "read-all" or (isinstance(top, dict) and set(top.values()) <= READ_ONLY), (
        f"{path.name}: top-level permissions must be {{}} or read-only, not {top!r}"
    )


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
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
        allowed = (PUSH_WRITES if pushes else set()) | (PAGES_WRITES if deploys else set())
        assert writes <= allowed, f"{path.name}: job {name} writes {sorted(writes - allowed)} but " + (
            "only pushes (contents: write)" if pushes else "deploys to Pages only (pages, id-token)" if deploys else "never pushes"
        )


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_expression_inside_a_run_script(path: Path) -> None:
    data = _load(path)
    bad = [(job, step.get("name", "?")) for job, step in _steps(data) if "${{" in str(step.get("run", ""))]
    assert not bad, f'{path.name}: pass values through env: and use "$NAME" in the script: {bad}'


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_nothing_writes_to_github_env_or_output(path: Path) -> None:
    data = _load(path)
    bad = [(job, step.get("name", "?")) for job, step in _steps(data) if re.search(r"GITHUB_(ENV|OUTPUT|PATH)", str(step.get("run", "")))]
    assert not bad, f"{path.name}: record text must not reach GITHUB_ENV / GITHUB_OUTPUT / GITHUB_PATH: {bad}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_pull_request_target(path: Path) -> None:
    data = _load(path)
    triggers = data.get("on")
    names = [triggers] if isinstance(triggers, str) else list(triggers or [])
    assert "pull_request_target" not in names, f"{path.name}: pull_request_target runs untrusted code with secrets"
    assert "workflow_run" not in names, f"{path.name}: workflow_run runs with secrets after untrusted workflows"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_checkout_does_not_persist_credentials_unless_the_job_pushes(path: Path) -> None:
    data = _load(path)
    for name, job in (data.get("jobs") or {}).items():
        scripts = "\n".join(str(step.get("run", "")) for step in job.get("steps") or [])
        for step in job.get("steps") or []:
            if str(step.get("uses", "")).startswith("actions/checkout@") and not PUSH.search(scripts):
                assert (step.get("with") or {}).get("persist-credentials") is False, (
                    f"{path.name}: job {name}: set persist-credentials: false on checkout"
                )
