"""Incident metrics: the numbers a reader would check by hand, from Incident objects and from CLI-made records."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mimctl import metrics
from mimctl.cli import main
from mimctl.metrics import Summary, actions_by_owner, aggregate, incident_metrics, overall, overdue_actions
from mimctl.model import Event, Incident, Process, parse_time
from mimctl.store import Tracker

REPO_ROOT = Path(__file__).resolve().parents[1]
PROCESS: Process = Tracker(REPO_ROOT).process
MIN = 60.0


def ev(at: str, kind: str, **data: Any) -> Event:
    """A timeline event at ``at`` (``HH:MM`` on 2026-03-01 or a full RFC 3339 time)."""
    stamp = at if "T" in at else f"2026-03-01T{at}:00Z"
    return Event(f"{stamp}-{kind}", parse_time(stamp), kind, {"at": stamp, "kind": kind, "by": "pat", **data})


def stage(at: str, source: str, target: str) -> Event:
    return ev(at, "stage", **{"from": source, "to": target})


def inc(
    number: int = 1,
    *events: Event,
    severity: str = "SEV2",
    services: tuple[str, ...] = ("checkout-api",),
    detected: str = "2026-03-01T10:00:00Z",
    pir: dict[str, Any] | None = None,
    **fields: Any,
) -> Incident:
    data = {
        "id": f"INC-{number:04d}",
        "title": "Checkout errors",
        "stage": "identify",
        "severity": severity,
        "services": list(services),
        "detected_at": detected,
        **fields,
    }
    return Incident(data["id"], data, tuple(sorted(events, key=lambda e: e.at)), pir)


def acked_after(number: int, minutes: int, **kwargs: Any) -> Incident:
    return inc(number, ev(f"10:{minutes:02d}", "ack"), **kwargs)


# --- one incident ------------------------------------------------------------------


def test_time_to_acknowledge_is_detection_to_first_ack_event() -> None:
    found = incident_metrics(inc(1, ev("10:05", "ack"), ev("10:09", "ack")), PROCESS)
    assert found.duration("time_to_acknowledge") == 5 * MIN


def test_escalation_acknowledged_at_counts_when_earlier_than_the_ack_event() -> None:
    incident = inc(1, ev("10:07", "ack"), escalation={"acknowledged_at": "2026-03-01T10:03:00Z"})
    assert incident_metrics(incident, PROCESS).duration("time_to_acknowledge") == 3 * MIN
    assert (
        incident_metrics(inc(2, escalation={"acknowledged_at": "2026-03-01T10:04:00Z"}), PROCESS).duration("time_to_acknowledge") == 4 * MIN
    )


def test_roles_and_notifications_are_not_an_acknowledgement() -> None:
    incident = inc(1, ev("10:02", "role", role="incident_manager", person="alex"), ev("10:03", "notification", to=["@sre"]))
    found = incident_metrics(incident, PROCESS).measured("time_to_acknowledge")
    assert found.seconds is None and found.missing == "not reached: acknowledged"


def containment(at: str, action_id: str = "C-0001") -> Event:
    return ev(at, "containment", id=action_id, action="Failover", rollback="Fail back")


def effective(at: str, action_id: str = "C-0001", state: str = "effective") -> Event:
    return ev(at, "containment-update", action_id=action_id, state=state)


def test_time_to_mitigate_is_to_the_first_action_recorded_effective_not_to_the_first_action() -> None:
    incident = inc(
        1,
        stage("10:10", "notify", "contain"),
        containment("10:20"),
        containment("10:25", "C-0002"),
        effective("10:30", "C-0001", "ineffective"),
        effective("10:45", "C-0002"),
        stage("10:50", "contain", "investigate"),
    )
    assert incident_metrics(incident, PROCESS).duration("time_to_mitigate") == 45 * MIN


def test_without_effective_containment_mitigated_is_service_restored_never_leaving_contain() -> None:
    restored = {"resolution": {"service_restored_at": "2026-03-01T11:10:00Z"}}
    nothing_to_contain = inc(
        1, stage("10:10", "notify", "contain"), stage("10:30", "contain", "investigate"), containment_not_possible="Upstream outage"
    )
    assert incident_metrics(nothing_to_contain, PROCESS).duration("time_to_mitigate") is None
    assert (
        incident_metrics(replace(nothing_to_contain, data={**nothing_to_contain.data, **restored}), PROCESS).duration("time_to_mitigate")
        == 70 * MIN
    )
    # Service restored before any containment took effect: mitigated then.
    early = inc(2, containment("10:20"), effective("11:30"), **restored)
    assert incident_metrics(early, PROCESS).duration("time_to_mitigate") == 70 * MIN


def test_time_to_resolve_is_to_service_restored_not_to_the_fix() -> None:
    fixed_only = inc(1, resolution={"implemented_at": "2026-03-01T11:00:00Z"})
    assert incident_metrics(fixed_only, PROCESS).duration("time_to_resolve") is None
    restored = inc(2, resolution={"implemented_at": "2026-03-02T09:00:00Z", "service_restored_at": "2026-03-01T10:40:00Z"})
    assert incident_metrics(restored, PROCESS).duration("time_to_resolve") == 40 * MIN


def test_resolved_falls_back_to_stable_since_then_recovery_then_entering_recover() -> None:
    stable = inc(1, stage("12:30", "resolve", "recover"), resolution={"stable_since": "2026-03-01T11:00:00Z"})
    assert incident_metrics(stable, PROCESS).duration("time_to_resolve") == 60 * MIN
    everything = inc(2, recovery={"restored_at": "2026-03-01T11:30:00Z"})
    assert incident_metrics(everything, PROCESS).duration("time_to_resolve") == 90 * MIN
    assert incident_metrics(inc(3, stage("12:30", "resolve", "recover")), PROCESS).duration("time_to_resolve") == 150 * MIN
    assert incident_metrics(inc(4), PROCESS).duration("time_to_resolve") is None


def test_an_explicit_service_restored_wins_over_stable_since() -> None:
    incident = inc(1, resolution={"stable_since": "2026-03-01T10:30:00Z", "service_restored_at": "2026-03-01T10:45:00Z"})
    found = incident_metrics(incident, PROCESS).timeline.reached["resolved"]
    assert (found.at, found.source) == (parse_time("2026-03-01T10:45:00Z"), "resolution.service_restored_at")


def test_a_reopen_after_service_was_restored_means_it_was_not_resolved_then() -> None:
    incident = inc(
        1,
        stage("10:20", "resolve", "recover"),
        stage("10:40", "recover", "investigate"),  # the fix did not hold
        stage("11:20", "investigate", "recover"),
    )
    assert incident_metrics(incident, PROCESS).duration("time_to_resolve") == 80 * MIN
    reopened = inc(2, stage("10:20", "resolve", "recover"), stage("10:40", "recover", "investigate"))
    assert incident_metrics(reopened, PROCESS).duration("time_to_resolve") is None


def test_time_to_recover_and_impact_duration() -> None:
    incident = inc(
        1,
        started_at="2026-03-01T09:50:00Z",
        resolution={"service_restored_at": "2026-03-01T10:30:00Z"},
        recovery={"restored_at": "2026-03-01T12:00:00Z"},
    )
    found = incident_metrics(incident, PROCESS)
    assert found.duration("time_to_detect") == 10 * MIN
    assert found.duration("time_to_recover") == 120 * MIN
    assert found.duration("impact_duration") == 40 * MIN


def test_detection_before_impact_is_a_time_to_detect_of_zero() -> None:
    early_warning = inc(1, started_at="2026-03-01T10:30:00Z", resolution={"service_restored_at": "2026-03-01T11:00:00Z"})
    found = incident_metrics(early_warning, PROCESS)
    assert found.duration("time_to_detect") == 0.0
    assert found.duration("impact_duration") == 30 * MIN


def test_times_before_detection_count_as_zero() -> None:
    assert incident_metrics(inc(1, ev("09:55", "ack")), PROCESS).duration("time_to_acknowledge") == 0.0


def test_an_unknown_detection_time_is_never_measured_from() -> None:
    incident = inc(1, ev("10:05", "ack"), times={"detected_at": "unknown"}, started_at="2026-03-01T09:00:00Z")
    found = incident_metrics(incident, PROCESS)
    assert found.duration("time_to_acknowledge") is None
    assert found.measured("time_to_acknowledge").missing == "time unknown: detected"
    assert found.measured("time_to_acknowledge").unknown
    assert found.duration("time_to_detect") is None
    group = overall([incident, inc(2, ev("10:10", "ack"))], PROCESS)
    assert group.duration("time_to_acknowledge") == Summary(1, 10 * MIN, 10 * MIN, approximate=0, unknown=1)


def test_a_time_known_to_the_day_makes_an_approximate_figure_with_bounds() -> None:
    incident = inc(1, recovery={"restored_at": "2026-03-03T00:00:00Z"}, times={"recovery": {"restored_at": "day"}})
    found = incident_metrics(incident, PROCESS).measured("time_to_recover")
    assert found.approximate and found.seconds == (2 * 24 * 60 - 10 * 60) * MIN
    assert (found.low, found.high) == ((2 * 24 * 60 - 10 * 60) * MIN, (3 * 24 * 60 - 10 * 60) * MIN - 1)
    assert overall([incident], PROCESS).duration("time_to_recover").approximate == 1


def test_about_and_margins_are_approximate() -> None:
    about = inc(1, ev("10:05", "ack", times={"at": {"precision": "minute", "approximate": True}}))
    found = incident_metrics(about, PROCESS).measured("time_to_acknowledge")
    assert found.approximate and found.seconds == 5 * MIN and found.low is None
    margin = inc(2, ev("10:05", "ack", times={"at": {"precision": "minute", "margin_minutes": 2}}))
    found = incident_metrics(margin, PROCESS).measured("time_to_acknowledge")
    assert (found.approximate, found.low, found.high) == (True, 3 * MIN, 7 * MIN + 59)


def test_a_time_known_to_the_minute_is_not_approximate() -> None:
    incident = inc(1, ev("10:05", "ack", times={"at": "minute"}))
    assert not incident_metrics(incident, PROCESS).measured("time_to_acknowledge").approximate


def test_time_in_stage_sums_revisits_and_leaves_out_the_current_visit() -> None:
    incident = inc(
        1,
        ev("10:01", "declared"),
        stage("10:06", "identify", "notify"),
        stage("10:10", "notify", "contain"),
        stage("10:30", "contain", "investigate"),
        stage("10:40", "investigate", "contain"),  # reopened
        stage("10:50", "contain", "investigate"),  # still investigating: not counted
    )
    spent = dict(incident_metrics(incident, PROCESS).time_in_stage)
    assert spent == {"identify": 5 * MIN, "notify": 4 * MIN, "contain": 30 * MIN, "investigate": 10 * MIN}
    assert list(spent) == ["identify", "notify", "contain", "investigate"]  # process order


def test_month_is_the_utc_month_of_detection() -> None:
    assert incident_metrics(inc(1, detected="2026-02-01T00:30:00+02:00"), PROCESS).month == "2026-01"


def test_durations_follow_process_yaml() -> None:
    custom = replace(
        PROCESS,
        milestones=(
            {"id": "detected", "title": "Detected", "from": [{"field": "detected_at"}]},
            {"id": "paged", "title": "Paged", "from": [{"event": "notification", "with": {"channel": "pager"}}]},
        ),
        durations=({"id": "time_to_page", "title": "Time to page", "from": "detected", "to": "paged"},),
    )
    incident = inc(1, ev("10:03", "notification", to=["@sre"], channel="email"), ev("10:07", "notification", to=["@sre"], channel="pager"))
    found = incident_metrics(incident, custom)
    assert list(found.timeline.durations) == ["time_to_page"]
    assert found.duration("time_to_page") == 7 * MIN


# --- aggregation -------------------------------------------------------------------


def test_means_and_medians_by_severity_in_process_order() -> None:
    incidents = [
        acked_after(1, 1, severity="SEV2"),
        acked_after(2, 2, severity="SEV2"),
        acked_after(3, 10, severity="SEV2"),
        acked_after(4, 5, severity="SEV1"),
        acked_after(5, 15, severity="SEV1"),
        inc(6, severity="SEV1"),  # not acknowledged: counted as an incident, not in MTTA
        acked_after(7, 1, severity="SEV9"),  # unknown to process.yaml: listed last
    ]
    groups = aggregate(incidents, PROCESS, "severity")
    assert [g.key for g in groups] == ["SEV1", "SEV2", "SEV9"]
    sev1, sev2, _ = groups
    assert sev1.incidents == 3
    assert sev1.duration("time_to_acknowledge") == Summary(2, 10 * MIN, 10 * MIN)
    assert sev2.duration("time_to_acknowledge").mean == pytest.approx(13 / 3 * MIN)
    assert sev2.duration("time_to_acknowledge").median == 2 * MIN
    assert overall(incidents, PROCESS).incidents == 7


def test_an_incident_counts_once_for_each_of_its_services() -> None:
    incidents = [
        acked_after(1, 4, services=("checkout-api", "payments-gateway", "checkout-api")),
        acked_after(2, 8, services=("payments-gateway",)),
    ]
    groups = {g.key: g for g in aggregate(incidents, PROCESS, "service")}
    assert list(groups) == ["checkout-api", "payments-gateway"]
    assert groups["checkout-api"].incidents == 1
    assert groups["payments-gateway"].incidents == 2
    assert groups["payments-gateway"].duration("time_to_acknowledge").mean == 6 * MIN


def test_month_buckets_are_sorted() -> None:
    incidents = [
        acked_after(1, 5, detected="2026-02-10T10:00:00Z"),
        acked_after(2, 5, detected="2026-01-31T23:30:00Z"),
        acked_after(3, 5, detected="2026-02-28T10:00:00Z"),
    ]
    assert [(g.key, g.incidents) for g in aggregate(incidents, PROCESS, "month")] == [("2026-01", 1), ("2026-02", 2)]


def test_mean_time_in_each_stage_covers_every_stage_but_the_final_one() -> None:
    incidents = [inc(1, stage("10:10", "identify", "notify")), inc(2, stage("10:20", "identify", "notify"))]
    group = overall(incidents, PROCESS)
    assert [s for s, _ in group.time_in_stage] == [s.id for s in PROCESS.stages if not s.final]
    assert group.stage("identify") == Summary(2, 15 * MIN, 15 * MIN)
    assert group.stage("notify") == Summary(0, None, None)


def test_unknown_dimension_is_refused() -> None:
    with pytest.raises(ValueError, match="severity, service, month"):
        aggregate([], PROCESS, "team")  # type: ignore[arg-type]


def test_no_incidents_gives_no_groups_and_empty_summaries() -> None:
    assert aggregate([], PROCESS, "severity") == ()
    assert overall([], PROCESS).duration("time_to_resolve") == Summary(0, None, None)


# --- action items ----------------------------------------------------------------------


def _pir(*actions: tuple[str, str, str, str]) -> dict[str, Any]:
    return {
        "actions": [{"id": i, "title": f"Action {i}", "owner": owner, "due": due, "status": status} for i, owner, due, status in actions]
    }


ACTIONS = [
    inc(
        1,
        pir=_pir(
            ("A1", "sam", "2026-03-01", "open"),
            ("A2", "sam", "2026-02-01", "done"),
            ("A3", "@sre", "2026-03-10", "in-progress"),
            ("A4", "sam", "2026-02-01", "dropped"),
        ),
    ),
    inc(2, pir=_pir(("A1", "@sre", "2026-02-15", "open"), ("A2", "alex", "2026-03-20", "open"))),
    inc(3),
]


def test_overdue_actions_are_unsettled_and_due_before_today_oldest_first() -> None:
    late = overdue_actions(ACTIONS, date(2026, 3, 10))
    assert [(a.incident_id, a.id) for a in late] == [("INC-0002", "A1"), ("INC-0001", "A1")]  # due today is not late
    assert late[0].due == date(2026, 2, 15)


def test_actions_by_owner() -> None:
    owners = actions_by_owner(ACTIONS)
    assert list(owners) == ["@sre", "alex", "sam"]
    assert [(a.incident_id, a.id) for a in owners["sam"]] == [("INC-0001", "A1"), ("INC-0001", "A2"), ("INC-0001", "A4")]


# --- from real records -----------------------------------------------------------------


def test_metrics_of_an_incident_recorded_with_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "tracker"
    (root / "incidents").mkdir(parents=True)
    for name in ("process.yaml", "catalog.yaml"):
        shutil.copyfile(REPO_ROOT / name, root / name)
    shutil.copytree(REPO_ROOT / "schemas", root / "schemas")
    monkeypatch.setenv("MIMCTL_USER", "tester")

    def run(*args: str, at: str) -> None:
        result = CliRunner().invoke(main, [*args, "--repo", str(root), "--no-commit", "--at", f"2026-03-01T{at}:00Z"])
        assert result.exit_code == 0, result.output

    i = "INC-0001"
    run(
        "new",
        "--title",
        "Checkout errors",
        "--service",
        "checkout-api",
        "--impact",
        "high",
        "--urgency",
        "high",
        "--severity",
        "SEV1",
        "--source",
        "alert",
        at="10:00",
    )
    run("ack", i, at="10:05")
    run("confirm", i, "--scope", "All card payments fail", at="10:02")
    run(
        "classify",
        i,
        "--impact",
        "high",
        "--urgency",
        "high",
        "--reason",
        "Customers cannot pay",
        "--users",
        "100",
        "--segment",
        "Card payers",
        "--summary",
        "Card payments fail.",
        at="10:03",
    )
    run("advance", i, at="10:04")
    run("containment", "add", i, "--action", "Failover", "--rollback", "Fail back", at="10:20")
    incident = Tracker(root).load_bundle(i).model
    assert incident is not None
    action = incident.containment()[0].id
    run("containment", "set", i, action, "effective", at="10:25")
    run("resolution", i, "--implemented", "CHG-1", "--summary", "Fixed", at="11:00")
    run("resolution", i, "--stable", at="11:20")

    incident = Tracker(root).load_bundle(i).model
    assert incident is not None
    found = metrics.incident_metrics(incident, PROCESS)
    durations = [found.duration(n) for n in ("time_to_acknowledge", "time_to_mitigate", "time_to_resolve")]
    assert durations == [5 * MIN, 25 * MIN, 80 * MIN]
    assert dict(found.time_in_stage) == {"identify": 4 * MIN}
    assert (found.severity, found.services, found.month) == ("SEV1", ("checkout-api",), "2026-03")


def test_an_unknown_fact_keeps_its_milestone_unknown_rather_than_falling_back() -> None:
    # Mitigation took effect at a time the source does not give: mitigated is unknown, not "when service came back".
    incident = inc(
        1, containment("10:20"), effective("10:20", state="effective"), resolution={"service_restored_at": "2026-03-01T11:00:00Z"}
    )
    unknown_effect = replace(
        incident,
        events=tuple(
            replace(e, data={**e.data, "times": {"at": "unknown"}}) if e.kind == "containment-update" else e for e in incident.events
        ),
    )
    found = incident_metrics(unknown_effect, PROCESS)
    assert found.timeline.reached["mitigated"].at is None
    assert found.measured("time_to_mitigate").unknown
    assert found.duration("time_to_resolve") == 60 * MIN


def test_retrospective_incidents_have_no_time_in_stage() -> None:
    incident = inc(1, ev("10:01", "declared"), stage("10:06", "identify", "notify"), retrospective={"reason": "From a postmortem"})
    assert incident_metrics(incident, PROCESS).time_in_stage == ()
