"""Record sources: the work tree and a commit's tree answer alike, and neither follows a link."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gitutil import commit_all, git, head, init_repo
from mimctl.layout import INCIDENTS, KEDB, sort_out
from mimctl.sources import FILE, FOLDER, LINK, OTHER, SUBMODULE, GitTree, SourceError, WorkTree
from mimctl.yamlio import MAX_BYTES


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with a record, a folder link, a file link, an oversized file and a submodule entry."""
    root = tmp_path / "repo"
    init_repo(root)
    (root / "incidents" / "INC-0001" / "timeline").mkdir(parents=True)
    (root / "incidents" / "INC-0001" / "incident.yaml").write_text("id: INC-0001\n", encoding="utf-8")
    (root / "docs").mkdir()
    (root / "docs" / "x.yaml").write_text("secret: outside the records\n", encoding="utf-8")
    (root / "incidents" / "INC-0002").symlink_to(Path("..") / "docs")
    (root / "incidents" / "INC-0001" / "pir.yaml").symlink_to(Path("..") / ".." / "docs" / "x.yaml")
    (root / "kedb").mkdir()
    (root / "kedb" / "KE-0001.yaml").write_bytes(b"x" * (MAX_BYTES + 1))
    commit_all(root, "start")
    git("update-index", "--add", "--cacheinfo", f"160000,{head(root)},incidents/INC-0003", cwd=root)
    git("commit", "--quiet", "-m", "a submodule entry", cwd=root)
    return root


@pytest.fixture(params=["worktree", "git"])
def source(request: pytest.FixtureRequest, repo: Path) -> WorkTree | GitTree:
    if request.param == "worktree":
        (repo / "incidents" / "INC-0003").mkdir()  # what a checkout shows for an uninitialised submodule
        return WorkTree(repo)
    tree = GitTree(repo, head(repo))
    request.addfinalizer(tree.close)
    return tree


def test_both_sources_tell_links_folders_and_files_apart(source: WorkTree | GitTree) -> None:
    kinds = {e.name: e.kind for e in source.listing("incidents") or []}
    expected_third = SUBMODULE if isinstance(source, GitTree) else FOLDER
    assert kinds == {"INC-0001": FOLDER, "INC-0002": LINK, "INC-0003": expected_third}
    assert source.entry("incidents/INC-0001/pir.yaml") is not None
    assert source.entry("incidents/INC-0001/pir.yaml").kind == LINK  # type: ignore[union-attr]


def test_nothing_is_read_through_a_link(source: WorkTree | GitTree) -> None:
    with pytest.raises(SourceError, match="symbolic link"):
        source.read("incidents/INC-0001/pir.yaml")
    with pytest.raises(SourceError):
        source.read("incidents/INC-0002/x.yaml")
    assert source.entry("incidents/INC-0002/x.yaml") is None
    assert source.listing("incidents/INC-0002") is None
    assert source.walk("incidents/INC-0002") == []


def test_reads_are_bounded(source: WorkTree | GitTree) -> None:
    with pytest.raises(SourceError, match="larger than"):
        source.read("kedb/KE-0001.yaml")
    assert source.read("incidents/INC-0001/incident.yaml") == b"id: INC-0001\n"


def test_paths_that_climb_out_are_refused(source: WorkTree | GitTree) -> None:
    for path in ("../x", "/etc/passwd", "incidents/../docs/x.yaml", ""):
        assert source.entry(path) is None
        with pytest.raises(SourceError):
            source.read(path)


def test_the_layout_sorts_out_what_is_not_a_record(source: WorkTree | GitTree) -> None:
    top = sort_out(INCIDENTS, source.listing("incidents") or [])
    problems = {f.path: f.message for f in top.findings}
    assert "incidents/INC-0002" in problems and "symbolic link" in problems["incidents/INC-0002"]
    inner = sort_out(INCIDENTS, source.walk("incidents/INC-0001"), top="incidents/INC-0001")
    assert inner.records == {"incident": ["incidents/INC-0001/incident.yaml"]}
    assert [f.path for f in inner.findings] == ["incidents/INC-0001/pir.yaml"]
    assert sort_out(KEDB, source.listing("kedb") or []).records == {"known-error": ["kedb/KE-0001.yaml"]}


def test_the_work_tree_does_not_wait_on_a_fifo_or_read_a_device(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    os.mkfifo(root / "fifo.yaml")
    (root / "zero.yaml").symlink_to("/dev/zero")
    tree = WorkTree(root)
    assert {e.name: e.kind for e in tree.listing("") or []} == {"fifo.yaml": OTHER, "zero.yaml": LINK}
    with pytest.raises(SourceError, match="regular file"):
        tree.read("fifo.yaml")
    with pytest.raises(SourceError, match="symbolic link"):
        tree.read("zero.yaml")


def test_a_linked_record_folder_is_not_entered(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "incident.yaml").write_text("id: INC-0009\n", encoding="utf-8")
    root.mkdir()
    (root / "incidents").symlink_to(outside)
    tree = WorkTree(root)
    assert tree.entry("incidents").kind == LINK  # type: ignore[union-attr]
    assert tree.listing("incidents") is None and tree.walk("incidents") == []
    with pytest.raises(SourceError):
        tree.read("incidents/incident.yaml")


def test_git_names_are_literal_never_patterns(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    init_repo(root)
    for name in ("INC-0001", "INC-000[1]", ":(glob)*", "-v"):
        folder = root / "incidents" / name
        folder.mkdir(parents=True)
        (folder / "incident.yaml").write_text(f"name: {name}\n", encoding="utf-8")
    commit_all(root, "odd names")
    tree = GitTree(root, head(root))
    try:
        for name in ("INC-0001", "INC-000[1]", ":(glob)*", "-v"):
            walked = tree.walk(f"incidents/{name}")
            assert [e.path for e in walked] == [f"incidents/{name}/incident.yaml"], name
            assert tree.read(f"incidents/{name}/incident.yaml") == f"name: {name}\n".encode()
    finally:
        tree.close()


def test_one_cat_file_process_serves_every_read(repo: Path) -> None:
    tree = GitTree(repo, head(repo))
    try:
        for _ in range(3):
            tree.read("incidents/INC-0001/incident.yaml")
        batch = tree.reader._batch
        assert batch is not None and batch.poll() is None
        tree.read("incidents/INC-0001/incident.yaml")
        assert tree.reader._batch is batch
    finally:
        tree.close()
    assert tree.reader._batch is None


def test_a_file_entry_knows_its_kind_in_a_subfolder_tracker(tmp_path: Path) -> None:
    root = tmp_path / "mono"
    init_repo(root)
    (root / "ops" / "incidents" / "INC-0001").mkdir(parents=True)
    (root / "ops" / "incidents" / "INC-0001" / "incident.yaml").write_text("id: INC-0001\n", encoding="utf-8")
    commit_all(root, "a tracker in a subfolder")
    tree = GitTree(root, head(root), "ops/")
    try:
        assert [e.path for e in tree.listing("incidents") or []] == ["incidents/INC-0001"]
        assert tree.entry("incidents/INC-0001/incident.yaml").kind == FILE  # type: ignore[union-attr]
        assert tree.read("incidents/INC-0001/incident.yaml") == b"id: INC-0001\n"
    finally:
        tree.close()
