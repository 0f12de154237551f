"""Sending: the only package that talks to Slack, Teams, webhooks and mail servers.

One module per channel type, each with a ``CHANNEL`` that follows
``base.Channel``; ``TYPES`` below is the registry. A new channel (PagerDuty,
say) is one module and one line here: process.yaml's schema takes any
channel type, and loading the process checks it against ``TYPES``.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from typing import Any, cast

from .base import Channel, ChannelConfig, ChannelError, Delivery, Notice, RetryPolicy, env_value, idempotency_key, one_line

__all__ = [
    "TYPES",
    "Channel",
    "ChannelConfig",
    "ChannelError",
    "Delivery",
    "Notice",
    "RetryPolicy",
    "channel",
    "env_value",
    "idempotency_key",
    "one_line",
    "send",
]

# channel type in process.yaml -> the module that implements it (a name in this package, or a dotted path)
TYPES: dict[str, str] = {
    "slack": "slack",
    "teams": "teams",
    "webhook": "webhook",
    "email": "smtp",
}


def channel(type_: str) -> Channel:
    """The implementation of a channel type (imported on first use: a command that sends nothing loads none)."""
    module = TYPES[type_]
    return cast(Channel, import_module(module if "." in module else f"{__name__}.{module}").CHANNEL)


def send(config: ChannelConfig, payload: Any, key: str, policy: RetryPolicy, env: Mapping[str, str]) -> Delivery:
    """Deliver ``payload`` on ``config``'s channel; never raises for a delivery problem."""
    return channel(config.type).send(config, payload, key, policy, env)
