"""An incident through all nine stages by CLI commands alone, in a real git repository.

Asserts what a responder or reviewer would check: one commit per step with
Incident:/Stage: trailers, the recorded event times, what `show` and `list`
report, and that refused commands explain themselves and change nothing.
"""

from __future__ import annotations

from pathlib import Path

import click
import pytest
import yaml

from gitutil import (
    DECLARE,
    assert_unchanged,
    commit_count,
    commit_files,
    copy_repo,
    declare,
    git,
    head,
    incident_path,
    make_tracker,
    ok,
    ok_json,
    ready_to_leave_identify,
    run,
    snapshot,
    t,
    timeline_files,
    trailers,
)
from mimctl.cli import COMMANDS, main

INC = "INC-0001"
STAGES = ["identify", "notify", "contain", "investigate", "resolve", "recover", "close", "review", "improve", "complete"]

# (arguments, minute of --at or None for commands without an event). {C}/{H} are filled from earlier output.
SCRIPT: list[tuple[list[str], int | None]] = [
    (["confirm", INC, "--scope", "All card payments fail with HTTP 502", "--by", "pat"], 2),
    (
        [
            "classify",
            INC,
            "--impact",
            "high",
            "--urgency",
            "high",
            "--reason",
            "Customers cannot pay",
            "--users",
            "48000",
            "--segment",
            "All paying customers",
            "--summary",
            "Checkout returns errors for card payments.",
        ],
        3,
    ),
    (["advance", INC], 4),
    (["assign", INC, "incident_manager", "alex"], 5),
    (["notified", INC, "--to", "@payments", "--to", "@sre", "--channel", "pager", "--mirt"], 6),
    (["bridge", INC, "https://meet.example.com/inc-0001"], 7),
    (["update", INC, "--public", "--status", "investigating", "Some card payments are failing."], 8),
    (["advance", INC], 9),
    (
        [
            "containment",
            "add",
            INC,
            "--action",
            "Routed card traffic to the secondary gateway",
            "--rollback",
            "Route card traffic back to the primary gateway",
        ],
        15,
    ),
    (["advance", INC], 20),
    (["hypothesis", "add", INC, "TLS certificate on the primary gateway expired"], 25),
    (["hypothesis", "set", INC, "{H}", "confirmed", "--evidence", "Handshake errors in gateway logs"], 32),
    (["cause", INC, "--confirmed", "The gateway's TLS certificate expired"], 33),
    (["plan", INC, "Renew the certificate, switch traffic back"], 34),
    (["advance", INC], 35),
    (["resolution", INC, "--implemented", "CHG-2041", "--summary", "Certificate renewed", "--validated-in", "staging"], 50),
    (["resolution", INC, "--stable"], 80),
    (["resolution", INC, "--confirmed-by", "service-desk"], 85),
    (["advance", INC], 86),
    (["containment", "set", INC, "{C}", "rolled-back"], 90),
    (["recovery", INC, "--summary", "Traffic back on the primary gateway", "--restored", "--dependents-validated"], 100),
    (["update", INC, "--public", "--status", "monitoring", "Payments work again."], 105),
    (["advance", INC], 110),
    (["close", INC, "--summary", "Expired certificate replaced", "--problem", "PRB-311"], 180),
    (["update", INC, "--public", "--status", "resolved", "This incident is resolved."], 181),
    (["pir", "schedule", INC, "--when", t(60 * 48), "--attendee", "alex", "--attendee", "pat"], 182),
    (["advance", INC], 183),
    (["pir", "new", INC], 184),
    (["pir", "set", INC, "root_causes", '["Certificate renewal job failed without alerting"]', "--json"], 185),
    (["pir", "set", INC, "no_known_error_reason", "A one-off failure"], 186),
    (["pir", "action", "add", INC, "--title", "Alert on certificate expiry", "--owner", "sam", "--due", "2025-04-01"], 187),
    (["pir", "complete", INC, "--held", t(60 * 48), "--attendee", "alex", "--attendee", "pat"], 60 * 48 + 30),
    (["advance", INC], 60 * 49),
    (["pir", "action", "set", INC, "A1", "done"], 60 * 24 * 9),
    (["advance", INC], 60 * 24 * 10),
]


@pytest.fixture(scope="module")
def declared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tracker with INC-0001 declared (bare) and committed; copy it, do not change it."""
    repo = make_tracker(tmp_path_factory.mktemp("declared") / "tracker")
    assert declare(repo) == INC
    return repo


@pytest.fixture
def repo(declared: Path, tmp_path: Path) -> Path:
    return copy_repo(declared, tmp_path / "tracker")


@pytest.fixture
def ready(repo: Path) -> Path:
    """INC-0001 with everything the identify gate needs, committed."""
    ready_to_leave_identify(repo, INC)
    return repo


def _show(repo: Path) -> dict:
    return ok_json(["show", INC], repo)


def test_declare_makes_one_commit_with_trailers(tmp_path: Path) -> None:
    repo = make_tracker(tmp_path / "tracker")
    data = ok_json([*DECLARE, "--at", t(0), "--by", "pat"], repo)

    assert data["incident"] == INC and data["changed"] is True
    assert data["commit"] == head(repo)
    assert commit_count(repo) == 2
    assert trailers(repo) == {"Incident": INC, "Stage": "identify", "Event": "declared"}
    names = timeline_files(repo, INC)
    assert len(names) == 1 and names[0].startswith("20250310T080000Z-declared")
    assert commit_files(repo) == sorted([incident_path(INC, "incident.yaml"), incident_path(INC, "timeline", names[0])])
    assert git("status", "--porcelain", cwd=repo) == ""
    assert "checkout-api" in ok(["show", INC], repo).stdout


def test_all_nine_stages_by_cli(repo: Path) -> None:
    ids: dict[str, str] = {}
    stage = "identify"
    advances: list[tuple[str, str, str]] = []
    commits = commit_count(repo)
    for args, minute in SCRIPT:
        args = [a.replace("{C}", ids.get("C", "")).replace("{H}", ids.get("H", "")) for a in args]
        if minute is not None:
            args += ["--at", t(minute)]
        before_events = set(timeline_files(repo, INC))
        data = ok_json(args, repo)
        ids.update({k: data[f] for k, f in (("C", "action_id"), ("H", "hypothesis_id")) if f in data})
        if args[0] == "advance":
            new_stage = STAGES[STAGES.index(stage) + 1]
            assert (data["from"], data["to"]) == (stage, new_stage), data
            advances.append((stage, new_stage, t(minute or 0)))
            stage = new_stage

        # one commit per step, holding only this incident's files, with the trailers a reviewer queries
        commits += 1
        assert commit_count(repo) == commits, f"{args}: expected exactly one new commit"
        assert data["commit"] == head(repo)
        assert git("status", "--porcelain", cwd=repo) == "", f"{args}: left uncommitted changes"
        assert all(p.startswith(f"incidents/{INC}/") for p in commit_files(repo)), commit_files(repo)
        found = trailers(repo)
        assert found.get("Incident") == INC and found.get("Stage") == stage, (args, found)

        # every recording step adds exactly one timeline event, named and stamped with --at
        added = set(timeline_files(repo, INC)) - before_events
        if minute is None:
            assert not added
        else:
            assert len(added) == 1, (args, added)
            (name,) = added
            assert name.startswith(t(minute).replace("-", "").replace(":", "")), name
            event = yaml.safe_load((repo / incident_path(INC, "timeline", name)).read_text())
            assert event["at"] == t(minute)
            assert incident_path(INC, "timeline", name) in commit_files(repo)

        if args[0] == "advance":
            assert found["Previous-Stage"] == advances[-1][0]
            assert _show(repo)["stage"] == stage

    assert stage == "complete"
    info = _show(repo)
    assert info["stage"] == "complete"
    assert [(c["from"], c["to"], c["at"]) for c in info["stage_changes"]] == advances
    assert [c["from"] for c in info["stage_changes"]] == STAGES[:-1]
    assert [v["stage"] for v in info["stages"]] == STAGES
    assert info["stages"][1]["entered_at"] == t(4)
    assert info["roles"] == {"incident_manager": "alex"}
    assert info["bridge"] == "https://meet.example.com/inc-0001"
    assert [c["state"] for c in info["containment"]] == ["rolled-back"]

    # a completed incident leaves the default list, stays in --all
    assert ok_json(["list"], repo)["incidents"] == []
    rows = ok_json(["list", "--all"], repo)["incidents"]
    assert [(r["id"], r["stage"], r["severity"], r["priority"]) for r in rows] == [(INC, "complete", "SEV1", 1)]
    assert "ok" in ok(["validate"], repo).output

    # history is queryable by trailer
    stage_commits = git("log", "--format=%H", "--grep=^Event: stage$", cwd=repo).split()
    assert len(stage_commits) == 9
    inc_commits = git("log", "--format=%(trailers:key=Incident,valueonly)", cwd=repo).split()
    assert inc_commits.count(INC) == len(SCRIPT) + 1


def test_show_json_and_text(ready: Path) -> None:
    ok(["advance", INC, "--at", t(4)], ready)
    info = _show(ready)
    assert info["id"] == INC and info["stage"] == "notify" and info["next_stage"] == "contain"
    assert info["stage_changes"] == [{"from": "identify", "to": "notify", "at": t(4), "reason": ""}]
    assert info["stages"][0] == {"stage": "identify", "entered_at": t(0), "left_at": t(4), "seconds": 240}
    assert info["gate_met"] is False
    unmet = {g["item"] for g in info["gate"] if not g["met"]}
    assert unmet == {"manager_assigned", "mirt_notified", "bridge_recorded", "stakeholder_update"}
    text = ok(["show", INC], ready).stdout
    assert "notify" in text and "[ ] a Major Incident Manager assigned" in text
    milestones = text.split("Milestones:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    named = [line.split("  ")[1] for line in milestones]
    assert named == ["Impact started", "Detected", "Declared", "Acknowledged", "Mitigated", "Resolved", "Fully recovered", "Closed"]
    assert milestones[-2].split() == ["Fully", "recovered", "-"], "a milestone not reached yet is named by its title too"


def test_list_json(repo: Path) -> None:
    declare(repo, t(10), "--id", "INC-0002")
    ok(
        [
            "new",
            "--title",
            "Search slow",
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
            t(11),
        ],
        repo,
    )
    data = ok_json(["list"], repo)
    rows = data["incidents"]
    assert [r["id"] for r in rows] == ["INC-0001", "INC-0002", "INC-0003"]
    assert rows[2]["severity"] == "SEV4" and rows[2]["priority"] == 5 and rows[2]["services"] == ["search"]
    assert data["invalid"] == []
    assert [r["id"] for r in ok_json(["list", "--severity", "SEV4"], repo)["incidents"]] == ["INC-0003"]
    text = ok(["list"], repo).stdout
    assert "identify:" in text and "INC-0003" in text


def test_no_commit_writes_but_does_not_commit(repo: Path) -> None:
    before = head(repo)
    data = ok_json(["note", INC, "Error rate at 40%", "--at", t(5), "--no-commit"], repo)
    assert data["changed"] is True and data["commit"] is None
    assert head(repo) == before
    assert git("diff", "--cached", "--name-only", cwd=repo) == ""
    status = git("status", "--porcelain", "--untracked-files=all", cwd=repo).splitlines()
    assert len(status) == 1 and status[0].startswith("?? incidents/INC-0001/timeline/20250310T080500Z-note-")
    assert "written, not committed" in ok(["note", INC, "again", "--at", t(6), "--no-commit"], repo).stdout


def test_advance_with_unmet_gate_lists_every_missing_item_and_changes_nothing(repo: Path) -> None:
    before = snapshot(repo)
    result = run(["advance", INC, "--at", t(4)], repo)
    assert result.exit_code == 1 and not result.crashed, result
    for missing in ("incident validated as real", "classified: major_reason given", "initial details: summary and impacted users"):
        assert f"[ ] {missing}" in result.stderr, result
    assert "affected service" not in result.stderr, "a met item is listed as missing"
    assert_unchanged(before, snapshot(repo))

    as_json = run(["advance", INC, "--at", t(4), "--format", "json"], repo)
    assert as_json.exit_code == 1, as_json
    assert [m["item"] for m in as_json.json()["missing"]] == ["validated", "classified", "initial_details"]
    assert_unchanged(before, snapshot(repo))


def test_advance_with_unmet_gate_later_stage(ready: Path) -> None:
    ok(["advance", INC, "--at", t(4)], ready)
    ok(["bridge", INC, "https://meet.example.com/x", "--at", t(5)], ready)
    before = snapshot(ready)
    result = run(["advance", INC, "--at", t(6)], ready)
    assert result.exit_code == 1, result
    missing = [line.strip() for line in result.stderr.splitlines() if line.strip().startswith("[ ]")]
    assert len(missing) == 3, result
    assert not any("bridge" in line for line in missing)
    assert_unchanged(before, snapshot(ready))
    assert _show(ready)["stage"] == "notify"


def test_skipping_a_stage_needs_a_reason(ready: Path) -> None:
    before = snapshot(ready)
    refused = run(["advance", INC, "--to", "contain", "--at", t(4)], ready)
    assert refused.exit_code == 1 and not refused.crashed, refused
    assert "notify" in refused.stderr and "--reason" in refused.stderr
    assert_unchanged(before, snapshot(ready))

    reason = "Stakeholders already on the bridge from INC-0000"
    data = ok_json(["advance", INC, "--to", "contain", "--reason", reason, "--at", t(4)], ready)
    assert (data["from"], data["to"], data["skipped"]) == ("identify", "contain", ["notify"])
    assert trailers(ready)["Stage"] == "contain"
    (event_name,) = [n for n in timeline_files(ready, INC) if "-stage-" in n]
    event = yaml.safe_load((ready / incident_path(INC, "timeline", event_name)).read_text())
    assert event["reason"] == reason and event["skipped"] == ["notify"] and event["to"] == "contain"
    assert _show(ready)["stage_changes"] == [{"from": "identify", "to": "contain", "at": t(4), "reason": reason}]


def test_backward_move_allowed_by_reopen(ready: Path) -> None:
    ok(["advance", INC, "--to", "resolve", "--reason", "Exercise: jump to resolve", "--at", t(4)], ready)

    # back to a stage process.yaml does not allow: refused, nothing changed
    before = snapshot(ready)
    refused = run(["advance", INC, "--to", "notify", "--reason", "wrong", "--at", t(5)], ready)
    assert refused.exit_code == 1 and "not allowed" in refused.stderr, refused
    assert_unchanged(before, snapshot(ready))
    # an allowed move back still needs a reason
    refused = run(["advance", INC, "--to", "investigate", "--at", t(5)], ready)
    assert refused.exit_code == 1 and "--reason" in refused.stderr, refused
    assert_unchanged(before, snapshot(ready))

    data = ok_json(["advance", INC, "--to", "investigate", "--reason", "Fix did not hold", "--at", t(6)], ready)
    assert (data["from"], data["to"]) == ("resolve", "investigate")
    assert "reopen resolve" in git("log", "-1", "--format=%s", cwd=ready)
    found = trailers(ready)
    assert (found["Stage"], found["Previous-Stage"]) == ("investigate", "resolve")
    info = _show(ready)
    assert info["stage"] == "investigate"
    assert info["stage_changes"][-1] == {"from": "resolve", "to": "investigate", "at": t(6), "reason": "Fix did not hold"}


def _command_paths() -> list[list[str]]:
    paths: list[list[str]] = [[]]
    ctx = click.Context(main)

    def walk(prefix: list[str], command: click.Command) -> None:
        paths.append(prefix)
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None, f"{prefix + [name]} is listed but cannot be loaded"
                walk([*prefix, name], sub)

    for name in COMMANDS:
        command = main.get_command(ctx, name)
        assert command is not None, name
        walk([name], command)
    return paths


COMMAND_PATHS = _command_paths()


def test_every_command_is_walked() -> None:
    names = {" ".join(p) for p in COMMAND_PATHS}
    assert {"advance", "containment add", "pir action set", "hypothesis set", "check"} <= names
    assert len(names) >= len(COMMANDS) + 10


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=lambda p: " ".join(p) or "mimctl")
def test_help_of_every_command(path: list[str], tmp_path: Path) -> None:
    result = run([*path, "--help"], tmp_path)
    assert result.exit_code == 0 and not result.crashed, result
    assert "Usage" in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["show", "INC-0999"], "INC-0999"),
        (["note", "INC-0999", "hello", "--at", t(5)], "INC-0999"),
        (["advance", "INC-0999"], "INC-0999"),
        (["assign", INC, "wizard", "bob", "--at", t(5)], "wizard"),
        (["note", INC, "hello", "--at", "yesterday"], "yesterday"),
        (["note", INC, "hello", "--at", "2025-13-45T99:00:00Z"], "2025-13-45"),
        (["advance", INC, "--to", "party", "--reason", "x", "--at", t(5)], "party"),
        (
            [
                "new",
                "--title",
                "x",
                "--service",
                "no-such-service",
                "--impact",
                "high",
                "--urgency",
                "high",
                "--severity",
                "SEV1",
                "--source",
                "alert",
                "--at",
                t(5),
            ],
            "no-such-service",
        ),
    ],
    ids=[
        "show-unknown-id",
        "note-unknown-id",
        "advance-unknown-id",
        "unknown-role",
        "bad-at-word",
        "bad-at-date",
        "unknown-stage",
        "unknown-service",
    ],
)
def test_user_mistake_is_one_clear_line(repo: Path, args: list[str], needle: str) -> None:
    before = snapshot(repo)
    result = run(args, repo)
    assert result.exit_code in (1, 2) and not result.crashed, result
    assert "Traceback" not in result.output
    assert result.stdout == "", result
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert any(needle in line for line in lines), result
    assert len(lines) <= 4, result
    assert_unchanged(before, snapshot(repo))


def test_outside_a_tracker_is_a_clear_error(tmp_path: Path) -> None:
    result = run(["list"], tmp_path)
    assert result.exit_code == 1 and not result.crashed, result
    assert "process.yaml" in result.stderr and len(result.stderr.strip().splitlines()) == 1
