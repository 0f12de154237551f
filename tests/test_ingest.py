"""Alert ingestion: recorded Alertmanager payloads open one incident per group, repeats add to it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gitutil import (
    GIT_ENV,
    REPO_ROOT,
    _cwd,
    assert_unchanged,
    commit_all,
    commit_count,
    make_tracker,
    ok,
    run,
    snapshot,
    t,
    timeline_files,
    tracker_with_kedb,
    trailers,
)
from mimctl.alert_payloads import PayloadError, clean_line, parse_alertmanager, parse_generic, read_json
from mimctl.cli import main
from mimctl.yamlio import load_file

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "alertmanager"
GROUP_KEY = '{}/{severity=~"critical|page"}:{alertname="ConsumerLagHigh"}'


def payload(name: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8")))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return tracker_with_kedb(tmp_path / "repo")


def ingest(repo: Path, source: str | Path, kind: str = "alertmanager", at: str = t(60)) -> Any:
    result = ok(["ingest", kind, str(source), "--at", at, "--format", "json"], repo)
    return result.json()


def incident(repo: Path, incident_id: str = "INC-0001") -> dict[str, Any]:
    return dict(load_file(repo / "incidents" / incident_id / "incident.yaml").data)


def events(repo: Path, incident_id: str = "INC-0001", kind: str | None = None) -> list[dict[str, Any]]:
    folder = repo / "incidents" / incident_id / "timeline"
    found = [load_file(folder / name).data for name in timeline_files(repo, incident_id)]
    return [e for e in found if kind is None or e["kind"] == kind]


def write(tmp_path: Path, data: Any, name: str = "payload.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def assert_valid(repo: Path) -> None:
    result = run(["validate"], repo)
    assert result.exit_code == 0, result


# --- opening, repeating, resolving -------------------------------------------------


def test_firing_group_opens_one_incident_in_identify(repo: Path) -> None:
    before = commit_count(repo)
    out = ingest(repo, FIXTURES / "firing.json")
    assert out["action"] == "opened" and out["opened"] == ["INC-0001"] and out["updated"] == []
    data = incident(repo)
    assert data["stage"] == "identify"
    assert data["services"] == ["message-queue"]  # service=kafka, through alerts.service_map
    assert (data["severity"], data["impact"], data["urgency"], data["priority"]) == ("SEV1", "high", "high", 1)
    assert data["title"] == "ConsumerLagHigh: Consumer lag for search-indexer above 50000 messages"
    assert data["detection"]["source"] == "alert"
    assert data["detection"]["alert"]["group_key"] == GROUP_KEY
    assert data["detected_at"] == "2025-03-10T07:52:30Z"
    alerts = events(repo, kind="alert")
    assert [a["alert"]["fingerprint"] for a in alerts] == ["8f2e41c7a9d03b56"]
    assert alerts[0]["alert"]["labels"]["consumer_group"] == "search-indexer"
    assert commit_count(repo) == before + 1
    assert trailers(repo)["Incident"] == "INC-0001"
    assert_valid(repo)


def test_known_errors_are_suggested_when_an_incident_opens(repo: Path) -> None:
    out = ingest(repo, FIXTURES / "firing.json")
    assert out["suggestions"][0] == "KE-0003"
    notes = events(repo, kind="note")
    assert len(notes) == 1 and notes[0]["text"].startswith("Possible known errors: KE-0003")


def test_repeat_of_the_group_adds_to_the_same_incident(repo: Path) -> None:
    ingest(repo, FIXTURES / "firing.json")
    out = ingest(repo, FIXTURES / "repeat.json", at=t(70))
    assert out["action"] == "updated" and out["updated"] == ["INC-0001"] and out["opened"] == []
    assert sorted(p.name for p in (repo / "incidents").iterdir()) == ["INC-0001"]
    fingerprints = [e["alert"]["fingerprint"] for e in events(repo, kind="alert")]
    assert fingerprints == ["8f2e41c7a9d03b56", "c41d0e9b77a2f318"]
    assert len(events(repo, kind="note")) == 1  # KE-0003 is not suggested twice
    assert_valid(repo)


def test_the_same_notification_twice_changes_nothing(repo: Path) -> None:
    ingest(repo, FIXTURES / "repeat.json")
    before = snapshot(repo)
    out = ingest(repo, FIXTURES / "repeat.json", at=t(90))
    assert out["action"] == "unchanged" and out["incident"] == "INC-0001" and out["commit"] is None
    assert_unchanged(before, snapshot(repo))


def test_a_known_fingerprint_under_another_group_key_goes_to_its_incident(repo: Path, tmp_path: Path) -> None:
    ingest(repo, FIXTURES / "firing.json")
    moved = payload("resolved")
    moved["groupKey"] = '{}:{alertname="ConsumerLagHigh"}'  # the route changed, the alerts did not
    out = ingest(repo, write(tmp_path, moved), at=t(95))
    assert out["action"] == "updated" and out["incident"] == "INC-0001"
    assert len(list((repo / "incidents").iterdir())) == 1


def test_resolved_alerts_are_recorded_and_change_no_stage(repo: Path) -> None:
    ingest(repo, FIXTURES / "firing.json")
    ingest(repo, FIXTURES / "repeat.json", at=t(70))
    stage_before = incident(repo)["stage"]
    out = ingest(repo, FIXTURES / "resolved.json", at=t(100))
    assert out["action"] == "updated" and out["events"] == 2
    data = incident(repo)
    assert data["stage"] == stage_before == "identify"
    assert "completed_at" not in data
    resolved = [e for e in events(repo, kind="alert") if e["alert"]["status"] == "resolved"]
    assert sorted(e["at"] for e in resolved) == ["2025-03-10T08:39:00Z", "2025-03-10T08:41:30Z"]
    assert events(repo, kind="stage") == []
    assert_valid(repo)


def test_resolved_notification_for_an_unknown_group_opens_nothing(repo: Path) -> None:
    before = snapshot(repo)
    out = ingest(repo, FIXTURES / "resolved.json")
    assert out["action"] == "ignored" and out["incident"] is None
    assert_unchanged(before, snapshot(repo))


def test_unknown_labels_map_to_the_defaults(repo: Path, tmp_path: Path) -> None:
    strange = payload("firing")
    strange["groupKey"] = '{}:{alertname="DiskFull"}'
    alert = strange["alerts"][0]
    alert["labels"] = {"alertname": "DiskFull", "service": "billing-batch", "severity": "whatever"}
    alert["annotations"] = {}
    alert["fingerprint"] = "0123456789abcdef"
    strange["commonAnnotations"] = {}
    ingest(repo, write(tmp_path, strange))
    data = incident(repo)
    assert data["services"] == ["web-shop"]  # alerts.default_service
    assert (data["severity"], data["impact"], data["urgency"]) == ("SEV3", "medium", "medium")
    assert data["title"] == "DiskFull"
    assert_valid(repo)


def test_a_repeat_after_the_incident_completed_opens_a_related_one(repo: Path) -> None:
    ingest(repo, FIXTURES / "firing.json")
    path = repo / "incidents" / "INC-0001" / "incident.yaml"
    text = path.read_text(encoding="utf-8").replace("stage: identify", "stage: complete")
    path.write_text(text, encoding="utf-8")  # by hand, as if every stage were done
    commit_all(repo, "complete")
    out = ingest(repo, FIXTURES / "repeat.json", at=t(70))
    assert out["action"] == "opened" and out["incident"] == "INC-0002"
    assert incident(repo, "INC-0002")["related_incidents"] == ["INC-0001"]


# --- the generic shape and stdin ---------------------------------------------------------


def test_generic_payload_from_stdin(repo: Path) -> None:
    body = {
        "group_key": "grafana/checkout-5xx",
        "source": "grafana",
        "summary": "Checkout 5xx above 5%",
        "alerts": [
            {
                "name": "CheckoutErrorRate",
                "labels": {"service": "checkout", "severity": "critical"},
                "starts_at": t(-5),
                "description": "HTTP 502 from payments-gateway",
            }
        ],
    }
    runner = CliRunner(env=GIT_ENV)
    with _cwd(repo):
        result = runner.invoke(main, ["ingest", "generic", "-", "--at", t(0), "--format", "json"], input=json.dumps(body))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["opened"] == ["INC-0001"]
    data = incident(repo)
    assert data["services"] == ["checkout-api"] and data["severity"] == "SEV1"
    assert data["detection"]["reported_by"] == "grafana"
    assert_valid(repo)


def test_parse_generic_defaults() -> None:
    group = parse_generic({"group_key": "k", "alerts": [{"name": "X"}]})
    assert group.status == "firing" and group.alerts[0].status == "firing" and len(group.alerts[0].fingerprint) == 16


# --- untrusted payloads ---------------------------------------------------------------------


def test_script_in_names_is_stripped_and_the_record_stays_valid(repo: Path, tmp_path: Path) -> None:
    hostile = payload("firing")
    hostile["groupKey"] = "evil\u0000group"
    alert = hostile["alerts"][0]
    alert["labels"]["alertname"] = "<script>alert(1)</script>Lag\u2028High&"
    alert["labels"]["note"] = "line\none\u0007"
    alert["annotations"] = {"summary": "<img src=x onerror=alert(1)>" + "x" * 500, "description": "bad\u0000text\u2029"}
    alert["generatorURL"] = "javascript:alert(1)"
    hostile["commonAnnotations"] = {}
    ingest(repo, write(tmp_path, hostile))
    data = incident(repo)
    for char in "<>&\u2028\u0000":
        assert char not in data["title"]
    assert len(data["title"]) <= 200
    event = events(repo, kind="alert")[0]
    assert "url" not in event and event["alert"]["labels"]["note"] == "line one"
    assert_valid(repo)


HOSTILE: list[tuple[str, Any, str]] = [
    ("missing-group-key", {k: v for k, v in payload("firing").items() if k != "groupKey"}, "groupKey: missing"),
    ("group-key-number", {**payload("firing"), "groupKey": 42}, "groupKey: expected a string, got a number"),
    (
        "labels-array",
        {**payload("firing"), "alerts": [{**payload("firing")["alerts"][0], "labels": ["a"]}]},
        "alerts[0].labels: expected an object, got an array",
    ),
    (
        "label-value-number",
        {**payload("firing"), "alerts": [{**payload("firing")["alerts"][0], "labels": {"alertname": 7}}]},
        "alerts[0].labels.alertname: expected a string",
    ),
    (
        "no-alertname",
        {**payload("firing"), "alerts": [{**payload("firing")["alerts"][0], "labels": {}}]},
        "alerts[0].labels.alertname: missing",
    ),
    ("alerts-object", {**payload("firing"), "alerts": {}}, "alerts: expected an array, got an object"),
    ("alerts-empty", {**payload("firing"), "alerts": []}, "alerts: empty"),
    ("bad-status", {**payload("firing"), "status": "exploded"}, "status: expected 'firing' or 'resolved'"),
    (
        "bad-time",
        {**payload("firing"), "alerts": [{**payload("firing")["alerts"][0], "startsAt": "yesterday"}]},
        "alerts[0].startsAt: expected an RFC 3339 time",
    ),
    ("version-3", {**payload("firing"), "version": "3"}, "version: expected '4'"),
    ("not-an-object", [1, 2, 3], "payload: expected an object, got an array"),
]


@pytest.mark.parametrize(("name", "body", "message"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_malformed_payload_is_refused_naming_the_field(repo: Path, tmp_path: Path, name: str, body: Any, message: str) -> None:
    before = snapshot(repo)
    path = write(tmp_path, body)
    result = run(["ingest", "alertmanager", str(path), "--at", t(60)], repo)
    assert result.exit_code == 1 and not result.crashed, result
    assert message in result.stderr and "Traceback" not in result.output, result
    assert_unchanged(before, snapshot(repo))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x" * (10 * 1024 * 1024), "larger than the limit"),
        ("{not json", "not valid JSON"),
        ("[" * 100_000, "not valid JSON"),
        ("\udcff", "not valid JSON"),
    ],
    ids=["10MB", "syntax", "deep-nesting", "bad-utf8"],
)
def test_oversized_or_broken_json_is_refused(repo: Path, tmp_path: Path, text: str, message: str) -> None:
    before = snapshot(repo)
    path = tmp_path / "payload.json"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    result = run(["ingest", "alertmanager", str(path)], repo)
    assert result.exit_code == 1 and not result.crashed, result
    assert message in result.stderr and "Traceback" not in result.output, result
    assert_unchanged(before, snapshot(repo))


def test_missing_file_is_a_clear_error(repo: Path) -> None:
    result = run(["ingest", "alertmanager", "no-such.json"], repo)
    assert result.exit_code == 1 and "cannot read no-such.json" in result.stderr, result


def test_read_json_limits_and_parser_units() -> None:
    with pytest.raises(PayloadError, match="larger than the limit"):
        read_json(b"0" * (2 * 1024 * 1024))
    group = parse_alertmanager(payload("repeat"))
    assert group.group_key == GROUP_KEY and [a.name for a in group.alerts] == ["ConsumerLagHigh"] * 2
    assert group.alerts[0].ends_at is None  # 0001-01-01 means "still firing"
    assert clean_line("a<b>&c\x00\n d" + "x" * 300) == ("abc d" + "x" * 300)[:200]


def test_alerts_config_references_are_checked(tmp_path: Path) -> None:
    from mimctl import rules
    from mimctl.store import Tracker

    root = make_tracker(tmp_path / "cfg")
    tracker = Tracker(root)
    record = tracker.read(root / "process.yaml", "process")
    assert record.ok and rules.check_alerts(record, tracker.process, tracker.catalog) == []
    text = (root / "process.yaml").read_text(encoding="utf-8")
    for old, new in (
        ("kafka: message-queue", "kafka: no-such-service"),
        ("default_severity: SEV3", "default_severity: SEV9"),
        ("SEV4: {impact: low, urgency: low}", "SEV4: {impact: huge, urgency: low}"),
    ):
        text = text.replace(old, new)
    (root / "process.yaml").write_text(text, encoding="utf-8")
    record = Tracker(root).read(root / "process.yaml", "process")
    messages = [f.message for f in rules.check_alerts(record, tracker.process, tracker.catalog)]
    assert messages == [
        "service 'no-such-service' is not in the service catalog",
        "unknown severity 'SEV9'; severities: SEV1, SEV2, SEV3, SEV4",
        "unknown impact 'huge'; allowed: high, medium, low",
    ]


def test_two_ingests_of_one_group_at_once_open_one_incident(repo: Path) -> None:
    # Two deliveries of the same alert group race (a retrying Alertmanager, two receivers):
    # the lookup of the group's incident and the write happen under one lock, so the second
    # one finds the incident the first opened.
    import os
    import subprocess
    import sys

    from gitutil import GIT_ENV, git

    env = {**os.environ, **GIT_ENV, "MIMCTL_USER": "alertmanager"}
    command = [sys.executable, "-m", "mimctl", "ingest", "alertmanager", str(FIXTURES / "firing.json"), "--at", t(60)]
    runs = [subprocess.Popen(command, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outputs = [run.communicate(timeout=120) for run in runs]

    assert [run.returncode for run in runs] == [0, 0], outputs
    assert sorted(p.name for p in (repo / "incidents").iterdir()) == ["INC-0001"], outputs
    assert len(events(repo, kind="declared")) == 1, outputs
    declarations = [line for line in git("log", "--format=%s", cwd=repo).splitlines() if "declare" in line]
    assert len(declarations) == 1, declarations
    assert_valid(repo)


# --- finding the incident of a group: through the store, reading only what mentions it ----------------


def _generic(group_key: str, fingerprint: str, at: str = t(-5)) -> dict[str, Any]:
    return {
        "group_key": group_key,
        "source": "grafana",
        "alerts": [{"name": "CheckoutErrorRate", "fingerprint": fingerprint, "labels": {"service": "checkout"}, "starts_at": at}],
    }


@pytest.mark.parametrize(
    "group_key",
    [
        'it\'s "quoted" and: colons # hash',  # quoted by YAML, both kinds of quote
        "ünïcödé/ключ/キー:" + "x" * 5,  # escaped or kept as written
        " ".join(["long-label=value"] * 20),  # longer than a line: YAML folds it
        "- leading dash, {flow}: [brackets], & *star !tag %pct @at `tick`",
    ],
    ids=["quotes", "unicode", "folded", "indicators"],
)
def test_a_repeat_finds_its_incident_whatever_yaml_does_to_the_group_key(repo: Path, tmp_path: Path, group_key: str) -> None:
    ingest(repo, write(tmp_path, _generic(group_key, "fp-1")), "generic", at=t(0))
    out = ingest(repo, write(tmp_path, _generic(group_key, "fp-2"), "again.json"), "generic", at=t(10))
    assert out["action"] == "updated" and out["incident"] == "INC-0001", out
    assert sorted(p.name for p in (repo / "incidents").iterdir()) == ["INC-0001"]


def test_only_the_records_that_mention_the_group_are_loaded(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mimctl.store import Tracker

    for number in range(6):
        ingest(repo, write(tmp_path, _generic(f"other/{number}", f"fp-other-{number}")), "generic", at=t(number))
    ingest(repo, write(tmp_path, _generic("ours/checkout", "fp-ours")), "generic", at=t(7))
    loaded: list[str] = []
    real = Tracker.read

    def read(self: Tracker, path: Path, kind: str, source: Any = None) -> Any:
        loaded.append(self.rel(path))
        return real(self, path, kind, source)

    monkeypatch.setattr(Tracker, "read", read)
    from mimctl import ingest as planner
    from mimctl.alert_payloads import parse_generic

    tracker = Tracker(repo)
    tracker.process  # noqa: B018 - process.yaml is read once, before
    found = planner.find_incident(tracker, parse_generic(_generic("ours/checkout", "fp-new")))
    assert found == "INC-0007"
    assert loaded[0] == "process.yaml" and loaded[1:] and all(path.startswith("incidents/INC-0007/") for path in loaded[1:]), loaded
