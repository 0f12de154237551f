"""Sending: the only module that talks to Slack, Teams, webhooks and mail servers.

Payloads are built elsewhere (notifications.py); this module reads the secrets
named in config from the environment, sends with a timeout, and retries what
may succeed later (timeouts, connection errors, HTTP 5xx and 429, SMTP 4xx)
with exponential backoff inside a small total time budget.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

USER_AGENT = "mimctl-notify/1"
SIGNATURE_HEADER = "X-Mimctl-Signature"
TIMESTAMP_HEADER = "X-Mimctl-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_RETRY_AFTER = 30.0


class ChannelError(Exception):
    """A delivery that will not succeed by trying again (bad config, missing secret, 4xx)."""


class _Retryable(Exception):
    """A failure that may pass: the next attempt may succeed."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class RetryPolicy:
    """How long one attempt may take, how often to try, and the total time allowed."""

    attempts: int = 4
    timeout: float = 10.0
    backoff: float = 1.0
    budget: float = 30.0

    @classmethod
    def from_data(cls, data: Mapping[str, Any] | None) -> RetryPolicy:
        data = data or {}
        return cls(
            int(data.get("attempts", cls.attempts)),
            float(data.get("timeout_seconds", cls.timeout)),
            float(data.get("backoff_seconds", cls.backoff)),
            float(data.get("budget_seconds", cls.budget)),
        )


@dataclass(frozen=True)
class ChannelConfig:
    """One entry of ``notifications.channels`` in process.yaml."""

    id: str
    type: str
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return str(self.options.get("title") or self.id)


@dataclass(frozen=True)
class Delivery:
    """What happened to one message: delivered or not, after how many attempts."""

    ok: bool
    attempts: int
    error: str = ""


def env_value(channel: ChannelConfig, key: str, env: Mapping[str, str]) -> str:
    """The secret the channel's ``key`` names, or ChannelError saying which variable is missing."""
    name = channel.options.get(key)
    if not name:
        raise ChannelError(f"channel {channel.id}: {key} is not set in process.yaml")
    value = env.get(str(name), "")
    if not value.strip():
        raise ChannelError(f"channel {channel.id}: environment variable {name} is not set (it holds the {key[:-4]})")
    return value.strip()


def sign(secret: str, body: bytes) -> str:
    """The signature header value: ``sha256=`` and the hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def idempotency_key(event_path: str, channel_id: str) -> str:
    """The same key for every attempt and every rerun of one (event, channel) delivery."""
    return hashlib.sha256(f"{event_path}\0{channel_id}".encode()).hexdigest()[:32]


def send(
    channel: ChannelConfig,
    payload: Any,
    key: str,
    policy: RetryPolicy,
    env: Mapping[str, str],
    clock: Callable[[], float] = time.time,
) -> Delivery:
    """Deliver ``payload`` (a JSON-able dict, or an EmailMessage for email) on ``channel``."""
    try:
        if channel.type == "email":
            return _retrying(lambda: _smtp_once(channel, payload, policy, env), policy)
        url = env_value(channel, "url_env", env)
        if not url.startswith(("https://", "http://")):
            raise ChannelError(f"channel {channel.id}: the URL in {channel.options['url_env']} is not http(s)")
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT}
        if channel.type == "webhook":
            secret = env_value(channel, "secret_env", env)
            payload = {**payload, "sent_at": int(clock())}
            body = _json(payload)
            headers.update({SIGNATURE_HEADER: sign(secret, body), TIMESTAMP_HEADER: str(payload["sent_at"]), IDEMPOTENCY_HEADER: key})
        else:
            body = _json(payload)
        return _retrying(lambda: _post_once(url, body, headers, policy.timeout), policy)
    except ChannelError as exc:
        return Delivery(False, 0, str(exc))


def _json(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _retrying(attempt: Callable[[], None], policy: RetryPolicy) -> Delivery:
    """Call ``attempt`` until it succeeds, fails for good, or the attempts or budget run out."""
    deadline = time.monotonic() + policy.budget
    last = ""
    for number in range(1, max(policy.attempts, 1) + 1):
        try:
            attempt()
            return Delivery(True, number)
        except ChannelError as exc:
            return Delivery(False, number, str(exc))
        except _Retryable as exc:
            last = str(exc)
            delay = policy.backoff * (2 ** (number - 1))
            if exc.retry_after is not None:
                delay = max(delay, min(exc.retry_after, MAX_RETRY_AFTER))
            if number == policy.attempts or time.monotonic() + delay > deadline:
                return Delivery(False, number, f"{last} (gave up after {number} attempt(s))")
            time.sleep(delay)
    return Delivery(False, policy.attempts, last)


def _post_once(url: str, body: bytes, headers: dict[str, str], timeout: float) -> None:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked
            response.read(65536)
    except urllib.error.HTTPError as exc:
        detail = f"HTTP {exc.code} from {_host(url)}"
        if exc.code == 429 or exc.code >= 500:
            raise _Retryable(detail, _retry_after(exc.headers.get("Retry-After"))) from None
        raise ChannelError(detail) from None
    except TimeoutError:
        raise _Retryable(f"no answer from {_host(url)} within {timeout:g} s") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (TimeoutError, socket.timeout)):
            raise _Retryable(f"no answer from {_host(url)} within {timeout:g} s") from None
        raise _Retryable(f"cannot reach {_host(url)}: {exc.reason}") from None
    except (ConnectionError, OSError) as exc:
        raise _Retryable(f"connection to {_host(url)} failed: {exc}") from None


def _host(url: str) -> str:
    """The URL without path or query: webhook paths are secrets and must not reach logs."""
    return urllib.parse.urlsplit(url).netloc or "the server"


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _smtp_once(channel: ChannelConfig, message: EmailMessage, policy: RetryPolicy, env: Mapping[str, str]) -> None:
    options = channel.options
    host, port = str(options["host"]), int(options.get("port", 587))
    username = env_value(channel, "username_env", env) if options.get("username_env") else None
    password = env_value(channel, "password_env", env) if options.get("password_env") else None
    try:
        with smtplib.SMTP(host, port, timeout=policy.timeout) as smtp:
            smtp.ehlo()
            if options.get("starttls", True):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if username is not None and password is not None:
                smtp.login(username, password)
            smtp.send_message(message)
    except smtplib.SMTPResponseException as exc:
        reply = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        detail = f"SMTP {exc.smtp_code} from {host}: {reply}"
        if 400 <= exc.smtp_code < 500:
            raise _Retryable(detail) from None
        raise ChannelError(detail) from None
    except smtplib.SMTPNotSupportedError:
        raise ChannelError(f"{host} does not offer STARTTLS (set starttls: false only for a trusted local relay)") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise ChannelError(f"{host} refused the recipients: {', '.join(exc.recipients)}") from None
    except ssl.SSLError as exc:
        raise ChannelError(f"TLS with {host} failed: {exc}") from None
    except (smtplib.SMTPServerDisconnected, TimeoutError, ConnectionError) as exc:
        raise _Retryable(f"SMTP to {host}:{port} failed: {exc or type(exc).__name__}") from None
    except smtplib.SMTPException as exc:
        raise ChannelError(f"SMTP to {host}:{port} failed: {exc}") from None
    except OSError as exc:
        raise _Retryable(f"SMTP to {host}:{port} failed: {exc}") from None
