"""Gates declared in process.yaml, and exemptions for incidents recorded after the fact.

A declared gate is conditions over the incident: each form is met and unmet
here; one written in a tracker made by ``mimctl init`` blocks ``advance``
until it holds, is judged as of the stage change's time, and a bad one is a
finding at its line. A retrospective incident may be exempt from a live-only
item with a reason; the stage event records it; the pull-request check holds
hand-written stage events to it and refuses a live incident turned
retrospective to pass its gates.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from gitutil import (
    commit_all,
    copy_repo,
    declare,
    git,
    incident_path,
    init_tracker,
    line_of,
    ok,
    ok_json,
    ready_to_leave_identify,
    replace_line,
    run,
    t,
    timeline_files,
    trailers,
)
from mimctl import gates
from mimctl.gates import GATES, STANDARD, gates_of
from mimctl.lifecycle import gate, judge
from mimctl.model import Event, Incident, Process
from mimctl.store import Tracker
from mimctl.yamlio import load_file, loads

REPO_ROOT = Path(__file__).resolve().parents[1]
PROCESS = Process.from_data(load_file(REPO_ROOT / "process.yaml").data)
T0 = datetime(2026, 11, 15, 8, 45, tzinfo=timezone.utc)
INC = "INC-0001"

IMPACT_GATE = """  customer_impact_recorded:
    description: customer impact recorded (regions) for SEV1 and SEV2
    when: [{field: severity, in: [SEV1, SEV2]}]
    require: [{field: regions}]
"""


def ev(minutes: int, kind: str, **data: Any) -> Event:
    at = T0 + timedelta(minutes=minutes)
    return Event(f"{at:%Y%m%dT%H%M%SZ}-{kind}-{minutes:06x}.yaml", at, kind, {"at": f"{at:%Y-%m-%dT%H:%M:%SZ}", "kind": kind, **data})


def incident(events: tuple[Event, ...] = (), **fields: Any) -> Incident:
    data: dict[str, Any] = {"id": INC, "title": "t", "stage": "identify", "severity": "SEV1", "impact": "high", "urgency": "high"}
    data.update({"priority": 1, "detection": {"source": "alert"}, "detected_at": "2026-11-15T08:45:00Z", "services": []})
    data.update(fields)
    return Incident(INC, data, events)


def met(declaration: dict[str, Any], subject: Incident) -> bool:
    return gates.declared("g", {"description": "d", **declaration}).check(subject, PROCESS)


# --- the registry and the starter ----------------------------------------------------------------


def test_the_starter_process_declares_exactly_the_standard_gate_items() -> None:
    assert loads((REPO_ROOT / "tools" / "mimctl" / "starter" / "process.yaml").read_text(encoding="utf-8")).data["gates"] == STANDARD
    assert set(STANDARD) < set(GATES)
    assert all(GATES[name].declaration == STANDARD[name] for name in STANDARD)
    assert all(GATES[name].declaration is None and GATES[name].rule for name in set(GATES) - set(STANDARD))


def test_a_tracker_made_by_init_gets_the_declared_gates(tmp_path: Path) -> None:
    root = init_tracker(tmp_path / "tracker")
    assert load_file(root / "process.yaml").data["gates"] == STANDARD
    assert {n: g.declaration for n, g in gates_of(Tracker(root).process).items()} == {n: g.declaration for n, g in GATES.items()}


def test_a_process_that_declares_no_gates_keeps_every_item(tmp_path: Path) -> None:
    data = load_file(REPO_ROOT / "process.yaml").data
    del data["gates"]
    older = Process.from_data(data)
    assert list(gates_of(older)) == list(GATES)
    bare = incident(stage="notify")
    assert [i.met for i in gate(bare, older, "identify")] == [i.met for i in gate(bare, PROCESS, "identify")]


def test_a_declared_item_replaces_the_one_of_the_same_name() -> None:
    data = load_file(REPO_ROOT / "process.yaml").data
    data["gates"]["bridge_recorded"] = {
        "description": "a bridge, or a chat room",
        "require": [{"any": [{"field": "bridge.url"}, {"field": "tags"}]}],
    }
    mine = Process.from_data(data)
    items = {i.name: i for i in gate(incident(tags=["war-room-chat"]), mine, "notify")}
    assert items["bridge_recorded"].met and items["bridge_recorded"].description == "a bridge, or a chat room"
    assert not items["bridge_recorded"].live_only
    assert not {i.name: i for i in gate(incident(tags=["war-room-chat"]), PROCESS, "notify")}["bridge_recorded"].met


# --- each condition, met and unmet -------------------------------------------------------------------

Case = tuple[dict[str, Any], Callable[[], Incident], Callable[[], Incident]]
CONDITIONS: dict[str, Case] = {
    "field recorded": (
        {"require": [{"field": "resolution.change_ref"}]},
        lambda: incident(resolution={"change_ref": "CHG-1"}),
        lambda: incident(resolution={"change_ref": ""}),
    ),
    "field missing below a scalar": (
        {"require": [{"field": "bridge.url"}]},
        lambda: incident(bridge={"url": "https://x"}),
        lambda: incident(bridge="none"),
    ),
    "empty list is not recorded": ({"require": [{"field": "regions"}]}, lambda: incident(regions=["eu"]), lambda: incident(regions=[])),
    "equals": (
        {"require": [{"field": "cause.status", "equals": "confirmed"}]},
        lambda: incident(cause={"status": "confirmed"}),
        lambda: incident(cause={"status": "unknown"}),
    ),
    "equals is strict about true and 1": (
        {"require": [{"field": "priority", "equals": 1}]},
        lambda: incident(priority=1),
        lambda: incident(priority=True),
    ),
    "in": (
        {"require": [{"field": "severity", "in": ["SEV1", "SEV2"]}]},
        lambda: incident(severity="SEV2"),
        lambda: incident(severity="SEV3"),
    ),
    "in a missing field": (
        {"require": [{"field": "visibility", "in": ["public"]}]},
        lambda: incident(visibility="public"),
        lambda: incident(),
    ),
    "event": (
        {"require": [{"event": "bridge"}]},
        lambda: incident((ev(1, "bridge", url="https://x"),)),
        lambda: incident((ev(1, "note", text="x"),)),
    ),
    "event with fields": (
        {"require": [{"event": "stakeholder-update", "with": {"audience": "public", "status": "resolved"}}]},
        lambda: incident((ev(1, "stakeholder-update", audience="public", status="resolved", text="ok"),)),
        lambda: incident((ev(1, "stakeholder-update", audience="internal", status="resolved", text="ok"),)),
    ),
    "any of": (
        {"require": [{"any": [{"field": "closure.problem_ref"}, {"event": "note"}]}]},
        lambda: incident((ev(1, "note", text="no problem record: one-off"),)),
        lambda: incident(closure={"summary": "done"}),
    ),
    "all of require": (
        {"require": [{"field": "summary"}, {"field": "regions"}]},
        lambda: incident(summary="s", regions=["eu"]),
        lambda: incident(summary="s"),
    ),
    "severity-conditional": (
        {"when": [{"field": "severity", "in": ["SEV1"]}], "require": [{"field": "regions"}]},
        lambda: incident(severity="SEV3"),  # does not apply: met
        lambda: incident(severity="SEV1"),
    ),
    "priority-conditional": (
        {"when": [{"field": "priority", "in": [1, 2]}], "require": [{"event": "escalation"}]},
        lambda: incident((ev(2, "escalation", to=["@mim-lead"]),), priority=2, impact="high", urgency="medium"),
        lambda: incident(priority=2, impact="high", urgency="medium"),
    ),
}


@pytest.mark.parametrize("name", list(CONDITIONS))
def test_a_declared_condition_is_met_and_unmet(name: str) -> None:
    declaration, meets, fails = CONDITIONS[name]
    assert met(declaration, meets()) is True
    assert met(declaration, fails()) is False


# --- a declared gate in a tracker made by mimctl init -------------------------------------------------


def _declare_gate(root: Path, declaration: str, stage: str, names: str) -> None:
    path = root / "process.yaml"
    text = path.read_text(encoding="utf-8").replace("\ngates:\n", "\ngates:\n" + declaration, 1)
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.strip() == f"- id: {stage}")
    index = next(i for i in range(at, len(lines)) if lines[i].strip().startswith("gate:"))
    lines[index] = f"    gate: {names}\n"
    path.write_text("".join(lines), encoding="utf-8")


@pytest.fixture(scope="module")
def tracker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An init tracker whose identify gate also asks for customer_impact_recorded (declared), with INC-0001 ready otherwise."""
    root = init_tracker(tmp_path_factory.mktemp("gates") / "tracker")
    _declare_gate(root, IMPACT_GATE, "identify", "[validated, classified, affected_service, initial_details, customer_impact_recorded]")
    commit_all(root, "Identify needs the regions of severe incidents")
    declare(root)
    ready_to_leave_identify(root, INC)
    return root


@pytest.fixture
def repo(tracker: Path, tmp_path: Path) -> Path:
    return copy_repo(tracker, tmp_path / "tracker")


def test_a_declared_gate_blocks_advance_until_it_holds(repo: Path) -> None:
    refused = run(["advance", INC, "--at", t(5)], repo)
    assert refused.exit_code == 1, refused
    assert "[ ] customer impact recorded (regions) for SEV1 and SEV2" in refused.stderr, refused
    shown = ok_json(["show", INC], repo)
    assert {
        "item": "customer_impact_recorded",
        "description": "customer impact recorded (regions) for SEV1 and SEV2",
        "met": False,
    } in shown["gate"]
    assert "[ ] customer impact recorded" in ok(["show", INC], repo).stdout

    ok(["set", INC, "regions", '["eu-west"]', "--json", "--at", t(4)], repo)
    ok(["advance", INC, "--at", t(5)], repo)
    assert "customer_impact_recorded" in trailers(repo)["Gate"]


def test_a_declared_gate_that_does_not_apply_is_met(repo: Path) -> None:
    ok(["classify", INC, "--impact", "medium", "--urgency", "medium", "--severity", "SEV3", "--at", t(4)], repo)
    ok(["advance", INC, "--at", t(5)], repo)


def test_a_declared_gate_holds_as_of_the_stage_changes_time(repo: Path) -> None:
    ok(["set", INC, "regions", '["eu-west"]', "--json", "--at", t(10)], repo)
    early = run(["advance", INC, "--at", t(5)], repo)
    assert early.exit_code == 1 and "customer impact recorded" in early.stderr and "on record only later" in early.stderr, early
    ok(["advance", INC, "--at", t(11)], repo)


def test_the_check_judges_a_hand_written_stage_change_by_the_declared_gate(repo: Path) -> None:
    git("switch", "--quiet", "-c", "pr", cwd=repo)
    _hand_stage(repo, "identify", "notify", 5)
    commit_all(repo, "Leave identify without the regions")
    result = run(["check", "--base", "main"], repo)
    assert result.exit_code == 1 and "gate not met: customer impact recorded" in result.output, result


# --- a bad declaration is a finding at its line ---------------------------------------------------------

BAD = [
    ("unknown field", "    require: [{field: region}]\n", "incident.yaml has no field 'region'"),
    ("unknown nested field", "    require: [{field: resolution.fixed_by}]\n", "incident.yaml has no field 'resolution.fixed_by'"),
    ("unknown event kind", "    require: [{event: page}]\n", "unknown event kind 'page'"),
    ("event field the kind lacks", "    require: [{event: bridge, with: {status: open}}]\n", "a bridge event has no field 'status'"),
    ("a severity the process lacks", "    require: [{field: severity, in: [SEV1, SEV9]}]\n", "severity is never 'SEV9'"),
    ("a priority the matrix never gives", "    require: [{field: priority, equals: 7}]\n", "priority is never 7"),
    ("a misspelt key", "    require: [{field: regions, equal: eu}]\n", "'equal'"),
    ("two forms in one", "    require: [{event: note, field: regions}]\n", "'field'"),
    ("equals and in at once", "    require: [{field: severity, equals: SEV1, in: [SEV2]}]\n", "should not be valid"),
    ("nothing required", "    require: []\n", "should be non-empty"),
]


@pytest.mark.parametrize(("name", "require", "message"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_condition_is_a_finding_at_its_line(tmp_path: Path, name: str, require: str, message: str) -> None:
    root = init_tracker(tmp_path / "tracker")
    _declare_gate(root, f"  my_item:\n    description: mine\n{require}", "identify", "[validated, my_item]")
    line = line_of(root / "process.yaml", require.rstrip("\n"))
    result = run(["validate", "--format", "json"], root)
    assert result.exit_code == 1, result
    found = [f for f in result.json()["findings"] if f["path"] == "process.yaml"]
    assert any(f["line"] == line and message in f["message"] for f in found), found


def test_a_stage_naming_an_undeclared_item_is_a_finding_at_its_line(tmp_path: Path) -> None:
    root = init_tracker(tmp_path / "tracker")
    _declare_gate(root, "", "notify", "[manager_assigned, bridge_recroded]")
    result = run(["validate", "--format", "json"], root)
    assert result.exit_code == 1, result
    [finding] = [f for f in result.json()["findings"] if f["path"] == "process.yaml"]
    assert finding["line"] == line_of(root / "process.yaml", "    gate: [manager_assigned, bridge_recroded]")
    assert "unknown gate item 'bridge_recroded'" in finding["message"] and finding["field"] == "stages[1].gate[1]"
    assert judge(incident(stage="notify"), Tracker(root).process, None, None).allowed is False  # never met, never a crash


def test_the_example_in_the_process_guide_is_a_valid_declaration(tmp_path: Path) -> None:
    text = (REPO_ROOT / "docs" / "process.md").read_text(encoding="utf-8")
    example = next(block for block in re.findall(r"```yaml\n(.*?)```", text, re.S) if block.startswith("gates:\n"))
    root = init_tracker(tmp_path / "tracker")
    _declare_gate(root, example.removeprefix("gates:\n"), "identify", "[customer_impact_recorded, workaround_published]")
    assert run(["validate"], root).exit_code == 0
    items = {i.name: i for i in gate(incident(regions=["eu"], impacted_users={"count": 3}), Tracker(root).process, "identify")}
    assert items["customer_impact_recorded"].met and not items["workaround_published"].met
    assert items["workaround_published"].live_only


# --- exemptions of an incident recorded after the fact ------------------------------------------------------

EXEMPT = {
    "manager_assigned": "The postmortem does not name the incident commander",
    "mirt_notified": "Paging history is gone",
    "bridge_recorded": "The postmortem does not say how responders met",
    "stakeholder_update": "Updates went out by e-mail; none were kept",
}


def _retrospective(root: Path, exemptions: dict[str, str], at: str = t(1)) -> None:
    import json

    value = json.dumps({"reason": "Recorded from the public postmortem", "exemptions": exemptions})
    ok(["set", INC, "retrospective", value, "--json", "--at", at], root)


@pytest.fixture(scope="module")
def in_notify(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An init tracker with INC-0001 in notify, nothing of the notify gate recorded."""
    root = init_tracker(tmp_path_factory.mktemp("retro") / "tracker")
    declare(root)
    ready_to_leave_identify(root, INC)
    ok(["advance", INC, "--at", t(4)], root)
    return root


@pytest.fixture
def notify_repo(in_notify: Path, tmp_path: Path) -> Path:
    return copy_repo(in_notify, tmp_path / "tracker")


def test_a_retrospective_incident_moves_on_its_exemptions_and_the_stage_event_records_them(notify_repo: Path) -> None:
    _retrospective(notify_repo, EXEMPT)
    shown = ok(["show", INC], notify_repo).stdout
    assert "[-] bridge / war room recorded (bridge.url) (exempt: The postmortem does not say how responders met)" in shown
    assert "Gate to leave notify (next: contain): met" in shown
    ok(["advance", INC, "--at", t(30)], notify_repo)
    stage = loads((notify_repo / incident_path(INC, "timeline", timeline_files(notify_repo, INC)[-1])).read_text(encoding="utf-8")).data
    assert stage["kind"] == "stage" and stage["exempt"] == EXEMPT
    assert trailers(notify_repo)["Exempt"] == ", ".join(EXEMPT)
    assert run(["validate"], notify_repo).exit_code == 0


def test_exemptions_may_be_recorded_after_the_stage_change_they_serve(notify_repo: Path) -> None:
    _retrospective(notify_repo, EXEMPT, at=t(90))  # the record is written up later than the move it explains
    ok(["advance", INC, "--at", t(30)], notify_repo)
    assert trailers(notify_repo)["Exempt"] == ", ".join(EXEMPT)


def test_exempt_items_are_exempt_and_the_rest_still_blocks(notify_repo: Path) -> None:
    _retrospective(notify_repo, {k: v for k, v in EXEMPT.items() if k != "bridge_recorded"})
    refused = run(["advance", INC, "--at", t(30), "--format", "json"], notify_repo)
    assert refused.exit_code == 1, refused
    assert [m["item"] for m in refused.json()["missing"]] == ["bridge_recorded"]


def test_an_exemption_needs_a_retrospective_incident(notify_repo: Path) -> None:
    tracker = Tracker(notify_repo)
    live = tracker.load_bundle(INC).model
    assert live is not None
    data = {**live.data, "retrospective_note": {"exemptions": EXEMPT}}  # exemptions outside retrospective mean nothing
    items = gate(Incident(INC, data, live.events), tracker.process)
    assert not any(i.exempt for i in items) and not judge(Incident(INC, data, live.events), tracker.process, None, None).allowed


def test_an_item_that_needs_no_live_response_cannot_be_exempt(notify_repo: Path) -> None:
    _retrospective(notify_repo, EXEMPT)
    ok(["advance", INC, "--at", t(30)], notify_repo)
    path = notify_repo / incident_path(INC, "incident.yaml")
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("    stakeholder_update:", "    containment_logged: Nothing was recorded\n    stakeholder_update:", 1),
        encoding="utf-8",
    )
    result = run(["validate", "--format", "json"], notify_repo)
    assert result.exit_code == 1, result
    [finding] = [f for f in result.json()["findings"] if f["rule"] == "gate"]
    assert finding["line"] == line_of(path, "    containment_logged:") and "does not need a live response" in finding["message"]
    shown = ok_json(["show", INC], notify_repo)
    assert {"item": "containment_logged", "description": GATES["containment_logged"].description, "met": False} in shown["gate"]


def test_an_exemption_for_no_gate_item_is_refused_at_its_line(notify_repo: Path) -> None:
    value = '{"reason": "Recorded later", "exemptions": {"war_room_opened": "No such item"}}'
    result = run(["set", INC, "retrospective", value, "--json", "--at", t(1)], notify_repo)
    assert result.exit_code == 1, result
    assert re.search(r"incident\.yaml:[0-9]+:5: no stage's gate has an item 'war_room_opened'", result.stderr), result


def _hand_stage(repo: Path, source: str, target: str, minute: int, extra: str = "") -> None:
    replace_line(repo / incident_path(INC, "incident.yaml"), "stage:", f"stage: {target}")
    stamp = t(minute)
    name = f"{stamp.replace('-', '').replace(':', '')}-stage-0a1b2c.yaml"
    text = f"at: '{stamp}'\nkind: stage\nby: someone\nfrom: {source}\nto: {target}\n{extra}"
    (repo / incident_path(INC, "timeline", name)).write_text(text, encoding="utf-8")


def test_the_check_refuses_a_live_incident_turned_retrospective_to_pass_its_gate(notify_repo: Path) -> None:
    git("switch", "--quiet", "-c", "pr", cwd=notify_repo)
    _retrospective(notify_repo, EXEMPT)
    ok(["advance", INC, "--at", t(30)], notify_repo)
    result = run(["check", "--base", "main"], notify_repo)
    assert result.exit_code == 1 and "land the retrospective record on its own first" in result.output, result


def test_the_check_holds_a_hand_written_stage_event_to_its_exemptions(notify_repo: Path) -> None:
    _retrospective(notify_repo, EXEMPT)  # on main: reviewed on its own
    git("switch", "--quiet", "-c", "pr", cwd=notify_repo)
    _hand_stage(notify_repo, "notify", "contain", 30)
    commit_all(notify_repo, "Move on, by hand, saying nothing of the exemptions")
    result = run(["check", "--base", "main"], notify_repo)
    assert result.exit_code == 1 and "the stage event must record the items it is exempt from" in result.output, result

    git("reset", "--quiet", "--hard", "main", cwd=notify_repo)
    recorded = "exempt:\n" + "".join(f"  {k}: {v}\n" for k, v in EXEMPT.items())
    _hand_stage(notify_repo, "notify", "contain", 30, recorded)
    commit_all(notify_repo, "Move on, by hand, with the exemptions")
    summary = notify_repo.parent / "summary.md"
    result = run(["check", "--base", "main", "--summary", str(summary)], notify_repo)
    assert result.exit_code == 0, result
    assert "- [x] bridge / war room recorded (bridge.url) — exempt: The postmortem does not say how responders met" in summary.read_text(
        encoding="utf-8"
    )


def test_the_check_refuses_an_exemption_the_gate_does_not_grant(notify_repo: Path) -> None:
    for command in (
        ["assign", INC, "incident_manager", "alex", "--at", t(5)],
        ["notified", INC, "--to", "@mirt", "--at", t(6)],
        ["bridge", INC, "https://meet.example.com/x", "--at", t(7)],
        ["update", INC, "--status", "investigating", "Looking", "--at", t(8)],
    ):
        ok(command, notify_repo)
    git("switch", "--quiet", "-c", "pr", cwd=notify_repo)
    _hand_stage(notify_repo, "notify", "contain", 30, "exempt:\n  bridge_recorded: We did not need one\n")
    commit_all(notify_repo, "A claimed exemption")
    result = run(["check", "--base", "main"], notify_repo)
    assert result.exit_code == 1 and "records exemptions (bridge_recorded) that its gate does not grant" in result.output, result


# --- a pull request that changes what a gate item means ------------------------------------------------


def test_changing_a_declared_item_and_crossing_it_in_the_same_pull_request_fails(notify_repo: Path) -> None:
    git("switch", "--quiet", "-c", "pr", cwd=notify_repo)
    path = notify_repo / "process.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    require: [{field: bridge.url}]", "    require: [{field: services}]", 1), encoding="utf-8")
    for command in (
        ["assign", INC, "incident_manager", "alex", "--at", t(5)],
        ["notified", INC, "--to", "@mirt", "--at", t(6)],
        ["update", INC, "--status", "investigating", "Looking", "--at", t(8)],
    ):
        ok(command, notify_repo)
    _hand_stage(notify_repo, "notify", "contain", 30)
    commit_all(notify_repo, "Any service will do for a bridge, and on we go")
    result = run(["check", "--base", "main"], notify_repo)
    assert result.exit_code == 1, result
    assert "the exit gate of 'notify'" in result.output and "land the process change on its own first" in result.output, result
