"""Schema versions on a tracker made by `mimctl init`: the judge's schemas, drift warnings, `mimctl upgrade`.

An organisation's tracker keeps copies of the schemas for editors; records are
judged by the schemas of the mimctl that runs. These tests make a tracker
with `mimctl init`, turn it into one an older mimctl made (copies without a
version, no version marker), and check what a maintainer would: what
`validate` says, that `upgrade --dry-run` changes nothing, that `upgrade`
is one commit with only its files, and that it refuses what it cannot do.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitutil import assert_unchanged, commit_all, commit_count, commit_files, copy_repo, git, ok, ok_json, run, snapshot, t, trailers
from mimctl import versioning
from mimctl.store import Tracker
from mimctl.versioning import MARKER, SCHEMA_VERSION
from mimctl.vocabulary import SCHEMAS

IDENTITY = {
    "GIT_AUTHOR_NAME": "Tester",
    "GIT_AUTHOR_EMAIL": "tester@example.invalid",
    "GIT_COMMITTER_NAME": "Tester",
    "GIT_COMMITTER_EMAIL": "tester@example.invalid",
}
DECLARE = ["new", "--title", "Sign-in failing", "--service", "auth", "--impact", "high", "--urgency", "high", "--severity", "SEV1"]


@pytest.fixture(autouse=True)
def identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in IDENTITY.items():
        monkeypatch.setenv(key, value)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tracker as `mimctl init` makes it, with one incident."""
    root = tmp_path_factory.mktemp("upgrade") / "tracker"
    with pytest.MonkeyPatch.context() as patch:
        for key, value in IDENTITY.items():
            patch.setenv(key, value)
        ok(["init", str(root)], root.parent)
        ok([*DECLARE, "--source", "user-report", "--at", t(0)], root)
    return root


@pytest.fixture
def tracker(made: Path, tmp_path: Path) -> Path:
    return copy_repo(made, tmp_path / "tracker")


def _older(schema_text: str, drop_kind: str | None = None) -> str:
    """The schema as a mimctl from before versioning wrote it: no version in $id (and maybe a kind it did not know)."""
    data = json.loads(schema_text)
    data["$id"] = data["$id"].replace(f"/v{SCHEMA_VERSION}/", "/")
    if drop_kind:
        data["properties"]["kind"]["enum"].remove(drop_kind)
    return json.dumps(data, indent=2) + "\n"


@pytest.fixture
def older(tracker: Path) -> Path:
    """The tracker as an older mimctl made it: unversioned schema copies (its event schema lacked `ack`), no marker."""
    for path in sorted((tracker / "schemas").glob("*.schema.json")):
        path.write_text(_older(path.read_text(encoding="utf-8"), "ack" if path.name == "event.schema.json" else None), encoding="utf-8")
    git("rm", "-q", MARKER, cwd=tracker)
    commit_all(tracker, "The tracker as an older mimctl left it")
    return tracker


def _warnings(repo: Path) -> list[dict[str, object]]:
    data = ok_json(["validate"], repo)
    return [f for f in data["findings"] if f["rule"] == versioning.RULE]


def test_init_states_the_version_and_validate_is_quiet(tracker: Path) -> None:
    assert MARKER in git("ls-files", cwd=tracker).splitlines()
    assert f"schema_version: {SCHEMA_VERSION}" in (tracker / MARKER).read_text(encoding="utf-8")
    assert _warnings(tracker) == []
    assert ok(["upgrade"], tracker).stdout.strip() == f"the tracker is up to date (schema version {SCHEMA_VERSION})"


def test_validate_says_the_copies_are_older_and_judges_with_its_own_schemas(older: Path) -> None:
    ok(["ack", "INC-0001", "--at", t(5)], older)  # a kind the old copy does not know: the judge does
    result = ok(["validate"], older)
    assert "ok: " in result.stdout
    expected = f"schemas/event.schema.json:3:1: this copy is schema version 0; records are judged by this mimctl's version {SCHEMA_VERSION}: run mimctl upgrade [$id]"
    assert expected in result.stdout
    assert len(_warnings(older)) == len(list(SCHEMAS.glob("*.schema.json")))
    github = run(["validate", "--format", "github"], older)
    assert github.exit_code == 0 and "::warning file=schemas/event.schema.json,line=3," in github.stdout


def test_upgrade_dry_run_changes_nothing(older: Path) -> None:
    before = snapshot(older)
    data = ok_json(["upgrade", "--dry-run"], older)
    assert (data["from"], data["to"], data["dry_run"], data["commit"]) == (0, SCHEMA_VERSION, True, None)
    paths = [c["path"] for c in data["changes"]]
    assert paths == [*(f"schemas/{p.name}" for p in sorted(SCHEMAS.glob("*.schema.json"))), MARKER]
    assert data["migrations"] and data["migrations"][0].startswith("0 -> 1: ")
    assert_unchanged(before, snapshot(older))


def test_upgrade_is_one_commit_of_its_own_files(older: Path) -> None:
    (older / "notes.txt").write_text("someone's staged work\n", encoding="utf-8")
    git("add", "notes.txt", cwd=older)
    before = commit_count(older)
    result = ok(["upgrade"], older)
    assert "schema version 0 -> 1:" in result.stdout and "committed " in result.stdout
    assert commit_count(older) == before + 1
    assert commit_files(older) == sorted([*(f"schemas/{p.name}" for p in SCHEMAS.glob("*.schema.json")), MARKER])
    assert trailers(older) == {"Schema-Version": str(SCHEMA_VERSION), "Previous-Schema-Version": "0"}
    assert git("log", "-1", "--format=%s", cwd=older).strip() == f"Upgrade the tracker to schema version {SCHEMA_VERSION}"
    assert git("diff", "--cached", "--name-only", cwd=older).split() == ["notes.txt"]
    for path in SCHEMAS.glob("*.schema.json"):
        assert (older / "schemas" / path.name).read_bytes() == path.read_bytes()
    assert _warnings(older) == []
    assert ok(["upgrade"], older).stdout.startswith("the tracker is up to date")
    assert commit_count(older) == before + 1


def test_a_hand_edited_copy_is_flagged_and_restored(tracker: Path) -> None:
    path = tracker / "schemas" / "pir.schema.json"
    path.write_text(path.read_text(encoding="utf-8").replace('"title": "', '"title": "Our ', 1), encoding="utf-8")
    commit_all(tracker, "Retitle the review schema")
    [warning] = _warnings(tracker)
    assert warning["path"] == "schemas/pir.schema.json" and "differs from this mimctl's schema" in str(warning["message"])
    data = ok_json(["upgrade"], tracker)
    assert data["changes"] == [{"path": "schemas/pir.schema.json", "why": "restored to this mimctl's"}]
    assert path.read_bytes() == (SCHEMAS / "pir.schema.json").read_bytes()


def test_a_missing_copy_is_flagged_and_added(tracker: Path) -> None:
    git("rm", "-q", "schemas/catalog.schema.json", cwd=tracker)
    commit_all(tracker, "Drop a schema copy")
    [warning] = _warnings(tracker)
    assert warning["path"] == "schemas/catalog.schema.json" and "missing" in str(warning["message"])
    assert ok_json(["upgrade"], tracker)["changes"] == [{"path": "schemas/catalog.schema.json", "why": "added"}]


def test_a_newer_tracker_is_refused_and_left_alone(tracker: Path) -> None:
    path = tracker / "schemas" / "incident.schema.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["$id"] = data["$id"].replace(f"/v{SCHEMA_VERSION}/", f"/v{SCHEMA_VERSION + 1}/")
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    commit_all(tracker, "Schemas from a newer mimctl")
    [warning] = _warnings(tracker)
    assert "newer than this mimctl's" in str(warning["message"]) and warning["severity"] == "warning"
    before = snapshot(tracker)
    result = run(["upgrade"], tracker)
    assert result.exit_code == 1 and "newer than this mimctl's 1: upgrade mimctl instead" in result.stderr, result
    assert_unchanged(before, snapshot(tracker))


def test_records_newer_than_the_judge_fail_validation(tracker: Path) -> None:
    (tracker / MARKER).write_text(versioning.marker_text(SCHEMA_VERSION + 1), encoding="utf-8")
    result = run(["validate"], tracker)
    assert result.exit_code == 1, result
    assert f"{MARKER}:3:1: the records follow schema version {SCHEMA_VERSION + 1}, newer than this mimctl knows" in result.stderr
    assert run(["upgrade"], tracker).exit_code == 1


@pytest.mark.parametrize(("text", "line"), [("schema_version: one\n", 1), ("schema_version: [1\n", 2)])
def test_an_unreadable_marker_is_a_finding_with_its_line(tracker: Path, text: str, line: int) -> None:
    (tracker / MARKER).write_text(text, encoding="utf-8")
    result = run(["validate"], tracker)
    assert result.exit_code == 1 and f"{MARKER}:{line}:" in result.stderr, result
    upgrade = run(["upgrade"], tracker)
    assert upgrade.exit_code == 1 and MARKER in upgrade.stderr and not upgrade.crashed, upgrade


def test_a_loosened_copy_does_not_loosen_the_judge(tracker: Path) -> None:
    (tracker / "schemas" / "incident.schema.json").write_text(
        json.dumps(
            {
                "$schema": "http://json-schema.org/draft-07/schema#",
                "$id": f"https://mimctl.github.io/schemas/v{SCHEMA_VERSION}/incident.schema.json",
            }
        ),
        encoding="utf-8",
    )
    record = tracker / "incidents" / "INC-0001" / "incident.yaml"
    record.write_text(record.read_text(encoding="utf-8") + "favourite_colour: blue\n", encoding="utf-8")
    result = run(["validate"], tracker)
    assert result.exit_code == 1 and "unknown field 'favourite_colour'" in result.stderr, result


# --- record migrations ----------------------------------------------------------------------------


def _tag_everything(tracker: Tracker) -> dict[str, str]:
    path = "incidents/INC-0001/incident.yaml"
    return {path: (tracker.root / path).read_text(encoding="utf-8") + "tags: [migrated]\n"}


def _break_everything(tracker: Tracker) -> dict[str, str]:
    path = "incidents/INC-0001/incident.yaml"
    return {path: (tracker.root / path).read_text(encoding="utf-8") + "tags: [Not A Slug]\n"}


def test_a_record_migration_lands_in_the_same_commit(older: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(versioning.MIGRATIONS, 0, versioning.Migration(0, "every incident gets a tag", _tag_everything))
    data = ok_json(["upgrade"], older)
    assert {"path": "incidents/INC-0001/incident.yaml", "why": "migrated to schema version 1"} in data["changes"]
    assert "incidents/INC-0001/incident.yaml" in commit_files(older)
    assert "tags: [migrated]" in (older / "incidents/INC-0001/incident.yaml").read_text(encoding="utf-8")
    assert git("log", "-1", "--format=%b", cwd=older).count("every incident gets a tag") == 1
    ok(["validate"], older)


def test_a_migration_that_would_break_records_is_refused(older: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(versioning.MIGRATIONS, 0, versioning.Migration(0, "a broken migration", _break_everything))
    before = snapshot(older)
    result = run(["upgrade"], older)
    assert result.exit_code == 1 and "the migrated records would not be valid" in result.stderr, result
    assert "incidents/INC-0001/incident.yaml:" in result.stderr
    assert_unchanged(before, snapshot(older))
