"""E-mail over SMTP: a plain-text message with the headers RFC 5322 asks for, sent only over TLS when there is a password.

``tls`` is ``implicit`` (TLS from the first byte, port 465, the default
there), ``starttls`` (upgrade before anything else, the default elsewhere)
or ``none`` (a trusted local relay only). A password is never sent without
TLS: mimctl refuses before it connects. The Subject is encoded by
``email.header`` rather than refolded by the ``email`` policy, whose folder
can write an empty encoded word (``=?utf-8?q??=``) into long non-ASCII subjects.
"""

from __future__ import annotations

import email.policy
import re
import smtplib
import ssl
from collections.abc import Mapping
from datetime import datetime, timezone
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from .base import ChannelConfig, ChannelError, Delivery, Notice, Retryable, RetryPolicy, env_value, idempotency_key, lines_of, one_line
from .http import retrying

SUBJECT_CHARACTERS = 200
MODES = ("implicit", "starttls", "none")
_PRINTABLE_ASCII = re.compile(r"[ -~]*\Z")
_EMPTY_WORD = re.compile(rb"=\?[^?\s]*\?[qQbB]\?\?=")


def mode(options: Mapping[str, Any]) -> str:
    """The TLS mode: ``tls`` if given, else ``none`` for the older ``starttls: false``, else by port."""
    if options.get("tls"):
        return str(options["tls"])
    if options.get("starttls") is False:
        return "none"
    return "implicit" if int(options.get("port", 587)) == 465 else "starttls"


def subject_header(subject: str) -> str:
    """The Subject's value as written: folded plain ASCII, or RFC 2047 encoded words for anything else."""
    if _PRINTABLE_ASCII.match(subject) and "=?" not in subject:
        return Header(subject, "us-ascii", header_name="Subject").encode(linesep="\n", maxlinelen=76)
    return Header(subject, "utf-8", header_name="Subject").encode(linesep="\n", maxlinelen=76)


def header_problems(raw: bytes) -> list[str]:
    """What a strict reader of the header section would reject: long lines, bare CR/LF, empty encoded words, a missing Date."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    problems = []
    for number, line in enumerate(head.split(b"\r\n"), 1):
        if len(line) > 998:
            problems.append(f"header line {number} is {len(line)} octets (998 allowed)")
        elif len(line) > 78:
            problems.append(f"header line {number} is {len(line)} octets (78 recommended)")
        if b"\r" in line or b"\n" in line:
            problems.append(f"header line {number} holds a bare CR or LF")
        if _EMPTY_WORD.search(line):
            problems.append(f"header line {number} holds an empty encoded word")
        if any(byte > 127 for byte in line):
            problems.append(f"header line {number} is not ASCII")
    names = [line.split(b":", 1)[0].lower() for line in head.split(b"\r\n") if line and not line.startswith((b" ", b"\t"))]
    for required in (b"date", b"from", b"to", b"subject", b"message-id"):
        if names.count(required) != 1:
            problems.append(f"{required.decode().title()}: {names.count(required)} times (once required)")
    return problems


class Email:
    type = "email"
    sends = (
        "Plain text over SMTP: `Date`, `Message-ID` (derived from the (event, channel) pair, under the From domain or "
        "`message_id_domain`), `Auto-Submitted: auto-generated`. The subject is `[SEVERITY] headline`, the severity once."
    )
    limits = (
        "Subject cut at 200 characters and RFC 2047-encoded by `email.header` (Python's default folding can write an empty "
        "encoded word `=?utf-8?q??=` into long non-ASCII subjects); header lines within 78 octets; the body is sent whole."
    )
    required = ("host", "from", "to")

    def check(self, options: Mapping[str, Any]) -> list[str]:
        problems = []
        tls = mode(options)
        if tls not in MODES:
            problems.append(f"tls: {tls!r} is not one of {', '.join(MODES)}")
        if tls == "none" and (options.get("username_env") or options.get("password_env")):
            problems.append(
                "a password is configured but TLS is off: mimctl never sends credentials in clear (set tls: starttls or implicit)"
            )
        return problems

    def build(self, notice: Notice, channel: ChannelConfig) -> EmailMessage:
        """A plain-text e-mail; its header fields hold no control characters, so no header can be injected."""
        options = channel.options
        message = EmailMessage(policy=email.policy.SMTP)
        subject = one_line(f"[{notice.severity}] {notice.headline}")
        if len(subject) > SUBJECT_CHARACTERS:
            subject = subject[: SUBJECT_CHARACTERS - 1].rstrip() + "\u2026"
        message.set_raw("Subject", subject_header(subject))
        message["From"] = str(options["from"])
        message["To"] = ", ".join(options["to"])
        message["Date"] = format_datetime(datetime.now(timezone.utc))
        domain = str(options.get("message_id_domain") or str(options["from"]).rsplit("@", 1)[-1])
        message["Message-ID"] = f"<{idempotency_key(notice.path, channel.id)}@{domain}>"
        message["Auto-Submitted"] = "auto-generated"
        lines = [notice.headline, "", *(f"{label}: {value}" for label, value in notice.details)]
        if notice.text.strip():
            lines += ["", *lines_of(notice.text)]
        if notice.link:
            lines += ["", f"Incident page: {notice.link}"]
        lines += ["", f"-- mimctl ({notice.path})"]
        message.set_content("\n".join(lines) + "\n")
        return message

    def validate(self, payload: Any) -> list[str]:
        return header_problems(payload.as_bytes(policy=email.policy.SMTP))

    def send(self, channel: ChannelConfig, payload: Any, key: str, policy: RetryPolicy, env: Mapping[str, str]) -> Delivery:
        options = channel.options
        try:
            problems = self.check(options)
            if problems:
                raise ChannelError(f"channel {channel.id}: {problems[0]}")
            username = env_value(channel, "username_env", env) if options.get("username_env") else None
            password = env_value(channel, "password_env", env) if options.get("password_env") else None
        except ChannelError as exc:
            return Delivery(False, 0, str(exc))
        raw = payload.as_bytes(policy=email.policy.SMTP)
        return retrying(lambda: _send_once(options, raw, username, password, policy.timeout), policy)


def _send_once(options: Mapping[str, Any], raw: bytes, username: str | None, password: str | None, timeout: float) -> None:
    host, tls = str(options["host"]), mode(options)
    port = int(options.get("port", 465 if tls == "implicit" else 587))
    context = ssl.create_default_context()
    try:
        smtp = (
            smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
            if tls == "implicit"
            else smtplib.SMTP(host, port, timeout=timeout)
        )
        with smtp:
            smtp.ehlo()
            if tls == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if username is not None and password is not None:
                if tls == "none":  # check() refuses this configuration; never send a password in clear all the same
                    raise ChannelError(f"{host}: not sending credentials without TLS")
                smtp.login(username, password)
            smtp.sendmail(str(options["from"]), [str(a) for a in options["to"]], raw)
    except smtplib.SMTPRecipientsRefused as exc:
        raise ChannelError(f"{host} refused the recipients: {', '.join(exc.recipients)}") from None
    except smtplib.SMTPAuthenticationError as exc:
        raise ChannelError(f"{host} refused the login (SMTP {exc.smtp_code}): check the user name and password variables") from None
    except smtplib.SMTPNotSupportedError as exc:
        if "STARTTLS" in str(exc).upper():
            raise ChannelError(
                f"{host} does not offer STARTTLS (port 465 wants tls: implicit; tls: none only for a trusted local relay)"
            ) from None
        raise ChannelError(f"{host}:{port}: {exc}") from None
    except smtplib.SMTPResponseException as exc:
        reply = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        detail = f"SMTP {exc.smtp_code} from {host}: {one_line(reply)}"
        if 400 <= exc.smtp_code < 500:
            raise Retryable(detail) from None
        raise ChannelError(detail, refused=isinstance(exc, smtplib.SMTPDataError)) from None
    except ssl.SSLError as exc:
        raise ChannelError(f"TLS with {host}:{port} failed: {exc}") from None
    except (smtplib.SMTPServerDisconnected, TimeoutError, ConnectionError) as exc:
        raise Retryable(f"SMTP to {host}:{port} failed: {exc or type(exc).__name__}") from None
    except smtplib.SMTPException as exc:
        raise ChannelError(f"SMTP to {host}:{port} failed: {exc}") from None
    except OSError as exc:
        raise Retryable(f"SMTP to {host}:{port} failed: {exc}") from None


CHANNEL = Email()
