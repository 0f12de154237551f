"""Cross-record rules that the corpus does not reach: the process file, catalog ids, id folding, time limits."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

from mimctl import rules
from mimctl.findings import Finding
from mimctl.model import Process
from mimctl.store import Tracker
from mimctl.validate import validate

CORPUS = Path(__file__).parent / "corpus"


def process_findings(tracker_dir: Path, old: str, new: str) -> list[Finding]:
    path = tracker_dir / "process.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    record = Tracker(tracker_dir).read(path, "process")
    assert record.document is not None and record.findings == [], [f.as_text() for f in record.findings]
    return rules.check_process(record, Process.from_data(record.document.data))


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_repository_configuration_is_clean(tracker_dir: Path) -> None:
    report = validate(Tracker(tracker_dir))
    assert report.findings == []
    assert report.files == 2


def test_manager_role_must_be_a_role(tracker_dir: Path) -> None:
    found = process_findings(tracker_dir, "manager_role: incident_manager", "manager_role: commander")
    assert [f.message for f in found] == ["manager_role 'commander' is not a role"]
    assert found[0].line == line_of(tracker_dir / "process.yaml", "manager_role:")


def test_reopen_must_name_stages(tracker_dir: Path) -> None:
    found = process_findings(tracker_dir, "  recover: [investigate, resolve]", "  recover: [investigate, fix]\n  limbo: [close]")
    assert sorted(f.message for f in found) == ["unknown stage 'fix'", "unknown stage 'limbo'"]


def test_stage_ids_must_be_unique(tracker_dir: Path) -> None:
    found = process_findings(tracker_dir, "  - id: complete\n", "  - id: improve\n")
    assert [f.message for f in found] == ["stage ids must be unique"]


def test_severity_escalation_policy_must_exist(tracker_dir: Path) -> None:
    # the first severity on the standard policy is SEV3
    found = process_findings(tracker_dir, "    escalation_policy: standard\n", "    escalation_policy: gentle\n")
    assert [f.message for f in found] == ["unknown escalation policy 'gentle'"]
    assert found[0].field == "severities[2].escalation_policy"


def test_every_matrix_gap_is_reported(tracker_dir: Path) -> None:
    found = process_findings(tracker_dir, "  medium: {high: 2, medium: 3, low: 4}\n", "  medium: {high: 2}\n")
    assert [f.message for f in found] == [
        "priority_matrix has no entry for impact 'medium' x urgency 'medium'",
        "priority_matrix has no entry for impact 'medium' x urgency 'low'",
    ]


def test_broken_process_stops_validation_with_its_findings(tracker_dir: Path) -> None:
    (tracker_dir / "process.yaml").write_text("stages: []\n", encoding="utf-8")
    report = validate(Tracker(tracker_dir))
    assert not report.ok
    assert {f.path for f in report.findings} == {"process.yaml"}
    assert "missing required field 'impacts'" in {f.message for f in report.findings}


def test_duplicate_service_id(tracker_dir: Path) -> None:
    path = tracker_dir / "catalog.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  - id: reporting\n", "  - id: search\n"), encoding="utf-8")
    second = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line == "  - id: search"][1]
    report = validate(Tracker(tracker_dir))
    assert [(f.path, f.line, f.message) for f in report.findings] == [("catalog.yaml", second, "service id 'search' is used twice")]


def test_check_ids_folds_case_and_checks_form() -> None:
    found = rules.check_ids(["incidents/INC-0001", "incidents/Inc-0001", "incidents/INC-12", "incidents/INC-0002"], "incident")
    assert [f.as_text() for f in found] == [
        "incidents/Inc-0001:1:1: folder name 'Inc-0001' is not an incident id (INC- and 4 to 8 digits)",
        "incidents/Inc-0001:1:1: id 'Inc-0001' collides with 'INC-0001' (ids are unique ignoring case)",
        "incidents/INC-12:1:1: folder name 'INC-12' is not an incident id (INC- and 4 to 8 digits)",
    ]


def test_check_ids_of_known_errors_strips_the_suffix() -> None:
    found = rules.check_ids(["kedb/KE-0001.yaml", "kedb/ke-0001.yaml", "kedb/KE-0002.yaml"], "known_error")
    assert [f.message for f in found] == ["id 'ke-0001' collides with 'KE-0001' (ids are unique ignoring case)"]


def test_unicode_digit_folder_is_not_an_incident_id() -> None:
    found = rules.check_ids(["incidents/INC-\u0661\u0662\u0663\u0664"], "incident")
    assert len(found) == 1 and "is not an incident id" in found[0].message


def _demo(tmp: Path) -> Tracker:
    from conftest import make_tracker

    root = make_tracker(tmp / "tracker")
    shutil.copytree(CORPUS / "valid/demo-complete/incidents", root / "incidents", dirs_exist_ok=True)
    return Tracker(root)


def test_future_limit_uses_max_future_minutes(tmp_path: Path) -> None:
    tracker = _demo(tmp_path)
    last_event = datetime(2026, 11, 25, 8, 45, tzinfo=timezone.utc)
    # the last event is 9 minutes ahead of 'now': inside the 10-minute allowance
    assert validate(tracker, now=datetime(2026, 11, 25, 8, 36, tzinfo=timezone.utc)).findings == []
    late = validate(tracker, now=datetime(2026, 11, 25, 8, 34, tzinfo=timezone.utc)).findings
    assert [f.message for f in late] == [f"event time {last_event:%Y-%m-%dT%H:%M:%SZ} is in the future"]
    assert late[0].path.endswith("20261125T084500Z-stage-59220e.yaml")


def test_early_signals_may_predate_detection(tmp_path: Path) -> None:
    tracker = _demo(tmp_path)
    timeline = tracker.root / "incidents/INC-0001/timeline"
    for kind in ("alert", "note", "evidence"):
        (timeline / f"20261115T080000Z-{kind}-0000aa.yaml").write_text(
            f"at: '2026-11-15T08:00:00Z'\nkind: {kind}\ntext: early signal\n", encoding="utf-8"
        )
    assert validate(tracker, now=datetime(2027, 1, 1, tzinfo=timezone.utc)).findings == []
