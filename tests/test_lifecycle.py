"""Gates and transitions: every guard met and unmet, every missing item listed, judge()'s rules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from mimctl.gates import GATES
from mimctl.lifecycle import gate, judge
from mimctl.model import Event, Incident, Process
from mimctl.yamlio import load_file

REPO_ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 11, 15, 8, 45, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def process() -> Process:
    return Process.from_data(load_file(REPO_ROOT / "process.yaml").data)


def ev(minutes: int, kind: str, **data: Any) -> Event:
    at = T0 + timedelta(minutes=minutes)
    return Event(f"{at:%Y%m%dT%H%M%SZ}-{kind}-{minutes:06x}.yaml", at, kind, {"at": f"{at:%Y-%m-%dT%H:%M:%SZ}", "kind": kind, **data})


def incident(stage: str = "identify", events: tuple[Event, ...] = (), review: dict[str, Any] | None = None, **fields: Any) -> Incident:
    """An incident in ``stage``; ``review`` is its pir.yaml, ``fields`` go into incident.yaml."""
    data: dict[str, Any] = {
        "id": "INC-0001",
        "title": "Card payments failing",
        "stage": stage,
        "severity": "SEV1",
        "impact": "high",
        "urgency": "high",
        "priority": 1,
        "detection": {"source": "alert"},
        "detected_at": "2026-11-15T08:45:00Z",
        "services": [],
    }
    data.update(fields)
    return Incident("INC-0001", data, tuple(sorted(events, key=lambda e: e.at)), review)


UPDATE = ev(10, "stakeholder-update", audience="public", status="investigating", text="Looking")
CONTAIN = ev(5, "containment", id="C-0001", action="Failover", rollback="Fail back")
COMPLETE_PIR = {
    "incident": "INC-0001",
    "status": "complete",
    "summary": "s",
    "root_causes": ["r"],
    "meeting": {"held_at": "2026-11-17T08:45:00Z", "attendees": ["alex"]},
}

# guard name -> (an incident that meets it, one that does not)
Pair = tuple[Callable[[], Incident], Callable[[], Incident]]
CASES: dict[str, Pair] = {
    "validated": (
        lambda: incident(validation={"confirmed_by": "pat", "confirmed_at": "2026-11-15T08:47:00Z"}),
        lambda: incident(validation={"confirmed_by": "pat"}),
    ),
    "classified": (
        lambda: incident(major_reason="Customers cannot pay"),
        lambda: incident(major_reason="Customers cannot pay", priority=2),
    ),
    "affected_service": (lambda: incident(services=["checkout-api"]), lambda: incident(services=[])),
    "initial_details": (lambda: incident(summary="s", impacted_users={"count": 5}), lambda: incident(summary="s", impacted_users={})),
    "stakeholders_told_classification": (
        lambda: incident(events=(ev(3, "notification", to=["@sre"]),)),
        lambda: incident(events=(ev(3, "escalation", to=["@sre"]),)),
    ),
    "manager_assigned": (lambda: incident(roles={"incident_manager": "alex"}), lambda: incident(roles={"scribe": "sam"})),
    "mirt_notified": (lambda: incident(events=(ev(3, "escalation", to=["@sre"]),)), lambda: incident(events=(ev(3, "note", text="x"),))),
    "bridge_recorded": (lambda: incident(bridge={"url": "https://meet.example.com/x"}), lambda: incident()),
    "stakeholder_update": (lambda: incident(events=(UPDATE,)), lambda: incident(events=(ev(3, "notification", to=["@sre"]),))),
    "containment_logged": (lambda: incident(events=(CONTAIN,)), lambda: incident(events=(ev(5, "note", text="tried"),))),
    "cause_recorded": (
        lambda: incident(cause={"status": "confirmed", "summary": "Expired cert"}),
        lambda: incident(cause={"status": "unknown"}),
    ),
    "resolution_plan": (lambda: incident(resolution_plan="Renew"), lambda: incident(resolution_plan="")),
    "fix_implemented": (
        lambda: incident(resolution={"implemented_at": "2026-11-15T09:35:00Z", "change_ref": "CHG-1"}),
        lambda: incident(resolution={"implemented_at": "2026-11-15T09:35:00Z"}),
    ),
    "stability_observed": (lambda: incident(resolution={"stable_since": "2026-11-15T10:05:00Z"}), lambda: incident(resolution={})),
    "resolution_confirmed": (
        lambda: incident(resolution={"confirmed_by": "desk", "confirmed_at": "2026-11-15T10:10:00Z"}),
        lambda: incident(resolution={"confirmed_at": "2026-11-15T10:10:00Z"}),
    ),
    "no_open_containment": (
        lambda: incident(events=(CONTAIN, ev(9, "containment-update", action_id="C-0001", state="made-permanent"))),
        lambda: incident(events=(CONTAIN, ev(9, "containment-update", action_id="C-0001", state="effective"))),
    ),
    "dependents_validated": (
        lambda: incident(recovery={"dependents_validated_at": "2026-11-15T10:25:00Z"}),
        lambda: incident(recovery={"summary": "ok"}),
    ),
    "recovery_communicated": (
        lambda: incident(
            events=(ev(30, "recovery", text="back"), ev(31, "stakeholder-update", audience="public", status="monitoring", text="ok"))
        ),
        lambda: incident(events=(UPDATE, ev(30, "recovery", text="back"))),
    ),
    "closure_recorded": (
        lambda: incident(closure={"summary": "done", "closed_at": "2026-11-15T11:45:00Z"}),
        lambda: incident(closure={"summary": "done"}),
    ),
    "closure_communicated": (
        lambda: incident(events=(ev(60, "stakeholder-update", audience="public", status="resolved", text="fixed"),)),
        lambda: incident(events=(UPDATE,)),
    ),
    "problem_reference": (lambda: incident(closure={"no_problem_reason": "one-off"}), lambda: incident(closure={"summary": "done"})),
    "pir_scheduled": (
        lambda: incident(pir={"scheduled_at": "2026-11-17T08:45:00Z", "attendees": ["alex"]}),
        lambda: incident(pir={"scheduled_at": "2026-11-17T08:45:00Z"}),
    ),
    "pir_complete": (lambda: incident(review=COMPLETE_PIR), lambda: incident(review={**COMPLETE_PIR, "status": "draft"})),
    "known_errors_updated": (lambda: incident(review={**COMPLETE_PIR, "known_errors": ["KE-0001"]}), lambda: incident(review=COMPLETE_PIR)),
    "actions_settled": (
        lambda: incident(review={**COMPLETE_PIR, "actions": [{"id": "A1", "status": "done"}, {"id": "A2", "status": "dropped"}]}),
        lambda: incident(review={**COMPLETE_PIR, "actions": [{"id": "A1", "status": "done"}, {"id": "A2", "status": "in-progress"}]}),
    ),
}


def test_every_guard_has_a_case() -> None:
    assert set(CASES) == set(GATES)


@pytest.mark.parametrize("name", sorted(GATES))
def test_guard_met(name: str, process: Process) -> None:
    assert GATES[name].check(CASES[name][0](), process) is True


@pytest.mark.parametrize("name", sorted(GATES))
def test_guard_unmet(name: str, process: Process) -> None:
    assert GATES[name].check(CASES[name][1](), process) is False


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("containment_logged", lambda: incident(containment_not_possible="Nothing can be isolated")),
        ("cause_recorded", lambda: incident(cause={"status": "unknown", "unknown_reason": "Logs rotated"})),
        (
            "cause_recorded",
            lambda: incident(
                cause={"status": "confirmed"},
                events=(
                    ev(10, "hypothesis", id="H-0001", text="cert"),
                    ev(20, "hypothesis-update", hypothesis_id="H-0001", state="confirmed"),
                ),
            ),
        ),
        ("problem_reference", lambda: incident(closure={"problem_ref": "PRB-1"})),
        ("pir_scheduled", lambda: incident(severity="SEV3")),  # no PIR required
        ("pir_scheduled", lambda: incident(pir={"not_required_reason": "duplicate of INC-0002"})),
        ("pir_complete", lambda: incident(pir={"not_required_reason": "duplicate"})),
        ("known_errors_updated", lambda: incident(review={**COMPLETE_PIR, "no_known_error_reason": "one-off"})),
        ("no_open_containment", lambda: incident()),  # nothing to settle
        ("actions_settled", lambda: incident(review=COMPLETE_PIR)),  # no actions
    ],
)
def test_guard_met_another_way(name: str, make: Callable[[], Incident], process: Process) -> None:
    assert GATES[name].check(make(), process) is True


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("cause_recorded", lambda: incident(cause={"status": "confirmed"}, events=(ev(10, "hypothesis", id="H-0001", text="cert"),))),
        ("pir_scheduled", lambda: incident(severity="SEV2")),
        ("pir_complete", lambda: incident()),
        ("known_errors_updated", lambda: incident()),
        ("recovery_communicated", lambda: incident(events=(UPDATE,))),  # no recovery yet
        ("no_open_containment", lambda: incident(events=(CONTAIN,))),
        ("classified", lambda: incident()),  # priority right, no major_reason
    ],
)
def test_guard_unmet_another_way(name: str, make: Callable[[], Incident], process: Process) -> None:
    assert GATES[name].check(make(), process) is False


# --- gate(): the whole checklist ---------------------------------------------


@pytest.mark.parametrize("stage", ["identify", "notify", "contain", "investigate", "resolve", "recover", "close", "review", "improve"])
def test_failing_gate_lists_every_missing_item(stage: str, process: Process) -> None:
    bare = incident(stage=stage, severity="SEV1", priority=2)
    items = gate(bare, process)
    expected = process.stage(stage).gate  # type: ignore[union-attr]
    assert [item.name for item in items] == list(expected)
    unmet = [item.name for item in items if not item.met]
    # a bare incident meets only guards that hold vacuously
    assert set(unmet) == set(expected) - {"no_open_containment", "actions_settled"}
    assert all(item.description for item in items)


def test_gate_of_final_stage_is_empty(process: Process) -> None:
    assert gate(incident(stage="complete"), process) == []


def test_gate_of_unknown_stage_is_empty(process: Process) -> None:
    assert gate(incident(stage="triage"), process) == []


def identified() -> Incident:
    return incident(
        validation={"confirmed_by": "pat", "confirmed_at": "2026-11-15T08:47:00Z"},
        major_reason="Customers cannot pay",
        services=["checkout-api"],
        summary="s",
        impacted_users={"count": 5},
    )


# --- judge() -------------------------------------------------------------------


def test_next_stage_allowed_when_gate_met(process: Process) -> None:
    move = judge(identified(), process, None, None)
    assert (move.source, move.target, move.skipped, move.backward) == ("identify", "notify", (), False)
    assert move.problems == ()
    assert move.allowed
    assert [i.name for i in move.gate] == ["validated", "classified", "affected_service", "initial_details"]


def test_next_stage_refused_with_the_whole_unmet_gate(process: Process) -> None:
    move = judge(incident(), process, None, None)
    assert not move.allowed
    assert move.problems == ()
    assert [i.name for i in move.gate if not i.met] == ["validated", "classified", "affected_service", "initial_details"]


def test_skipping_needs_a_reason(process: Process) -> None:
    move = judge(identified(), process, "contain", None)
    assert move.skipped == ("notify",)
    assert move.problems == ("skipping notify needs --reason",)
    assert not move.allowed
    with_reason = judge(identified(), process, "contain", "Everyone is already on the bridge")
    assert with_reason.problems == ()
    assert with_reason.allowed


def test_skip_checks_the_gate_of_the_stage_left(process: Process) -> None:
    move = judge(incident(), process, "investigate", "skip")
    assert move.skipped == ("notify", "contain")
    assert not move.allowed
    assert {i.name for i in move.gate} == {"validated", "classified", "affected_service", "initial_details"}


@pytest.mark.parametrize(
    ("source", "target"), [("resolve", "investigate"), ("resolve", "contain"), ("recover", "resolve"), ("close", "investigate")]
)
def test_backward_allowed_by_reopen_with_reason(source: str, target: str, process: Process) -> None:
    move = judge(incident(stage=source), process, target, "The fix did not hold")
    assert move.backward
    assert move.problems == ()
    assert move.allowed
    assert move.gate == ()  # going back does not need the current gate


@pytest.mark.parametrize(("source", "target"), [("resolve", "investigate"), ("close", "resolve")])
def test_backward_needs_a_reason(source: str, target: str, process: Process) -> None:
    move = judge(incident(stage=source), process, target, None)
    assert move.problems == ("moving back to an earlier stage needs --reason",)
    assert not move.allowed


@pytest.mark.parametrize(
    ("source", "target", "allowed"),
    [("notify", "identify", "none"), ("resolve", "identify", "investigate, contain"), ("review", "close", "none")],
)
def test_backward_not_in_reopen_is_refused(source: str, target: str, allowed: str, process: Process) -> None:
    move = judge(incident(stage=source), process, target, "because")
    assert move.backward
    assert move.problems == (f"moving back from {source!r} to {target!r} is not allowed (allowed: {allowed})",)
    assert not move.allowed


def test_final_stage_has_no_next(process: Process) -> None:
    move = judge(incident(stage="complete"), process, None, None)
    assert move.problems == ("'complete' is the last stage",)
    assert not move.allowed


def test_into_the_final_stage(process: Process) -> None:
    done = incident(stage="improve", review={**COMPLETE_PIR, "actions": [{"id": "A1", "status": "done"}]})
    move = judge(done, process, None, None)
    assert move.target == "complete"
    assert move.allowed


def test_same_stage_is_refused(process: Process) -> None:
    move = judge(incident(stage="notify"), process, "notify", "again")
    assert move.problems == ("the incident is already in 'notify'",)


def test_unknown_target_is_refused(process: Process) -> None:
    move = judge(incident(), process, "triage", None)
    assert not move.allowed
    assert "unknown stage 'triage'" in move.problems[0]


def test_unknown_current_stage_is_refused(process: Process) -> None:
    move = judge(incident(stage="triage"), process, None, None)
    assert move.problems == ("unknown current stage 'triage'",)
    assert not move.allowed
