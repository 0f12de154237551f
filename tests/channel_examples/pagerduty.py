"""A channel type that mimctl does not ship (PagerDuty's Events API v2), to show what adding one takes.

This module and one entry in ``mimctl.channels.TYPES`` are all: the tests
register it and send through it end to end.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mimctl.channels import http
from mimctl.channels.base import ChannelConfig, Delivery, Notice, RetryPolicy, env_value, fit, idempotency_key, one_line


class PagerDuty:
    type = "pagerduty"
    required = ("url_env", "routing_key_env")

    def check(self, options: Mapping[str, Any]) -> list[str]:
        return []

    def build(self, notice: Notice, channel: ChannelConfig) -> dict[str, Any]:
        return {
            "event_action": "trigger",
            "dedup_key": idempotency_key(notice.path, channel.id),
            "payload": {"summary": fit(notice.headline, 1024, one_line), "source": notice.incident_id, "severity": "critical"},
            "links": [{"href": notice.link, "text": notice.incident_id}] if notice.link else [],
        }

    def validate(self, payload: Any) -> list[str]:
        return [] if 0 < len(payload["payload"]["summary"]) <= 1024 else ["summary: 1 to 1024 characters"]

    def send(self, channel: ChannelConfig, payload: Any, key: str, policy: RetryPolicy, env: Mapping[str, str]) -> Delivery:
        routing_key = env_value(channel, "routing_key_env", env)
        return http.post_json(channel, http.body_of({**payload, "routing_key": routing_key}), policy, env)


CHANNEL = PagerDuty()
