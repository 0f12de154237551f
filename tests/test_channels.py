"""channels.py against real servers on 127.0.0.1: an HTTP recorder that can fail on purpose, and aiosmtpd with STARTTLS."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from mimctl import channels
from mimctl.channels import ChannelConfig, RetryPolicy, http, smtp, webhook

FAST = RetryPolicy(attempts=3, timeout=0.3, backoff=0.01, budget=3.0)
SECRET = "s3cret-for-tests"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    def json(self) -> Any:
        return json.loads(self.body)


Answer = int | str | tuple[int, dict[str, str]]


def slack_refusal(body: bytes) -> str | None:
    """What Slack's API answers 400 to (its documented limits, counted on the text as sent), else None."""
    try:
        message = json.loads(body)
    except ValueError:
        return "invalid_payload"
    blocks = message.get("blocks", [])
    if not isinstance(message.get("text"), str) or not 0 < len(message["text"]) <= 40000 or len(blocks) > 50:
        return "invalid_payload"
    for block in blocks:
        texts = [(block["text"]["text"], 3000)] if "text" in block else []
        texts += [(f["text"], 2000) for f in block.get("fields", [])] + [(e["text"], 3000) for e in block.get("elements", [])]
        if len(block.get("fields", [])) > 10 or len(block.get("elements", [])) > 10 or any(not 0 < len(t) <= n for t, n in texts):
            return "invalid_blocks"
    return None


@dataclass
class Recorder:
    """An HTTP server that records every POST.

    ``plan[path]`` lists answers to give first: a status, 'slow', or (status,
    headers). ``refuse[path]`` is a function of the body giving a reason to
    answer 400 (Slack's limits, or one poisoned message), or None.
    """

    secret: str = SECRET
    requests: list[Received] = field(default_factory=list)
    plan: dict[str, list[Answer]] = field(default_factory=dict)
    always: dict[str, Answer] = field(default_factory=dict)
    refuse: dict[str, Any] = field(default_factory=dict)
    delay: float = 1.0
    server: ThreadingHTTPServer | None = None

    def url(self, path: str) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def to(self, path: str, status: int | None = None) -> list[Received]:
        return [r for r in self.requests if r.path == path and (status is None or r.status == status)]

    def answer(self, path: str, body: bytes) -> tuple[int | str, dict[str, str], bytes]:
        rule = self.refuse.get(path)
        reason = rule(body) if rule else None
        if reason:
            return 400, {}, reason.encode()
        queued = self.plan.get(path)
        answer = queued.pop(0) if queued else self.always.get(path, 200)
        if isinstance(answer, tuple):
            return answer[0], answer[1], b"ok"
        return answer, {"Retry-After": "0"} if answer == 429 else {}, b"ok"


def _handler(recorder: Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            answer, headers, reply = recorder.answer(self.path, body)
            status = 200 if answer == "slow" else int(answer)
            recorder.requests.append(Received(self.path, dict(self.headers.items()), body, status))
            if answer == "slow":
                time.sleep(recorder.delay)
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def do_GET(self) -> None:  # noqa: N802 - a followed redirect would arrive here
            recorder.requests.append(Received(self.path, dict(self.headers.items()), b"", 200))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet tests
            pass

    return Handler


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    rec.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(rec))
    rec.server.daemon_threads = True
    thread = threading.Thread(target=rec.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        rec.server.shutdown()
        rec.server.server_close()


def verify_signature(received: Received, secret: str = SECRET) -> bool:
    """What a receiver does: recompute the HMAC-SHA256 of the raw body and compare in constant time."""
    expected = "sha256=" + hmac.new(secret.encode(), received.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, received.headers.get(webhook.SIGNATURE_HEADER, ""))


def hook(kind: str = "slack", **options: Any) -> ChannelConfig:
    return ChannelConfig("test", kind, {"url_env": "HOOK_URL", "secret_env": "HOOK_SECRET", **options})


# --- HTTP -------------------------------------------------------------------------------


def test_retries_server_errors_then_succeeds(recorder: Recorder) -> None:
    recorder.plan["/flaky"] = [500, 503]
    result = channels.send(hook(), {"text": "hi"}, "k", FAST, {"HOOK_URL": recorder.url("/flaky")})
    assert result.ok and result.attempts == 3, result
    assert [r.status for r in recorder.to("/flaky")] == [500, 503, 200]


def test_retries_429(recorder: Recorder) -> None:
    recorder.plan["/busy"] = [429]
    result = channels.send(hook(), {"text": "hi"}, "k", FAST, {"HOOK_URL": recorder.url("/busy")})
    assert result.ok and result.attempts == 2


def test_gives_up_after_the_attempts(recorder: Recorder) -> None:
    recorder.always["/down"] = 500
    result = channels.send(hook(), {"text": "hi"}, "k", FAST, {"HOOK_URL": recorder.url("/down")})
    assert not result.ok and result.attempts == 3
    assert "HTTP 500" in result.error and "/down" not in result.error  # the URL's path is a secret
    assert len(recorder.to("/down")) == 3


def test_client_errors_are_not_retried(recorder: Recorder) -> None:
    recorder.always["/gone"] = 404
    result = channels.send(hook(), {"text": "hi"}, "k", FAST, {"HOOK_URL": recorder.url("/gone")})
    assert not result.ok and result.attempts == 1 and "HTTP 404" in result.error
    assert not result.refused and not result.down  # the channel is misconfigured: later messages are tried, nothing recorded


def test_a_400_is_a_refusal_of_this_message_with_the_receivers_reason(recorder: Recorder) -> None:
    recorder.refuse["/slack"] = lambda body: "invalid_blocks"
    result = channels.send(hook(), {"text": "hi"}, "k", FAST, {"HOOK_URL": recorder.url("/slack")})
    assert not result.ok and result.refused and result.attempts == 1
    assert "HTTP 400" in result.error and "invalid_blocks" in result.error


def test_a_redirect_is_not_followed_and_says_where_it_pointed(recorder: Recorder) -> None:
    recorder.always["/moved"] = (302, {"Location": "https://hooks.example.net/services/T000/B000/SECRET?token=x"})
    result = channels.send(hook(), {"text": "hi"}, "k", FAST, {"HOOK_URL": recorder.url("/moved")})
    assert not result.ok and result.attempts == 1 and not result.refused
    assert "HTTP 302" in result.error and "redirected to https://hooks.example.net/" in result.error
    assert "SECRET" not in result.error and "token" not in result.error  # the target's path may be the secret
    assert [r.path for r in recorder.requests] == ["/moved"]  # no GET to the target, no second POST


def test_retry_after_as_an_http_date_is_honoured(recorder: Recorder) -> None:
    from email.utils import format_datetime

    when = datetime.now(timezone.utc) + timedelta(seconds=2)
    recorder.plan["/busy"] = [(429, {"Retry-After": format_datetime(when, usegmt=True)})]
    started = time.monotonic()
    result = channels.send(hook(), {"text": "hi"}, "k", FAST, {"HOOK_URL": recorder.url("/busy")})
    assert result.ok and result.attempts == 2
    assert time.monotonic() - started >= 0.9  # HTTP dates have whole seconds: at least the rest of one


def test_retry_after_longer_than_allowed_gives_up_at_once(recorder: Recorder) -> None:
    recorder.plan["/busy"] = [(503, {"Retry-After": "3600"})]
    started = time.monotonic()
    result = channels.send(hook(), {"text": "hi"}, "k", FAST, {"HOOK_URL": recorder.url("/busy")})
    assert not result.ok and result.down and "asked to wait 3600 s" in result.error
    assert time.monotonic() - started < 1


def test_retry_after_forms() -> None:
    now = datetime(2025, 3, 10, 8, 0, tzinfo=timezone.utc)
    assert http.retry_after("120", lambda: now) == 120
    assert http.retry_after("Mon, 10 Mar 2025 08:00:30 GMT", lambda: now) == 30
    assert http.retry_after("Mon, 10 Mar 2025 07:00:00 GMT", lambda: now) == 0  # already past
    assert http.retry_after("soon", lambda: now) is None and http.retry_after(None) is None and http.retry_after("-5") is None


def test_a_slow_server_times_out_and_is_retried(recorder: Recorder) -> None:
    recorder.plan["/slow"] = ["slow", "slow"]
    started = time.monotonic()
    result = channels.send(hook(), {"text": "hi"}, "k", FAST, {"HOOK_URL": recorder.url("/slow")})
    assert result.ok and result.attempts == 3, result
    assert time.monotonic() - started < 2.5


def test_the_budget_bounds_the_total_time(recorder: Recorder) -> None:
    recorder.always["/down"] = 500
    policy = RetryPolicy(attempts=10, timeout=0.3, backoff=0.2, budget=0.5)
    started = time.monotonic()
    result = channels.send(hook(), {"text": "hi"}, "k", policy, {"HOOK_URL": recorder.url("/down")})
    assert not result.ok and result.attempts < 10
    assert time.monotonic() - started < 1.5


def test_connection_refused_is_retried_then_reported() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = channels.send(hook(), {"text": "hi"}, "k", FAST, {"HOOK_URL": f"http://127.0.0.1:{port}/x"})
    assert not result.ok and result.attempts == 3 and "cannot reach" in result.error


def test_webhook_is_signed_with_a_timestamp_and_idempotency_key(recorder: Recorder) -> None:
    env = {"HOOK_URL": recorder.url("/hook"), "HOOK_SECRET": SECRET}
    key = channels.idempotency_key("incidents/INC-0001/timeline/x.yaml", "test")
    result = webhook.Webhook(clock=lambda: 1_700_000_000).send(hook("webhook"), {"headline": "hi"}, key, FAST, env)
    assert result.ok
    (received,) = recorder.to("/hook")
    assert verify_signature(received)
    assert not verify_signature(received, "another secret")
    assert received.headers[webhook.TIMESTAMP_HEADER] == "1700000000"
    assert received.json()["sent_at"] == 1_700_000_000  # the signed body carries the time too
    assert received.headers[webhook.IDEMPOTENCY_HEADER] == key
    assert received.headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "environment variable HOOK_URL is not set"),
        ({"HOOK_URL": "file:///etc/passwd"}, "is not http(s)"),
        ({"HOOK_URL": "http://127.0.0.1:9/"}, "environment variable HOOK_SECRET is not set"),
    ],
)
def test_missing_or_bad_secrets_are_clear_errors(env: dict[str, str], message: str) -> None:
    result = channels.send(hook("webhook"), {"headline": "hi"}, "k", FAST, env)
    assert not result.ok and result.attempts == 0 and message in result.error and "channel test" in result.error


# --- SMTP with STARTTLS ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-days",
            "1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _over_tls(server: Any, session: Any) -> bool:
    """STARTTLS done (session.ssl), or TLS from the first byte (the transport is an SSL one)."""
    return bool(session.ssl) or server.transport.get_extra_info("ssl_object") is not None


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str], bool]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))  # type: ignore[arg-type]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), _over_tls(server, session)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Inbox, int]]:
    """aiosmtpd that refuses mail before STARTTLS; the client trusts its certificate through SSL_CERT_FILE."""
    from aiosmtpd.controller import Controller

    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True)
    controller.start()
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    try:
        yield inbox, port
    finally:
        controller.stop()


def mail_channel(port: int, starttls: bool = True) -> ChannelConfig:
    return ChannelConfig(
        "mail", "email", {"host": "127.0.0.1", "port": port, "starttls": starttls, "from": "mimctl@example.com", "to": ["mim@example.com"]}
    )


def test_email_is_sent_over_starttls(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    message = email.message.EmailMessage()
    message["Subject"], message["From"], message["To"] = "INC-0001 declared", "mimctl@example.com", "mim@example.com"
    message.set_content("Checkout is down.\n")
    result = channels.send(mail_channel(port), message, "k", FAST, {})
    assert result.ok, result
    (received,) = inbox.messages
    assert received["Subject"] == "INC-0001 declared"
    assert inbox.envelopes == [("mimctl@example.com", ["mim@example.com"], True)]


def test_email_without_starttls_is_refused_by_a_server_that_requires_it(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    message = email.message.EmailMessage()
    message["Subject"], message["From"], message["To"] = "x", "mimctl@example.com", "mim@example.com"
    message.set_content("x\n")
    result = channels.send(mail_channel(port, starttls=False), message, "k", FAST, {})
    assert not result.ok and "530" in result.error and not inbox.messages


def test_untrusted_certificate_fails_for_good(smtp_server: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, port = smtp_server
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent.pem")
    message = email.message.EmailMessage()
    message["Subject"], message["From"], message["To"] = "x", "mimctl@example.com", "mim@example.com"
    message.set_content("x\n")
    result = channels.send(mail_channel(port), message, "k", FAST, {})
    assert not result.ok and result.attempts == 1 and "TLS" in result.error and not inbox.messages


def test_email_password_from_a_missing_variable_is_a_clear_error() -> None:
    channel = ChannelConfig(
        "mail",
        "email",
        {
            "host": "127.0.0.1",
            "port": 9,
            "from": "a@example.com",
            "to": ["b@example.com"],
            "username_env": "SMTP_USER",
            "password_env": "SMTP_PASSWORD",
        },
    )
    result = channels.send(channel, email.message.EmailMessage(), "k", FAST, {"SMTP_USER": "u"})
    assert not result.ok and "SMTP_PASSWORD is not set" in result.error


class Logins:
    """An aiosmtpd authenticator that records every login it is offered."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, bool]] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult

        self.seen.append((auth_data.login.decode(), _over_tls(server, session)))
        return AuthResult(success=auth_data.login == b"mimctl" and auth_data.password == b"pw")


def _message() -> email.message.EmailMessage:
    message = email.message.EmailMessage()
    message["Subject"], message["From"], message["To"] = "x", "mimctl@example.com", "mim@example.com"
    message.set_content("x\n")
    return message


def test_implicit_tls_with_a_login(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Port 465 style: TLS from the first byte (aiosmtpd's ssl_context), then AUTH inside it.

    aiosmtpd's auth_require_tls only knows STARTTLS, so the server offers AUTH
    here without it; the authenticator records that the session was TLS.
    """
    from aiosmtpd.controller import Controller

    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    inbox, logins, port = Inbox(), Logins(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ssl_context=context, authenticator=logins, auth_require_tls=False)
    controller.start()
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    try:
        options = {**mail_channel(port).options, "tls": "implicit", "username_env": "U", "password_env": "P"}
        result = channels.send(ChannelConfig("mail", "email", options), _message(), "k", FAST, {"U": "mimctl", "P": "pw"})
    finally:
        controller.stop()
    assert result.ok, result
    assert logins.seen == [("mimctl", True)] and inbox.envelopes == [("mimctl@example.com", ["mim@example.com"], True)]


def test_port_465_means_implicit_tls() -> None:
    assert smtp.mode({"port": 465}) == "implicit" and smtp.mode({"port": 587}) == "starttls"
    assert smtp.mode({"port": 25, "starttls": False}) == "none" and smtp.mode({"port": 465, "tls": "starttls"}) == "starttls"


def test_a_password_is_never_sent_without_tls() -> None:
    """With tls: none and credentials, mimctl refuses before it connects (here: to a server that would take them)."""
    from aiosmtpd.controller import Controller

    inbox, logins, port = Inbox(), Logins(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=logins, auth_require_tls=False)
    controller.start()
    try:
        options = {**mail_channel(port, starttls=False).options, "username_env": "U", "password_env": "P"}
        result = channels.send(ChannelConfig("mail", "email", options), _message(), "k", FAST, {"U": "mimctl", "P": "pw"})
    finally:
        controller.stop()
    assert not result.ok and result.attempts == 0 and "never sends credentials in clear" in result.error
    assert logins.seen == [] and inbox.messages == []
    assert smtp.CHANNEL.check({"tls": "none", "password_env": "P"})  # and `notify` refuses the configuration up front
