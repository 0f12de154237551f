"""Responders in partial, sparse clones: every command sees the whole history, reads what is not checked out from git, and says so.

Real repositories: a tracker with this repository's sample records pushed to
a bare repository on disk, cloned over file:// (a local path would ignore
--filter) by ``mimctl clone``, and by hand with ``git clone --sparse``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gitutil import REPO_ROOT, commit_all, git, init_repo, ok, run
from site_fixtures import clone_incident

CLOSED = "INC-0009"  # a copy of the sample's completed INC-0001: the highest id, and not checked out by mimctl clone


def _origin(tmp_path: Path) -> tuple[Path, str]:
    """A tracker with the sample records plus a completed INC-0009, and a bare repository that serves partial clones."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("process.yaml", "catalog.yaml"):
        shutil.copyfile(REPO_ROOT / name, source / name)
    for folder in ("schemas", "incidents", "kedb"):
        shutil.copytree(REPO_ROOT / folder, source / folder)
    clone_incident(source, "INC-0001", CLOSED)
    review = source / "incidents" / CLOSED / "pir.yaml"
    review.write_text(review.read_text(encoding="utf-8").replace("incident: INC-0001", f"incident: {CLOSED}"), encoding="utf-8")
    init_repo(source)
    commit_all(source, "The sample records")
    bare = tmp_path / "origin.git"
    git("clone", "--quiet", "--bare", str(source), str(bare), cwd=tmp_path)
    git("config", "uploadpack.allowFilter", "true", cwd=bare)
    return source, f"file://{bare}"


def _identity(repo: Path) -> None:
    git("config", "user.name", "Test Responder", cwd=repo)
    git("config", "user.email", "responder@example.invalid", cwd=repo)


def _missing(repo: Path) -> set[str]:
    """Objects the clone does not have (a partial clone fetches them when read), found without fetching."""
    out = git("rev-list", "--objects", "--missing=print", "HEAD", cwd=repo)
    return {line[1:] for line in out.split() if line.startswith("?")}


def _blob(repo: Path, path: str) -> str:
    return git("rev-parse", f"HEAD:{path}", cwd=repo).strip()


@pytest.fixture
def responder(tmp_path: Path) -> Path:
    """A checkout made by ``mimctl clone``: the configuration, the KEDB and the open incidents, nothing else on disk."""
    _, url = _origin(tmp_path)
    done = ok(["clone", url, str(tmp_path / "responder"), "--format", "json"], tmp_path).json()
    repo = Path(done["path"])
    _identity(repo)
    return repo


def test_clone_checks_out_the_configuration_the_kedb_and_the_open_incidents_only(responder: Path) -> None:
    on_disk = sorted(p.name for p in (responder / "incidents").iterdir())
    assert on_disk == [f"INC-000{n}" for n in range(2, 9)], "the open incidents, not the completed INC-0001 and INC-0009"
    assert (responder / "process.yaml").is_file() and (responder / "catalog.yaml").is_file()
    assert sorted(p.name for p in (responder / "kedb").iterdir()) == [f"KE-000{n}.yaml" for n in range(1, 6)]
    assert (responder / "schemas" / "incident.schema.json").is_file()
    assert git("config", "--bool", "core.sparseCheckoutCone", cwd=responder).strip() == "true"
    assert git("config", "--bool", "index.sparse", cwd=responder).strip() == "true"
    assert git("config", "feature.manyFiles", cwd=responder).strip() == "true"
    assert git("config", "remote.origin.promisor", cwd=responder).strip() == "true", "a partial clone"
    # Which incidents are open is read from each incident.yaml (fetched in one request); the rest of the history is not fetched.
    closed_pir = _blob(responder, f"incidents/{CLOSED}/pir.yaml")
    assert closed_pir in _missing(responder), "a closed incident's review is not fetched"
    assert _blob(responder, f"incidents/{CLOSED}/incident.yaml") not in _missing(responder)


# A responder declares an incident in the sparse checkout (its id must come from git, not from what is checked out).
DECLARE_SEARCH_INCIDENT = ["new", "--title", "Search is slow", "--service", "search", "--impact", "low", "--urgency", "low",
                           "--severity", "SEV4", "--source", "alert"]  # fmt: skip


def test_ids_listings_and_references_come_from_git(responder: Path) -> None:
    new = ok(
        [*DECLARE_SEARCH_INCIDENT, "--format", "json"],
        responder,
    ).json()
    assert new["incident"] == "INC-0010", "the next id after INC-0009, which is not checked out"
    listed = ok(["list", "--all", "--format", "json"], responder).json()
    assert {"INC-0001", CLOSED, "INC-0010"} <= {row["id"] for row in listed["incidents"]}
    # KE-0001 names INC-0001, which is not on disk: the reference still holds.
    checked = ok(["validate", "--format", "json"], responder)
    assert checked.json()["ok"] is True, checked


def test_a_record_not_checked_out_is_read_from_git_and_the_command_says_so(responder: Path) -> None:
    blob = _blob(responder, f"incidents/{CLOSED}/incident.yaml")
    shown = ok(["show", CLOSED], responder)
    assert "Card payments failing" in shown.stdout or CLOSED in shown.stdout
    assert f"not checked out here, read from git objects (HEAD): {CLOSED}" in shown.stderr
    assert "fetched" in shown.stderr and "missing objects from origin" in shown.stderr
    assert blob not in _missing(responder), "fetched on demand"
    assert _blob(responder, "incidents/INC-0001/pir.yaml") in _missing(responder), "and nothing it did not need"
    assert not (responder / "incidents" / CLOSED).exists(), "reading checks nothing out"


def test_a_finding_in_a_record_not_checked_out_is_reported(tmp_path: Path) -> None:
    source, url = _origin(tmp_path)
    record = source / "incidents" / CLOSED / "incident.yaml"
    record.write_text(record.read_text(encoding="utf-8").replace("severity: SEV1", "severity: SEV9"), encoding="utf-8")
    commit_all(source, "A bad severity in a closed incident")
    git("push", "--quiet", str(tmp_path / "origin.git"), "main", cwd=source)
    ok(["clone", url, str(tmp_path / "responder")], tmp_path)
    checked = run(["validate"], tmp_path / "responder")
    assert checked.exit_code == 1, checked
    assert f"incidents/{CLOSED}/incident.yaml" in checked.output and "unknown severity 'SEV9'" in checked.output


def test_writing_to_an_incident_not_checked_out_checks_it_out_first(responder: Path) -> None:
    before = git("rev-parse", "HEAD", cwd=responder).strip()
    noted = ok(["note", CLOSED, "Reopened the timeline for a late finding."], responder)
    assert f"checked out (added to this sparse checkout): incidents/{CLOSED}" in noted.stderr
    assert (responder / "incidents" / CLOSED / "incident.yaml").is_file()
    assert git("rev-parse", "HEAD~1", cwd=responder).strip() == before
    changed = git("show", "--name-only", "--format=", "HEAD", cwd=responder).split()
    assert len(changed) == 1 and changed[0].startswith(f"incidents/{CLOSED}/timeline/") and "-note-" in changed[0]
    assert git("status", "--porcelain", cwd=responder) == "", "nothing else touched"
    assert ok(["validate", f"incidents/{CLOSED}"], responder)


def test_a_new_incident_is_checked_out_with_its_first_commit(responder: Path) -> None:
    ok(
        DECLARE_SEARCH_INCIDENT,
        responder,
    )
    assert (responder / "incidents" / "INC-0010" / "incident.yaml").is_file()
    assert "incidents/INC-0010" in git("sparse-checkout", "list", cwd=responder).split()
    assert git("status", "--porcelain", cwd=responder) == ""


def test_widen_checks_out_incidents_by_id_or_every_open_one(tmp_path: Path, responder: Path) -> None:
    added = ok(["widen", "1", "--format", "json"], responder).json()
    assert added == {"checked_out": ["incidents/INC-0001"]}
    assert (responder / "incidents" / "INC-0001" / "pir.yaml").is_file()
    assert ok(["widen", "INC-0001"], responder).stdout.startswith("already checked out")
    refused = run(["widen", "INC-0999"], responder)
    assert refused.exit_code == 1 and "no incident INC-0999" in refused.output, refused
    assert run(["widen"], responder).exit_code == 2, "an id or --open is required"
    full = tmp_path / "full"
    git("clone", "--quiet", str(tmp_path / "origin.git"), str(full), cwd=tmp_path)
    refused = run(["widen", "--open"], full)
    assert refused.exit_code == 1 and "not sparse" in refused.output, refused


def test_a_deletion_in_the_checkout_is_not_undone_by_git(tmp_path: Path) -> None:
    """Inside the sparse checkout the work tree is the truth: a folder deleted there is gone, even though HEAD still holds it."""
    _, url = _origin(tmp_path)
    repo = tmp_path / "by-hand"
    git("clone", "--quiet", "--sparse", url, str(repo), cwd=tmp_path)
    git("sparse-checkout", "set", "--cone", "--sparse-index", "incidents/INC-0008", "incidents/INC-0007", "kedb", "schemas", cwd=repo)
    shutil.rmtree(repo / "incidents" / "INC-0008")
    listed = ok(["list", "--all", "--format", "json"], repo).json()
    ids = {row["id"] for row in listed["incidents"]}
    assert "INC-0008" not in ids, "deleted in the checkout"
    assert {"INC-0001", "INC-0002", "INC-0007", CLOSED} <= ids, "checked out or not, the rest is there"


def test_a_sparse_checkout_not_in_cone_mode_reads_what_it_leaves_out_from_git(tmp_path: Path) -> None:
    _, url = _origin(tmp_path)
    repo = tmp_path / "patterns"
    git("clone", "--quiet", "--no-checkout", url, str(repo), cwd=tmp_path)
    git("sparse-checkout", "set", "--no-cone", "/*.yaml", "/schemas/", "/kedb/", "/incidents/INC-0008/", cwd=repo)
    git("checkout", "--quiet", "main", cwd=repo)
    assert sorted(p.name for p in (repo / "incidents").iterdir()) == ["INC-0008"]
    listed = ok(["list", "--all", "--format", "json"], repo).json()
    assert len(listed["incidents"]) == 9 and not listed["invalid"], listed
    shown = ok(["show", "INC-0002"], repo)
    assert "read from git objects (HEAD): INC-0002" in shown.stderr


def test_a_tracker_in_a_folder_of_a_sparse_checkout(tmp_path: Path) -> None:
    source = tmp_path / "monorepo"
    tracker = source / "ops" / "incidents-tracker"
    tracker.mkdir(parents=True)
    for name in ("process.yaml", "catalog.yaml"):
        shutil.copyfile(REPO_ROOT / name, tracker / name)
    for folder in ("schemas", "incidents", "kedb"):
        shutil.copytree(REPO_ROOT / folder, tracker / folder)
    init_repo(source)
    commit_all(source, "A tracker in a folder")
    repo = tmp_path / "checkout"
    git("clone", "--quiet", "--sparse", str(source), str(repo), cwd=tmp_path)
    cone = ["ops/incidents-tracker/schemas", "ops/incidents-tracker/kedb", "ops/incidents-tracker/incidents/INC-0008"]
    git("sparse-checkout", "set", "--cone", "--sparse-index", *cone, cwd=repo)
    here = repo / "ops" / "incidents-tracker"
    listed = ok(["list", "--all", "--format", "json"], here).json()
    assert len(listed["incidents"]) == 8, listed
    assert ok(["validate", "--format", "json"], here).json()["ok"] is True


def _cone_files_flags(repo: Path, folder: str) -> list[str]:
    """``git ls-files -t`` of ``folder`` as the index holds it (S: left out of the checkout, H: in it), not looking on disk."""
    return sorted(git("-c", "sparse.expectFilesOutsideOfPatterns=true", "ls-files", "-t", "--", folder, cwd=repo).splitlines())


def test_a_folder_left_on_disk_outside_the_cone_is_taken_back_as_plain_git_takes_it(tmp_path: Path) -> None:
    """Git looks for files on disk that the cone leaves out before every command; mimctl tells it not to only when there are none.

    Two clones by ``mimctl clone``, each with the completed INC-0001 (not in
    the cone) put back on disk, edited: a note committed by mimctl in one, a
    file committed by plain git in the other. The index then says the same of
    the folder in both (git took it back into the checkout), and ``git status``
    shows the edit in both.
    """
    _, url = _origin(tmp_path)
    clones = []
    for name in ("by-mimctl", "by-git"):
        repo = Path(ok(["clone", url, str(tmp_path / name), "--format", "json"], tmp_path).json()["path"])
        _identity(repo)
        left = repo / "incidents" / "INC-0001"
        left.mkdir()
        text = git("show", "HEAD:incidents/INC-0001/incident.yaml", cwd=repo)
        (left / "incident.yaml").write_text(text.replace("title: ", "title: Edited outside the cone: ", 1), encoding="utf-8")
        assert _cone_files_flags(repo, "incidents/INC-0001")[0].startswith("S "), "left out of the checkout before"
        clones.append(repo)
    by_mimctl, by_git = clones
    ok(["note", "INC-0002", "Checked the dashboards again."], by_mimctl)
    (by_git / "incidents" / "INC-0002" / "scratch.md").write_text("a responder's scratch file\n", encoding="utf-8")
    git("add", "incidents/INC-0002/scratch.md", cwd=by_git)
    git("commit", "--quiet", "-m", "A scratch file", cwd=by_git)
    assert _cone_files_flags(by_mimctl, "incidents/INC-0001") == _cone_files_flags(by_git, "incidents/INC-0001")
    assert "H incidents/INC-0001/incident.yaml" in _cone_files_flags(by_mimctl, "incidents/INC-0001")
    for repo in clones:
        assert " M incidents/INC-0001/incident.yaml" in git("status", "--porcelain", cwd=repo).splitlines()


def test_git_is_told_nothing_is_outside_the_cone_only_when_nothing_is(tmp_path: Path) -> None:
    from mimctl import gitrepo

    _, url = _origin(tmp_path)
    repo = Path(ok(["clone", url, str(tmp_path / "responder"), "--format", "json"], tmp_path).json()["path"])

    def nothing_outside() -> bool:
        location = gitrepo.locate(repo)
        assert location is not None
        return gitrepo._nothing_outside(location.top, gitrepo.sparseness(location))

    assert nothing_outside(), "a clone by mimctl clone holds only its cone"
    (repo / "notes.txt").write_text("a file at the top is in every cone\n", encoding="utf-8")
    (repo / "incidents" / "README.md").write_text("so is a file directly in a folder on the way to it\n", encoding="utf-8")
    assert nothing_outside()
    for stray in (repo / "incidents" / "INC-0001", repo / "docs"):
        stray.mkdir()
        assert not nothing_outside(), f"{stray.name}: a folder the cone leaves out, on disk"
        stray.rmdir()
    (repo / "incidents" / "INC-0001").symlink_to(repo / "incidents" / "INC-0002")
    assert not nothing_outside(), "a link where the cone leaves a folder out"
    (repo / "incidents" / "INC-0001").unlink()
    assert nothing_outside()
    full = tmp_path / "full"
    git("clone", "--quiet", url, str(full), cwd=tmp_path)
    location = gitrepo.locate(full)
    assert location is not None and not gitrepo._nothing_outside(location.top, gitrepo.sparseness(location)), "not sparse"


def test_folder_versions_say_what_version_says_of_each_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The versions of all incident folders at once (what ``list`` reads heads by) equal those asked one by one.

    With a folder checked out and unchanged, one checked out and edited, one
    left on disk outside the cone, and the rest only in git; the heads read
    through them equal those of a run that keeps nothing, run after run.
    """
    from mimctl import gitrepo
    from mimctl.checkout import Checkout
    from mimctl.heads import heads
    from mimctl.store import Tracker

    _, url = _origin(tmp_path)
    repo = Path(ok(["clone", url, str(tmp_path / "responder"), "--format", "json"], tmp_path).json()["path"])
    (repo / "incidents" / "INC-0003" / "incident.yaml").write_text("stage: contain\n", encoding="utf-8")
    stray = repo / "incidents" / "INC-0001"
    stray.mkdir()
    (stray / "incident.yaml").write_text("stage: contain\n", encoding="utf-8")
    location = gitrepo.locate(repo)
    assert location is not None
    source = Checkout(repo, location, gitrepo.sparseness(location))
    try:
        assert source.sparse
        together = source.folder_versions("incidents")
        one_by_one = {name: source.version(f"incidents/{name}") for name in together}
    finally:
        source.close()
    assert sorted(together) == [f"INC-000{n}" for n in range(1, 10)]
    assert together == one_by_one
    assert together["INC-0003"] is None and together["INC-0001"] is None, "changed on disk: read from the files"
    assert (together[CLOSED] or "").startswith("git:"), "only in git"
    assert (together["INC-0002"] or "").startswith("worktree:"), "checked out, unchanged"

    def read() -> list[tuple[str, str | None, str, str]]:
        tracker = Tracker(repo)
        try:
            return [(h.id, h.stage, h.detected, h.last) for h in heads(tracker)]
        finally:
            tracker.close()

    with monkeypatch.context() as m:
        m.setenv("MIMCTL_CACHE", "off")
        expected = read()
    stages = {incident_id: stage for incident_id, stage, _, _ in expected}
    assert stages["INC-0003"] == stages["INC-0001"] == "contain", "what is on disk is what is there"
    assert read() == expected and read() == expected, "the second run takes what the first kept"
