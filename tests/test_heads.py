"""Incident heads kept between runs (heads.py): whatever was kept, the heads are those read afresh from the records.

Heads choose what the status path, ``list``, ``escalate`` and ``clone`` load, so a
kept head that no longer matches its folder would hide an incident. Every test
compares with a run that keeps nothing (``MIMCTL_CACHE=off``), after the changes
a kept result must never hide: a folder changed and committed, one added, one
removed, one changed on disk only, an index that is not what mimctl writes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitutil import git
from mimctl import heads as heads_module
from mimctl.heads import Head, heads
from mimctl.store import Tracker, committed_source
from site_fixtures import committed_synthetic


@pytest.fixture
def tracker_repo(tmp_path: Path) -> Path:
    return committed_synthetic(tmp_path / "tracker", 40, events=4, seed=3)


def _fresh(root: Path, rev: str | None, monkeypatch: pytest.MonkeyPatch) -> list[Head]:
    """The heads as a run that keeps nothing reads them."""
    with monkeypatch.context() as m:
        m.setenv("MIMCTL_CACHE", "off")
        return _heads(root, rev)


def _heads(root: Path, rev: str | None) -> list[Head]:
    tracker = Tracker(root, committed_source(root, rev)) if rev else Tracker(root)
    try:
        return list(heads(tracker))
    finally:
        tracker.close()


def _same(found: list[Head], expected: list[Head]) -> None:
    """Equal as heads (the tree id a head was read from is not part of what it says)."""
    assert [h._replace(tree="") for h in found] == [h._replace(tree="") for h in expected]


def _read_only(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record which incidents are read from git objects or files (instead of being taken from what was kept)."""
    read: list[str] = []
    from_git = heads_module._read_from_git
    from_files = heads_module.scan

    def reading(git_side: object, ids: list[str]) -> dict[str, Head]:
        read.extend(ids)
        return from_git(git_side, ids)  # type: ignore[arg-type]

    def scanning(tracker: Tracker, incident_id: str) -> Head:
        read.append(incident_id)
        return from_files(tracker, incident_id)

    monkeypatch.setattr(heads_module, "_read_from_git", reading)
    monkeypatch.setattr(heads_module, "scan", scanning)
    return read


def _change_stage(root: Path, incident_id: str, stage: str) -> None:
    record = root / "incidents" / incident_id / "incident.yaml"
    lines = record.read_text(encoding="utf-8").splitlines(keepends=True)
    lines = [f"stage: {stage}\n" if line.startswith("stage:") else line for line in lines]
    record.write_text("".join(lines), encoding="utf-8")


def _commit(root: Path, message: str) -> None:
    git("add", "-A", cwd=root)
    git("commit", "-q", "-m", message, cwd=root)


def test_a_second_run_from_the_same_commit_reads_nothing_but_the_kept_index(tracker_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _fresh(tracker_repo, "HEAD", monkeypatch)
    _same(_heads(tracker_repo, "HEAD"), expected)
    read = _read_only(monkeypatch)
    listed: list[str] = []
    monkeypatch.setattr(Tracker, "incident_ids", lambda self: listed.append("listed") or [])  # type: ignore[func-returns-value]
    _same(_heads(tracker_repo, "HEAD"), expected)
    assert read == [] and listed == [], "nothing read, not even the incidents' folder listed"


def test_after_a_commit_only_the_changed_folders_are_read_again(tracker_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _heads(tracker_repo, "HEAD")
    _change_stage(tracker_repo, "INC-00007", "contain")
    new = tracker_repo / "incidents" / "INC-00041"
    new.mkdir()
    (new / "incident.yaml").write_bytes((tracker_repo / "incidents" / "INC-00040" / "incident.yaml").read_bytes())
    git("rm", "-rq", "incidents/INC-00003", cwd=tracker_repo)
    _commit(tracker_repo, "one changed, one added, one removed")
    expected = _fresh(tracker_repo, "HEAD", monkeypatch)
    read = _read_only(monkeypatch)
    listed: list[str] = []
    monkeypatch.setattr(Tracker, "incident_ids", lambda self: listed.append("listed") or [])  # type: ignore[func-returns-value]
    found = _heads(tracker_repo, "HEAD")
    _same(found, expected)
    assert sorted(read) == ["INC-00007", "INC-00041"]
    assert listed == [], "what changed comes from comparing the two incidents/ trees, not from listing the folder"
    assert next(h for h in found if h.id == "INC-00007").stage == "contain"
    assert "INC-00003" not in {h.id for h in found}


def test_an_older_commit_is_read_as_it_was_after_a_newer_one(tracker_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = git("rev-parse", "HEAD", cwd=tracker_repo).strip()
    _change_stage(tracker_repo, "INC-00011", "contain")
    _commit(tracker_repo, "change")
    _heads(tracker_repo, "HEAD")
    _same(_heads(tracker_repo, before), _fresh(tracker_repo, before, monkeypatch))
    _same(_heads(tracker_repo, "HEAD"), _fresh(tracker_repo, "HEAD", monkeypatch))


def test_a_folder_changed_on_disk_is_read_from_the_files_and_never_kept_as_the_commits(
    tracker_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _heads(tracker_repo, "HEAD")
    _change_stage(tracker_repo, "INC-00005", "contain")  # not committed
    on_disk = _heads(tracker_repo, None)
    _same(on_disk, _fresh(tracker_repo, None, monkeypatch))
    assert next(h for h in on_disk if h.id == "INC-00005").stage == "contain"
    committed = _heads(tracker_repo, "HEAD")
    _same(committed, _fresh(tracker_repo, "HEAD", monkeypatch))
    assert next(h for h in committed if h.id == "INC-00005").stage != "contain", "the commit's heads never take the edit on disk"


def test_an_incident_folder_whose_name_cannot_be_written_on_a_line_is_read_every_time(
    tracker_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    odd = tracker_repo / "incidents" / "INC-00009\tx"
    odd.mkdir()
    (odd / "incident.yaml").write_text("stage: contain\n", encoding="utf-8")
    _commit(tracker_repo, "an odd name")
    expected = _fresh(tracker_repo, "HEAD", monkeypatch)
    assert "INC-00009\tx" in {h.id for h in expected}
    _same(_heads(tracker_repo, "HEAD"), expected)
    _same(_heads(tracker_repo, "HEAD"), expected)


def test_an_index_that_is_not_what_mimctl_writes_is_as_if_nothing_was_kept(tracker_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _fresh(tracker_repo, "HEAD", monkeypatch)
    _heads(tracker_repo, "HEAD")
    db = sqlite3.connect(tracker_repo / ".git" / "mimctl" / "cache.sqlite")
    with db:
        changed = db.execute(
            "UPDATE results SET value = ? || substr(value, 1, instr(value, char(10))) || 'INC-00001\tbroken' WHERE key LIKE '%:heads-index:'",
            ("",),
        ).rowcount
    db.close()
    assert changed == 1
    _same(_heads(tracker_repo, "HEAD"), expected)


def _iterate(found: Iterator[Head]) -> list[str]:
    return [h.id for h in found]


def test_a_kept_index_of_another_tree_never_answers_for_this_one(tracker_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two commits, kept alternately: each run gives its own commit's heads."""
    first = git("rev-parse", "HEAD", cwd=tracker_repo).strip()
    _change_stage(tracker_repo, "INC-00020", "contain")
    _commit(tracker_repo, "second")
    second = git("rev-parse", "HEAD", cwd=tracker_repo).strip()
    expected = {rev: _fresh(tracker_repo, rev, monkeypatch) for rev in (first, second)}
    for rev in (first, second, first, second, second, first):
        _same(_heads(tracker_repo, rev), expected[rev])
    assert _iterate(iter(expected[first])) == _iterate(iter(expected[second]))


def test_a_folder_replaced_by_a_file_and_names_git_cannot_compare_from(tracker_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a commit that turns a folder into a file (and back), and with an index of a tree the repository does not hold."""
    _heads(tracker_repo, "HEAD")
    git("rm", "-rq", "incidents/INC-00012", cwd=tracker_repo)
    (tracker_repo / "incidents" / "INC-00012").write_text("not a folder\n", encoding="utf-8")
    (tracker_repo / "incidents" / ".hidden").mkdir()
    (tracker_repo / "incidents" / ".hidden" / "incident.yaml").write_text("stage: contain\n", encoding="utf-8")
    _commit(tracker_repo, "a folder became a file; a dot-folder")
    expected = _fresh(tracker_repo, "HEAD", monkeypatch)
    assert "INC-00012" in {h.id for h in expected} and ".hidden" not in {h.id for h in expected}
    _same(_heads(tracker_repo, "HEAD"), expected)
    (tracker_repo / "incidents" / "INC-00012").unlink()
    git("checkout", "-q", "HEAD~1", "--", "incidents/INC-00012", cwd=tracker_repo)
    _commit(tracker_repo, "and back")
    _same(_heads(tracker_repo, "HEAD"), _fresh(tracker_repo, "HEAD", monkeypatch))
    db = sqlite3.connect(tracker_repo / ".git" / "mimctl" / "cache.sqlite")
    with db:  # the index names an incidents/ tree this repository has never held (a cache brought from elsewhere)
        db.execute("UPDATE results SET value = ? || substr(value, instr(value, char(10))) WHERE key LIKE '%:heads-index:'", ("0" * 40,))
    db.close()
    _change_stage(tracker_repo, "INC-00013", "contain")
    _commit(tracker_repo, "after a foreign index")
    _same(_heads(tracker_repo, "HEAD"), _fresh(tracker_repo, "HEAD", monkeypatch))
