"""Every payload of a hostile corpus, judged by the receivers' own validators.

Slack: every block parsed by slack_sdk's models and ``validate_json()``, plus
the limits slack_sdk leaves out, counted after escaping. Teams: the
``adaptivecards`` library's parser (Node) reports nothing and drops nothing.
E-mail: Python's parser with ``policy.default`` finds no defect, and a strict
look at the raw header section finds no long line, no empty encoded word,
and exactly one Date, Message-ID, From, To and Subject.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mimctl.channels import ChannelConfig, Notice, base, slack, smtp, teams, webhook

JS = Path(__file__).parent / "js"
LINK = "https://status.example.com/incidents/INC-0042.html"
MENTIONS = "<!channel> <!here> <@U0123ABC> <#C0123|general> @here @channel @everyone <at>bob</at> <https://evil.example|click me>"
MULTILINE = "First line\nsecond line\r\nthird\u2028fourth\n\n- not a list\n1. not a list\n# not a heading\n> not a quote"
HOSTILE = {
    "long": "Checkout is failing for everyone. " * 600,
    "entities": "&<>" * 6000,
    "mentions": MENTIONS * 40,
    "multiline": MULTILINE * 50,
    "controls": "a\x00b\x07c\x1bd\x7fe\x85f\u2029g\x0bh\x0ci",
    "unicode": "Zahlungen schlagen fehl \u2014 \u00fcberall \U0001f525 \u202eevil\u202c \u0645\u0631\u062d\u0628\u0627 e\u0301" * 100,
    "encoded-word": "=?utf-8?q?spoof?= =?utf-8?b?c3Bvb2Y=?= " * 20,
    "markdown": "**bold** _it_ `code` ~strike~ [x](https://evil.example) ![img](https://evil.example/x.png) | a | b |" * 50,
    "short": "ok",
    "empty": "",
}


def notice(text: str, title: str = "Checkout errors", reason: str = "", link: str = LINK, by: str = "pat") -> Notice:
    details = [("Severity", "SEV1"), ("Priority", "P1"), ("Stage", "contain"), ("Services", "checkout-api"), ("By", base.one_line(by))]
    if reason:
        details.append(("Reason", base.one_line(reason)))
    headline = base.one_line(f"INC-0042 moved identify \u2192 contain: {title}")
    return Notice(
        path="incidents/INC-0042/timeline/20250310T080000Z-stage-abc123.yaml",
        incident_id="INC-0042",
        title=base.one_line(title),
        severity="SEV1",
        stage="contain",
        services=("checkout-api",),
        kind="stage",
        at="2025-03-10T08:00:00Z",
        by=by,
        audience=None,
        headline=headline,
        details=tuple(details),
        text=text,
        event={"kind": "stage", "text": text},
        link=link,
    )


def corpus() -> list[tuple[str, Notice]]:
    """Each hostile text as the body, as the title, as a skip reason and as the author, with and without a site link."""
    cases = []
    for name, text in HOSTILE.items():
        cases.append((f"text-{name}", notice(text)))
        cases.append((f"title-{name}", notice("short body", title=text[:20000] or "x")))
        cases.append((f"reason-{name}", notice(text, reason=text)))
        cases.append((f"by-{name}", notice("", by=text or "x")))
        cases.append((f"nolink-{name}", notice(text, reason=text, link="")))
    return cases


CORPUS = corpus()
IDS = [name for name, _ in CORPUS]
SLACK = ChannelConfig("slack", "slack", {"url_env": "X"})
TEAMS = ChannelConfig("teams", "teams", {"url_env": "X"})
MAIL = ChannelConfig("mail", "email", {"host": "127.0.0.1", "from": "mimctl@example.com", "to": ["mim@example.com", "ops@example.org"]})


# --- Slack -----------------------------------------------------------------------------


def slack_texts(payload: dict[str, Any]) -> list[str]:
    """Every text object of the message, as Slack counts it."""
    found = [payload["text"]]
    for block in payload["blocks"]:
        if "text" in block:
            found.append(block["text"]["text"])
        found += [item["text"] for item in block.get("fields", []) + block.get("elements", [])]
    return found


@pytest.mark.parametrize(("name", "item"), CORPUS, ids=IDS)
def test_slack_payloads_pass_slack_sdk(name: str, item: Notice) -> None:
    from slack_sdk.models.blocks import Block

    payload = slack.CHANNEL.build(item, SLACK)
    for data in payload["blocks"]:
        block = Block.parse(data)
        assert block is not None, data
        block.validate_json()  # raises SlackObjectFormationError
        assert block.to_dict() == data  # nothing of ours is unknown to Slack's model
    assert slack.CHANNEL.validate(payload) == []
    for text in slack_texts(payload):
        assert 0 < len(text) <= 3000
        # No mention, channel link or URL label survives: the only '<' is the incident link mimctl adds.
        assert re.sub(r"<https://status\.example\.com/incidents/INC-0042\.html\|[^<>]*>", "", text).count("<") == 0, text
        assert not re.search(r"@(here|channel|everyone)\b", text), text
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text), text
    for block in payload["blocks"]:
        for field in block.get("fields", []):
            assert len(field["text"]) <= 2000


def test_slack_cuts_after_escaping_with_a_link() -> None:
    payload = slack.CHANNEL.build(notice("&<>" * 6000, reason="&" * 19026), SLACK)
    body = payload["blocks"][2]["text"]["text"]
    assert len(body) <= 3000 and body.startswith("&amp;&lt;&gt;")
    assert body.endswith(f"\u2026 <{LINK}|full text on the incident page>")
    reason = payload["blocks"][1]["fields"][-1]["text"]
    assert reason.startswith("*Reason*\n&amp;") and len(reason) <= 2000 and LINK in reason
    without = slack.CHANNEL.build(notice("x" * 5000, link=""), SLACK)["blocks"][2]["text"]["text"]
    assert without.endswith("(cut; the full text is in incidents/INC-0042/timeline/20250310T080000Z-stage-abc123.yaml)")


def test_slack_keeps_line_breaks_and_short_text_whole() -> None:
    payload = slack.CHANNEL.build(notice(MULTILINE), SLACK)
    assert payload["blocks"][2]["text"]["text"] == (
        "First line\nsecond line\nthird\nfourth\n\n- not a list\n1. not a list\n# not a heading\n&gt; not a quote"
    )


# --- Teams -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def card_validator() -> Any:
    """The adaptivecards parser in Node: installed into tests/js by npm when missing (CI installs Node and npm)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not (JS / "node_modules" / "adaptivecards").is_dir() and npm:
        subprocess.run([npm, "install", "--no-save", "--silent"], cwd=JS, check=True, timeout=600)
    if node is None or not (JS / "node_modules" / "adaptivecards").is_dir():
        if os.environ.get("CI"):
            pytest.fail("Node and the adaptivecards package are needed (.ci/run installs them)")
        pytest.skip("node or npm missing: the Adaptive Card validator cannot run here")

    def validate(messages: list[dict[str, Any]]) -> list[list[str]]:
        done = subprocess.run([node, "validate-card.js"], cwd=JS, input=json.dumps(messages), capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        result: list[list[str]] = json.loads(done.stdout)
        return result

    return validate


def test_the_validator_catches_a_bad_card(card_validator: Any) -> None:
    good = teams.CHANNEL.build(notice("hello"), TEAMS)
    bad = json.loads(json.dumps(good))
    bad["attachments"][0]["content"]["body"].append({"type": "NoSuchElement"})
    bad["attachments"][0]["content"]["body"][0]["colour"] = "red"
    assert card_validator([good, bad])[0] == []
    problems = card_validator([bad])[0]
    assert any("NoSuchElement" in p for p in problems) and any("colour" in p for p in problems)


def test_teams_cards_pass_the_adaptivecards_parser(card_validator: Any) -> None:
    messages = [teams.CHANNEL.build(item, TEAMS) for _, item in CORPUS]
    for (name, _), message, problems in zip(CORPUS, messages, card_validator(messages), strict=True):
        assert problems == [], name
        assert teams.CHANNEL.validate(message) == [], name
        size = len(json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode())
        assert size <= teams.MAX_BYTES, (name, size)
        card = message["attachments"][0]["content"]
        assert card["version"] == "1.5"
        for element in card["body"]:
            texts = [element.get("text", "")] + [f["value"] for f in element.get("facts", [])]
            for text in texts:
                assert "<" not in text.replace("\u2039", "") and not re.search(r"@(here|channel|everyone)\b", text), name


def test_teams_line_breaks_survive_and_long_text_is_cut_with_a_link() -> None:
    card = teams.CHANNEL.build(notice("one\ntwo\r\nthree"), TEAMS)["attachments"][0]["content"]
    assert card["body"][2]["text"] == "one\n\ntwo\n\nthree"  # a single \n collapses in Teams' Markdown
    long = teams.CHANNEL.build(notice("\u00fc&" * 30000), TEAMS)
    text = long["attachments"][0]["content"]["body"][2]["text"]
    assert text.endswith(f"[full text on the incident page]({LINK})") and "\u2026" in text


# --- e-mail ----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "item"), CORPUS, ids=IDS)
def test_email_passes_a_strict_reader(name: str, item: Notice) -> None:
    message = smtp.CHANNEL.build(item, MAIL)
    raw = message.as_bytes(policy=email.policy.SMTP)
    assert smtp.header_problems(raw) == []
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert not re.search(rb"=\?[^?]*\?[qb]\?\?=", head, re.IGNORECASE), head
    assert all(len(line) <= 78 for line in head.split(b"\r\n")), head
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert not parsed.defects, parsed.defects
    for name_, value in parsed.items():
        assert not value.defects, (name_, value.defects)
    subject = str(parsed["Subject"])
    assert subject.count("[SEV1]") == 1 and subject.startswith("[SEV1] INC-0042 moved") and "\n" not in subject
    assert len(subject) <= smtp.SUBJECT_CHARACTERS
    expected = base.one_line(f"[SEV1] {item.headline}")
    assert subject == expected or (subject.endswith("\u2026") and expected.startswith(subject[:-1]))
    assert email.utils.parsedate_to_datetime(str(parsed["Date"])).tzinfo is not None
    assert re.fullmatch(r"<[0-9a-f]{32}@example\.com>", str(parsed["Message-ID"]))
    assert [a.addr_spec for a in parsed["To"].addresses] == ["mim@example.com", "ops@example.org"]
    body = parsed.get_content().replace("\r\n", "\n")
    assert base.lines_of(item.text)[0][:50] in body
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]", body)


def test_a_long_non_ascii_subject_has_no_empty_encoded_word() -> None:
    # This title makes Python's own header folder write '=?utf-8?q??=' (found by fuzzing the default policy).
    title = "<<)b(':_&_-@a[><[:_&>?&) ?<[&a&<>-) <-(b<):([?>- :<_[:_b\u2060\U0001f600 a\"< @@=[\u2060 _@?\U0001f600)]\u00e9-'\u00e9"
    raw = smtp.CHANNEL.build(notice("x", title=title), MAIL).as_bytes(policy=email.policy.SMTP)
    assert b"?q??=" not in raw.lower() and smtp.header_problems(raw) == []


def test_webhook_payload_is_data_and_carries_the_link() -> None:
    payload = webhook.CHANNEL.build(notice(MENTIONS), ChannelConfig("hook", "webhook", {}))
    assert payload["event"]["text"] == MENTIONS and payload["incident"]["url"] == LINK
    assert webhook.CHANNEL.validate(payload) == []


def test_fit_measures_what_the_receiver_counts() -> None:
    assert base.fit("a&b", 7, slack.escape) == "a&amp;b"
    cut = base.fit("&&&&", 12, slack.escape, " link")
    assert cut == "&amp;\u2026 link" and len(cut) <= 12
    assert len(base.fit("&" * 100, 3, slack.escape, " a very long link")) <= 3
