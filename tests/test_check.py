"""`mimctl check --base main` on a feature branch, as a pull request's CI runs it.

Passing changes (new events, a legal advance with its gate met) and each kind of
failing change: a modified or deleted timeline file, a stage change whose gate
is unmet, a duplicate incident id, a schema error.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gitutil import (
    Run,
    assert_unchanged,
    commit_all,
    copy_repo,
    declare,
    git,
    incident_path,
    make_tracker,
    ok,
    ready_to_leave_identify,
    replace_line,
    run,
    snapshot,
    t,
    timeline_files,
)

INC = "INC-0001"
INCIDENT_YAML = incident_path(INC, "incident.yaml")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """main: a tracker with INC-0001 declared (bare, in identify) and committed."""
    repo = make_tracker(tmp_path_factory.mktemp("check") / "tracker")
    declare(repo)
    return repo


@pytest.fixture
def feature(template: Path, tmp_path: Path) -> Path:
    """A copy of the template on a new branch 'feature' (the pull request's head)."""
    repo = copy_repo(template, tmp_path / "tracker")
    git("switch", "--quiet", "-c", "feature", cwd=repo)
    return repo


def check(repo: Path, *extra: str) -> Run:
    result = run(["check", "--base", "main", *extra], repo)
    assert result.exit_code in (0, 1) and not result.crashed, result
    assert "Traceback" not in result.output, result
    return result


def first_timeline_file(repo: Path) -> str:
    return incident_path(INC, "timeline", timeline_files(repo, INC)[0])


def hand_made_stage_change(repo: Path, source: str, target: str, minute: int) -> str:
    """Change stage: by hand and add the stage event by hand, as a responder could in a pull request."""
    replace_line(repo / INCIDENT_YAML, "stage:", f"stage: {target}")
    stamp = t(minute)
    name = f"{stamp.replace('-', '').replace(':', '')}-stage-0a1b2c.yaml"
    (repo / incident_path(INC, "timeline", name)).write_text(
        "# yaml-language-server: $schema=../../../schemas/event.schema.json\n"
        f"at: '{stamp}'\nkind: stage\nby: someone\nfrom: {source}\nto: {target}\n",
        encoding="utf-8",
    )
    commit_all(repo, f"{INC}: {source} -> {target} by hand")
    return incident_path(INC, "timeline", name)


# --- passing changes ---------------------------------------------------------------------


def test_new_events_pass(feature: Path, tmp_path: Path) -> None:
    ok(["note", INC, "Error rate at 40%", "--at", t(5)], feature)
    ok(["bridge", INC, "https://meet.example.com/inc-0001", "--at", t(6)], feature)
    summary = tmp_path / "summary.md"
    before = snapshot(feature)

    result = check(feature, "--summary", str(summary))

    assert result.exit_code == 0, result
    text = summary.read_text(encoding="utf-8")
    assert "passed" in text and "No problems found." in text
    assert "Stage changes" not in text
    assert_unchanged(before, snapshot(feature))


def test_legal_advance_with_gate_met_passes_and_summary_lists_the_gate(feature: Path, tmp_path: Path) -> None:
    ready_to_leave_identify(feature, INC)
    ok(["advance", INC, "--at", t(4)], feature)
    summary = tmp_path / "summary.md"

    result = check(feature, "--summary", str(summary), "--format", "json")

    assert result.exit_code == 0, result
    data = result.json()
    assert data["ok"] is True and data["findings"] == []
    (change,) = data["stage_changes"]
    assert (change["incident"], change["from"], change["to"], change["ok"]) == (INC, "identify", "notify", True)
    assert [g["item"] for g in change["gate"]] == ["validated", "classified", "affected_service", "initial_details"]

    text = summary.read_text(encoding="utf-8")
    assert "## mimctl check passed" in text
    assert "INC-0001" in text and "identify → notify" in text
    checklist = [line.strip() for line in text.splitlines() if line.strip().startswith("- [")]
    assert len(checklist) == 4 and all(line.startswith("- [x]") for line in checklist), text
    assert any("incident validated as real" in line for line in checklist)


def test_summary_defaults_to_github_step_summary(feature: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    ok(["note", INC, "hello", "--at", t(5)], feature)
    assert check(feature).exit_code == 0
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n") and "mimctl check passed" in text


# --- failing changes -----------------------------------------------------------------------


def test_modified_timeline_file_fails(feature: Path) -> None:
    path = first_timeline_file(feature)
    replace_line(feature / path, "text:", "text: 'Declared: rewritten history'")
    commit_all(feature, "Rewrite an event")

    result = check(feature)

    assert result.exit_code == 1, result
    assert path in result.output and "modified" in result.output and "append-only" in result.output


def test_deleted_timeline_file_fails(feature: Path) -> None:
    path = first_timeline_file(feature)
    git("rm", "--quiet", path, cwd=feature)
    git("commit", "--quiet", "-m", "Drop an event", cwd=feature)

    result = check(feature)

    assert result.exit_code == 1, result
    assert path in result.output and "deleted" in result.output


def test_stage_change_with_unmet_gate_fails(feature: Path, tmp_path: Path) -> None:
    hand_made_stage_change(feature, "identify", "notify", 4)
    assert ok(["validate"], feature), "the records themselves are valid: only the gate is unmet"
    summary = tmp_path / "summary.md"

    result = check(feature, "--summary", str(summary))

    assert result.exit_code == 1, result
    text = summary.read_text(encoding="utf-8")
    assert "## mimctl check failed" in text
    assert "❌" in text and "identify → notify" in text
    for missing in ("incident validated as real", "classified: major", "initial details"):
        assert f"- [ ] {missing}" in text, text
    assert "- [x] at least one affected service" in text


def test_stage_change_without_a_stage_event_fails(feature: Path) -> None:
    ready_to_leave_identify(feature, INC)
    replace_line(feature / INCIDENT_YAML, "stage:", "stage: notify")
    commit_all(feature, "stage by hand, no event")

    result = check(feature, "--format", "json")

    assert result.exit_code == 1, result
    changes = result.json()["stage_changes"]
    assert [(c["from"], c["to"], c["ok"]) for c in changes] == [("identify", "notify", False)]
    assert "stage event" in " ".join(changes[0]["problems"])


def test_duplicate_incident_id_from_two_branches_fails(template: Path, tmp_path: Path) -> None:
    repo = copy_repo(template, tmp_path / "tracker")
    for branch, title in (("first", "Search is slow"), ("second", "Login fails")):
        git("switch", "--quiet", "-c", branch, "main", cwd=repo)
        ok(
            [
                "new",
                "--title",
                title,
                "--service",
                "search",
                "--impact",
                "low",
                "--urgency",
                "low",
                "--severity",
                "SEV4",
                "--source",
                "user-report",
                "--at",
                t(30),
            ],
            repo,
        )
        assert (repo / "incidents" / "INC-0002").is_dir()
    git("switch", "--quiet", "first", cwd=repo)
    assert check(repo).exit_code == 0, "the first branch alone is fine"
    git("switch", "--quiet", "main", cwd=repo)
    git("merge", "--quiet", "--ff-only", "first", cwd=repo)
    git("switch", "--quiet", "second", cwd=repo)

    result = check(repo, "--format", "json")

    assert result.exit_code == 1, result
    findings = result.json()["findings"]
    assert any(f["path"] == incident_path("INC-0002", "incident.yaml") and "INC-0002" in f["message"] for f in findings), findings


def test_schema_error_fails_with_path_and_line_in_json_and_github(feature: Path) -> None:
    line = replace_line(feature / INCIDENT_YAML, "priority:", "priority: high")
    commit_all(feature, "Bad priority")

    data = check(feature, "--format", "json").json()
    assert data["ok"] is False
    assert {(f["path"], f["line"], f["field"]) for f in data["findings"]} == {(INCIDENT_YAML, line, "priority")}

    github = check(feature, "--format", "github")
    assert github.exit_code == 1, github
    annotation = rf"^::error file={re.escape(INCIDENT_YAML)},line={line}(,col=[0-9]+)?(,title=[^:]*)?::.*priority"
    assert re.search(annotation, github.stdout, re.M), github


def test_schema_error_text_output_names_path_and_line(feature: Path) -> None:
    line = replace_line(feature / INCIDENT_YAML, "priority:", "priority: high")
    commit_all(feature, "Bad priority")
    result = check(feature)
    assert result.exit_code == 1, result
    assert f"{INCIDENT_YAML}:{line}:" in result.output, result


def test_github_format_annotates_timeline_findings(feature: Path) -> None:
    path = first_timeline_file(feature)
    git("rm", "--quiet", path, cwd=feature)
    git("commit", "--quiet", "-m", "Drop an event", cwd=feature)
    result = check(feature, "--format", "github")
    assert result.exit_code == 1, result
    assert re.search(rf"^::error file={re.escape(path)},line=1\b.*::.*deleted", result.stdout, re.M), result


def test_github_format_annotates_unmet_gate_on_a_file(feature: Path) -> None:
    hand_made_stage_change(feature, "identify", "notify", 4)
    result = check(feature, "--format", "github")
    assert result.exit_code == 1, result
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert errors, result
    assert all(re.match(r"::error file=[^,]+,line=[0-9]+", line) for line in errors), result
    assert any("validated" in line for line in errors)


def test_unknown_base_is_a_clear_error(feature: Path) -> None:
    result = run(["check", "--base", "no-such-branch"], feature)
    assert result.exit_code == 1 and not result.crashed, result
    assert "no-such-branch" in result.stderr, result


def test_uncommitted_changes_are_judged_only_when_asked(feature: Path) -> None:
    # The pull-request check judges commits; an uncommitted edit is what --uncommitted is for.
    path = first_timeline_file(feature)
    with open(feature / path, "a", encoding="utf-8") as handle:
        handle.write("text: edited afterwards\n")

    committed_only = check(feature)
    with_worktree = check(feature, "--uncommitted")

    assert committed_only.exit_code == 0, committed_only
    assert with_worktree.exit_code == 1, with_worktree
    assert path in with_worktree.output and "append-only" in with_worktree.output
