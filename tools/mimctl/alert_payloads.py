"""Webhook payloads of alerting tools, parsed and cleaned: Alertmanager (version 4) and a generic shape.

Payload text is untrusted. Every field's type is checked (an error names the
field), and only values the record schemas accept are kept: single-line values
lose ``<>&`` and control characters and are truncated; URLs must be http(s).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .model import parse_time

MAX_PAYLOAD_BYTES = 1024 * 1024
MAX_ALERTS = 500
MAX_LABELS = 64
_LINE_DROP = re.compile(r"[<>&\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_TEXT_DROP = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_URL = re.compile(r"https?://[^\s<>\"'`]+\Z")
_TIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})\Z")


class PayloadError(ValueError):
    """A payload that is not what its format promises; the message names the field."""


# --- cleaning untrusted text --------------------------------------------------------


def clean_line(value: str, limit: int = 200) -> str:
    """One schema-valid line: no ``<>&`` or control characters, spaces collapsed, truncated."""
    text = " ".join(_LINE_DROP.sub("", value.replace("\t", " ").replace("\n", " ").replace("\r", " ")).split())
    return text[:limit].rstrip()


def clean_text(value: str, limit: int = 4000) -> str:
    """Free text (Markdown) without control characters, truncated."""
    return _TEXT_DROP.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()[:limit].rstrip()


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}


def clean_url(value: str | None) -> str | None:
    return value if value and len(value) <= 2000 and _URL.match(value) else None


# --- the parsed payload ---------------------------------------------------------------


@dataclass(frozen=True)
class Alert:
    """One alert of a group, cleaned."""

    name: str
    status: str
    labels: dict[str, str]
    annotations: dict[str, str]
    fingerprint: str
    starts_at: datetime | None
    ends_at: datetime | None
    url: str | None = None


@dataclass(frozen=True)
class AlertGroup:
    """A notification about one alert group: Alertmanager's or the generic shape, cleaned."""

    source: str
    group_key: str
    status: str
    alerts: tuple[Alert, ...]
    annotations: dict[str, str] = field(default_factory=dict)
    url: str | None = None


def read_json(raw: bytes | str) -> Any:
    """Parse payload text (size-limited) as JSON, or PayloadError."""
    size = len(raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw)
    if size > MAX_PAYLOAD_BYTES:
        raise PayloadError(f"payload: larger than the limit of {MAX_PAYLOAD_BYTES} bytes")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise PayloadError(f"payload: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except (UnicodeDecodeError, RecursionError, ValueError) as exc:
        raise PayloadError(f"payload: not valid JSON ({type(exc).__name__})") from None


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")


def _get(data: dict[str, Any], key: str, where: str, kind: type, required: bool = False) -> Any:
    if key not in data or (data[key] is None and not required):
        if required:
            raise PayloadError(f"{where}{key}: missing")
        return None
    value = data[key]
    if not isinstance(value, kind) or isinstance(value, bool) is not (kind is bool):
        raise PayloadError(f"{where}{key}: expected {_kind(kind())}, got {_kind(value)}")
    return value


def _string_map(data: dict[str, Any], key: str, where: str, limit: int) -> dict[str, str]:
    value = _get(data, key, where, dict) or {}
    out: dict[str, str] = {}
    for name, item in value.items():
        if not isinstance(item, str):
            raise PayloadError(f"{where}{key}.{clean_line(name, 60)}: expected a string, got {_kind(item)}")
        clean_name = clean_line(name, 100)
        if clean_name and len(out) < MAX_LABELS:
            out[clean_name] = clean_line(item, limit) if limit <= 1000 else clean_text(item, limit)
    return out


def _time(data: dict[str, Any], key: str, where: str, required: bool = False) -> datetime | None:
    text = _get(data, key, where, str, required)
    if text is None:
        return None
    match = _TIME.match(text)
    if not match:
        raise PayloadError(f"{where}{key}: expected an RFC 3339 time like 2026-11-27T08:02:00Z, got {clean_line(text, 40)!r}")
    try:
        moment = parse_time(f"{text[:10]}T{text[11:19]}{'Z' if match.group(7) in 'Zz' else match.group(7)}")
    except (ValueError, OverflowError):
        raise PayloadError(f"{where}{key}: {clean_line(text, 40)!r} is not a real time") from None
    return None if moment.year < 1971 else moment  # Alertmanager sends 0001-01-01 for "not yet"


def _group_key(value: str, where: str) -> str:
    key = clean_line(value, 10_000)
    if not key:
        raise PayloadError(f"{where}: empty")
    return key if len(key) <= 1000 else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _status(data: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = _get(data, key, where, str, default is None) or default
    if value not in ("firing", "resolved"):
        raise PayloadError(f"{where}{key}: expected 'firing' or 'resolved', got {clean_line(str(value), 40)!r}")
    return str(value)


def _fingerprint(value: str | None, name: str, labels: dict[str, str]) -> str:
    given = clean_line(value or "", 200)
    return given or hashlib.sha256(json.dumps([name, sorted(labels.items())]).encode()).hexdigest()[:16]


def _alert_list(payload: dict[str, Any]) -> list[Any]:
    alerts: list[Any] = _get(payload, "alerts", "", list, required=True)
    if not alerts:
        raise PayloadError("alerts: empty; a notification has at least one alert")
    if len(alerts) > MAX_ALERTS:
        raise PayloadError(f"alerts: {len(alerts)} alerts is over the limit of {MAX_ALERTS}")
    return alerts


def _object(payload: Any, where: str) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise PayloadError(f"{where}: expected an object, got {_kind(payload)}")
    return payload


def parse_alertmanager(payload: Any) -> AlertGroup:
    """An Alertmanager webhook notification (version 4), checked field by field."""
    data = _object(payload, "payload")
    version = _get(data, "version", "", str, required=True)
    if version != "4":
        raise PayloadError(f"version: expected '4' (Alertmanager webhook version 4), got {clean_line(version, 20)!r}")
    group_key = _group_key(_get(data, "groupKey", "", str, required=True), "groupKey")
    status = _status(data, "status", "")
    for key in ("receiver", "externalURL"):
        _get(data, key, "", str)
    _string_map(data, "groupLabels", "", 1000)
    _string_map(data, "commonLabels", "", 1000)
    common = _string_map(data, "commonAnnotations", "", 4000)
    alerts = []
    for index, item in enumerate(_alert_list(data)):
        where = f"alerts[{index}]."
        raw = _object(item, where[:-1])
        labels = _string_map(raw, "labels", where, 1000)
        if "labels" not in raw:
            raise PayloadError(f"{where}labels: missing")
        name = clean_line(labels.get("alertname", ""))
        if not name:
            raise PayloadError(f"{where}labels.alertname: missing (every Alertmanager alert has one)")
        alerts.append(
            Alert(
                name,
                _status(raw, "status", where),
                labels,
                _string_map(raw, "annotations", where, 4000),
                _fingerprint(_get(raw, "fingerprint", where, str), name, labels),
                _time(raw, "startsAt", where, required=True),
                _time(raw, "endsAt", where),
                clean_url(_get(raw, "generatorURL", where, str)),
            )
        )
    return AlertGroup("alertmanager", group_key, status, tuple(alerts), common, clean_url(_get(data, "externalURL", "", str)))


def parse_generic(payload: Any) -> AlertGroup:
    """The generic shape documented in docs/alerts.md."""
    data = _object(payload, "payload")
    group_key = _group_key(_get(data, "group_key", "", str, required=True), "group_key")
    source = clean_line(_get(data, "source", "", str) or "generic", 64) or "generic"
    common = _string_map(data, "labels", "", 1000)
    alerts = []
    for index, item in enumerate(_alert_list(data)):
        where = f"alerts[{index}]."
        raw = _object(item, where[:-1])
        name = clean_line(_get(raw, "name", where, str, required=True))
        if not name:
            raise PayloadError(f"{where}name: empty")
        labels = {**common, **_string_map(raw, "labels", where, 1000)}
        annotations = {k: clean_text(v) for k in ("summary", "description") if (v := _get(raw, k, where, str))}
        alerts.append(
            Alert(
                name,
                _status(raw, "status", where, "firing"),
                labels,
                annotations,
                _fingerprint(_get(raw, "fingerprint", where, str), name, labels),
                _time(raw, "starts_at", where),
                _time(raw, "ends_at", where),
                clean_url(_get(raw, "url", where, str)),
            )
        )
    status = "firing" if any(a.status == "firing" for a in alerts) else "resolved"
    common_annotations = {k: clean_text(v) for k in ("summary", "description") if (v := _get(data, k, "", str))}
    return AlertGroup(source, group_key, status, tuple(alerts), common_annotations, clean_url(_get(data, "url", "", str)))
