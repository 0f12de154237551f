"""What every channel shares: the message told (``Notice``), its settings, the result of a send, text fitting.

A channel is a module with a ``CHANNEL`` object that follows the ``Channel``
protocol: it says which options it needs, builds its receiver's payload from a
``Notice``, checks that payload against the receiver's own rules, and sends it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\u2028\u2029\x85\x0b\x0c]")
_OTHER_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]+")
BROADCAST = re.compile(r"@(channel|here|everyone|all)\b", re.IGNORECASE)
ELLIPSIS = "\u2026"


class ChannelError(Exception):
    """A delivery that trying again will not fix: bad config, a missing secret, a redirect, a 4xx."""

    def __init__(self, message: str, refused: bool = False) -> None:
        super().__init__(message)
        # True when the receiver judged this message and refused it (HTTP 400, 413, 422; SMTP 5xx on
        # the data): the message is the problem, not the channel, so later messages still go.
        self.refused = refused


class Retryable(Exception):
    """A failure that may pass: the next attempt may succeed (after ``retry_after`` seconds, if the receiver said)."""

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
    """What happened to one message: delivered or not, after how many attempts, and whether it was refused for good."""

    ok: bool
    attempts: int
    error: str = ""
    refused: bool = False  # the receiver will never take this message: record it, go on with the next
    down: bool = False  # tried until the attempts or the time ran out: leave the channel alone for this run


@dataclass(frozen=True)
class Notice:
    """One timeline event told as a notification; ``path`` (tracker-relative) is its identity.

    Every field describes the incident as it was when the event happened.
    ``link`` is the incident's page on the published site ('' when the site
    address is not configured): a message cut to fit its receiver points there.
    """

    path: str
    incident_id: str
    title: str
    severity: str
    stage: str
    services: tuple[str, ...]
    kind: str
    at: str
    by: str
    audience: str | None
    headline: str
    details: tuple[tuple[str, str], ...]
    text: str
    event: dict[str, Any] = field(default_factory=dict)
    link: str = ""


class Channel(Protocol):
    """What a channel module's ``CHANNEL`` provides (see channels/slack.py for one)."""

    type: str
    required: tuple[str, ...]  # options process.yaml must set for this type
    sends: str  # what a receiver gets, for the notifications guide (Markdown)
    limits: str  # the receiver's limits, and what mimctl does at them (Markdown)

    def check(self, options: Mapping[str, Any]) -> list[str]:
        """Problems with the channel's options beyond the required ones (empty when usable)."""
        ...

    def build(self, notice: Notice, channel: ChannelConfig) -> Any:
        """The payload for ``notice``, already fitted to the receiver's limits."""
        ...

    def validate(self, payload: Any) -> list[str]:
        """Where ``payload`` breaks the receiver's own rules (empty when it would be accepted)."""
        ...

    def send(self, channel: ChannelConfig, payload: Any, key: str, policy: RetryPolicy, env: Mapping[str, str]) -> Delivery:
        """Deliver ``payload``; never raises for a delivery problem."""
        ...


def idempotency_key(event_path: str, channel_id: str) -> str:
    """The same key for every attempt and every rerun of one (event, channel) delivery."""
    return hashlib.sha256(f"{event_path}\0{channel_id}".encode()).hexdigest()[:32]


def env_value(channel: ChannelConfig, key: str, env: Mapping[str, str]) -> str:
    """The secret the channel's ``key`` names, or ChannelError saying which variable is missing."""
    name = channel.options.get(key)
    if not name:
        raise ChannelError(f"channel {channel.id}: {key} is not set in process.yaml")
    value = env.get(str(name), "")
    if not value.strip():
        raise ChannelError(f"channel {channel.id}: environment variable {name} is not set (it holds the {key[:-4].replace('_', ' ')})")
    return value.strip()


# --- text -------------------------------------------------------------------------------


def one_line(text: str) -> str:
    """Control characters and line breaks become spaces (for subjects, headlines and facts)."""
    return _CONTROL.sub(" ", str(text)).strip()


def lines_of(text: str) -> list[str]:
    """The text's lines (every kind of line break), each without other control characters."""
    return [_OTHER_CONTROL.sub(" ", line).rstrip() for line in _LINE_BREAKS.split(str(text))]


def fit(text: str, limit: int, render: Callable[[str], str], suffix: str = "", measure: Callable[[str], int] = len) -> str:
    """``render(text)`` if it is at most ``limit`` long; else the longest rendered prefix + ellipsis + ``suffix`` that is.

    The limit is measured on what the receiver counts (after escaping), and
    ``render`` may grow the text (``&`` becomes ``&amp;``), so the cut is
    found by bisection on the raw text rather than by slicing the result.
    """
    whole = render(text)
    if measure(whole) <= limit:
        return whole
    tail = ELLIPSIS + suffix
    low, high = 0, len(text)
    while low < high:  # the longest prefix whose rendering fits beside the tail
        middle = (low + high + 1) // 2
        if measure(render(text[:middle].rstrip()) + tail) <= limit:
            low = middle
        else:
            high = middle - 1
    cut = render(text[:low].rstrip()) + tail
    if measure(cut) <= limit:
        return cut
    # The tail alone does not fit: the plain ellipsis, and as much of the rendering as fits beside it.
    low, high = 0, len(whole)
    while low < high:
        middle = (low + high + 1) // 2
        if measure(whole[:middle] + ELLIPSIS) <= limit:
            low = middle
        else:
            high = middle - 1
    return whole[:low] + ELLIPSIS


def defuse_broadcasts(text: str) -> str:
    """``@channel``, ``@here``, ``@everyone``, ``@all`` with a word joiner after the ``@``: shown, never a mention."""
    return BROADCAST.sub("@\u2060\\1", text)
