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

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitutil import GIT_ENV, commit_all, declare, git, init_repo, ok, replace_line, t

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_CHECK = ROOT / "tools" / "mimctl" / "starter" / "github" / "workflows" / "check.yml"
REPO_CHECK = ROOT / ".github" / "workflows" / "check.yml"
TEMPLATE_INGEST = ROOT / "tools" / "mimctl" / "starter" / "github" / "workflows" / "ingest.yml"
TEMPLATE_NOTIFY = ROOT / "tools" / "mimctl" / "starter" / "github" / "workflows" / "notify.yml"
NO_APP = {"vars.MIMCTL_APP_CLIENT_ID != ''": False}

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
    """``text`` with its ``${{ }}`` expressions filled in from ``values`` (``a || b``: the first that is not empty)."""

    def one(match: re.Match[str]) -> str:
        expression = match.group(1).strip()
        for name in (part.strip() for part in expression.split("||")):
            assert name in values, f"the workflow uses ${{{{ {name} }}}}, which this simulation does not know"
            if values[name]:
                return values[name]
        return ""

    return re.sub(r"\$\{\{(.*?)\}\}", one, text)


def run_steps(
    workflow: Path,
    workspace: Path,
    checkouts: dict[str, tuple[Path, str]],
    values: dict[str, str] | None = None,
    conditions: dict[str, bool] | None = None,
    extra_env: dict[str, str] | None = None,
    skip: frozenset[str] = frozenset(),
    branch: str = "main",
) -> subprocess.CompletedProcess[str]:
    """Run the workflow's steps; ``checkouts`` maps a checkout's path to (repository, revision). The last step's result.

    ``conditions`` answers each step's ``if:`` (an unknown one fails the test);
    steps named in ``skip`` are left out.
    """
    runner_temp = workspace.parent / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    summary = workspace.parent / "step-summary.md"
    values = {"github.base_ref": "main", "runner.temp": str(runner_temp), **(values or {})}
    env = {
        **os.environ,
        **GIT_ENV,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_STEP_SUMMARY": str(summary),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        **(extra_env or {}),
    }
    env.pop("VIRTUAL_ENV", None)
    done: subprocess.CompletedProcess[str] | None = None
    all_steps = steps(workflow)
    for number, step in enumerate(all_steps, 1):
        if step.get("name") in skip:
            continue
        if "if" in step:
            assert step["if"] in (conditions or {}), f"unknown condition {step['if']!r}"
            if not (conditions or {})[step["if"]]:
                continue
        uses = str(step.get("uses", ""))
        if uses.startswith("actions/checkout@"):
            path = (step.get("with") or {}).get("path", ".")
            source, revision = checkouts[path]
            target = workspace / path
            commit = git("rev-parse", "--verify", f"{revision}^{{commit}}", cwd=source).strip()
            git("clone", "--quiet", "--no-local", str(source), str(target), cwd=workspace.parent)
            if revision == branch:  # a branch is checked out as one (push, schedule, dispatch)
                git("checkout", "--quiet", "-B", branch, commit, cwd=target)
            else:  # a pull request's merge commit, detached
                git("checkout", "--quiet", "--detach", commit, cwd=target)
            continue
        if uses.startswith("actions/setup-python@"):
            continue  # the Python running these tests
        assert not uses, f"unknown action {uses}"
        script = fill(str(step["run"]), values)
        step_env = {**env, **{k: fill(str(v), values) for k, v in (step.get("env") or {}).items()}}
        cwd = Path(fill(str(step.get("working-directory", workspace)), values))
        done = subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env=step_env, capture_output=True, text=True, timeout=900, check=False)
        if number < len(all_steps):
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


@pytest.fixture
def webhooks() -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    """A web server on 127.0.0.1 that takes every POST: (its URL, what it received)."""
    received: list[tuple[str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            received.append((self.path, self.rfile.read(int(self.headers.get("Content-Length", 0)))))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet tests
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


def test_an_ingested_incident_is_announced(tmp_path: Path, webhooks: tuple[str, list[tuple[str, bytes]]]) -> None:
    """ingest pushes the incident and starts notify for it (a push with the workflow token starts nothing), which sends it."""
    url, received = webhooks
    tracker = tmp_path / "tracker"
    init_repo(tracker)
    ok(["init", "--pin", "mimctl", "."], tracker)
    origin = tmp_path / "origin.git"  # GitHub's copy: what the workflows clone and push to
    git("clone", "--quiet", "--bare", str(tracker), str(origin), cwd=tmp_path)
    before = git("rev-parse", "main", cwd=origin).strip()

    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "gh").write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$GH_LOG"\n', encoding="utf-8")
    (tools / "gh").chmod(0o755)
    payload = json.loads((ROOT / "tests" / "fixtures" / "alertmanager" / "firing.json").read_text(encoding="utf-8"))
    for alert in payload["alerts"]:
        alert["labels"]["severity"] = "warning"  # SEV3: announced on Slack only
    path = {"PATH": f"{tools}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "GH_LOG": str(tmp_path / "gh.log")}
    common = {"github.token": "not-a-token", "steps.app.outputs.token": "", "github.ref": "refs/heads/main", "github.ref_name": "main"}
    skip = frozenset({"Install the pinned mimctl"})  # the mimctl running these tests is on the path

    workspace = tmp_path / "ingest"
    workspace.mkdir()
    done = run_steps(
        TEMPLATE_INGEST,
        workspace,
        {".": (origin, "main")},
        {**common, "toJSON(github.event.client_payload)": json.dumps(payload), "github.event.action": "alertmanager"}
        | {"github.event.repository.default_branch": "main"},
        NO_APP,
        {**path, "MIMCTL_USER": "mimctl-ingest"},
        skip,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    pushed = git("ls-tree", "-r", "--name-only", "main", cwd=origin)
    assert "incidents/INC-0001/incident.yaml" in pushed
    assert (tmp_path / "gh.log").read_text(encoding="utf-8").split() == [
        "workflow",
        "run",
        "notify.yml",
        "--ref",
        "main",
        "-f",
        f"since={before}",
    ]

    workspace = tmp_path / "notify"
    workspace.mkdir()
    secrets = {
        f"secrets.{name}": f"{url}/{name.lower()}"
        for name in ("MIMCTL_SLACK_WEBHOOK_URL", "MIMCTL_TEAMS_WEBHOOK_URL", "MIMCTL_PAGING_WEBHOOK_URL")
    }
    secrets |= {"secrets.MIMCTL_PAGING_WEBHOOK_SECRET": "s3cret", "secrets.MIMCTL_SMTP_USERNAME": "", "secrets.MIMCTL_SMTP_PASSWORD": ""}
    done = run_steps(
        TEMPLATE_NOTIFY,
        workspace,
        {".": (origin, "main")},
        {**common, **secrets, "github.event_name": "workflow_dispatch", "github.event.before": "", "inputs.since": before},
        NO_APP,
        path,
        skip,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    slack = [body for where, body in received if where == "/mimctl_slack_webhook_url"]
    assert len(slack) == 1 and b"INC-0001" in slack[0], received
    assert ".mimctl/notifications.jsonl" in git("ls-tree", "-r", "--name-only", "main", cwd=origin), "the ledger was pushed"

    # The hourly catch-up finds the delivery in the ledger and sends nothing twice.
    workspace = tmp_path / "catch-up"
    workspace.mkdir()
    values = {**common, **secrets, "github.event_name": "schedule", "github.event.before": "", "inputs.since": ""}
    done = run_steps(TEMPLATE_NOTIFY, workspace, {".": (origin, "main")}, values, NO_APP, path, skip)
    assert done.returncode == 0, done.stdout + done.stderr
    assert len([body for where, body in received if where == "/mimctl_slack_webhook_url"]) == 1, received
