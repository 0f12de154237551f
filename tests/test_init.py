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


# --- the checker pin and the workflows -------------------------------------------------


def test_init_writes_the_pin_and_the_workflows(tmp_path: Path) -> None:
    from packaging.requirements import Requirement

    ok(["init", "tracker"], tmp_path)
    root = tmp_path / "tracker"
    files = set(git("ls-files", cwd=root).splitlines())
    template = Path(__file__).resolve().parents[1] / "tools" / "mimctl" / "starter" / "github"
    expected = {".github/" + p.relative_to(template).as_posix() for p in template.rglob("*") if p.is_file()}
    assert expected <= files and ".github/workflows/check.yml" in expected and ".github/CODEOWNERS" in expected
    for name in expected:
        assert (root / name).read_bytes() == (template / name.removeprefix(".github/")).read_bytes()
    pin = (root / ".mimctl" / "requirements.txt").read_text(encoding="utf-8")
    lines = [line for line in pin.splitlines() if line and not line.startswith("#")]
    assert len(lines) == 1
    requirement = Requirement(lines[0])
    assert requirement.name == "mimctl" and "site" in requirement.extras
    assert "change it" in pin.lower() and "git+https://" in pin, "the comment says how to pin a version or a commit"
    ok(["validate"], root)


def test_init_can_leave_out_github_and_take_a_pin(tmp_path: Path) -> None:
    done = ok(["init", "--no-github", "--pin", "mimctl[site]==9.9.9", "tracker"], tmp_path)
    root = tmp_path / "tracker"
    assert "the workflows" not in done.stdout + done.stderr, "there are none"
    assert "the pin, for workflows you add: mimctl[site]==9.9.9" in done.stdout and "the pin installs" in done.stderr
    assert not (root / ".github").exists()
    assert (root / ".mimctl" / "requirements.txt").read_text(encoding="utf-8").splitlines()[-1] == "mimctl[site]==9.9.9"


def test_init_names_the_pin_and_warns_when_it_comes_from_the_package_index(tmp_path: Path) -> None:
    by_name = ok(["init", "--pin", "mimctl[site]==9.9.9", "--format", "json", "named"], tmp_path)
    data = by_name.json()
    assert data["pin"] == "mimctl[site]==9.9.9" and "package index" in data["warnings"][0]
    assert "package index" in by_name.stderr and "--pin" in by_name.stderr
    text = ok(["init", "--pin", "mimctl[site]==9.9.9", "again"], tmp_path)
    assert "mimctl[site]==9.9.9" in text.stdout
    commit = "mimctl[site] @ git+https://github.com/acme/mimctl@" + "a" * 40
    pinned = ok(["init", "--pin", commit, "--format", "json", "pinned"], tmp_path)
    assert pinned.json()["pin"] == commit and pinned.json()["warnings"] == [] and "warning" not in pinned.stderr


@pytest.mark.parametrize("pin", ["", "a\nb", "-e ."])
def test_init_refuses_a_pin_that_is_not_one_requirement(tmp_path: Path, pin: str) -> None:
    result = run(["init", "--pin", pin, "tracker"], tmp_path)
    assert result.exit_code != 0 and not result.crashed, result
    assert not (tmp_path / "tracker" / "process.yaml").exists()


@pytest.mark.parametrize(
    ("direct_url", "clone", "expected"),
    [
        (None, None, "mimctl[site]==1.2.3"),
        ({"url": "file:///somewhere/mimctl-1.2.3-py3-none-any.whl", "archive_info": {}}, None, "mimctl[site]==1.2.3"),
        (
            {"url": "https://github.com/acme/mimctl.git", "vcs_info": {"vcs": "git", "commit_id": "a" * 40}},
            None,
            f"mimctl[site] @ git+https://github.com/acme/mimctl.git@{'a' * 40}",
        ),
        (
            {"url": "https://x-access-token:ghp_secret@github.com/acme/mimctl", "vcs_info": {"vcs": "git", "commit_id": "b" * 40}},
            None,
            f"mimctl[site] @ git+https://github.com/acme/mimctl@{'b' * 40}",
        ),
        (
            {"url": "file:///src/mimctl", "dir_info": {"editable": True}},
            ("https://user:pw@git.example.com/acme/mimctl.git", "c" * 40),
            f"mimctl[site] @ git+https://git.example.com/acme/mimctl.git@{'c' * 40}",
        ),
        (
            {"url": "file:///src/mimctl", "dir_info": {"editable": True}},
            ("git@github.com:acme/mimctl.git", "c" * 40),
            "mimctl[site]==1.2.3",
        ),
        ({"url": "file:///src/mimctl", "dir_info": {"editable": True}}, None, "mimctl[site]==1.2.3"),
    ],
    ids=["index", "wheel", "git", "git-with-token", "clone", "clone-over-ssh", "unpublished-clone"],
)
def test_the_pin_names_a_commit_when_pip_knows_one_and_never_a_credential(
    direct_url: dict[str, object] | None, clone: tuple[str, str] | None, expected: str
) -> None:
    from mimctl.scaffold import pin_requirement

    pin = pin_requirement("1.2.3", direct_url, clone)
    assert pin == expected
    assert "secret" not in pin and "pw@" not in pin


def test_init_sets_the_git_settings_of_a_large_tracker_unless_the_repository_chose(tmp_path: Path) -> None:
    ok(["init", "--no-site", "fresh"], tmp_path)
    fresh = tmp_path / "fresh"
    assert git("config", "--local", "feature.manyFiles", cwd=fresh).strip() == "true"
    assert git("config", "--local", "fetch.writeCommitGraph", cwd=fresh).strip() == "true"
    assert git("config", "--local", "index.version", cwd=fresh, check=False).strip() in ("", "4")
    assert (fresh / ".git" / "index").read_bytes()[4:8] == (4).to_bytes(4, "big"), "the index is rewritten as version 4 now"

    chosen = tmp_path / "chosen"
    chosen.mkdir()
    git("init", "-q", "-b", "main", cwd=chosen)
    git("config", "--local", "feature.manyFiles", "false", cwd=chosen)
    ok(["init", "--no-site"], chosen)
    assert git("config", "--local", "feature.manyFiles", cwd=chosen).strip() == "false", "an owner's choice is kept"
    assert git("config", "--local", "fetch.writeCommitGraph", cwd=chosen).strip() == "true"

    plain = tmp_path / "plain"
    ok(["init", "--no-site", "--no-git-settings", "plain"], tmp_path)
    assert git("config", "--local", "feature.manyFiles", cwd=plain, check=False).strip() == ""
