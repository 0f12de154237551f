"""mimctl changes: commits to the affected services' repositories in the window before detection."""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from gitutil import GIT_ENV, declare, init_repo, make_tracker, ok_json, run
from mimctl.gitrepo import GitError, log_window

# Detection in these tests is gitutil.START: 2025-03-10T08:00:00Z.
DETECTED = datetime(2025, 3, 10, 8, 0, tzinfo=timezone.utc)


def commit_at(repo: Path, files: dict[str, str], subject: str, committed: str, authored: str | None = None) -> str:
    """Write ``files`` and commit them with the given committer (and author) date; the sha."""
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    env = {**os.environ, **GIT_ENV, "GIT_COMMITTER_DATE": committed, "GIT_AUTHOR_DATE": authored or committed}
    for args in (["add", "--all"], ["commit", "--quiet", "-m", subject]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, env=env, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def map_repositories(tracker: Path, service: str, entries: str) -> None:
    """Give ``service`` in the tracker's catalog.yaml these ``repositories`` (YAML list items, indented 6)."""
    catalog = tracker / "catalog.yaml"
    text = catalog.read_text(encoding="utf-8")
    anchor = f"  - id: {service}\n"
    assert anchor in text
    catalog.write_text(text.replace(anchor, anchor + "    repositories:\n" + entries), encoding="utf-8")


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """An application repository beside the tracker, with commits around detection."""
    repo = tmp_path / "app"
    init_repo(repo)
    commit_at(repo, {"services/checkout/a.py": "1"}, "too old", "2025-03-09T07:59:00Z")
    commit_at(repo, {"services/checkout/a.py": "2"}, "pool size from values", "2025-03-09T09:00:00Z")
    commit_at(repo, {"services/checkout/b.py": "1", "docs/notes.md": "x"}, "release 2.3", "2025-03-10T07:30:00Z")
    commit_at(repo, {"docs/only.md": "x"}, "docs only", "2025-03-10T07:45:00Z")
    commit_at(
        repo, {"services/checkout/a.py": "3"}, "authored long ago, merged late", "2025-03-10T07:50:00Z", authored="2025-02-01T10:00:00Z"
    )
    commit_at(repo, {"services/checkout/a.py": "4"}, "after detection", "2025-03-10T08:30:00Z")
    return repo


@pytest.fixture
def tracker(tmp_path: Path, app: Path) -> Path:
    root = make_tracker(tmp_path / "tracker")
    map_repositories(root, "checkout-api", "      - path: ../app\n        paths: ['services/checkout/**']\n")
    return root


def subjects(data: dict[str, Any]) -> list[str]:
    return [c["subject"] for c in data["commits"]]


def test_lists_commits_in_the_window_under_mapped_paths_newest_first(tracker: Path) -> None:
    incident = declare(tracker)
    data = ok_json(["changes", incident], tracker)
    assert subjects(data) == ["authored long ago, merged late", "release 2.3", "pool size from values"]
    assert data["until"] == "2025-03-10T08:00:00Z" and data["since"] == "2025-03-09T08:00:00Z"
    release = data["commits"][1]
    assert release["files"] == ["services/checkout/b.py"]  # docs/notes.md is not the service's
    assert release["services"] == ["checkout-api"] and release["repository"] == "../app"
    assert release["author"] == "Test Responder" and len(release["sha"]) == 40
    assert data["unconfigured_services"] == [] and data["errors"] == []


def test_window_option_narrows_the_list(tracker: Path) -> None:
    incident = declare(tracker)
    assert subjects(ok_json(["changes", incident, "--window", "45m"], tracker)) == ["authored long ago, merged late", "release 2.3"]
    assert subjects(ok_json(["changes", incident, "--window", "2d"], tracker))[-1] == "too old"


def test_text_output_names_commits_and_files(tracker: Path) -> None:
    incident = declare(tracker)
    result = run(["changes", incident], tracker)
    assert result.exit_code == 0, result
    assert "release 2.3" in result.stdout and "    services/checkout/b.py" in result.stdout
    assert "docs only" not in result.stdout and "after detection" not in result.stdout


def test_a_bad_window_is_a_usage_error(tracker: Path) -> None:
    incident = declare(tracker)
    result = run(["changes", incident, "--window", "yesterday"], tracker)
    assert result.exit_code == 2 and "90m, 6h, 2d" in result.stderr, result


def test_services_without_repositories_are_named(tracker: Path) -> None:
    incident = declare(tracker, "2025-03-10T08:00:00Z", "--service", "search")
    data = ok_json(["changes", incident], tracker)
    assert data["unconfigured_services"] == ["search"]
    assert len(data["commits"]) == 3


def test_a_missing_repository_is_a_clear_error_and_the_others_are_still_listed(tmp_path: Path, tracker: Path) -> None:
    map_repositories(tracker, "payments-gateway", f"      - path: {tmp_path / 'nowhere'}\n")
    incident = declare(tracker, "2025-03-10T08:00:00Z", "--service", "payments-gateway")
    result = run(["changes", incident], tracker)
    assert result.exit_code == 1, result
    assert "nowhere does not exist" in result.stdout
    assert "release 2.3" in result.stdout


def test_a_folder_that_is_not_a_repository_is_refused(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    with pytest.raises(GitError, match="not a git repository"):
        log_window(tmp_path / "plain", DETECTED, DETECTED)


def test_path_patterns_starting_with_a_dash_are_refused(app: Path) -> None:
    with pytest.raises(GitError, match="must not be empty or start with '-'"):
        log_window(app, DETECTED.replace(day=1), DETECTED, ["--output=/tmp/x"])


def test_a_service_mapped_to_the_tracker_itself(tracker: Path) -> None:
    map_repositories(tracker, "search", "      - path: .\n        paths: ['catalog.yaml', 'notes/**']\n")
    commit_at(tracker, {"notes/search.md": "tuning"}, "search tuning notes", "2025-03-10T06:00:00Z")
    incident = declare(tracker, "2025-03-10T08:00:00Z", "--service", "search")
    data = ok_json(["changes", incident, "--window", "6h"], tracker)
    mine = [c for c in data["commits"] if c["repository"] == "."]
    assert [c["subject"] for c in mine] == ["search tuning notes"]
    assert mine[0]["files"] == ["catalog.yaml", "notes/search.md"] and mine[0]["services"] == ["search"]
