"""Results kept between runs never hide a finding: a changed record, rule file, judge, reference or moment is judged again.

Each test validates a real tracker repository once (results are kept), then
changes one thing and checks that the second run says exactly what a run
without kept results says (``keep=False``), and that what did not change
really was not read again.
"""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from gitutil import REPO_ROOT, commit_all, git, init_repo, ok, run
from mimctl import cache, rules
from mimctl.findings import Finding
from mimctl.store import Tracker, committed_source
from mimctl.validate import ValidationResult, validate

NOW = datetime(2027, 1, 1, tzinfo=timezone.utc)  # after every sample record
INCIDENTS = 8
KNOWN_ERRORS = 5


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This repository's sample records, committed; results are kept in its git folder."""
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    root = tmp_path / "tracker"
    root.mkdir()
    for name in ("process.yaml", "catalog.yaml"):
        shutil.copyfile(REPO_ROOT / name, root / name)
    for folder in ("schemas", "incidents", "kedb"):
        shutil.copytree(REPO_ROOT / folder, root / folder)
    init_repo(root)
    commit_all(root, "The sample records")
    return root


def judged(root: Path, now: datetime = NOW, rev: str | None = None) -> ValidationResult:
    """A run that keeps and uses results; and, to compare with, a run that reads everything: both must say the same."""
    tracker = Tracker(root, committed_source(root, rev)) if rev else Tracker(root)
    result = validate(tracker, now=now, jobs=1)
    fresh = validate(Tracker(root, committed_source(root, rev)) if rev else Tracker(root), now=now, jobs=1, keep=False)
    assert result.findings == fresh.findings, "kept results said something else than judging again"
    assert result.files == fresh.files
    return result


def messages(result: ValidationResult) -> set[str]:
    return {f"{f.path}: {f.message}" for f in result.findings if f.severity == "error"}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_an_unchanged_tracker_is_not_read_again(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = judged(repo)
    assert first.ok and first.kept == 0
    reads: list[str] = []
    original = Tracker.read

    def counted(self: Tracker, path: Path, kind: str, source: object = None) -> object:
        reads.append(self.rel(path))
        return original(self, path, kind, source)  # type: ignore[arg-type]

    monkeypatch.setattr(Tracker, "read", counted)
    second = validate(Tracker(repo), now=NOW, jobs=1)
    assert second.kept == INCIDENTS + KNOWN_ERRORS and second.files == first.files and second.findings == first.findings
    assert set(reads) == {"catalog.yaml", "process.yaml"}, "only the rules are read again"
    assert git("status", "--porcelain", "--ignored", cwd=repo) == "", "kept results live in the git folder, not the work tree"
    assert (repo / ".git" / "mimctl" / "cache.sqlite").is_file()


def test_an_unchanged_tracker_is_judged_as_a_whole(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second run of an unchanged tracker, on disk or from a commit, takes one kept result: no folder is listed or read."""
    first, committed = judged(repo), judged(repo, rev="HEAD")
    import mimctl.validate

    def judging(*args: object) -> None:
        raise AssertionError("the record folders were judged again")

    monkeypatch.setattr(mimctl.validate, "_records", judging)
    for again, before in (
        (validate(Tracker(repo), now=NOW, jobs=1), first),
        (validate(Tracker(repo, committed_source(repo, "HEAD")), now=NOW, jobs=1), committed),
    ):
        assert again.findings == before.findings and again.files == before.files
        assert again.kept == INCIDENTS + KNOWN_ERRORS


@pytest.mark.parametrize(
    "change",
    [
        "a stray file, not in git",
        "a stray file, ignored by git",
        "a stray file, committed",
        "a known error removed, not committed",
        "a maintenance record, committed",
    ],
)
def test_the_whole_result_never_hides_a_change(repo: Path, change: str) -> None:
    judged(repo)
    judged(repo, rev="HEAD")
    if "stray" in change:
        (repo / "incidents" / "notes.txt").write_text("scratch\n", encoding="utf-8")
        expected = "incidents/notes.txt"
        if "ignored" in change:
            (repo / ".git" / "info" / "exclude").write_text("notes.txt\n", encoding="utf-8")
    elif "known error" in change:
        (repo / "kedb" / "KE-0003.yaml").unlink()  # INC-0006 names it as its known error
        expected = "incidents/INC-0006/incident.yaml"
    else:
        (repo / "maintenance").mkdir()
        (repo / "maintenance" / "MNT-0001.yaml").write_text("id: MNT-0001\n", encoding="utf-8")
        expected = "maintenance/MNT-0001.yaml"
    if "committed" in change and "not committed" not in change:
        commit_all(repo, change)
        assert any(m.startswith(expected) for m in messages(judged(repo, rev="HEAD"))), change
    assert any(m.startswith(expected) for m in messages(judged(repo))), change


def test_a_changed_record_is_judged_again_on_disk_committed_and_reverted(repo: Path) -> None:
    judged(repo)
    record = repo / "incidents" / "INC-0003" / "incident.yaml"
    edit(record, "severity: SEV2", "severity: SEV9")
    changed = judged(repo)
    assert "incidents/INC-0003/incident.yaml: unknown severity 'SEV9'; severities: SEV1, SEV2, SEV3, SEV4" in messages(changed)
    assert changed.kept == INCIDENTS + KNOWN_ERRORS - 1, "only the changed folder was judged again"
    commit_all(repo, "A bad severity")
    assert messages(judged(repo)) == messages(changed)
    assert messages(judged(repo, rev="HEAD")) == messages(changed)
    git("revert", "--no-edit", "HEAD", cwd=repo)
    assert judged(repo).ok and judged(repo, rev="HEAD").ok


def test_a_file_added_by_hand_to_an_unchanged_folder_is_found(repo: Path) -> None:
    judged(repo)
    (repo / "incidents" / "INC-0002" / "notes.txt").write_text("scratch\n", encoding="utf-8")
    assert any("'notes.txt' is not a record file" in m for m in messages(judged(repo)))
    (repo / ".gitignore").write_text("notes.txt\n", encoding="utf-8")
    assert any("'notes.txt' is not a record file" in m for m in messages(judged(repo))), "ignored by git, still there"


def test_a_file_git_is_told_not_to_look_at_is_judged_as_git_shows_it_until_no_cache(repo: Path) -> None:
    """The documented limit: kept results trust git's view of the work tree; --no-cache reads the file itself."""
    judged(repo)
    git("update-index", "--assume-unchanged", "incidents/INC-0003/incident.yaml", cwd=repo)
    edit(repo / "incidents" / "INC-0003" / "incident.yaml", "severity: SEV2", "severity: SEV9")
    assert git("status", "--porcelain", cwd=repo) == "", "git itself does not see the edit"
    assert validate(Tracker(repo), now=NOW, jobs=1).ok, "judged as git shows it"
    fresh = validate(Tracker(repo), now=NOW, jobs=1, keep=False)
    assert "incidents/INC-0003/incident.yaml: unknown severity 'SEV9'; severities: SEV1, SEV2, SEV3, SEV4" in messages(fresh)


def test_a_changed_rule_file_judges_every_record_again(repo: Path) -> None:
    judged(repo)
    catalog = repo / "catalog.yaml"
    text = catalog.read_text(encoding="utf-8")
    catalog.write_text(re.sub(r"  - id: reporting\n(    .*\n)+", "", text), encoding="utf-8")
    found = judged(repo)
    assert found.kept == 0
    assert "incidents/INC-0004/incident.yaml: service 'reporting' is not in the service catalog" in messages(found)
    assert "kedb/KE-0004.yaml: service 'reporting' is not in the service catalog" in messages(found)


def test_a_new_judge_judges_every_record_again(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    judged(repo)
    original = rules.check_bundle

    def stricter(bundle: object, *args: object, **kwargs: object) -> list[Finding]:
        found = original(bundle, *args, **kwargs)  # type: ignore[arg-type]
        return [*found, Finding(bundle.incident.path, 1, 1, "a rule of a newer mimctl", rule="new")]  # type: ignore[attr-defined]

    monkeypatch.setattr(rules, "check_bundle", stricter)
    hidden = validate(Tracker(repo), now=NOW, jobs=1)
    assert hidden.ok and hidden.kept == INCIDENTS + KNOWN_ERRORS, "the same judge: its kept results stand (the test can fail)"
    monkeypatch.setattr("mimctl.__version__", "99.0")
    cache.judge_version.cache_clear()
    try:
        newer = validate(Tracker(repo), now=NOW, jobs=1)
    finally:
        cache.judge_version.cache_clear()
    assert newer.kept == 0
    assert sum(1 for f in newer.findings if f.message == "a rule of a newer mimctl") == INCIDENTS


def test_the_judge_changes_with_any_file_of_mimctl(tmp_path: Path) -> None:
    package = tmp_path / "mimctl"
    shutil.copytree(Path(cache.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    before = cache.digest_of(package)
    assert before == cache.digest_of(package), "the same code, the same judge"
    rule = package / "rules.py"
    rule.write_text(rule.read_text(encoding="utf-8") + "\n# a change\n", encoding="utf-8")
    after_code = cache.digest_of(package)
    assert after_code != before
    schema = package / "schemas" / "incident.schema.json"
    assert not schema.is_symlink(), "copied as a file"
    schema.write_text(schema.read_text(encoding="utf-8").replace('"title"', '"title" ', 1), encoding="utf-8")
    assert cache.digest_of(package) not in (before, after_code), "a schema is part of the judge"


def test_references_to_other_records_are_checked_again(repo: Path) -> None:
    judged(repo)
    shutil.rmtree(repo / "incidents" / "INC-0002")  # INC-0006 names it as related
    (repo / "kedb" / "KE-0003.yaml").unlink()  # INC-0006 names it as its known error
    found = judged(repo)
    assert any(m.startswith("incidents/INC-0006/incident.yaml:") and "INC-0002" in m for m in messages(found)), messages(found)
    assert any(m.startswith("incidents/INC-0006/incident.yaml:") and "KE-0003" in m for m in messages(found)), messages(found)
    git("checkout", "--", ".", cwd=repo)
    assert judged(repo).ok, "and they hold again once the records are back"


def test_a_time_in_the_future_is_judged_at_each_moment(repo: Path) -> None:
    record = repo / "incidents" / "INC-0008" / "incident.yaml"
    detected = re.search(r"^detected_at: '([^']+)'", record.read_text(encoding="utf-8"), re.M).group(1)  # type: ignore[union-attr]
    moment = datetime.fromisoformat(detected.replace("Z", "+00:00"))
    early = moment - timedelta(hours=1)  # detected_at is 50 minutes beyond now + max_future_minutes
    later = moment + timedelta(days=30)
    assert "detected_at is in the future" in " ".join(messages(judged(repo, now=early)))
    assert not any("in the future" in m for m in messages(judged(repo, now=later)))
    assert "detected_at is in the future" in " ".join(messages(judged(repo, now=early))), "and back again"


def test_a_broken_cache_is_not_used(repo: Path) -> None:
    judged(repo)
    (repo / ".git" / "mimctl" / "cache.sqlite").write_bytes(b"this is not a database" * 100)
    for name in ("cache.sqlite-wal", "cache.sqlite-shm"):
        (repo / ".git" / "mimctl" / name).unlink(missing_ok=True)
    edit(repo / "incidents" / "INC-0003" / "incident.yaml", "severity: SEV2", "severity: SEV9")
    result = validate(Tracker(repo), now=NOW, jobs=1)
    assert result.kept == 0 and any("SEV9" in m for m in messages(result))


def test_the_command_line_keeps_results_unless_told_not_to(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ok(["validate"], repo)
    assert (repo / ".git" / "mimctl" / "cache.sqlite").is_file()
    edit(repo / "incidents" / "INC-0003" / "incident.yaml", "severity: SEV2", "severity: SEV9")
    for args in (["validate"], ["validate", "--no-cache"], ["validate", "incidents/INC-0003"]):
        result = run(args, repo)
        assert result.exit_code == 1 and "unknown severity 'SEV9'" in result.output, result
    assert ok(["validate", "--rev", "HEAD"], repo), "the commit does not hold the edit"
    elsewhere = repo.parent / "kept"
    monkeypatch.setenv(cache.CACHE_ENV, str(elsewhere))
    ok(["validate", "--rev", "HEAD"], repo)
    assert (elsewhere / "cache.sqlite").is_file()
    monkeypatch.setenv(cache.CACHE_ENV, "off")
    shutil.rmtree(elsewhere)
    ok(["validate", "--rev", "HEAD"], repo)
    assert not elsewhere.exists()
