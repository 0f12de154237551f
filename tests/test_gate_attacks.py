"""Attacks on the pull-request gate, each rebuilt in a tracker made by `mimctl init`.

Every attack is a pull request (branch ``pr`` off ``main``) that must fail
``mimctl check --base main`` with exit 1 and a finding that names the path;
the legitimate variant next to it must pass. The cases are those an attacker
opening a pull request tried: links and submodules posing as incidents, files
where no record belongs, a process change that lets the same pull request
through, a stage change dated before the facts its gate needs, a record
removed while others still refer to it, a blank reason, a base with no
common history.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gitutil import (
    GIT_ENV,
    Run,
    commit_all,
    copy_repo,
    declare,
    git,
    head,
    incident_path,
    init_tracker,
    ok,
    ready_to_leave_identify,
    replace_line,
    run,
    t,
    timeline_files,
)

INC = "INC-0001"
INCIDENT_YAML = incident_path(INC, "incident.yaml")
REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """main of a tracker made by `mimctl init`, with INC-0001 declared (bare, in identify) at minute 0."""
    root = init_tracker(tmp_path_factory.mktemp("gate") / "tracker")
    declare(root)
    return root


@pytest.fixture
def pr(base: Path, tmp_path: Path) -> Path:
    """A copy of the base on the branch 'pr' (the pull request's head)."""
    repo = copy_repo(base, tmp_path / "tracker")
    git("switch", "--quiet", "-c", "pr", cwd=repo)
    return repo


def check(repo: Path, *extra: str) -> Run:
    result = run(["check", "--base", "main", "--format", "github", *extra], repo)
    assert result.exit_code in (0, 1) and not result.crashed, result
    assert "Traceback" not in result.output, result
    return result


def annotated(result: Run) -> dict[str, list[str]]:
    """{path: [messages]} of the ::error annotations."""
    found: dict[str, list[str]] = {}
    for line in result.stdout.splitlines():
        match = re.match(r"::error file=([^,]+),line=[0-9]+,col=[0-9]+,title=[^:]*::(.*)", line)
        if match:
            found.setdefault(match.group(1).replace("%2C", ",").replace("%3A", ":"), []).append(match.group(2))
    return found


def fails_naming(repo: Path, path: str, fragment: str = "") -> Run:
    """check fails (exit 1) with a finding at ``path`` whose message holds ``fragment``."""
    result = check(repo)
    assert result.exit_code == 1, result
    messages = annotated(result).get(path, [])
    assert messages and any(fragment in m for m in messages), result
    return result


def hand_stage_event(repo: Path, incident: str, source: str, target: str, minute: int, reason: str = "") -> str:
    """A stage change written by hand: stage: in incident.yaml and a stage event file (what the CLI would refuse)."""
    replace_line(repo / incident_path(incident, "incident.yaml"), "stage:", f"stage: {target}")
    stamp = t(minute)
    name = f"{stamp.replace('-', '').replace(':', '')}-stage-0a1b2c.yaml"
    extra = f"reason: '{reason}'\n" if reason else ""
    (repo / incident_path(incident, "timeline", name)).write_text(
        f"at: '{stamp}'\nkind: stage\nby: someone\nfrom: {source}\nto: {target}\n{extra}", encoding="utf-8"
    )
    return incident_path(incident, "timeline", name)


def fabricated_incident(repo: Path, incident_id: str, stage: str = "complete") -> str:
    """incident.yaml text of a made-up incident at ``stage``: a valid record on its own."""
    text = (repo / INCIDENT_YAML).read_text(encoding="utf-8")
    return text.replace(INC, incident_id).replace("stage: identify", f"stage: {stage}")


# --- the legitimate changes pass ---------------------------------------------------------


def test_a_pure_timeline_addition_passes(pr: Path) -> None:
    ok(["note", INC, "Error rate at 40%", "--at", t(5)], pr)
    ok(["update", INC, "--status", "investigating", "We are looking into failed payments.", "--at", t(6)], pr)
    result = check(pr)
    assert result.exit_code == 0, result
    assert annotated(result) == {}


def test_a_stage_change_whose_gate_was_met_at_its_time_passes(pr: Path, tmp_path: Path) -> None:
    ready_to_leave_identify(pr, INC)
    ok(["advance", INC, "--at", t(4)], pr)
    summary = tmp_path / "summary.md"
    result = check(pr, "--summary", str(summary))
    assert result.exit_code == 0, result
    assert "✅ **INC-0001**: identify → notify" in summary.read_text(encoding="utf-8")


# --- 1. the checker comes from the base (see test_workflow_script.py for the workflow itself) ---


def test_a_change_to_what_judges_is_named_at_the_top_of_the_summary(pr: Path, tmp_path: Path) -> None:
    (pr / "pyproject.toml").write_text('[project]\nname = "mimctl"\nversion = "99"\n', encoding="utf-8")
    (pr / ".mimctl" / "requirements.txt").write_text("mimctl==99\n", encoding="utf-8")
    ok(["note", INC, "hello", "--at", t(5)], pr)
    commit_all(pr, "A checker of my own")
    summary = tmp_path / "summary.md"
    check(pr, "--summary", str(summary))
    text = summary.read_text(encoding="utf-8")
    section = text.index("### Changes to what checks, publishes or sends")
    assert section < text.index("### Findings")
    assert "`pyproject.toml`" in text[section:] and "`.mimctl/requirements.txt`" in text[section:]


# --- 2. links are findings, never followed -------------------------------------------------


def test_a_symlinked_incident_folder_is_no_incident(pr: Path, tmp_path: Path) -> None:
    fake = pr / "docs" / "x"
    (fake / "timeline").mkdir(parents=True)
    (fake / "incident.yaml").write_text(fabricated_incident(pr, "INC-0003"), encoding="utf-8")
    (pr / "incidents" / "INC-0003").symlink_to(Path("..") / "docs" / "x")
    commit_all(pr, "A complete incident, elsewhere")
    assert git("ls-files", "-s", "incidents/INC-0003", cwd=pr).startswith("120000")

    fails_naming(pr, "incidents/INC-0003", "symbolic link")
    validated = run(["validate"], pr)
    assert validated.exit_code == 1 and "incidents/INC-0003:1:1:" in validated.output and "symbolic link" in validated.output, validated
    from mimctl.site.build import build_site

    site = build_site(pr, tmp_path / "site")
    assert not (site / "incidents" / "INC-0003.html").exists()
    assert "INC-0003" not in (site / "index.html").read_text(encoding="utf-8")


def test_a_symlinked_timeline_is_a_finding_and_its_stage_events_are_not_taken(pr: Path) -> None:
    timeline = pr / "incidents" / INC / "timeline"
    elsewhere = pr / "docs" / "events"
    shutil.move(str(timeline), str(elsewhere))
    timeline.symlink_to(Path("..") / ".." / "docs" / "events")
    hand_stage_event(pr, INC, "identify", "notify", 4)
    commit_all(pr, "Timeline elsewhere, with a stage change")
    fails_naming(pr, f"incidents/{INC}/timeline", "symbolic link")


def test_a_timeline_linked_outside_the_repository_is_never_read(pr: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "20250310T080500Z-note-abcdef.yaml").write_text("OUTSIDE-SECRET: [unclosed\n", encoding="utf-8")
    timeline = pr / "incidents" / INC / "timeline"
    shutil.rmtree(timeline)
    timeline.symlink_to(outside)
    commit_all(pr, "Timeline outside")

    result = fails_naming(pr, f"incidents/{INC}/timeline", "symbolic link")
    validated = run(["validate"], pr)
    assert validated.exit_code == 1, validated
    for output in (result.output, validated.output, run(["show", INC], pr).output, run(["list"], pr).output):
        assert "OUTSIDE-SECRET" not in output and "unclosed" not in output


@pytest.mark.parametrize("target", ["/dev/zero", "fifo"], ids=["dev-zero", "fifo"])
def test_validate_neither_hangs_nor_reads_without_bound_on_special_files(pr: Path, tmp_path: Path, target: str) -> None:
    record = pr / "incidents" / INC / "timeline" / "20250310T080500Z-note-abcdef.yaml"
    if target == "fifo":
        os.mkfifo(record)
    else:
        record.symlink_to(target)
    done = subprocess.run(
        [sys.executable, "-m", "mimctl", "validate"], cwd=pr, capture_output=True, text=True, timeout=60, env={**os.environ, **GIT_ENV}
    )
    assert done.returncode == 1, done
    assert str(record.relative_to(pr)) in done.stdout + done.stderr


# --- 3. submodules and files where no record belongs --------------------------------------


def test_a_gitlink_as_an_incident_folder_is_a_finding(pr: Path) -> None:
    git("update-index", "--add", "--cacheinfo", f"160000,{head(pr)},incidents/INC-0003", cwd=pr)
    git("commit", "--quiet", "-m", "A submodule where an incident belongs", cwd=pr)
    fails_naming(pr, "incidents/INC-0003", "submodule")


EVENT = "at: '{at}'\nkind: stage\nby: someone\nfrom: identify\nto: complete\n"
STRAY = [
    # (path written, path the finding names, fragment of its message)
    (f"incidents/{INC}/timeline/sub/20250310T080500Z-stage-abcdef.yaml", f"incidents/{INC}/timeline/sub", "unexpected folder"),
    (f"incidents/{INC}/timeline/20250310T080500Z-stage-abcdef.yml", None, "records end in .yaml"),
    (f"incidents/{INC}/timeline/20250310T080500Z-stage-abcdef.YAML", None, "not in the form"),
    (f"incidents/{INC}/notes.yaml", None, "not a record file"),
    (f"incidents/{INC}/INCIDENT.YAML", None, "not a record file"),
    ("incidents/README.yaml", None, "not an incident folder"),
    ("incidents/.INC-0003/incident.yaml", "incidents/.INC-0003", "not an incident id"),
    ("incidents/inc-0003/incident.yaml", "incidents/inc-0003", "not an incident id"),
    ("kedb/sub/KE-0001.yaml", "kedb/sub", "unexpected folder"),
    ("kedb/KE-0001.yml", None, "records end in .yaml"),
    ("kedb/notes.yaml", None, "not a known-error id"),
]


@pytest.mark.parametrize(("written", "named", "fragment"), STRAY, ids=[s[0] for s in STRAY])
def test_a_file_where_no_record_belongs_is_a_finding(pr: Path, written: str, named: str | None, fragment: str) -> None:
    path = pr / written
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(EVENT.format(at=t(5)) if "timeline" in written else fabricated_incident(pr, "INC-0003"), encoding="utf-8")
    commit_all(pr, f"Add {written}")
    fails_naming(pr, named or written, fragment)
    validated = run(["validate"], pr)
    assert validated.exit_code == 1 and f"{named or written}:1:1:" in validated.output, validated


def test_a_stage_event_named_as_another_kind_is_a_finding(pr: Path) -> None:
    # CODEOWNERS sends *-stage-* files to the major incident managers: a stage event may not hide under another name.
    path = hand_stage_event(pr, INC, "identify", "notify", 5)
    disguised = path.replace("-stage-", "-note-")
    (pr / path).rename(pr / disguised)
    commit_all(pr, "A stage change that looks like a note")
    fails_naming(pr, disguised, "does not match the kind in the file name")


# --- 4. the process is judged by the old process ---------------------------------------------


def _set_gate(repo: Path, stage: str, gate: str) -> None:
    path = repo / "process.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.strip() == f"- id: {stage}")
    index = next(i for i in range(at, len(lines)) if lines[i].strip().startswith("gate:"))
    lines[index] = f"    gate: {gate}\n"
    path.write_text("".join(lines), encoding="utf-8")


def test_emptying_a_gate_and_crossing_it_in_the_same_pull_request_fails(pr: Path, tmp_path: Path) -> None:
    _set_gate(pr, "identify", "[]")
    hand_stage_event(pr, INC, "identify", "notify", 4)
    commit_all(pr, "No gate for identify, and through it")
    summary = tmp_path / "summary.md"
    result = check(pr, "--summary", str(summary))
    assert result.exit_code == 1, result
    messages = annotated(result)[INCIDENT_YAML]
    assert any("land the process change on its own first" in m for m in messages), result
    assert any("incident validated as real" in m for m in messages), "judged by the base's gate"
    text = summary.read_text(encoding="utf-8")
    assert text.index("### Process, catalog and schema changes") < text.index("### Stage changes")
    assert "`process.yaml`" in text.split("### Stage changes")[0]


def test_deleting_the_process_is_a_finding_not_a_missing_tracker(pr: Path) -> None:
    (pr / "process.yaml").unlink()
    commit_all(pr, "No more process")
    result = fails_naming(pr, "process.yaml")
    assert "not a tracker" not in result.output, result
    inside = run(["check", "--base", "main", "--format", "github"], pr / "incidents" / INC)  # from a folder inside it
    assert inside.exit_code == 1 and "process.yaml" in annotated(inside), inside


def test_reordering_stages_and_moving_along_the_new_order_fails(pr: Path) -> None:
    path = pr / "process.yaml"
    text = path.read_text(encoding="utf-8")
    notify = text.index("  - id: notify")
    contain = text.index("  - id: contain")
    investigate = text.index("  - id: investigate")
    path.write_text(text[:notify] + text[contain:investigate] + text[notify:contain] + text[investigate:], encoding="utf-8")
    ready_to_leave_identify(pr, INC)
    hand_stage_event(pr, INC, "identify", "contain", 4)
    commit_all(pr, "contain right after identify")
    result = fails_naming(pr, INCIDENT_YAML, "land the process change")
    assert any("skipping notify needs --reason" in m for m in annotated(result)[INCIDENT_YAML]), "judged by the base's order"


def test_a_process_change_alone_passes_and_leads_the_summary(pr: Path, tmp_path: Path) -> None:
    _set_gate(pr, "close", "[closure_recorded, closure_communicated, problem_reference, pir_scheduled, resolution_confirmed]")
    commit_all(pr, "Closing needs a confirmed resolution")
    summary = tmp_path / "summary.md"
    result = check(pr, "--summary", str(summary))
    assert result.exit_code == 0, result
    text = summary.read_text(encoding="utf-8")
    assert "### Process, catalog and schema changes" in text and "- changed `process.yaml`" in text


def test_a_stage_change_across_an_unchanged_part_of_a_changed_process_passes(pr: Path) -> None:
    _set_gate(pr, "close", "[closure_recorded, closure_communicated, problem_reference, pir_scheduled, resolution_confirmed]")
    ready_to_leave_identify(pr, INC)
    ok(["advance", INC, "--at", t(4)], pr)
    commit_all(pr, "A gate for close; INC-0001 leaves identify")
    assert check(pr).exit_code == 0


def test_a_schema_loosened_in_the_same_pull_request_does_not_judge_it(pr: Path) -> None:
    schema = pr / "schemas" / "incident.schema.json"
    schema.write_text(
        schema.read_text(encoding="utf-8").replace('"additionalProperties": false', '"additionalProperties": true', 1), encoding="utf-8"
    )
    with open(pr / INCIDENT_YAML, "a", encoding="utf-8") as handle:
        handle.write("approved_by_board: true\n")
    commit_all(pr, "A field of my own, and a schema that takes it")
    fails_naming(pr, INCIDENT_YAML, "unknown field 'approved_by_board'")


# --- 5. a gate is judged as of the stage change's time ---------------------------------------


def _confirm_and_classify_late(repo: Path) -> None:
    ok(["confirm", INC, "--scope", "All card payments fail", "--at", t(60)], repo)
    ok(
        ["classify", INC, "--reason", "Customers cannot pay", "--users", "48000", "--summary", "Checkout errors.", "--at", t(60)],
        repo,
    )


def test_advance_refuses_a_stage_change_dated_before_its_gate_was_met(pr: Path) -> None:
    _confirm_and_classify_late(pr)
    refused = run(["advance", INC, "--at", t(5)], pr)
    assert refused.exit_code == 1 and not refused.crashed, refused
    assert "incident validated as real" in refused.stderr and "on record only later" in refused.stderr


def test_check_refuses_a_stage_change_dated_before_its_gate_was_met(pr: Path) -> None:
    _confirm_and_classify_late(pr)
    hand_stage_event(pr, INC, "identify", "notify", 5)
    commit_all(pr, "Backdated stage change")
    result = fails_naming(pr, INCIDENT_YAML, "on record only later")
    assert "stage change identify -> notify at 2025-03-10T08:05:00Z" in result.stdout


def test_the_same_stage_change_dated_after_the_facts_passes(pr: Path) -> None:
    _confirm_and_classify_late(pr)
    ok(["advance", INC, "--at", t(61)], pr)
    assert check(pr).exit_code == 0


def test_hand_edited_facts_count_from_the_pull_requests_newest_event(pr: Path) -> None:
    # Facts edited into incident.yaml by hand carry no time: they count from the newest event
    # the pull request adds, so a note at minute 60 makes a stage change at minute 5 too early.
    ok(["note", INC, "later note", "--at", t(60)], pr)
    with open(pr / INCIDENT_YAML, "a", encoding="utf-8") as handle:
        handle.write(
            "major_reason: Customers cannot pay\nsummary: Checkout errors.\nimpacted_users:\n  count: 48000\n"
            "validation:\n  confirmed_by: pat\n  confirmed_at: '2025-03-10T08:02:00Z'\n"
        )
    hand_stage_event(pr, INC, "identify", "notify", 5)
    commit_all(pr, "A note, then facts by hand and a stage change")
    fails_naming(pr, INCIDENT_YAML, "classified: major_reason given")


def test_hand_edited_facts_arriving_with_the_stage_change_pass(pr: Path) -> None:
    path = pr / INCIDENT_YAML
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(
            "major_reason: Customers cannot pay\nsummary: Checkout errors.\nimpacted_users:\n  count: 48000\n"
            "validation:\n  confirmed_by: pat\n  confirmed_at: '2025-03-10T08:02:00Z'\n"
        )
    hand_stage_event(pr, INC, "identify", "notify", 5)
    commit_all(pr, "Facts by hand with their stage change")
    assert check(pr).exit_code == 0


# --- 6. references are checked both ways --------------------------------------------------------


@pytest.fixture
def linked(pr: Path) -> Path:
    """main with KE-0001 (naming INC-0001), INC-0001 listing KE-0001, INC-0002 (service reporting) related to INC-0001."""
    git("switch", "--quiet", "main", cwd=pr)
    (pr / "kedb").mkdir()
    source = (REPO_ROOT / "kedb" / "KE-0001.yaml").read_text(encoding="utf-8")
    lines = [line for line in source.splitlines(keepends=True) if not line.startswith(("incidents:", "  - INC-"))]
    (pr / "kedb" / "KE-0001.yaml").write_text("".join(lines) + "incidents:\n  - INC-0001\n", encoding="utf-8")
    commit_all(pr, "A known error")
    ok(["set", INC, "known_errors", '["KE-0001"]', "--json", "--at", t(10)], pr)
    ok(
        ["new", "--title", "Reports late", "--service", "reporting", "--impact", "low", "--urgency", "low", "--severity", "SEV4"]
        + ["--source", "user-report", "--at", t(20)],
        pr,
    )
    ok(["set", "INC-0002", "related_incidents", '["INC-0001"]', "--json", "--at", t(21)], pr)
    assert run(["validate"], pr).exit_code == 0
    git("branch", "--quiet", "-D", "pr", cwd=pr)
    git("switch", "--quiet", "-c", "pr", cwd=pr)
    return pr


def test_removing_a_known_error_that_an_incident_lists_fails(linked: Path) -> None:
    git("rm", "--quiet", "kedb/KE-0001.yaml", cwd=linked)
    git("commit", "--quiet", "-m", "Drop KE-0001", cwd=linked)
    fails_naming(linked, INCIDENT_YAML, "known error 'KE-0001' does not exist")


def test_renaming_a_known_error_that_an_incident_lists_fails(linked: Path) -> None:
    git("mv", "kedb/KE-0001.yaml", "kedb/KE-0009.yaml", cwd=linked)
    replace_line(linked / "kedb" / "KE-0009.yaml", "id:", "id: KE-0009")
    commit_all(linked, "KE-0001 is now KE-0009")
    fails_naming(linked, INCIDENT_YAML, "known error 'KE-0001' does not exist")


def test_removing_an_incident_that_others_refer_to_fails(linked: Path) -> None:
    git("rm", "-r", "--quiet", f"incidents/{INC}", cwd=linked)
    git("commit", "--quiet", "-m", "Drop INC-0001", cwd=linked)
    result = fails_naming(linked, incident_path("INC-0002", "incident.yaml"), "incident 'INC-0001' does not exist")
    assert any("INC-0001" in m for m in annotated(result)["kedb/KE-0001.yaml"]), result


@pytest.mark.parametrize(
    ("related", "problem"),
    [
        ("INC-0001", ""),  # on the base, not touched by the change
        ("INC-0077", "incident 'INC-0077' does not exist"),
        ("INC-0003", "incident 'INC-0003' does not exist"),  # a file of that name, not an incident folder
    ],
    ids=["present", "absent", "a-file"],
)
def test_a_reference_made_by_the_change_is_looked_up_in_the_whole_tree(linked: Path, related: str, problem: str) -> None:
    """The check judges the few incidents a change touches; what they name is looked up one by one, and must be an incident folder."""
    (linked / "incidents" / "INC-0003").write_text("not an incident\n", encoding="utf-8")
    git("switch", "--quiet", "main", cwd=linked)
    commit_all(linked, "A stray file under incidents/")
    git("switch", "--quiet", "pr", cwd=linked)
    git("merge", "--quiet", "--ff-only", "main", cwd=linked)
    record = linked / "incidents" / "INC-0002" / "incident.yaml"
    text = record.read_text(encoding="utf-8")
    assert "  - INC-0001\n" in text.split("related_incidents:", 1)[1]
    before, after = text.split("related_incidents:", 1)
    changed = before + "related_incidents:" + after.replace("  - INC-0001\n", f"  - {related}\n", 1)
    record.write_text(changed + "# touched by the change\n", encoding="utf-8")
    commit_all(linked, "Related to another incident")
    if problem:
        fails_naming(linked, incident_path("INC-0002", "incident.yaml"), problem)
    else:
        result = check(linked)
        assert "INC-0002" not in "".join(annotated(result)), result


def test_removing_a_catalog_service_that_an_incident_names_fails(linked: Path) -> None:
    path = linked / "catalog.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - id: reporting")
    end = text.find("\n  - id:", start + 1)
    path.write_text(text[:start] + (text[end + 1 :] if end != -1 else ""), encoding="utf-8")
    commit_all(linked, "No more reporting service")
    fails_naming(linked, incident_path("INC-0002", "incident.yaml"), "service 'reporting' is not in the service catalog")


def test_a_review_that_names_another_incident_fails(linked: Path) -> None:
    ok(["pir", "new", INC], linked)
    git("switch", "--quiet", "main", cwd=linked)
    git("merge", "--quiet", "--ff-only", "pr", cwd=linked)
    git("switch", "--quiet", "pr", cwd=linked)
    replace_line(linked / incident_path(INC, "pir.yaml"), "incident:", "incident: INC-0002")
    commit_all(linked, "The review is about another incident")
    fails_naming(linked, incident_path(INC, "pir.yaml"), "names 'INC-0002'")


# --- 7. a blank reason is no reason ------------------------------------------------------------


def test_advance_refuses_a_blank_reason(pr: Path) -> None:
    refused = run(["advance", INC, "--to", "contain", "--reason", " ", "--at", t(5)], pr)
    assert refused.exit_code == 1 and not refused.crashed, refused
    assert "the reason is blank" in refused.stderr
    assert not any("-stage-" in name for name in timeline_files(pr, INC))


def test_check_refuses_a_skip_with_a_blank_reason(pr: Path) -> None:
    ready_to_leave_identify(pr, INC)
    hand_stage_event(pr, INC, "identify", "contain", 5, reason="   ")
    commit_all(pr, "Skip notify, for no reason")
    fails_naming(pr, INCIDENT_YAML, "the reason is blank")


# --- 8. no common history -------------------------------------------------------------------------


def test_a_base_with_unrelated_history_gets_a_clear_message(pr: Path) -> None:
    git("checkout", "--quiet", "--orphan", "other", cwd=pr)
    commit_all(pr, "Unrelated")
    result = run(["check", "--base", "main"], pr)
    assert result.exit_code == 1 and not result.crashed, result
    assert "share no history" in result.stderr and "git merge-base failed" not in result.stderr, result
