"""Shared fixtures: a minimal valid tracker folder and a pinned git identity."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def make_tracker(root: Path) -> Path:
    """Lay out a valid, empty tracker at ``root``: process, catalog, schemas, empty folders."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO_ROOT / "process.yaml", root / "process.yaml")
    shutil.copyfile(REPO_ROOT / "catalog.yaml", root / "catalog.yaml")
    shutil.copytree(REPO_ROOT / "schemas", root / "schemas", dirs_exist_ok=True)
    (root / "incidents").mkdir(exist_ok=True)
    (root / "kedb").mkdir(exist_ok=True)
    return root


@pytest.fixture
def tracker_dir(tmp_path: Path) -> Path:
    """A fresh, valid tracker folder (no incidents yet, not a git repository)."""
    return make_tracker(tmp_path / "tracker")


@pytest.fixture(autouse=True)
def git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """Git in tests uses a fixed identity and ignores the user's and system's config."""
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test Responder")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "responder@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test Responder")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "responder@example.com")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
