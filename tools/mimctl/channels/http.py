"""JSON over HTTPS with httpx: one POST per attempt, no redirects, Retry-After honoured, retries within a budget.

A redirect is a failure that names where it pointed: following a 302 turns
the POST into a GET without its body, and the 200 that follows would count
as delivered. 429 and 5xx are tried again (after ``Retry-After``, in seconds
or as an HTTP date, when the receiver gives one); 400, 413 and 422 mean the
receiver refused this message; other 4xx mean the channel is misconfigured.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from .base import ChannelConfig, ChannelError, Delivery, Retryable, RetryPolicy, env_value

USER_AGENT = "mimctl-notify/1"
MAX_RETRY_AFTER = 30.0
REFUSED = frozenset({400, 413, 422})  # the receiver judged this message and will never take it


def body_of(payload: Any) -> bytes:
    """Compact UTF-8 JSON, as sent and as receivers measure it."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def url_of(channel: ChannelConfig, env: Mapping[str, str]) -> str:
    url = env_value(channel, "url_env", env)
    if not url.startswith(("https://", "http://")):
        raise ChannelError(f"channel {channel.id}: the URL in {channel.options['url_env']} is not http(s)")
    return url


def post_json(
    channel: ChannelConfig,
    body: bytes,
    policy: RetryPolicy,
    env: Mapping[str, str],
    headers: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """POST ``body`` to the channel's URL until it is accepted, refused for good, or the attempts or budget run out."""
    try:
        url = url_of(channel, env)
    except ChannelError as exc:
        return Delivery(False, 0, str(exc))
    import httpx  # only the commands that send pay for the import

    sent_headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT, **(headers or {})}
    with httpx.Client(follow_redirects=False, timeout=policy.timeout, trust_env=False) as client:
        return retrying(lambda: _post_once(client, url, body, sent_headers, policy.timeout), policy, sleep)


def retrying(attempt: Callable[[], None], policy: RetryPolicy, sleep: Callable[[float], None] = time.sleep) -> Delivery:
    """Call ``attempt`` until it succeeds, fails for good, or the attempts or budget run out."""
    deadline = time.monotonic() + policy.budget
    last = ""
    attempts = max(policy.attempts, 1)
    for number in range(1, attempts + 1):
        try:
            attempt()
            return Delivery(True, number)
        except ChannelError as exc:
            return Delivery(False, number, str(exc), refused=exc.refused)
        except Retryable as exc:
            last = str(exc)
            delay = policy.backoff * (2 ** (number - 1))
            if exc.retry_after is not None:
                if exc.retry_after > MAX_RETRY_AFTER:
                    return Delivery(
                        False, number, f"{last}; asked to wait {exc.retry_after:.0f} s, more than {MAX_RETRY_AFTER:.0f} s", down=True
                    )
                delay = max(delay, exc.retry_after)
            if number == attempts or time.monotonic() + delay > deadline:
                return Delivery(False, number, f"{last} (gave up after {number} attempt(s))", down=True)
            sleep(delay)
    return Delivery(False, attempts, last, down=True)


def _post_once(client: Any, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> None:
    import httpx

    try:
        response = client.post(url, content=body, headers=dict(headers))
    except httpx.TimeoutException:
        raise Retryable(f"no answer from {host(url)} within {timeout:g} s") from None
    except httpx.ConnectError as exc:
        raise Retryable(f"cannot reach {host(url)}: {exc}") from None
    except httpx.HTTPError as exc:
        raise Retryable(f"connection to {host(url)} failed: {exc}") from None
    status = response.status_code
    if 200 <= status < 300:
        return
    detail = f"HTTP {status} from {host(url)}"
    reply = _reply(response)
    if 300 <= status < 400:
        where = response.headers.get("Location")
        pointed = f"redirected to {redacted(urllib.parse.urljoin(url, where))}" if where else "a redirect without a Location"
        raise ChannelError(f"{detail}: {pointed}; not followed (a POST must not be redirected): set the channel's URL to the final address")
    if status == 429 or status >= 500:
        raise Retryable(detail + reply, retry_after(response.headers.get("Retry-After")))
    if status in REFUSED:
        raise ChannelError(f"{detail} refused this message{reply}", refused=True)
    raise ChannelError(f"{detail}{reply} (check the channel's URL and permissions)")


def _reply(response: Any) -> str:
    """The receiver's short answer (Slack says e.g. ``invalid_blocks``), on one line."""
    text = " ".join(response.text[:200].split())
    return f": {text}" if text else ""


def host(url: str) -> str:
    """The URL without path or query: webhook paths are secrets and must not reach logs."""
    return urllib.parse.urlsplit(url).netloc or "the server"


def redacted(url: str) -> str:
    """Scheme and host of a redirect target; its path and query may hold the webhook's secret, so they show as ``/…``."""
    parts = urllib.parse.urlsplit(url)
    rest = "/\u2026" if parts.path not in ("", "/") or parts.query else "/"
    return f"{parts.scheme}://{parts.netloc}{rest}"


def retry_after(value: str | None, now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delay-seconds or an HTTP-date (RFC 9110 10.2.3); None if absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, (moment - now()).total_seconds())
