"""Slack incoming webhooks: Block Kit sections, checked with slack_sdk's block models before sending.

Slack's limits count the text as sent, after escaping (``&`` is five
characters once it is ``&amp;``): a section's text 3,000 characters, each of
its at most 10 fields 2,000, a context element 3,000, 50 blocks. Text over a
limit is cut at the limit with a link to the incident page; nothing is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from . import http
from .base import ChannelConfig, Delivery, Notice, RetryPolicy, defuse_broadcasts, fit, lines_of, one_line

SECTION_TEXT = 3000
FIELD_TEXT = 2000
CONTEXT_TEXT = 3000
MAX_FIELDS = 10
MAX_BLOCKS = 50
MESSAGE_TEXT = 3000  # the top-level fallback text (Slack cuts at 40,000; notifications show far less)
_SAFE_URL = re.compile(r"https?://[^\s<>|\"'`]+\Z")


def escape(text: str) -> str:
    """Slack mrkdwn: ``&``, ``<``, ``>`` as entities (so no ``<!channel>``, ``<@U…>`` or ``<url|label>``), broadcasts defused."""
    escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return defuse_broadcasts(escaped)


def _multiline(text: str) -> str:
    return escape("\n".join(lines_of(text)).strip("\n"))


def _cut_note(notice: Notice) -> str:
    """What a cut text ends with: a link to the incident page, or where the whole text is recorded."""
    if notice.link and _SAFE_URL.match(notice.link):
        return f" <{notice.link}|full text on the incident page>"
    return f" (cut; the full text is in {escape(notice.path)})"


def _text(notice: Notice, text: str, limit: int, multiline: bool = False) -> str:
    return fit(text, limit, _multiline if multiline else (lambda t: escape(one_line(t))), _cut_note(notice))


class Slack:
    type = "slack"
    sends = (
        "An incoming-webhook message: `blocks` (headline, facts, text, context) plus `text` as the fallback for notifications "
        "and old clients. Every block is parsed by `slack_sdk`'s block models and passes `validate_json()`."
    )
    limits = (
        "Section text 3,000 characters; at most 10 fields of 2,000 characters each; context elements 3,000; 50 blocks; all "
        "counted after `&`→`&amp;` and friends. The headline, every fact (a stage skip's reason included) and the text are cut "
        "to their limit with the link; facts beyond 10 are dropped."
    )
    required = ("url_env",)

    def check(self, options: Mapping[str, Any]) -> list[str]:
        return []

    def build(self, notice: Notice, channel: ChannelConfig) -> dict[str, Any]:
        """An incoming-webhook message: blocks, plus ``text`` for notifications and old clients."""
        fields = []
        for label, value in notice.details[:MAX_FIELDS]:
            title = f"*{escape(one_line(label))[:100]}*\n"
            fields.append({"type": "mrkdwn", "text": title + _text(notice, value, FIELD_TEXT - len(title))})
        blocks: list[dict[str, Any]] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": "*" + _text(notice, notice.headline, SECTION_TEXT - 2) + "*"}}
        ]
        if fields:
            blocks.append({"type": "section", "fields": fields})
        if notice.text.strip():
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _text(notice, notice.text, SECTION_TEXT, multiline=True)}})
        footer = f"{notice.path} \u00b7 mimctl"
        if notice.link and _SAFE_URL.match(notice.link):
            footer = f"<{notice.link}|{escape(notice.incident_id)}> \u00b7 {escape(footer)}"
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": footer}]})
        else:
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": fit(footer, CONTEXT_TEXT, escape)}]})
        return {"text": _text(notice, notice.headline, MESSAGE_TEXT), "blocks": blocks, "unfurl_links": False, "unfurl_media": False}

    def validate(self, payload: Any) -> list[str]:
        """Slack's rules: every block parses with slack_sdk and passes its ``validate_json()``, and the limits it leaves out."""
        from slack_sdk.errors import SlackObjectFormationError
        from slack_sdk.models.blocks import Block

        problems: list[str] = []
        text = payload.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > 40000:
            problems.append("text: must be 1 to 40,000 characters")
        blocks = payload.get("blocks") or []
        if len(blocks) > MAX_BLOCKS:
            problems.append(f"blocks: {len(blocks)} blocks, more than {MAX_BLOCKS}")
        for number, data in enumerate(blocks):
            block = Block.parse(data)
            if block is None:
                problems.append(f"blocks[{number}]: slack_sdk does not know a block of type {data.get('type')!r}")
                continue
            try:
                block.validate_json()
            except SlackObjectFormationError as exc:
                problems.append(f"blocks[{number}]: {exc}")
            for name, limit in (("fields", FIELD_TEXT), ("elements", CONTEXT_TEXT)):
                for index, item in enumerate(data.get(name) or ()):
                    size = len(item.get("text", ""))
                    if not 0 < size <= limit:
                        problems.append(f"blocks[{number}].{name}[{index}]: {size} characters (1 to {limit:,} allowed)")
            section = (data.get("text") or {}).get("text")
            if section is not None and not section.strip():
                problems.append(f"blocks[{number}].text: empty")
        return problems

    def send(self, channel: ChannelConfig, payload: Any, key: str, policy: RetryPolicy, env: Mapping[str, str]) -> Delivery:
        return http.post_json(channel, http.body_of(payload), policy, env)


CHANNEL = Slack()
