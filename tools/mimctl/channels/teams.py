"""Microsoft Teams: an Adaptive Card (version 1.5, the newest Teams renders) posted to a Workflows webhook.

Teams takes a message of at most about 28 KB; the card's text is cut to fit
(measured as the UTF-8 JSON sent) with a link to the incident page. Text is
Markdown in a TextBlock, where a single line break collapses: each line of a
record's text becomes its own paragraph.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from . import http
from .base import ChannelConfig, Delivery, Notice, RetryPolicy, defuse_broadcasts, fit, lines_of, one_line

CARD_VERSION = "1.5"
MAX_BYTES = 28_000  # Teams refuses a larger message ("413 Request Entity Too Large"); a margin below 28 KiB
FACT_TEXT = 2000
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")
_SAFE_URL = re.compile(r"https?://[^\s<>()\[\]\"'`]+\Z")


def escape(text: str) -> str:
    """Adaptive Card Markdown: its characters escaped, no tags (so no ``<at>`` mentions), broadcasts defused."""
    escaped = _MARKDOWN.sub(r"\\\1", str(text)).replace("<", "\u2039").replace(">", "\u203a")
    return defuse_broadcasts(escaped)


def paragraphs(text: str) -> str:
    """Each non-empty line as its own Markdown paragraph, so Teams keeps the line breaks."""
    return "\n\n".join(escape(line) for line in lines_of(text) if line.strip())


def _json_size(text: str) -> int:
    return len(json.dumps(text, ensure_ascii=False).encode()) - 2


class Teams:
    type = "teams"
    sends = (
        'A Teams Workflows webhook ("When a Teams webhook request is received" → post card): `{"type": "message", '
        '"attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": <Adaptive Card 1.5>}]}`. Version'
        " 1.5 is the newest Teams renders."
    )
    limits = (
        "About 28 KB per message: the text is cut so the whole UTF-8 JSON stays under 28,000 bytes; the headline and each fact "
        "are cut at 2,000 characters. Markdown collapses a single line break, so each line of the text is its own paragraph."
    )
    required = ("url_env",)

    def check(self, options: Mapping[str, Any]) -> list[str]:
        return []

    def build(self, notice: Notice, channel: ChannelConfig) -> dict[str, Any]:
        """A Teams Workflows message ("post to a channel when a webhook request is received") with one Adaptive Card."""
        note = f" [full text on the incident page]({notice.link})" if notice.link and _SAFE_URL.match(notice.link) else ""
        line = lambda t: escape(one_line(t))  # noqa: E731 - a renderer for fit()
        body: list[dict[str, Any]] = [
            {"type": "TextBlock", "text": fit(notice.headline, FACT_TEXT, line, note), "weight": "Bolder", "size": "Medium", "wrap": True},
        ]
        if notice.details:
            facts = [{"title": one_line(label), "value": fit(value, FACT_TEXT, line, note)} for label, value in notice.details]
            body.append({"type": "FactSet", "facts": facts})
        where = escape(f"{notice.path} \u00b7 mimctl")
        if note:
            where = f"[{escape(notice.incident_id)}]({notice.link}) \u00b7 {where}"
        footer: dict[str, Any] = {"type": "TextBlock", "text": where, "isSubtle": True, "size": "Small", "wrap": True}
        message = self._message([*body, footer])
        if notice.text.strip():
            room = MAX_BYTES - len(http.body_of(message)) - 64  # the new TextBlock's own keys
            text = {
                "type": "TextBlock",
                "text": fit(notice.text, room, paragraphs, "\n\n" + note.strip() if note else "", _json_size),
                "wrap": True,
            }
            message = self._message([*body, text, footer])
        return message

    @staticmethod
    def _message(body: list[dict[str, Any]]) -> dict[str, Any]:
        card = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": CARD_VERSION,
            "body": body,
            "msteams": {"width": "Full"},
        }
        return {
            "type": "message",
            "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}],
        }

    def validate(self, payload: Any) -> list[str]:
        """The envelope Teams expects and its size limit (the card itself is checked by the adaptivecards parser in the tests)."""
        problems = []
        size = len(http.body_of(payload))
        if size > MAX_BYTES:
            problems.append(f"{size:,} bytes, more than Teams' {MAX_BYTES:,}")
        attachments = payload.get("attachments") or []
        if payload.get("type") != "message" or len(attachments) != 1:
            problems.append("not a message with one attachment")
        for attachment in attachments:
            card = attachment.get("content") or {}
            if attachment.get("contentType") != "application/vnd.microsoft.card.adaptive" or card.get("type") != "AdaptiveCard":
                problems.append("the attachment is not an Adaptive Card")
            if card.get("version") != CARD_VERSION:
                problems.append(f"card version {card.get('version')!r}, not {CARD_VERSION}")
            for index, element in enumerate(card.get("body") or ()):
                if element.get("type") == "TextBlock" and not str(element.get("text", "")).strip():
                    problems.append(f"body[{index}]: an empty TextBlock")
        return problems

    def send(self, channel: ChannelConfig, payload: Any, key: str, policy: RetryPolicy, env: Mapping[str, str]) -> Delivery:
        return http.post_json(channel, http.body_of(payload), policy, env)


CHANNEL = Teams()
