"""`mimctl init`: a new organisation's tracker, ready to validate, record and publish."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitutil import assert_unchanged, git, make_tracker, ok, run, snapshot
from mimctl.site.build import build_site

IDENTITY = {
    "GIT_AUTHOR_NAME": "Tester",
    "GIT_AUTHOR_EMAIL": "tester@example.invalid",
    "GIT_COMMITTER_NAME": "Tester",
    "GIT_COMMITTER_EMAIL": "tester@example.invalid",
}


@pytest.fixture(autouse=True)
def identity(monkeypatch: pytest.MonkeyPatch) -> None:
    # A user's identity comes from their own git configuration; here, from the environment.
    for key, value in IDENTITY.items():
        monkeypatch.setenv(key, value)


def test_init_makes_a_repository_that_validates_records_and_publishes(tmp_path: Path) -> None:
    ok(["init", "tracker"], tmp_path)
    root = tmp_path / "tracker"

    assert git("log", "--format=%s", cwd=root).splitlines() == ["Start a tracker repository"]
    assert git("status", "--porcelain", cwd=root) == ""
    assert {"process.yaml", "catalog.yaml", "mkdocs.yml", "docs/about.md", "schemas/incident.schema.json"} <= set(
        git("ls-files", cwd=root).splitlines()
    )
    ok(["validate"], root)
    declared = ok(
        [
            "new",
            "--title",
            "Sign-in failing",
            "--service",
            "auth",
            "--impact",
            "high",
            "--urgency",
            "high",
            "--severity",
            "SEV1",
            "--source",
            "user-report",
        ],
        root,
    )
    assert "INC-0001" in declared.stdout
    site = build_site(root, tmp_path / "site")
    assert "Sign-in failing" in (site / "incidents" / "INC-0001.html").read_text(encoding="utf-8")


def test_init_in_an_existing_repository_commits_only_its_own_files(tmp_path: Path) -> None:
    root = tmp_path / "ops"
    root.mkdir()
    git("init", "-q", "-b", "main", cwd=root)
    (root / "notes.txt").write_text("staged work\n", encoding="utf-8")
    git("add", "notes.txt", cwd=root)

    ok(["init", "--no-site"], root)

    committed = git("show", "--name-only", "--format=", "HEAD", cwd=root).splitlines()
    assert "notes.txt" not in committed and "process.yaml" in committed and "mkdocs.yml" not in committed
    assert git("diff", "--cached", "--name-only", cwd=root).splitlines() == ["notes.txt"]


def test_init_refuses_an_existing_tracker_and_changes_nothing(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "tracker")
    before = snapshot(root)

    result = run(["init", "."], root)

    assert result.exit_code == 1 and not result.crashed, result
    assert "already holds" in result.stderr and "process.yaml" in result.stderr
    assert_unchanged(before, snapshot(root))


def test_init_without_commit_writes_the_files_only(tmp_path: Path) -> None:
    ok(["init", "--no-commit", "draft"], tmp_path)
    root = tmp_path / "draft"
    assert (root / "process.yaml").is_file() and (root / ".gitignore").read_text(encoding="utf-8") == "site/\nsite-public/\n"
    assert not (root / ".git").exists()
