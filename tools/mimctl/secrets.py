"""Secrets and personal data in records: a pure scanner over loaded data.

Two rules, each a ``Finding`` at the value's ``file:line:col``:

- ``secret``: credentials anywhere in any record (tokens, webhook URLs with
  their signature, bearer tokens, JWTs, private keys, passwords in URLs). A
  secret committed to git is leaked for good: rotate it, then remove it.
- ``personal-data``: e-mail addresses and phone numbers, but only in the
  fields the PUBLIC status site publishes (``PUBLIC_INCIDENT_FIELDS`` of a
  public incident, public stakeholder updates and stage reasons on its
  timeline, and every published field of a known error: the KEDB is on both
  editions). Internal fields may name an on-call contact.

A reviewed exception silences a finding: incident.yaml and known-error records
carry ``exceptions: [{rule, path, reason, approved_by}]``. ``rule`` must match;
``path``, when given, must match the finding's field (``title``,
``workaround[0]``) or, for a timeline file, ``timeline/FILE.yaml:FIELD``.
Exceptions live in the record itself, so adding one is a reviewed change.

Every pattern has bounded repetition and a literal anchor, so scanning a
900 KB string stays linear. Messages never repeat the secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from .findings import Finding, dotted
from .yamlio import Document

SECRET, PERSONAL_DATA = "secret", "personal-data"

# Incident fields the public edition shows (see site.data.public_view).
PUBLIC_INCIDENT_FIELDS = ("title", "services", "regions")
# Timeline events the public edition shows, and their published text fields.
PUBLIC_EVENT_FIELDS = ("text", "reason")
# Known errors are published on both editions; these fields are not shown.
UNPUBLISHED_KNOWN_ERROR_FIELDS = ("exceptions", "signatures")


@dataclass(frozen=True)
class Pattern:
    name: str
    regex: re.Pattern[str]
    needle: str = ""  # a cheap substring test before the regex (case-insensitive)


SECRET_PATTERNS = (
    Pattern("an AWS access key id", re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])"), "a"),
    Pattern("a GitHub token", re.compile(r"(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{30,255}"), "gh"),
    Pattern("a GitHub fine-grained token", re.compile(r"github_pat_[A-Za-z0-9_]{22,255}"), "github_pat_"),
    Pattern("a Slack token", re.compile(r"xox[abpr]-[A-Za-z0-9-]{10,255}"), "xox"),
    Pattern(
        "a Slack webhook URL",
        re.compile(r"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9]{1,32}/[A-Za-z0-9]{1,32}/[A-Za-z0-9]{16,64}"),
        "hooks.slack.com",
    ),
    Pattern(
        "a Microsoft Teams webhook URL",
        re.compile(r"webhook\.office\.com/webhookb2/[^\s/]{1,200}/IncomingWebhook/[0-9a-fA-F]{32}/"),
        "webhook.office.com",
    ),
    Pattern(
        "a signed Power Automate / Logic Apps URL",
        re.compile(r"logic\.azure\.com[^\s]{0,400}?[?&]sig=[A-Za-z0-9_%-]{20,128}"),
        "logic.azure.com",
    ),
    Pattern(
        "a Discord webhook URL",
        re.compile(r"(?:discord|discordapp)\.com/api/webhooks/[0-9]{15,22}/[A-Za-z0-9_-]{40,128}"),
        "discord",
    ),
    Pattern("a bearer token", re.compile(r"(?i)(?<![A-Za-z])bearer\s{1,8}[A-Za-z0-9._~+/-]{20,4096}=*"), "bearer"),
    Pattern("a JSON Web Token", re.compile(r"eyJ[A-Za-z0-9_-]{8,4096}\.eyJ[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{8,4096}"), "eyj"),
    Pattern(
        "a private key",
        re.compile(r"-----BEGIN (?:[A-Z0-9]{1,16} ){0,3}PRIVATE KEY(?: BLOCK)?-----"),
        "private key",
    ),
    Pattern(
        "a password in a URL",
        re.compile(r"(?i)(?<![a-z0-9+.-])[a-z][a-z0-9+.-]{0,31}://[^\s/:@]{1,256}:[^\s/@]{1,256}@"),
        "://",
    ),
)

PERSONAL_PATTERNS = (
    Pattern(
        "an e-mail address",
        re.compile(
            r"(?<![A-Za-z0-9._%+/:-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}(?![A-Za-z0-9-])"
        ),
        "@",
    ),
    Pattern("a phone number", re.compile(r"(?<![\w+])\+[1-9][0-9 ().-]{6,20}[0-9](?![\w])"), "+"),
    Pattern("a phone number", re.compile(r"(?<![\w.+-])\(?0[0-9]{2,4}\)?[ /-][0-9]{3,4}[ -]?[0-9]{3,4}(?![\w.-])")),
)


def _digits_ok(name: str, text: str) -> bool:
    if name != "a phone number":
        return True
    return 8 <= sum(ch.isdigit() for ch in text) <= 15


def strings(data: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every string in ``data`` (keys included, at their mapping's path) with its path."""
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str):
                yield path, key
            yield from strings(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from strings(value, (*path, index))


def matches(text: str, patterns: tuple[Pattern, ...]) -> list[str]:
    """Names of the patterns found in ``text`` (each once)."""
    found: list[str] = []
    folded = text.lower()
    for pattern in patterns:
        if pattern.name in found or (pattern.needle and pattern.needle not in folded):
            continue
        for match in pattern.regex.finditer(text):
            if _digits_ok(pattern.name, match.group(0)):
                found.append(pattern.name)
                break
    return found


def scan(
    data: Any,
    path: str,
    document: Document | None = None,
    public_fields: tuple[str, ...] | None = (),
    unpublished: tuple[str, ...] = (),
    exceptions: list[Any] | None = None,
    exception_prefix: str = "",
) -> list[Finding]:
    """Findings for one record's data.

    ``public_fields``: top-level fields checked for personal data (None: all of
    them but ``unpublished``). Secrets are looked for everywhere. ``exceptions``: the
    reviewed exceptions that apply; ``exception_prefix`` (``timeline/F.yaml:``)
    is how an exception's path names this file.
    """
    out: list[Finding] = []
    for where, text in strings(data):
        top = str(where[0]) if where else ""
        hits = [(SECRET, name) for name in matches(text, SECRET_PATTERNS)]
        if (public_fields is None and top not in unpublished) or (public_fields and top in public_fields):
            hits += [(PERSONAL_DATA, name) for name in matches(text, PERSONAL_PATTERNS)]
        for rule, name in hits:
            field = dotted(where)
            if _excepted(exceptions or [], rule, field, exception_prefix):
                continue
            line, col = document.position(where) if document is not None else (1, 1)
            out.append(Finding(path, line, col, _message(rule, name), field, rule))
    return out


def _message(rule: str, name: str) -> str:
    if rule == SECRET:
        return (
            f"this looks like {name}: a secret in git is leaked for good — revoke it, then remove it "
            "(secrets belong in environment variables named in config)"
        )
    return (
        f"{name} in a field published on the public status site: remove it, or add a reviewed "
        "exception (exceptions: [{rule: personal-data, path: FIELD, reason: ..., approved_by: ...}])"
    )


def _excepted(exceptions: list[Any], rule: str, field: str, prefix: str) -> bool:
    for item in exceptions:
        if not isinstance(item, dict) or item.get("rule") != rule:
            continue
        where = item.get("path")
        if where is None or where == field or (prefix and where == f"{prefix}{field}"):
            return True
    return False


def _exceptions(data: Any) -> list[Any]:
    found = data.get("exceptions") if isinstance(data, dict) else None
    return found if isinstance(found, list) else []


def _public_incident(data: Any) -> bool:
    return isinstance(data, dict) and data.get("visibility") == "public" and data.get("security_sensitive") is not True


def scan_bundle(bundle: Any) -> list[Finding]:
    """Secrets anywhere in an incident folder; personal data where a public incident publishes it."""
    incident = bundle.incident.document
    if incident is None:
        return []
    data = incident.data
    exceptions = _exceptions(data)
    public = _public_incident(data)
    out = scan(data, bundle.incident.path, incident, PUBLIC_INCIDENT_FIELDS if public else (), ("exceptions",), exceptions)
    for record in bundle.timeline:
        if record.document is None:
            continue
        event = record.document.data
        published = (
            public
            and isinstance(event, dict)
            and (event.get("kind") == "stage" or (event.get("kind") == "stakeholder-update" and event.get("audience") == "public"))
        )
        prefix = f"{PurePosixPath(record.path).parent.name}/{PurePosixPath(record.path).name}:"
        out += scan(event, record.path, record.document, PUBLIC_EVENT_FIELDS if published else (), (), exceptions, prefix)
    pir = bundle.pir
    if pir is not None and pir.document is not None:
        out += scan(pir.document.data, pir.path, pir.document, (), (), exceptions, "pir.yaml:")
    return out


def scan_known_error(record: Any) -> list[Finding]:
    """Secrets and personal data in a known error (published on both editions of the site)."""
    if record.document is None:
        return []
    data = record.document.data
    return scan(data, record.path, record.document, None, UNPUBLISHED_KNOWN_ERROR_FIELDS, _exceptions(data))
