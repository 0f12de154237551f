"""The use-case layer as a library, and the one error boundary of the command group.

A use case reads, decides and returns a Change: nothing is written until
``transaction.apply``. The CLI is a thin adapter over the same functions, and
what goes wrong in any command becomes one message and one exit code, in one
place.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from gitutil import (
    assert_unchanged,
    commit_count,
    copy_repo,
    declare,
    head,
    make_tracker,
    ok_json,
    ready_to_leave_identify,
    run,
    snapshot,
    t,
    trailers,
)
from mimctl import cli
from mimctl.gitrepo import GitError
from mimctl.model import parse_time
from mimctl.store import Tracker, TrackerError
from mimctl.transaction import Change, Refused, apply
from mimctl.usecases import Invalid, close, contain, identify, investigate, notify, resolve, review, timeline
from mimctl.usecases.advance import advance
from mimctl.usecases.records import load_incident, valid_incidents
from test_import_graph import imports
from test_import_graph import module as graph_module

PACKAGE = Path(cli.__file__).resolve().parents[1]
INC = "INC-0001"
AT = parse_time(t(10))


@pytest.fixture(scope="module")
def declared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = make_tracker(tmp_path_factory.mktemp("usecases") / "tracker")
    declare(repo)
    return repo


@pytest.fixture
def repo(declared: Path, tmp_path: Path) -> Path:
    return copy_repo(declared, tmp_path / "tracker")


def _every_use_case(tr: Tracker) -> list[Change]:
    incident = load_incident(tr, INC)
    return [
        identify.confirm(tr, incident, "All card payments", AT, "pat"),
        identify.classify(tr, incident, AT, "pat", severity="SEV2", major_reason="Customers cannot pay"),
        notify.assign(tr, incident, "incident_manager", "alex", AT, "pat"),
        notify.notified(tr, incident, ["@sre"], AT, "pat", channel="pager", mirt=True),
        notify.escalated(tr, incident, ["@mim-lead"], AT, "pat", level=1, policy="sev1"),
        notify.acknowledge(tr, incident, AT, "alex"),
        notify.bridge(tr, incident, "https://meet.example.com/x", AT, "pat"),
        notify.stakeholder_update(tr, incident, "We are investigating.", "investigating", "public", AT, "pat"),
        timeline.note(tr, incident, "A note", AT, "pat"),
        timeline.set_field(tr, incident, "regions", ["eu-west-1"], AT, "pat"),
        contain.add_containment(tr, incident, "Routed traffic away", "Route it back", AT, "pat"),
        contain.containment_not_possible(tr, incident, "Upstream outage", AT, "pat"),
        investigate.add_hypothesis(tr, incident, "Certificate expired", AT, "pat"),
        investigate.add_evidence(tr, incident, "Gateway logs", AT, "pat", links=["https://logs.example.com/q"]),
        investigate.confirm_cause(tr, incident, "Certificate expired", AT, "pat"),
        investigate.cause_unknown(tr, incident, "Still looking", AT, "pat"),
        investigate.plan(tr, incident, "Renew it", AT, "pat"),
        resolve.resolution(tr, incident, AT, "pat", change_ref="CHG-1"),
        resolve.recovery(tr, incident, AT, "pat", restored=True),
        close.close(tr, incident, "Replaced the certificate", AT, "pat", no_problem_reason="One-off"),
        close.schedule_review(tr, incident, parse_time(t(60 * 48)), ["alex"], AT, "pat"),
        close.review_not_required(tr, incident, "Not needed", AT, "pat"),
        review.start_review(tr, incident, AT, "pat"),
        review.add_action(tr, incident, "Alert on expiry", "sam", "2025-04-01", AT, "pat", "detect"),
        review.complete_review(tr, incident, parse_time(t(60 * 48)), ["alex"], AT, "pat"),
        notify.vendor_escalation(tr, incident, "Cloud provider support", AT, "pat", case="1234"),
        contain.add_containment(tr, incident, "Purged the cache", None, AT, "pat", irreversible="Purged entries are gone"),
    ]


def test_use_cases_decide_and_write_nothing(repo: Path) -> None:
    before = snapshot(repo)
    changes = _every_use_case(Tracker(repo))
    assert all(isinstance(c, Change) and c.incident_id == INC and c.writes for c in changes)
    assert all(c.subject.startswith(f"{INC}: ") and c.trailers["Incident"] == INC for c in changes)
    assert_unchanged(before, snapshot(repo))


def test_a_use_case_change_applied_is_what_the_command_commits(repo: Path, tmp_path: Path) -> None:
    other = copy_repo(repo, tmp_path / "other")
    tr = Tracker(repo)
    applied = apply(tr, notify.bridge(tr, load_incident(tr, INC), "https://meet.example.com/x", AT, "pat"))
    ok_json(["bridge", INC, "https://meet.example.com/x", "--at", t(10), "--by", "pat"], other)
    assert trailers(repo) == trailers(other) == {"Incident": INC, "Stage": "identify", "Event": "bridge"}
    assert (repo / "incidents" / INC / "incident.yaml").read_text() == (other / "incidents" / INC / "incident.yaml").read_text()
    assert applied.commit == head(repo)


def test_an_escalation_is_built_once_with_its_trailers(repo: Path) -> None:
    tr = Tracker(repo)
    change = notify.escalated(tr, load_incident(tr, INC), ["@mim-lead"], AT, "bot", level=2, policy="sev1", text="No ack in 15 minutes.")
    assert change.trailers == {
        "Incident": INC,
        "Stage": "identify",
        "Event": "escalation",
        "Escalation-Level": "2",
        "Escalation-Policy": "sev1",
    }
    assert change.summary == {"level": 2, "to": ["@mim-lead"], "policy": "sev1"}
    event = next(text for path, text in change.writes.items() if "/timeline/" in path)
    assert "level: 2" in event and "No ack in 15 minutes." in event and "kind: escalation" in event


def test_advance_judges_then_records(repo: Path) -> None:
    tr = Tracker(repo)
    refused = advance(tr, load_incident(tr, INC), AT, "pat")
    assert refused.change is None and not refused.transition.allowed
    ready_to_leave_identify(repo, INC)
    move = advance(tr, load_incident(tr, INC), parse_time(t(4)), "pat")
    assert move.change is not None and move.change.trailers["Previous-Stage"] == "identify"
    assert move.change.trailers["Gate"].startswith("validated")


def test_one_priority_rule_for_declare_and_classify(repo: Path) -> None:
    tr = Tracker(repo)
    bad = identify.Declaration("x", ["checkout-api"], "huge", "high", "SEV1", "alert")
    with pytest.raises(Invalid) as declared:
        identify.declare(tr, bad, AT, "pat")
    with pytest.raises(Invalid) as classified:
        identify.classify(tr, load_incident(tr, INC), AT, "pat", impact="huge")
    assert str(declared.value) == str(classified.value)
    assert "impacts: " in str(declared.value) and "urgencies: " in str(declared.value)


def test_valid_incidents_skips_the_broken_ones(repo: Path) -> None:
    (repo / "incidents" / "INC-0002").mkdir()
    (repo / "incidents" / "INC-0002" / "incident.yaml").write_text("id: INC-0002\n", encoding="utf-8")
    loaded = valid_incidents(Tracker(repo))
    assert [i.id for i in loaded.incidents] == [INC] and loaded.skipped == ("INC-0002",)


# --- the error boundary ------------------------------------------------------------------------


def test_an_invalid_value_is_a_usage_error_of_the_commands_own_argument(repo: Path) -> None:
    before = snapshot(repo)
    result = run(["assign", INC, "wizard", "bob", "--at", t(5)], repo)
    assert result.exit_code == 2 and not result.crashed, result
    assert "Usage: mimctl assign" in result.stderr
    assert "Invalid value for 'ROLE': unknown role 'wizard'; roles: " in result.stderr
    result = run(["pir", "invite", INC, "--link", "javascript:alert(1)"], repo)
    assert result.exit_code == 2 and "Invalid value for '--link'" in result.stderr, result
    result = run(["classify", INC, "--impact", "huge", "--at", t(5)], repo)
    assert result.exit_code == 2 and "'huge' x urgency 'high' is not in the priority matrix" in result.stderr, result
    assert_unchanged(before, snapshot(repo))


@pytest.mark.parametrize(
    ("error", "code", "expected"),
    [
        (TrackerError("process.yaml is invalid"), 1, "mimctl: process.yaml is invalid"),
        (Refused("INC-0001 would not be valid; nothing was changed"), 1, "mimctl: INC-0001 would not be valid"),
        (GitError("a merge is in progress"), 1, "mimctl: a merge is in progress"),
        (KeyboardInterrupt(), 130, "mimctl: interrupted"),
    ],
)
def test_expected_errors_become_one_message_and_an_exit_code(
    repo: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException, code: int, expected: str
) -> None:
    def fail(*args: object, **kwargs: object) -> Change:
        raise error

    monkeypatch.setattr(timeline, "note", fail)
    result = run(["note", INC, "hello", "--at", t(5)], repo)
    assert result.exit_code == code and not result.crashed, result
    assert result.stderr.splitlines()[0].startswith(expected) and result.stdout == ""


def test_findings_of_a_refusal_are_listed_under_it(repo: Path) -> None:
    result = run(["set", INC, "severity", "not a severity!", "--at", t(5)], repo)
    assert result.exit_code == 1, result
    first, *rest = result.stderr.splitlines()
    assert first == "mimctl: INC-0001 would not be valid; nothing was changed"
    assert rest and rest[0].startswith("  incidents/INC-0001/incident.yaml:")


def test_a_bug_escapes_the_group_and_the_entry_point_says_so(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object, **kwargs: object) -> Change:
        raise ZeroDivisionError("oops")

    monkeypatch.setattr(timeline, "note", broken)
    assert run(["note", INC, "hello", "--at", t(5)], repo).crashed
    monkeypatch.chdir(repo)
    monkeypatch.setattr(sys, "argv", ["mimctl", "note", INC, "hello", "--at", t(5)])
    with pytest.raises(SystemExit) as ended:
        cli.run()
    assert ended.value.code == 3
    assert "mimctl: unexpected error: ZeroDivisionError: oops (set MIMCTL_DEBUG=1 for details)" in capsys.readouterr().err
    assert commit_count(repo) == 2


def test_a_command_exit_code_is_the_group_exit_code(repo: Path) -> None:
    result = run(["advance", INC, "--at", t(5)], repo)
    assert result.exit_code == 1 and "the gate to leave identify is not met" in result.stderr, result


# --- the layout ----------------------------------------------------------------------------------


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    return imports(graph_module(path))


def test_no_command_module_uses_another_ones_private_helpers() -> None:
    for path in sorted((PACKAGE / "cli").glob("*.py")):
        for module, names in _imports(path):
            if module.startswith("mimctl.cli.") and module != f"mimctl.cli.{path.stem}":
                private = [name for name in names if name.startswith("_")]
                assert not private, f"{path.name} imports {private} from {module}"


def test_use_cases_do_not_apply_their_changes_except_ingestion() -> None:
    for path in sorted((PACKAGE / "usecases").glob("*.py")):
        applies = any(module == "mimctl.transaction" and "apply" in names for module, names in _imports(path))
        assert applies is (path.stem == "alerts"), path
