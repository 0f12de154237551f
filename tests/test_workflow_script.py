"""The check workflow's steps, run as a script: the judge is installed from the base, never from the pull request.

What GitHub does is simulated as plainly as possible: ``actions/checkout`` is a
``git clone`` of a repository standing in for GitHub's, ``actions/setup-python``
is the Python running these tests, and each ``run:`` script runs in bash with
the environment its step gives it (the few ``${{ }}`` expressions the steps use
are filled in, and any other makes the test fail). The pull requests attack the
verdict: a ``pyproject.toml`` declaring a fake ``mimctl``, a changed pin, a
package on the checkout's path, an edited checker.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitutil import GIT_ENV, commit_all, declare, git, init_repo, ok, replace_line, t

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_CHECK = ROOT / "tools" / "mimctl" / "starter" / "github" / "workflows" / "check.yml"
REPO_CHECK = ROOT / ".github" / "workflows" / "check.yml"

pytestmark = pytest.mark.slow

FAKE = {
    "pyproject.toml": (
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "mimctl"\nversion = "99.0"\n[project.scripts]\nmimctl = "mimctl_fake:main"\n'
    ),
    "mimctl_fake.py": "def main():\n    print('FAKE CHECKER: all good')\n    return 0\n",
    "mimctl/__init__.py": "",
    "mimctl/__main__.py": "print('FAKE CHECKER: all good')\n",
    "sitecustomize.py": "print('FAKE CHECKER: all good')\n",
}


def steps(workflow: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    (job,) = data["jobs"].values()
    return list(job["steps"])


def fill(text: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        assert name in values, f"the workflow uses ${{{{ {name} }}}}, which this simulation does not know"
        return values[name]

    return re.sub(r"\$\{\{(.*?)\}\}", one, text)


def run_steps(workflow: Path, workspace: Path, checkouts: dict[str, tuple[Path, str]]) -> subprocess.CompletedProcess[str]:
    """Run the workflow's steps; ``checkouts`` maps a checkout's path to (repository, revision). The last step's result."""
    runner_temp = workspace.parent / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    summary = workspace.parent / "step-summary.md"
    values = {"github.base_ref": "main", "runner.temp": str(runner_temp)}
    env = {
        **os.environ,
        **GIT_ENV,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_STEP_SUMMARY": str(summary),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    env.pop("VIRTUAL_ENV", None)
    done: subprocess.CompletedProcess[str] | None = None
    for step in steps(workflow):
        uses = str(step.get("uses", ""))
        if uses.startswith("actions/checkout@"):
            path = (step.get("with") or {}).get("path", ".")
            source, revision = checkouts[path]
            target = workspace / path
            git("clone", "--quiet", "--no-local", str(source), str(target), cwd=workspace.parent)
            git("checkout", "--quiet", "--detach", revision, cwd=target)
            continue
        if uses.startswith("actions/setup-python@"):
            continue  # the Python running these tests
        assert not uses, f"unknown action {uses}"
        script = fill(str(step["run"]), values)
        step_env = {**env, **{k: fill(str(v), values) for k, v in (step.get("env") or {}).items()}}
        cwd = Path(fill(str(step.get("working-directory", workspace)), values))
        done = subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env=step_env, capture_output=True, text=True, timeout=900, check=False)
        if step is not steps(workflow)[-1]:
            assert done.returncode == 0, f"step {step.get('name')!r} failed:\n{done.stdout}\n{done.stderr}"
    assert done is not None
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of this project, built once: what a release (or a pinned commit) would install."""
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(folder), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (built,) = folder.glob("mimctl-*.whl")
    return built


@pytest.fixture(scope="module")
def github(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """The organisation's tracker as GitHub holds it: made by `mimctl init`, pinned to the wheel, one incident on main."""
    root = tmp_path_factory.mktemp("github") / "tracker"
    init_repo(root)
    ok(["init", "--pin", f"mimctl @ {wheel.as_uri()}", "."], root)
    declare(root)
    git("branch", "--quiet", "pr-base", cwd=root)
    return root


def _pull_request(github: Path, name: str, attack: bool) -> str:
    """A branch of ``github``: a note (the legitimate change), or the attack; its head commit."""
    git("switch", "--quiet", "-c", name, "main", cwd=github)
    try:
        ok(["note", "INC-0001", "Error rate at 40%", "--at", t(5)], github)
        if attack:
            for path, text in FAKE.items():
                (github / path).parent.mkdir(parents=True, exist_ok=True)
                (github / path).write_text(text, encoding="utf-8")
            (github / ".mimctl" / "requirements.txt").write_text(f"mimctl @ file:{github / 'fake'}\n", encoding="utf-8")
            incident = github / "incidents" / "INC-0001" / "incident.yaml"
            replace_line(incident, "stage:", "stage: complete")
            (github / "incidents" / "INC-0001" / "timeline" / "20250310T080600Z-stage-0a1b2c.yaml").write_text(
                f"at: '{t(6)}'\nkind: stage\nby: someone\nfrom: identify\nto: complete\nreason: trust me\n", encoding="utf-8"
            )
            commit_all(github, "A checker of my own, and straight to complete")
        return git("rev-parse", "HEAD", cwd=github).strip()
    finally:
        git("switch", "--quiet", "main", cwd=github)


def test_an_init_trackers_check_workflow_judges_with_the_base_pin(github: Path, tmp_path: Path) -> None:
    attack = _pull_request(github, "attack", attack=True)
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    done = run_steps(TEMPLATE_CHECK, workspace, {"pr": (github, attack)})
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "FAKE CHECKER" not in output
    assert re.search(r"^::error file=incidents/INC-0001/incident.yaml,line=[0-9]+.*stage change identify -> complete", done.stdout, re.M), (
        output
    )
    summary = (tmp_path / "step-summary.md").read_text(encoding="utf-8")
    assert "## mimctl check failed" in summary and "`pyproject.toml`" in summary and "`.mimctl/requirements.txt`" in summary
    installed = subprocess.run(
        [str(tmp_path / "runner-temp" / "judge" / "bin" / "python"), "-m", "pip", "show", "mimctl"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Version: 99.0" not in installed and "Location:" in installed

    legitimate = _pull_request(github, "note", attack=False)
    again = tmp_path / "again"
    again.mkdir()
    done = run_steps(TEMPLATE_CHECK, again, {"pr": (github, legitimate)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "mimctl check passed" in (tmp_path / "step-summary.md").read_text(encoding="utf-8")


def test_this_repositorys_check_workflow_judges_with_the_base_code(tmp_path: Path) -> None:
    github = tmp_path / "github"
    git("clone", "--quiet", "--no-local", str(ROOT), str(github), cwd=tmp_path)
    git("checkout", "--quiet", "-B", "main", cwd=github)
    git("config", "user.name", "Test Responder", cwd=github)
    git("config", "user.email", "responder@example.invalid", cwd=github)
    git("switch", "--quiet", "-c", "attack", cwd=github)
    prcheck = github / "tools" / "mimctl" / "prcheck.py"
    prcheck.write_text(
        prcheck.read_text(encoding="utf-8") + "\n\ndef _always_ok(self):\n    return True\n\n\nCheckResult.ok = property(_always_ok)\n",
        encoding="utf-8",
    )
    first_event = sorted((github / "incidents" / "INC-0001" / "timeline").iterdir())[0]
    first_event.write_text(first_event.read_text(encoding="utf-8") + "# rewritten\n", encoding="utf-8")
    commit_all(github, "Rewrite history, and a check that always passes")
    attack = git("rev-parse", "HEAD", cwd=github).strip()
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    done = run_steps(REPO_CHECK, workspace, {"judge": (github, "main"), "pr": (github, attack)})
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert f"incidents/INC-0001/timeline/{first_event.name}" in done.stdout and "append-only" in done.stdout, output
