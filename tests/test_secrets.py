"""The secrets and personal-data scanner: rules, where it looks, exceptions by fingerprint, positions."""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import pytest

from conftest import make_tracker
from gitutil import declare, run, t
from gitutil import make_tracker as make_git_tracker
from mimctl import publication, secret_scan
from mimctl.secret_rules import RULES
from mimctl.store import Tracker
from mimctl.yamlio import loads
from secret_corpus import NOT_PERSONAL, NOT_SECRETS, PERSONAL, SECRETS

SAMPLES = [(rule, text) for rule, texts in SECRETS.items() for text in texts]
GITHUB = SECRETS["github-pat"][0]
SLACK_HOOK = SECRETS["slack-webhook-url"][0]


def _ids(text: str) -> list[str]:
    return [found.rule.id for found in secret_scan.scan_text("x.yaml", text, "x.yaml")]


# --- the rules ------------------------------------------------------------------


def test_every_rule_has_a_sample_and_compiles_for_re2() -> None:
    assert sorted(SECRETS) == sorted({rule.id for rule in RULES})
    assert len({rule.id for rule in RULES}) == len(RULES)
    for compiled in secret_scan._compiled("secrets", RULES).rules:
        assert compiled.regex.groups >= 1, compiled.rule.id  # group 1 is the secret


@pytest.mark.parametrize(("rule", "text"), SAMPLES, ids=[f"{r}-{i}" for i, (r, _) in enumerate(SAMPLES)])
def test_each_secret_is_found_as_its_own_kind(rule: str, text: str) -> None:
    assert _ids(text) == [rule]
    assert _ids(f"before {text} after") == [rule]


@pytest.mark.parametrize(("rule", "text"), SAMPLES, ids=[f"{r}-{i}" for i, (r, _) in enumerate(SAMPLES)])
@pytest.mark.parametrize("invisible", ["\u200b", "\u2060", "\u00ad", "\ufeff", "\u200d\u200c", "\U000e0041"])
def test_a_secret_split_by_invisible_characters_is_found(rule: str, text: str, invisible: str) -> None:
    # Split where the rules' prefixes end: inside the part that identifies the token.
    middle = min(len(text) - 1, 8)
    split = text[:middle] + invisible + text[middle:]
    assert _ids(split) == [rule]


def test_large_files_find_the_same_as_small_ones() -> None:
    """A secret is found however much text surrounds it (the rules to run are picked by one RE2 set of keywords)."""
    padding = "x " * (64 * 1024)
    for rule, text in SAMPLES:
        assert _ids(f"{padding}\n{text}\n{padding}") == [rule], rule


@pytest.mark.parametrize("text", NOT_SECRETS)
def test_public_text_is_not_a_secret(text: str) -> None:
    assert _ids(text) == []


def test_the_invisible_characters_include_every_format_character() -> None:
    missing = [f"U+{cp:04X}" for cp in range(sys.maxunicode + 1) if unicodedata.category(chr(cp)) == "Cf" and secret_scan.visible(chr(cp))]
    assert missing == []


def test_every_detect_secrets_family_is_in_the_corpus_and_found() -> None:
    """detect-secrets is a maintained rule set: each of its regex plugins must flag a sample that we flag too."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    not_secrets = {"Public IP (ipv4)"}  # an address is not a credential
    for kind, plugin_class in sorted(get_mapping_from_secret_type_to_class().items()):
        plugin = plugin_class()
        if not hasattr(plugin, "denylist") or kind in not_secrets:
            continue  # entropy and keyword plugins: our generic rules, tested above
        flagged = [text for _, text in SAMPLES if list(plugin.analyze_line(filename="x", line=text, line_number=1))]
        assert flagged, f"detect-secrets flags {kind!r}, and no sample in the corpus is of that kind"
        assert all(_ids(text) for text in flagged)


def test_a_hostile_value_costs_a_bounded_number_of_checks() -> None:
    """Near misses are counted: past the limit the rule stops and says so, instead of running on."""
    text = "password=aaaaaa1 " * (secret_scan.MAX_NEAR_MISSES + 10) + "password=" + "Tr0ub4dor&3xyz"
    found = secret_scan.scan_text("x.yaml", text, "x.yaml")
    assert [(f.rule.id, f.incomplete) for f in found] == [("generic-credential", True)]
    message = secret_scan.findings(found, None)[0].message
    assert "not checked" in message and "by hand" in message


def test_a_file_with_many_secrets_is_reported_without_listing_all() -> None:
    text = "\n".join("t: ghp_" + f"{i:036d}" for i in range(500))
    out = secret_scan.findings(secret_scan.scan_text("x.yaml", text, "x.yaml"), None)
    assert len(out) == secret_scan.MAX_FINDINGS_PER_FILE + 1
    assert "not listed" in out[-1].message


# --- where it looks: text, comments, values, positions ---------------------------------


def test_a_secret_in_a_comment_is_found_at_its_place() -> None:
    text = f"id: INC-0001\ntitle: ok\n# the old token was {GITHUB}\nstage: identify\n"
    found = secret_scan.scan_text("incident.yaml", text, "incident.yaml", loads(text))
    assert [(f.line, f.column, f.field, f.in_comment) for f in found] == [(3, 21, "", True)]
    assert "in a comment" in secret_scan.findings(found, None)[0].message


def test_positions_and_fields_come_from_the_text_and_the_document() -> None:
    text = f"id: KE-0001\ntitle: ok\nworkaround:\n  - step one\n  - 'use {GITHUB} or ask'\n"
    found = secret_scan.scan_text("kedb/KE-0001.yaml", text, "KE-0001.yaml", loads(text))
    assert [(f.line, f.column, f.field) for f in found] == [(5, 10, "workaround[1]")]


def test_columns_count_characters_not_bytes() -> None:
    text = f"title: 'Zahlungsstörung — ключ {GITHUB}'\n"
    (found,) = secret_scan.scan_text("x.yaml", text, "x.yaml")
    assert found.column == text.index("ghp_") + 1


def test_yaml_escapes_hide_nothing() -> None:
    # The raw text holds no token; the parsed value does.
    escaped = GITHUB[:10] + "".join(f"\\x{ord(c):02x}" for c in GITHUB[10:14]) + GITHUB[14:]
    text = f'id: INC-0001\nrisks:\n  - "{escaped}"\n'
    assert GITHUB not in text
    found = secret_scan.scan_text("incident.yaml", text, "incident.yaml", loads(text))
    assert [(f.rule.id, f.line, f.field) for f in found] == [("github-pat", 3, "risks[0]")]


def test_a_secret_found_in_text_and_value_is_reported_once() -> None:
    text = f"risks:\n  - {GITHUB}\n"
    assert len(secret_scan.scan_text("x.yaml", text, "x.yaml", loads(text))) == 1


def test_messages_never_repeat_the_secret() -> None:
    holder = secret_scan.Exceptions("incident.yaml", [], None, set())
    for _, text in SAMPLES:
        for finding in secret_scan.findings(secret_scan.scan_text("x.yaml", text, "x.yaml"), holder):
            assert text not in finding.message
            assert "fingerprint: x.yaml:" in finding.message


# --- personal data -----------------------------------------------------------------


@pytest.mark.parametrize("text", PERSONAL)
def test_personal_data_in_a_published_field_is_found(text: str) -> None:
    found = secret_scan.personal_data("x.yaml", "x.yaml", {"title": text}, None, ("title",))
    assert [f.check for f in found] == ["personal-data"]


@pytest.mark.parametrize("text", NOT_PERSONAL)
def test_public_text_is_not_personal_data(text: str) -> None:
    assert secret_scan.personal_data("x.yaml", "x.yaml", {"title": text}, None, ("title",)) == []


def test_personal_data_only_in_published_fields() -> None:
    data = {"title": "Contact ops@example.com", "roles": {"incident_manager": "pat@example.com"}}
    found = secret_scan.personal_data("x.yaml", "x.yaml", data, None, publication.PUBLISHED_INCIDENT_FIELDS)
    assert [(f.check, f.field) for f in found] == [("personal-data", "title")]


# --- with real record files ------------------------------------------------------

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

NOTE = """\
at: '2026-11-15T08:51:00Z'
kind: note
text: {text}
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

UPDATE_NAME = "20261115T085000Z-stakeholder-update-aaaaaa.yaml"
NOTE_NAME = "20261115T085100Z-note-bbbbbb.yaml"


def _findings(root: Path) -> list[secret_scan.Finding]:
    """What validate adds for secrets (bundles, known errors, stray files)."""
    tracker = Tracker(root)
    out = []
    for incident_id in tracker.incident_folders():  # every incident folder is a bundle, with or without incident.yaml
        out += secret_scan.scan_bundle(tracker.load_bundle(incident_id))
    records, _ = tracker.load_known_errors()
    for record in records:
        out += secret_scan.scan_known_error(record)
    for record in tracker.stray_files():
        out += secret_scan.scan_file(record)
    return sorted(out)


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _fingerprint(message: str) -> str:
    return message.split("fingerprint: ", 1)[1].split(",", 1)[0]


def _exception(fingerprint: str, rule: str = "secret") -> str:
    return (
        f"exceptions:\n  - rule: {rule}\n    fingerprint: {fingerprint}\n    reason: a revoked example\n    approved_by: problem-manager\n"
    )


def test_public_incident_publishes_title_and_public_updates(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "t")
    _write(root, "incidents/INC-0001/incident.yaml", INCIDENT.format(title="Write to ops@example.com", visibility="public", extra=""))
    _write(root, f"incidents/INC-0001/timeline/{UPDATE_NAME}", PUBLIC_UPDATE.format(audience="public"))
    _write(root, "incidents/INC-0001/timeline/20261115T085100Z-stakeholder-update-bbbbbb.yaml", PUBLIC_UPDATE.format(audience="internal"))
    assert [(f.path, f.line, f.field, f.rule) for f in _findings(root)] == [
        ("incidents/INC-0001/incident.yaml", 2, "title", "personal-data"),
        (f"incidents/INC-0001/timeline/{UPDATE_NAME}", 5, "text", "personal-data"),
    ]


def test_every_file_of_the_record_folders_is_scanned(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "t")
    token = SECRETS["slack-app-token"][0]
    _write(root, "incidents/INC-0001/incident.yaml", INCIDENT.format(title="ok", visibility="internal", extra=f"# {token}\n"))
    _write(root, "incidents/INC-0001/notes.txt", f"first line\nthe key: {SECRETS['aws-secret-access-key'][0]}\n")
    _write(root, "incidents/INC-0001/timeline/sub/x.md", SECRETS["stripe-access-token"][0])
    _write(root, "incidents/INC-0001/timeline/not-an-event.yaml", f"k: {SECRETS['gcp-api-key'][0]}\n")
    _write(root, "incidents/README.md", SECRETS["url-credentials"][0])
    _write(root, "incidents/drafts/incident.yaml", SECRETS["generic-credential"][0])  # not an id: no bundle
    _write(root, "incidents/INC-0002/pir.yaml", SECRETS["private-key-body"][0])  # no incident.yaml
    _write(root, "kedb/notes.txt", SECRETS["jwt"][0])
    _write(root, "kedb/old/KE-0009.yaml", SECRETS["npm-access-token"][0])
    found = [(f.path, f.line, f.rule, f.message.split("[", 1)[1].split("]", 1)[0]) for f in _findings(root)]
    assert found == [
        ("incidents/INC-0001/incident.yaml", 16, "secret", "slack-app-token"),
        ("incidents/INC-0001/notes.txt", 2, "secret", "aws-secret-access-key"),
        ("incidents/INC-0001/timeline/not-an-event.yaml", 1, "secret", "gcp-api-key"),
        ("incidents/INC-0001/timeline/sub/x.md", 1, "secret", "stripe-access-token"),
        ("incidents/INC-0002/pir.yaml", 1, "secret", "private-key-body"),
        ("incidents/README.md", 1, "secret", "url-credentials"),
        ("incidents/drafts/incident.yaml", 1, "secret", "generic-credential"),
        ("kedb/notes.txt", 1, "secret", "jwt"),
        ("kedb/old/KE-0009.yaml", 1, "secret", "npm-access-token"),
    ]


def test_an_unparsable_record_is_still_scanned(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "t")
    _write(root, "incidents/INC-0001/incident.yaml", f"id: [\ntoken: {GITHUB}\n")
    _write(root, "kedb/KE-0001.yaml", f"- a list\n- {GITHUB}\n")
    assert [(f.path, f.line, f.rule) for f in _findings(root)] == [
        ("incidents/INC-0001/incident.yaml", 2, "secret"),
        ("kedb/KE-0001.yaml", 2, "secret"),
    ]


def test_a_symlink_is_never_followed(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "t")
    outside = tmp_path / "outside.txt"
    outside.write_text(GITHUB, encoding="utf-8")
    _write(root, "incidents/INC-0001/incident.yaml", INCIDENT.format(title="ok", visibility="internal", extra=""))
    (root / "incidents/INC-0001/link.txt").symlink_to(outside)
    (root / "kedb/link.yaml").symlink_to(outside)
    assert [f for f in _findings(root) if f.rule == "secret"] == []


def test_an_exception_allows_one_value_in_one_file(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "t")
    folder = "incidents/INC-0001"
    _write(root, f"{folder}/incident.yaml", INCIDENT.format(title="ok", visibility="internal", extra=""))
    _write(root, f"{folder}/timeline/{NOTE_NAME}", NOTE.format(text=f"old hook {SLACK_HOOK}"))
    (finding,) = _findings(root)
    fingerprint = _fingerprint(finding.message)
    assert fingerprint.startswith(f"timeline/{NOTE_NAME}:slack-webhook-url:")
    _write(root, f"{folder}/incident.yaml", INCIDENT.format(title="ok", visibility="internal", extra=_exception(fingerprint)))
    assert _findings(root) == []
    assert Tracker(root).load_bundle("INC-0001").incident.findings == []  # the schema takes it

    # The same value in another file, and another value in the same file, are still secrets.
    _write(root, f"{folder}/timeline/20261115T085200Z-note-cccccc.yaml", NOTE.format(text=f"again {SLACK_HOOK}"))
    other = SECRETS["slack-webhook-url"][0].replace("XXXX", "YYYY", 1)
    _write(root, f"{folder}/timeline/{NOTE_NAME}", NOTE.format(text=f"old hook {SLACK_HOOK} and {other}"))
    assert [f.path.rsplit("/", 1)[1] for f in _findings(root)] == [NOTE_NAME, "20261115T085200Z-note-cccccc.yaml"]


def test_an_exception_without_a_fingerprint_allows_nothing(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "t")
    extra = f"risks:\n  - 'leaked {SLACK_HOOK}'\nexceptions:\n  - rule: secret\n    reason: all of them\n"
    _write(root, "incidents/INC-0001/incident.yaml", INCIDENT.format(title="ok", visibility="internal", extra=extra))
    found = _findings(root)
    assert [(f.rule, f.field) for f in found] == [("secret", "risks[0]"), ("exception", "exceptions[0]")]
    assert "must name the finding's fingerprint" in found[1].message
    bundle = Tracker(root).load_bundle("INC-0001")
    assert [f.field for f in bundle.incident.findings] == ["exceptions[0]"]  # and the schema says so too


def test_an_exception_that_matches_nothing_is_reported(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "t")
    stale = f"timeline/{NOTE_NAME}:slack-webhook-url:{'0' * 20}"
    _write(root, "incidents/INC-0001/incident.yaml", INCIDENT.format(title="ok", visibility="internal", extra=_exception(stale)))
    (finding,) = _findings(root)
    assert (finding.rule, finding.field, finding.line) == ("exception", "exceptions[0]", 17)
    assert "matches no finding" in finding.message


def test_an_exceptions_own_fingerprint_is_never_a_finding(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "t")
    items = "".join(
        f"  - rule: secret\n    fingerprint: incident.yaml:{rule.id}:{secret_scan.digest(rule.id)}\n    reason: r\n" for rule in RULES
    )
    _write(root, "incidents/INC-0001/incident.yaml", INCIDENT.format(title="ok", visibility="internal", extra="exceptions:\n" + items))
    assert {f.rule for f in _findings(root)} == {"exception"}  # stale, every one; never a secret


def test_personal_data_exceptions_by_field_or_fingerprint(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "t")
    extra = (
        "exceptions:\n"
        "  - rule: personal-data\n"
        "    path: title\n"
        "    reason: the public support address\n"
        "    approved_by: problem-manager\n"
        "  - rule: personal-data\n"
        f"    path: timeline/{UPDATE_NAME}:text\n"
        "    reason: the public help address\n"
    )
    _write(root, "incidents/INC-0001/incident.yaml", INCIDENT.format(title="Write to ops@example.com", visibility="public", extra=extra))
    _write(root, f"incidents/INC-0001/timeline/{UPDATE_NAME}", PUBLIC_UPDATE.format(audience="public"))
    assert _findings(root) == []
    assert Tracker(root).load_bundle("INC-0001").incident.findings == []
    # Made internal, the personal-data check does not run, so its exceptions are not judged.
    _write(root, "incidents/INC-0001/incident.yaml", INCIDENT.format(title="Write to ops@example.com", visibility="internal", extra=extra))
    assert _findings(root) == []


def test_a_public_known_error_publishes_its_workaround(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "t")
    _write(root, "kedb/KE-0001.yaml", KNOWN_ERROR.format(token=GITHUB, extra="visibility: public\n"))
    found = _findings(root)
    assert [(f.path, f.line, f.field, f.rule) for f in found] == [
        ("kedb/KE-0001.yaml", 8, "workaround[0]", "personal-data"),
        ("kedb/KE-0001.yaml", 9, "workaround[1]", "secret"),
    ]
    extra = "visibility: public\nexceptions:\n  - rule: personal-data\n    path: workaround[0]\n    reason: the public hotline\n    approved_by: pm\n"
    extra += f"  - rule: secret\n    fingerprint: {_fingerprint(found[1].message)}\n    reason: a revoked example\n"
    assert _fingerprint(found[1].message).startswith("KE-0001.yaml:github-pat:")
    _write(root, "kedb/KE-0001.yaml", KNOWN_ERROR.format(token=GITHUB, extra=extra))
    assert _findings(root) == []
    assert Tracker(root).load_known_errors()[0][0].findings == []


# --- what is published is the publication policy's to say ------------------------------

PIR = """\
incident: INC-0001
status: draft
public_summary: Card payments failed for 40 minutes. Questions to help@example.com.
summary: Pat (pat@example.com) found the expired certificate.
"""

MAINTENANCE = """\
id: MNT-0001
title: Database upgrade {title}
visibility: {visibility}
services: [checkout-api]
scheduled_for: '2026-12-01T22:00:00Z'
scheduled_until: '2026-12-01T23:00:00Z'
updates:
  - at: '2026-11-20T10:00:00Z'
    status: scheduled
    text: Checkout may be slow. Call +49 30 1234 5678 with questions.
{extra}"""


def test_an_internal_known_error_may_name_a_contact_but_never_a_secret(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "t")
    _write(root, "kedb/KE-0001.yaml", KNOWN_ERROR.format(token=GITHUB, extra=""))  # no visibility: internal only
    assert [(f.line, f.field, f.rule) for f in _findings(root)] == [(9, "workaround[1]", "secret")]


def test_a_public_known_error_publishes_only_the_policys_fields(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "t")
    extra = "visibility: public\nroot_cause: Found by pat@example.com\n"
    _write(root, "kedb/KE-0001.yaml", KNOWN_ERROR.format(token="none", extra=extra).replace("  - 'Retry with token none'\n", ""))
    assert "root_cause" not in publication.PUBLISHED_KNOWN_ERROR_FIELDS
    assert [(f.field, f.rule) for f in _findings(root)] == [("workaround[0]", "personal-data")]


def test_a_public_incidents_review_publishes_its_public_summary_only(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "t")
    _write(root, "incidents/INC-0001/incident.yaml", INCIDENT.format(title="ok", visibility="public", extra=""))
    _write(root, "incidents/INC-0001/pir.yaml", PIR)
    assert [(f.path, f.line, f.field, f.rule) for f in _findings(root)] == [
        ("incidents/INC-0001/pir.yaml", 3, "public_summary", "personal-data")
    ]
    extra = "exceptions:\n  - rule: personal-data\n    path: pir.yaml:public_summary\n    reason: the public help address\n"
    _write(root, "incidents/INC-0001/incident.yaml", INCIDENT.format(title="ok", visibility="public", extra=extra))
    assert _findings(root) == []
    _write(root, "incidents/INC-0001/incident.yaml", INCIDENT.format(title="ok", visibility="internal", extra=""))
    assert _findings(root) == []


def test_a_stage_reason_is_no_longer_published(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "t")
    _write(root, "incidents/INC-0001/incident.yaml", INCIDENT.format(title="ok", visibility="public", extra=""))
    stage = "at: '2026-11-15T08:52:00Z'\nkind: stage\nfrom: identify\nto: notify\nreason: Pat (+49 30 1234 5678) said so\n"
    _write(root, "incidents/INC-0001/timeline/20261115T085200Z-stage-cccccc.yaml", stage)
    assert "reason" not in publication.event_fields("stage")
    assert _findings(root) == []


def _maintenance_findings(root: Path) -> list[secret_scan.Finding]:
    from mimctl import maintenance

    return [f for f in maintenance.findings(Tracker(root))[1] if f.rule in (secret_scan.SECRET, secret_scan.PERSONAL_DATA)]


def test_scheduled_maintenance_is_scanned_for_secrets_and_public_personal_data(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "t")
    path = "maintenance/MNT-0001.yaml"
    _write(root, path, MAINTENANCE.format(title=f"(token {GITHUB})", visibility="internal", extra=""))
    assert [(f.path, f.line, f.field, f.rule) for f in _maintenance_findings(root)] == [(path, 2, "title", "secret")]
    _write(root, path, MAINTENANCE.format(title="tonight", visibility="public", extra=""))
    assert [(f.line, f.field, f.rule) for f in _maintenance_findings(root)] == [(10, "updates[0].text", "personal-data")]
    extra = "exceptions:\n  - rule: personal-data\n    path: updates[0].text\n    reason: the public service desk\n"
    _write(root, path, MAINTENANCE.format(title="tonight", visibility="public", extra=extra))
    assert _maintenance_findings(root) == []
    result = run(["validate", path], root)
    assert result.exit_code == 0, result


def test_validate_reports_a_secret_in_scheduled_maintenance(tmp_path: Path) -> None:
    root = make_git_tracker(tmp_path / "t")
    _write(root, "maintenance/MNT-0001.yaml", MAINTENANCE.format(title="tonight", visibility="internal", extra=f"# {SLACK_HOOK}\n"))
    result = run(["validate"], root)
    assert result.exit_code == 1 and "maintenance/MNT-0001.yaml:11:" in result.stderr and "slack-webhook-url" in result.stderr, result
    assert SLACK_HOOK not in result.output


# --- through the CLI, in a real repository ---------------------------------------------


def test_validate_reports_secrets_with_file_and_line(tmp_path: Path) -> None:
    root = make_git_tracker(tmp_path / "t")
    incident_id = declare(root)
    folder = root / "incidents" / incident_id
    (folder / "incident.yaml").write_text((folder / "incident.yaml").read_text() + f"# {GITHUB}\n", encoding="utf-8")
    (folder / "scratch.txt").write_text(f"\n\n{SECRETS['aws-access-token'][0]}\n", encoding="utf-8")
    result = run(["validate"], root)
    assert result.exit_code == 1, result
    lines = result.stderr.splitlines()
    assert any(line.startswith(f"incidents/{incident_id}/incident.yaml:") and "github-pat" in line for line in lines), result
    assert any(line.startswith(f"incidents/{incident_id}/scratch.txt:3:1: ") and "aws-access-token" in line for line in lines), result
    assert GITHUB not in result.output


def test_a_note_cannot_commit_a_secret(tmp_path: Path) -> None:
    root = make_git_tracker(tmp_path / "t")
    incident_id = declare(root)
    result = run(["note", incident_id, f"restarted with {SECRETS['slack-app-token'][0]}", "--at", t(1)], root)
    assert result.exit_code == 1 and not result.crashed, result
    assert "slack-app-token" in result.output
