"""mimctl notify in real git repositories, against real HTTP and SMTP servers on 127.0.0.1."""

from __future__ import annotations

import email
import email.policy
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import test_channels
from gitutil import (
    REPO_ROOT,
    assert_unchanged,
    commit_all,
    commit_files,
    declare,
    git,
    head,
    make_tracker,
    ok,
    ok_json,
    ready_to_leave_identify,
    run,
    snapshot,
    t,
)
from mimctl.channels import ChannelConfig, slack, smtp, teams
from mimctl.notifications import LEDGER_FILE, Notice, Route
from mimctl.site import guides
from test_channels import Inbox, Recorder, verify_signature

# The servers of test_channels.py, as fixtures here too.
certificate, recorder, smtp_server = test_channels.certificate, test_channels.recorder, test_channels.smtp_server

NOTIFICATIONS = """notifications:
  retry: {attempts: 3, timeout_seconds: 0.5, backoff_seconds: 0.01, budget_seconds: 3}
  channels:
    - {id: slack, type: slack, url_env: T_SLACK_URL}
    - {id: teams, type: teams, url_env: T_TEAMS_URL}
    - {id: hook, type: webhook, url_env: T_HOOK_URL, secret_env: T_HOOK_SECRET}
  routes:
    - match: {events: [declared, stage, stakeholder-update, escalation]}
      channels: [slack, hook]
    - match: {events: [declared, stakeholder-update], severities: [SEV1]}
      channels: [teams]
    - match: {events: [stage], stages: [notify], services: [checkout-api]}
      channels: [teams]
"""

NOW = t(30)  # notify judges the horizon by this clock
EVIL = "<!channel> see <https://evil.example|the status page> & @here now"


def tracker_with(tmp_path: Path, section: str) -> Path:
    repo = make_tracker(tmp_path / "tracker")
    process = repo / "process.yaml"
    process.write_text(process.read_text(encoding="utf-8").split("\nnotifications:")[0] + "\n" + section, encoding="utf-8")
    commit_all(repo, "Route notifications to test servers")
    return repo


@pytest.fixture
def repo(tmp_path: Path, recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("T_SLACK_URL", recorder.url("/slack"))
    monkeypatch.setenv("T_TEAMS_URL", recorder.url("/teams"))
    monkeypatch.setenv("T_HOOK_URL", recorder.url("/hook"))
    monkeypatch.setenv("T_HOOK_SECRET", "s3cret-for-tests")
    return tracker_with(tmp_path, NOTIFICATIONS)


def incident_with_update(repo: Path) -> str:
    incident_id = declare(repo)
    ok(["update", incident_id, "--public", "--status", "investigating", EVIL, "--at", t(4)], repo)
    return incident_id


def ledger(repo: Path) -> list[dict[str, str]]:
    path = repo / LEDGER_FILE
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_each_new_event_reaches_each_routed_channel_once(repo: Path, recorder: Recorder) -> None:
    base = head(repo)
    incident_with_update(repo)
    data = ok_json(["notify", "--now", NOW, "--since", base], repo)
    assert data["ok"] and [o["status"] for o in data["outcomes"]] == ["sent"] * 6
    assert len(recorder.to("/slack")) == len(recorder.to("/hook")) == len(recorder.to("/teams")) == 2
    assert all(verify_signature(r) for r in recorder.to("/hook"))
    assert commit_files(repo) == [LEDGER_FILE]
    assert len(ledger(repo)) == 6
    again = ok_json(["notify", "--now", NOW, "--since", base], repo)
    assert {o["status"] for o in again["outcomes"]} == {"already-sent"} and again["ledger_commit"] is None
    assert len(recorder.requests) == 6


def test_payload_shapes_and_escaping(repo: Path, recorder: Recorder) -> None:
    base = head(repo)
    incident_id = incident_with_update(repo)
    ok(["notify", "--now", NOW, "--since", base], repo)
    slack = recorder.to("/slack")[1].json()
    assert slack["text"].startswith(f"{incident_id} public update (investigating)")
    assert [b["type"] for b in slack["blocks"]] == ["section", "section", "section", "context"]
    body = slack["blocks"][2]["text"]
    assert body["type"] == "mrkdwn"
    assert body["text"] == "&lt;!channel&gt; see &lt;https://evil.example|the status page&gt; &amp; @\u2060here now"
    teams = recorder.to("/teams")[1].json()
    assert teams["type"] == "message"
    (attachment,) = teams["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    text = card["body"][-2]["text"]  # the last is the footer
    assert "<" not in text and ">" not in text and "\\|" in text and "@\u2060here" in text
    hook = recorder.to("/hook")[1].json()
    assert hook["event"]["kind"] == "stakeholder-update" and hook["event"]["text"] == EVIL  # data stays data
    assert hook["incident"]["id"] == incident_id and hook["idempotency_key"]


def test_a_failing_channel_exits_1_the_others_are_served_and_a_rerun_sends_only_what_is_missing(repo: Path, recorder: Recorder) -> None:
    base = head(repo)
    incident_with_update(repo)
    recorder.always["/teams"] = 500
    failed = run(["notify", "--now", NOW, "--since", base, "--format", "json"], repo)
    assert failed.exit_code == 1, failed
    statuses = {(o["channel"], o["status"]) for o in failed.json()["outcomes"]}
    assert statuses == {("slack", "sent"), ("hook", "sent"), ("teams", "failed"), ("teams", "not-sent")}
    assert len(recorder.to("/teams")) == 3  # three attempts at the first message, then the channel is left alone
    assert len(recorder.to("/slack")) == 2 and len(recorder.to("/hook")) == 2
    assert commit_files(repo) == [LEDGER_FILE] and len(ledger(repo)) == 4

    recorder.always["/teams"] = 200
    rerun = ok_json(["notify", "--now", NOW, "--since", base], repo)
    assert sorted((o["channel"], o["status"]) for o in rerun["outcomes"] if o["status"] != "already-sent") == [
        ("teams", "sent"),
        ("teams", "sent"),
    ]
    assert len(recorder.to("/teams", 200)) == 2 and len(recorder.to("/slack")) == 2 and len(recorder.to("/hook")) == 2
    ok(["notify", "--now", NOW, "--since", base], repo)
    assert len(recorder.requests) == 3 + 2 + 2 + 2


def test_retries_are_counted_and_one_delivery_survives_two_server_errors(repo: Path, recorder: Recorder) -> None:
    base = head(repo)
    declare(repo)
    recorder.plan["/hook"] = [500, 500]
    data = ok_json(["notify", "--now", NOW, "--since", base], repo)
    hook = next(o for o in data["outcomes"] if o["channel"] == "hook")
    assert hook["status"] == "sent" and hook["attempts"] == 3
    assert [r.status for r in recorder.to("/hook")] == [500, 500, 200]
    keys = {r.headers["Idempotency-Key"] for r in recorder.to("/hook")}
    assert len(keys) == 1  # the receiver can drop a duplicate


def test_a_missing_variable_fails_that_channel_only(repo: Path, recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("T_TEAMS_URL")
    base = head(repo)
    declare(repo)
    result = run(["notify", "--now", NOW, "--since", base], repo)
    assert result.exit_code == 1 and "environment variable T_TEAMS_URL is not set" in result.output, result
    assert len(recorder.to("/slack")) == 1 and len(recorder.to("/hook")) == 1


def test_stage_changes_are_routed_by_stage_and_service(repo: Path, recorder: Recorder) -> None:
    incident_id = declare(repo)
    ready_to_leave_identify(repo, incident_id)
    base = head(repo)
    ok(["advance", incident_id, "--at", t(5)], repo)
    data = ok_json(["notify", "--now", NOW, "--since", base], repo)
    assert sorted(o["channel"] for o in data["outcomes"]) == ["hook", "slack", "teams"]
    assert "moved identify \u2192 notify" in recorder.to("/teams")[0].json()["attachments"][0]["content"]["body"][0]["text"]


def test_dry_run_prints_payloads_and_changes_nothing(repo: Path, recorder: Recorder) -> None:
    base = head(repo)
    incident_with_update(repo)
    before = snapshot(repo)
    result = ok(["notify", "--now", NOW, "--since", base, "--dry-run"], repo)
    assert "dry-run" in result.stdout and '"blocks"' in result.stdout and "AdaptiveCard" in result.stdout
    assert not recorder.requests
    assert_unchanged(before, snapshot(repo))


def test_unknown_revision_is_a_clear_error(repo: Path) -> None:
    result = run(["notify", "--since", "no-such-rev"], repo)
    assert result.exit_code == 1 and "unknown revision" in result.output and not result.crashed, result


def test_email_end_to_end_over_starttls(tmp_path: Path, smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    section = f"""notifications:
  retry: {{attempts: 2, timeout_seconds: 2, backoff_seconds: 0.01, budget_seconds: 3}}
  channels:
    - {{id: mail, type: email, host: 127.0.0.1, port: {port}, starttls: true, from: mimctl@example.com, to: [mim@example.com]}}
  routes:
    - match: {{events: [declared]}}
      channels: [mail]
"""
    repo = tracker_with(tmp_path, section)
    base = head(repo)
    incident_id = declare(repo)
    ok(["notify", "--now", NOW, "--since", base], repo)
    ok(["notify", "--now", NOW, "--since", base], repo)
    (message,) = inbox.messages
    assert message["Subject"] == f"[SEV1] {incident_id} declared: Card payments failing at checkout"  # the severity once
    assert message.get_content_type() == "text/plain" and "Services: checkout-api" in message.get_content()


# --- units ----------------------------------------------------------------------------------


def notice(**changes: object) -> Notice:
    fields: dict[str, object] = dict(
        path="incidents/INC-0001/timeline/x.yaml",
        incident_id="INC-0001",
        title="Checkout down",
        severity="SEV2",
        stage="contain",
        services=("checkout-api",),
        kind="stakeholder-update",
        at="2025-03-10T08:00:00Z",
        by="pat",
        audience="internal",
        headline="INC-0001 internal update",
        details=(("Severity", "SEV2"),),
        text="",
    )
    fields.update(changes)
    return Notice(**fields)  # type: ignore[arg-type]


def test_route_matching() -> None:
    route = Route(
        ("x",),
        events=("stakeholder-update",),
        severities=("SEV1", "SEV2"),
        services=("checkout-api", "web"),
        audiences=("internal",),
        stages=("contain",),
    )
    assert route.matches(notice())
    assert not route.matches(notice(audience="public"))
    assert not route.matches(notice(severity="SEV3"))
    assert not route.matches(notice(services=("billing",)))
    assert not route.matches(notice(kind="declared"))
    assert Route(("x",)).matches(notice(kind="declared"))


def test_slack_and_teams_escaping() -> None:
    assert slack.escape("<!channel> & <@U123> <https://evil|x>") == ("&lt;!channel&gt; &amp; &lt;@U123&gt; &lt;https://evil|x&gt;")
    assert slack.escape("@channel @Everyone") == "@\u2060channel @\u2060Everyone"
    escaped = teams.escape("**bold** [x](https://evil) <at>bob</at>")
    assert "<" not in escaped and escaped.startswith("\\*\\*bold\\*\\* \\[x\\]\\(https://evil\\)")


def test_email_subject_cannot_inject_headers() -> None:
    channel = ChannelConfig("mail", "email", {"from": "mimctl@example.com", "to": ["mim@example.com"]})
    message = smtp.CHANNEL.build(notice(headline="Down\r\nBcc: victim@example.com\n\nbody"), channel)
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert parsed["Bcc"] is None and "\n" not in str(parsed["Subject"]) and "\r" not in str(parsed["Subject"])
    assert parsed["To"] == "mim@example.com"


def test_routes_naming_unknown_channels_are_refused(tmp_path: Path) -> None:
    section = "notifications:\n  routes:\n    - {channels: [nowhere]}\n"
    repo = tracker_with(tmp_path, section)
    base = head(repo)
    declare(repo)
    result = run(["notify", "--now", NOW, "--since", base], repo)
    assert result.exit_code == 1 and "process.yaml:" in result.output and "unknown channel 'nowhere'" in result.output, result
    assert "[notifications.routes[0].channels[0]]" in result.output


# --- receivers that refuse, redirect and throttle -------------------------------------------


def test_every_deliverable_message_arrives_once_and_a_refusal_blocks_nothing(repo: Path, recorder: Recorder) -> None:
    """Slack's limits enforced by the receiver, one message it refuses (400), Teams behind a redirect, the hook throttled with a date."""
    from email.utils import format_datetime

    base = head(repo)
    incident_id = declare(repo)
    texts = ["First update.", "POISON " + "&<>" * 3000, "Second update: " + "&" * 5000, "Third update,\nover two lines."]
    for minute, text in enumerate(texts, 4):
        ok(["update", incident_id, "--public", "--status", "investigating", text, "--at", t(minute)], repo)
    recorder.refuse["/slack"] = lambda body: test_channels.slack_refusal(body) or ("invalid_attachments" if b"POISON" in body else None)
    recorder.always["/teams"] = (302, {"Location": "https://teams.example.net/workflows/elsewhere"})
    soon = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=1), usegmt=True)
    recorder.plan["/hook"] = [(429, {"Retry-After": soon})]

    first = run(["notify", "--now", NOW, "--since", base, "--format", "json"], repo)
    assert first.exit_code == 1, first
    by_channel: dict[str, list[str]] = {}
    for outcome in first.json()["outcomes"]:
        by_channel.setdefault(outcome["channel"], []).append(outcome["status"])
    assert by_channel["slack"] == ["sent", "sent", "refused", "sent", "sent"]  # the refusal is that message's alone
    assert by_channel["hook"] == ["sent"] * 5  # the 429 was waited out
    assert by_channel["teams"] == ["failed"] * 5  # a redirect is never followed, and is not a refusal of the message
    refused = next(o for o in first.json()["outcomes"] if o["status"] == "refused")
    assert "HTTP 400" in refused["error"] and "invalid_attachments" in refused["error"]
    assert all("redirected to https://teams.example.net/" in o["error"] for o in first.json()["outcomes"] if o["channel"] == "teams")
    assert len(recorder.to("/slack", 200)) == 4 and len(recorder.to("/hook", 200)) == 5
    assert not [r for r in recorder.requests if r.path.startswith("/workflows")]  # nothing went to where the redirect pointed
    assert sum(1 for e in ledger(repo) if e["status"] == "refused") == 1

    recorder.always["/teams"] = 200
    second = ok_json(["notify", "--now", NOW, "--since", base], repo)
    statuses = sorted((o["channel"], o["status"]) for o in second["outcomes"] if o["status"] != "already-sent")
    assert statuses == [("slack", "refused-earlier")] + [("teams", "sent")] * 5
    third = ok_json(["notify", "--now", NOW, "--since", base], repo)
    assert {o["status"] for o in third["outcomes"]} == {"already-sent", "refused-earlier"}
    # Exactly once: every message that could be delivered was, and nothing twice.
    for path in ("/slack", "/hook", "/teams"):
        bodies = [r.body for r in recorder.to(path, 200)]
        assert len(bodies) == len(set(bodies)) == (4 if path == "/slack" else 5), path
    assert len([r for r in recorder.to("/slack") if b"POISON" in r.body]) == 1  # refused once, never knocked on again


def test_a_refused_message_is_sent_again_only_when_asked(repo: Path, recorder: Recorder) -> None:
    base = head(repo)
    incident_id = declare(repo)
    ok(["update", incident_id, "--internal", "--status", "investigating", "POISON", "--at", t(4)], repo)
    recorder.refuse["/slack"] = lambda body: "invalid_blocks" if b"POISON" in body else None
    assert run(["notify", "--now", NOW, "--since", base], repo).exit_code == 1
    recorder.refuse.clear()  # the receiver's rules changed, or the message was fixed by hand
    ok(["notify", "--now", NOW, "--since", base], repo)
    assert len(recorder.to("/slack")) == 2
    data = ok_json(["notify", "--now", NOW, "--since", base, "--retry-refused"], repo)
    assert [o["status"] for o in data["outcomes"] if o["channel"] == "slack"] == ["already-sent", "sent"]
    assert len(recorder.to("/slack", 200)) == 2
    ok(["notify", "--now", NOW, "--since", base, "--retry-refused"], repo)
    assert len(recorder.to("/slack")) == 3  # delivered now: not sent a second time


# --- backfill ------------------------------------------------------------------------------


def test_a_retrospective_incident_is_never_sent(repo: Path, recorder: Recorder) -> None:
    base = head(repo)
    incident_id = declare(repo)
    ok(["set", incident_id, "retrospective", '{"reason": "Recorded from the public postmortem"}', "--json", "--at", t(1)], repo)
    ok(["update", incident_id, "--public", "--status", "resolved", "All fixed.", "--at", t(5)], repo)
    data = ok_json(["notify", "--now", NOW, "--since", base], repo)
    assert data["outcomes"] == [] and not recorder.requests
    assert [s["reason"] for s in data["skipped"]] == ["the incident is recorded after the fact (retrospective)"] * 2
    assert not (repo / LEDGER_FILE).exists()


def test_events_older_than_the_horizon_are_never_sent(repo: Path, recorder: Recorder) -> None:
    base = head(repo)
    incident_with_update(repo)  # events at minutes 0 and 4
    two_days_later = t(2 * 24 * 60)
    result = ok(["notify", "--now", two_days_later, "--since", base], repo)
    assert not recorder.requests and "older than the horizon (1440 minutes before now)" in result.stdout
    ok(["notify", "--now", t(24 * 60 + 2), "--since", base], repo)  # a day and two minutes: the update (minute 4) still goes
    assert len(recorder.requests) == 3 and all(b"update" in r.body for r in recorder.requests)


def test_the_declared_message_shows_the_stage_of_its_time(repo: Path, recorder: Recorder) -> None:
    base = head(repo)
    incident_id = declare(repo)
    ready_to_leave_identify(repo, incident_id)
    ok(["advance", incident_id, "--at", t(5)], repo)
    ok(["update", incident_id, "--internal", "--status", "identified", "Bridge open.", "--at", t(6)], repo)
    ok(["notify", "--now", NOW, "--since", base], repo)
    stages = [r.json()["incident"]["stage"] for r in recorder.to("/hook")]
    assert stages == ["identify", "notify", "notify"]  # declared, the stage change, the update: not today's stage for all
    declared = recorder.to("/slack")[0].json()
    assert "*Stage*\nidentify" in [f["text"] for f in declared["blocks"][1]["fields"]]


# --- the channel registry -------------------------------------------------------------------


def test_every_registered_channel_is_documented_and_the_schema_takes_any_type() -> None:
    from mimctl import channels

    schema = json.loads((REPO_ROOT / "schemas" / "process.schema.json").read_text(encoding="utf-8"))
    item = schema["properties"]["notifications"]["properties"]["channels"]["items"]
    assert "enum" not in item["properties"]["type"]  # the registry is the one list of types
    assert "<!-- mimctl: channels -->" in (REPO_ROOT / "docs" / "notifications.md").read_text(encoding="utf-8")
    docs = guides.channel_types()  # the table the guide shows, made at build time (test_site_build reads the built page)
    for type_ in channels.TYPES:
        implementation = channels.channel(type_)
        assert implementation.type == type_ and f"| `{type_}` |" in docs
        assert all(callable(getattr(implementation, name)) for name in ("check", "build", "validate", "send"))


def test_a_new_channel_is_one_module_and_one_registry_line(tmp_path: Path, recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    from mimctl import channels

    monkeypatch.setitem(channels.TYPES, "pagerduty", "channel_examples.pagerduty")  # the one line
    monkeypatch.setenv("T_PD_URL", recorder.url("/pd"))
    monkeypatch.setenv("T_PD_KEY", "routing-key")
    section = """notifications:
  channels:
    - {id: pd, type: pagerduty, url_env: T_PD_URL, routing_key_env: T_PD_KEY}
  routes:
    - {match: {events: [declared]}, channels: [pd]}
"""
    repo = tracker_with(tmp_path, section)
    base = head(repo)
    incident_id = declare(repo)
    ok(["notify", "--now", NOW, "--since", base], repo)
    (received,) = recorder.to("/pd")
    assert received.json()["routing_key"] == "routing-key" and received.json()["payload"]["source"] == incident_id


@pytest.mark.parametrize(
    ("channel", "message", "field"),
    [
        (
            "{id: x, type: carrier-pigeon}",
            "unknown channel type 'carrier-pigeon' (known: slack, teams, webhook, email, pagerduty)",
            "channels[0].type",
        ),
        ("{id: x, type: pagerduty, url_env: U}", "a pagerduty channel needs routing_key_env", "channels[0].routing_key_env"),
        (
            "{id: x, type: email, host: h, from: a@example.com, to: [b@example.com], tls: none, password_env: P}",
            "never sends credentials in clear",
            "channels[0]",
        ),
    ],
)
def test_an_unusable_channel_is_refused_with_its_place(
    tmp_path: Path, channel: str, message: str, field: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the schema cannot know (the registry, a type's own options and rules) is refused by notify, naming the place."""
    from mimctl import channels

    monkeypatch.setitem(channels.TYPES, "pagerduty", "channel_examples.pagerduty")
    repo = tracker_with(tmp_path, f"notifications:\n  channels:\n    - {channel}\n  routes:\n    - {{channels: [x]}}\n")
    base = head(repo)
    declare(repo)
    before = snapshot(repo)
    result = run(["notify", "--now", NOW, "--since", base], repo)
    assert result.exit_code == 1 and not result.crashed, result
    assert message in result.stderr and f"[notifications.{field}]" in result.stderr
    assert re.search(r"process\.yaml:\d+:\d+: ", result.stderr), result.stderr
    assert_unchanged(before, snapshot(repo))
    # Validation (CI on every pull request) finds it too, at the same place, before any incident needs the channel.
    found = run(["validate", "--format", "json"], repo)
    assert found.exit_code == 1 and not found.crashed, found
    (finding,) = [f for f in found.json()["findings"] if f["rule"] == "notifications"]
    assert message in finding["message"] and finding["path"] == "process.yaml" and finding["field"] == f"notifications.{field}"
    assert f"process.yaml:{finding['line']}:" in result.stderr


def test_a_cut_message_links_to_the_incident_page_from_mkdocs_site_url(repo: Path, recorder: Recorder) -> None:
    (repo / "mkdocs.yml").write_text(
        "site_name: Status\nsite_url: https://status.example.com/\nuse_directory_urls: false\n", encoding="utf-8"
    )
    commit_all(repo, "Publish the site")
    base = head(repo)
    incident_id = declare(repo)
    ok(["update", incident_id, "--internal", "--status", "investigating", "&" * 5000, "--at", t(4)], repo)
    ok(["notify", "--now", NOW, "--since", base], repo)
    link = f"https://status.example.com/incidents/{incident_id}.html"
    text = recorder.to("/slack")[1].json()["blocks"][2]["text"]["text"]
    assert len(text) <= 3000 and text.endswith(f"\u2026 <{link}|full text on the incident page>")
    assert recorder.to("/hook")[0].json()["incident"]["url"] == link


# --- the ledger is committed like every change (journaled, verified, refused with leftovers) ---------------


def _hook(repo: Path, body: str) -> None:
    path = repo / ".git" / "hooks" / "pre-commit"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)


def test_a_failed_ledger_commit_keeps_what_was_sent_and_the_next_delivery_commits_it(repo: Path, recorder: Recorder) -> None:
    base = head(repo)
    incident_with_update(repo)
    _hook(repo, "exit 1\n")
    failed = run(["notify", "--now", NOW, "--since", base], repo)
    assert failed.exit_code == 1 and not failed.crashed and "delivered, but the ledger was not committed" in failed.stderr, failed
    assert len(ledger(repo)) == 6 and len(recorder.requests) == 6, "what was sent stays recorded"
    assert LEDGER_FILE in git("status", "--porcelain", "--untracked-files=all", cwd=repo), "written, not committed"
    (repo / ".git" / "hooks" / "pre-commit").unlink()
    again = ok_json(["notify", "--now", NOW, "--since", base], repo)
    assert {o["status"] for o in again["outcomes"]} == {"already-sent"} and len(recorder.requests) == 6
    assert again["ledger_commit"] is None  # nothing new was delivered: the ledger waits for the next delivery
    ok(["update", "INC-0001", "--status", "identified", "Found it.", "--at", t(6)], repo)
    ok_json(["notify", "--now", NOW, "--since", base], repo)
    assert commit_files(repo) == [LEDGER_FILE] and len(ledger(repo)) == 9


def test_a_hook_that_sweeps_another_file_into_the_ledger_commit_gets_it_undone(repo: Path, recorder: Recorder) -> None:
    base = head(repo)
    incident_with_update(repo)
    before = head(repo)
    _hook(repo, "echo swept > swept.txt\ngit add swept.txt\n")
    failed = run(["notify", "--now", NOW, "--since", base], repo)
    assert failed.exit_code == 1 and "a commit hook changed what was committed" in failed.stderr, failed
    assert head(repo) == before and len(ledger(repo)) == 6


def test_a_leftover_journal_refuses_the_ledger_commit_too(repo: Path, recorder: Recorder) -> None:
    from mimctl.gitrepo import GitRepo
    from mimctl.journal import Journal

    base = head(repo)
    incident_with_update(repo)
    repo_ = GitRepo(repo)
    Journal.begin(repo_, "an interrupted command", {}, [], None, command="mimctl note")  # as a killed command leaves it
    refused = run(["notify", "--now", NOW, "--since", base], repo)
    assert refused.exit_code == 1 and "mimctl repair" in refused.stderr, refused
    assert len(ledger(repo)) == 6, "sent, and recorded as sent"
