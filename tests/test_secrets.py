"""The secrets and personal-data scanner: patterns, public fields, reviewed exceptions, positions."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conftest import make_tracker
from mimctl import secrets
from mimctl.findings import Finding
from mimctl.store import Tracker
from mimctl.yamlio import loads

# Assembled at run time so that this file itself does not trip secret scanners.
AWS = "AKIA" + "IOSFODNN7EXAMPLE"
GITHUB = "ghp" + "_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
GITHUB_PAT = "github" + "_pat_" + "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGH"
SLACK = "xox" + "b-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"
SLACK_HOOK = "https://hooks.slack.com/services/" + "T00000000/B00000000/" + "XXXXXXXXXXXXXXXXXXXXXXXX"
TEAMS_HOOK = (
    "https://contoso.webhook.office.com/webhookb2/"
    + "0c5b3c1a-1111-2222-3333-444455556666@72f988bf-86f1-41af-91ab-2d7cd011db47"
    + "/IncomingWebhook/"
    + "0123456789abcdef0123456789abcdef"
    + "/0c5b3c1a-1111-2222-3333-444455556666"
)
DISCORD_HOOK = "https://discord.com/api/webhooks/" + "123456789012345678/" + "A" * 68
BEARER = "Authorization: Bearer " + "abcdefghijklmnopqrstuvwxyz0123456789"
JWT = "eyJ" + "hbGciOiJIUzI1NiJ9" + ".eyJ" + "zdWIiOiIxMjM0NTY3ODkwIn0" + "." + "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
PRIVATE_KEY = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEow...\n-----END RSA PRIVATE KEY-----"
URL_PASSWORD = "https://deploy:" + "hunter2" + "@registry.example.com/v2/"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (f"key {AWS} leaked", "AWS"),
        (f"token={GITHUB}", "GitHub token"),
        (GITHUB_PAT, "GitHub fine-grained"),
        (f"slack {SLACK}", "Slack token"),
        (f"posted to {SLACK_HOOK}", "Slack webhook"),
        (TEAMS_HOOK, "Teams webhook"),
        (DISCORD_HOOK, "Discord webhook"),
        (f"curl -H '{BEARER}'", "bearer token"),
        (f"cookie {JWT}", "JSON Web Token"),
        (PRIVATE_KEY, "private key"),
        (f"pull from {URL_PASSWORD}", "password in a URL"),
    ],
)
def test_every_kind_of_secret_is_found_anywhere(text: str, kind: str) -> None:
    data = {"id": "INC-0001", "detection": {"alert": {"name": "ok"}}, "risks": ["fine", text]}
    found = secrets.scan(data, "incidents/INC-0001/incident.yaml")
    assert [f.rule for f in found] == ["secret"], found
    assert kind in found[0].message
    assert found[0].field == "risks[1]"
    # The message never repeats the secret itself.
    assert text not in found[0].message


@pytest.mark.parametrize(
    "text",
    [
        "https://hooks.slack.com/services/",  # a webhook URL without its signature part
        "See https://status.example.com/incidents and the runbook",
        "https://user@example.com/path",  # a user name, no password
        "Bearer tokens were rotated",
        "AKIA is the prefix of AWS keys",
        "ghp_ tokens are GitHub's",
        "Error rate at 40% since 2026-11-15T08:45:00Z; 48000 users; version 1.19.0",
        "-----BEGIN PUBLIC KEY-----",
    ],
)
def test_harmless_text_is_not_a_secret(text: str) -> None:
    assert secrets.scan({"summary": text}, "x.yaml", public_fields=None) == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Mail jane.doe@example.com for details", True),
        ("Call +44 20 7946 0958 now", True),
        ("Call +1 (555) 010-9999", True),
        ("Hotline 030 1234 5678", True),
        ("Since 2026-11-15 08:45, 48000 users, P1, v2.10.3", False),
        ("Checkout errors in eu-west-1", False),
    ],
)
def test_personal_data_patterns(text: str, found: bool) -> None:
    result = secrets.scan({"title": text}, "x.yaml", public_fields=("title",))
    assert bool(result) is found, result
    assert all(f.rule == "personal-data" for f in result)


def test_personal_data_only_in_published_fields() -> None:
    data = {"title": "Contact ops@example.com", "roles": {"incident_manager": "pat@example.com"}}
    found = secrets.scan(data, "x.yaml", public_fields=secrets.PUBLIC_INCIDENT_FIELDS)
    assert [(f.rule, f.field) for f in found] == [("personal-data", "title")]


def test_exception_with_matching_rule_and_path_silences_only_that_finding() -> None:
    data = {"title": "Mail support@example.com", "regions": ["call +44 20 7946 0958"]}
    exceptions = [{"rule": "personal-data", "path": "title", "reason": "public support address", "approved_by": "pm"}]
    found = secrets.scan(data, "x.yaml", public_fields=("title", "regions"), exceptions=exceptions)
    assert [f.field for f in found] == ["regions[0]"]
    wrong_rule = [{"rule": "secret", "path": "title", "reason": "no"}]
    assert len(secrets.scan(data, "x.yaml", public_fields=("title", "regions"), exceptions=wrong_rule)) == 2
    no_path = [{"rule": "personal-data", "reason": "all of them"}]
    assert secrets.scan(data, "x.yaml", public_fields=("title", "regions"), exceptions=no_path) == []


def test_scanning_a_huge_string_is_linear() -> None:
    huge = ("a" * 63 + "@") * 14_000 + "x" * 100_000 + "Bearer " * 10_000 + "+1 " * 30_000
    started = time.monotonic()
    secrets.scan({"summary": huge}, "x.yaml", public_fields=None)
    assert time.monotonic() - started < 10  # a bound against catastrophic backtracking, not a speed test


def test_positions_come_from_the_document() -> None:
    document = loads(f"id: KE-0001\ntitle: ok\nworkaround:\n  - step one\n  - 'use {GITHUB}'\n")
    found = secrets.scan(document.data, "kedb/KE-0001.yaml", document)
    assert found == [Finding("kedb/KE-0001.yaml", 5, 5, found[0].message, "workaround[1]", "secret")]


# --- with real record files, through a tiny wrapper --------------------------------

INCIDENT = """\
id: INC-0001
title: {title}
stage: identify
severity: SEV1
impact: high
urgency: high
priority: 1
visibility: {visibility}
detection:
  source: alert
detected_at: '2026-11-15T08:45:00Z'
services:
  - checkout-api
roles:
  incident_manager: pat@example.com
{extra}"""

PUBLIC_UPDATE = """\
at: '2026-11-15T08:50:00Z'
kind: stakeholder-update
audience: {audience}
status: investigating
text: We are investigating. Questions to help@example.com.
"""

KNOWN_ERROR = """\
id: KE-0001
title: Checkout times out under load
status: open
services: [checkout-api]
symptoms:
  - HTTP 504 from checkout
workaround:
  - Ask the on-call at +49 30 1234 5678
  - 'Retry with token {token}'
{extra}"""


def _findings(root: Path) -> list[Finding]:
    """What validate would add once the scanner is wired in (see secrets.scan_bundle / scan_known_error)."""
    tracker = Tracker(root)
    out = []
    for incident_id in tracker.incident_ids():
        out += secrets.scan_bundle(tracker.load_bundle(incident_id))
    records, _ = tracker.load_known_errors()
    for record in records:
        out += secrets.scan_known_error(record)
    return sorted(out)


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_public_incident_publishes_title_and_public_updates(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "t")
    _write(root, "incidents/INC-0001/incident.yaml", INCIDENT.format(title="Write to ops@example.com", visibility="public", extra=""))
    _write(root, "incidents/INC-0001/timeline/20261115T085000Z-stakeholder-update-aaaaaa.yaml", PUBLIC_UPDATE.format(audience="public"))
    _write(root, "incidents/INC-0001/timeline/20261115T085100Z-stakeholder-update-bbbbbb.yaml", PUBLIC_UPDATE.format(audience="internal"))
    found = _findings(root)
    assert [(f.path, f.line, f.field, f.rule) for f in found] == [
        ("incidents/INC-0001/incident.yaml", 2, "title", "personal-data"),
        ("incidents/INC-0001/timeline/20261115T085000Z-stakeholder-update-aaaaaa.yaml", 5, "text", "personal-data"),
    ]


def test_internal_incident_may_name_people_but_never_hold_secrets(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "t")
    extra = f"risks:\n  - 'leaked {SLACK_HOOK}'\n"
    _write(root, "incidents/INC-0001/incident.yaml", INCIDENT.format(title="Write to ops@example.com", visibility="internal", extra=extra))
    found = _findings(root)
    assert [(f.line, f.field, f.rule) for f in found] == [(17, "risks[0]", "secret")]


def test_incident_exception_covers_a_timeline_file(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "t")
    name = "20261115T085000Z-stakeholder-update-aaaaaa.yaml"
    extra = (
        "exceptions:\n"
        "  - rule: personal-data\n"
        "    path: title\n"
        "    reason: the public support address\n"
        "    approved_by: problem-manager\n"
        "  - rule: personal-data\n"
        f"    path: timeline/{name}:text\n"
        "    reason: the public help address\n"
    )
    _write(root, "incidents/INC-0001/incident.yaml", INCIDENT.format(title="Write to ops@example.com", visibility="public", extra=extra))
    _write(root, f"incidents/INC-0001/timeline/{name}", PUBLIC_UPDATE.format(audience="public"))
    assert _findings(root) == []
    # The exceptions themselves are valid against the schema.
    bundle = Tracker(root).load_bundle("INC-0001")
    assert bundle.incident.findings == []


def test_known_error_is_published_everywhere(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "t")
    _write(root, "kedb/KE-0001.yaml", KNOWN_ERROR.format(token=GITHUB, extra=""))
    found = _findings(root)
    assert [(f.path, f.line, f.field, f.rule) for f in found] == [
        ("kedb/KE-0001.yaml", 8, "workaround[0]", "personal-data"),
        ("kedb/KE-0001.yaml", 9, "workaround[1]", "secret"),
    ]
    extra = "exceptions:\n  - rule: personal-data\n    path: workaround[0]\n    reason: the public hotline\n    approved_by: pm\n"
    _write(root, "kedb/KE-0001.yaml", KNOWN_ERROR.format(token=GITHUB, extra=extra))
    assert [f.rule for f in _findings(root)] == ["secret"]
    assert Tracker(root).load_known_errors()[0][0].findings == []


def test_unparsable_records_are_skipped(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "t")
    _write(root, "incidents/INC-0001/incident.yaml", "id: [\n")
    _write(root, "kedb/KE-0001.yaml", "- a list\n")
    assert _findings(root) == []
