"""Generic signed webhooks: the event and the incident as JSON data, for paging tools and automation.

The body is signed (HMAC-SHA256 of the raw body, with the send time inside
it and in a header) so a receiver can check origin and freshness, and every
attempt of one (event, channel) carries the same ``Idempotency-Key``. Text is
sent as recorded: receivers escape it for wherever they show it.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from typing import Any

from . import http
from .base import ChannelConfig, ChannelError, Delivery, Notice, RetryPolicy, env_value, idempotency_key

SIGNATURE_HEADER = "X-Mimctl-Signature"
TIMESTAMP_HEADER = "X-Mimctl-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_BYTES = 1024 * 1024


def sign(secret: str, body: bytes) -> str:
    """The signature header value: ``sha256=`` and the hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Webhook:
    type = "webhook"
    sends = (
        "JSON: `incident` (with `url` when the site is configured), `event` (the timeline record as data), `headline`, "
        "`idempotency_key`, `sent_at`. Headers: `X-Mimctl-Signature: sha256=<hex HMAC-SHA256 of the raw body with the secret>`,"
        " `X-Mimctl-Timestamp`, `Idempotency-Key`."
    )
    limits = "1 MiB (records are smaller); nothing is cut: receivers get the data as recorded."
    required = ("url_env", "secret_env")

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock

    def check(self, options: Mapping[str, Any]) -> list[str]:
        return []

    def build(self, notice: Notice, channel: ChannelConfig) -> dict[str, Any]:
        """Plain JSON: the event and the incident as data, with the incident page's address when the site is configured."""
        return {
            "version": 1,
            "channel": channel.id,
            "idempotency_key": idempotency_key(notice.path, channel.id),
            "headline": notice.headline,
            "incident": {
                "id": notice.incident_id,
                "title": notice.title,
                "severity": notice.severity,
                "stage": notice.stage,
                "services": list(notice.services),
                **({"url": notice.link} if notice.link else {}),
            },
            "event": {"path": notice.path, **notice.event},
        }

    def validate(self, payload: Any) -> list[str]:
        size = len(http.body_of(payload))
        return [f"{size:,} bytes, more than {MAX_BYTES:,}"] if size > MAX_BYTES else []

    def send(self, channel: ChannelConfig, payload: Any, key: str, policy: RetryPolicy, env: Mapping[str, str]) -> Delivery:
        try:
            http.url_of(channel, env)
            secret = env_value(channel, "secret_env", env)
        except ChannelError as exc:
            return Delivery(False, 0, str(exc))
        stamped = {**payload, "sent_at": int(self.clock())}
        body = http.body_of(stamped)
        headers = {SIGNATURE_HEADER: sign(secret, body), TIMESTAMP_HEADER: str(stamped["sent_at"]), IDEMPOTENCY_HEADER: key}
        return http.post_json(channel, body, policy, env, headers)


CHANNEL = Webhook()
