"""The ``notifications`` and ``communication`` sections of process.yaml, as validated configuration (no I/O).

Parsed once with the rest of the process (``Process.comms``). The schema
checks the shape; ``problems()`` adds what it cannot: a route naming a channel
that does not exist, a channel type with no implementation, options a type
needs, and each type's own rules (no SMTP password without TLS).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .channels.base import ChannelConfig, Notice, RetryPolicy

DEFAULT_HORIZON_MINUTES = 24 * 60
DEFAULT_GRACE_MINUTES = 15
ROUTE_KEYS = ("events", "stages", "severities", "services", "audiences")
NOTIFIED_KINDS = ("declared", "stage", "stakeholder-update", "escalation", "update-reminder")

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Route:
    """One entry of ``notifications.routes``: a match (every key given must hold) and its channels."""

    channels: tuple[str, ...]
    events: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()

    def matches(self, notice: Notice) -> bool:
        return (
            (not self.events or notice.kind in self.events)
            and (not self.stages or notice.stage in self.stages)
            and (not self.severities or notice.severity in self.severities)
            and (not self.services or bool(set(notice.services) & set(self.services)))
            and (not self.audiences or notice.audience in self.audiences)
        )


@dataclass(frozen=True)
class Notifications:
    """Where timeline events are sent, how hard to try, and how old an event may be and still be sent."""

    channels: dict[str, ChannelConfig] = field(default_factory=dict)
    routes: tuple[Route, ...] = ()
    retry: RetryPolicy = RetryPolicy()
    horizon_minutes: int = DEFAULT_HORIZON_MINUTES
    incident_url: str = ""  # e.g. https://status.example.com/incidents/{id}.html; '' = from mkdocs.yml's site_url
    duplicates: tuple[Path_, ...] = ()

    def channels_for(self, notice: Notice) -> list[str]:
        """Channel ids of every matching route, each once, in the order they first appear."""
        found: list[str] = []
        for route in self.routes:
            if route.matches(notice):
                found += [c for c in route.channels if c not in found]
        return found

    def problems(self) -> list[tuple[Path_, str]]:
        """What makes this configuration unusable, each with its field path in process.yaml."""
        from . import channels

        found: list[tuple[Path_, str]] = [(path, "a channel with this id is defined earlier") for path in self.duplicates]
        for number, config in enumerate(self.channels.values()):
            where: Path_ = ("notifications", "channels", number)
            if config.type not in channels.TYPES:
                found.append(((*where, "type"), f"unknown channel type {config.type!r} (known: {', '.join(channels.TYPES)})"))
                continue
            implementation = channels.channel(config.type)
            found += [
                ((*where, key), f"a {config.type} channel needs {key}") for key in implementation.required if not config.options.get(key)
            ]
            found += [(where, problem) for problem in implementation.check(config.options)]
        for number, route in enumerate(self.routes):
            for index, name in enumerate(route.channels):
                if name not in self.channels:
                    found.append((("notifications", "routes", number, "channels", index), f"unknown channel {name!r}"))
        return found


@dataclass(frozen=True)
class Cadence:
    """One ``communication.cadence`` rule: how often an audience hears, for some priorities or severities."""

    audience: str
    every_minutes: int
    priorities: tuple[int, ...] = ()
    severities: tuple[str, ...] = ()

    def applies(self, priority: int | None, severity: str) -> bool:
        return (not self.priorities or priority in self.priorities) and (not self.severities or severity in self.severities)


@dataclass(frozen=True)
class Communication:
    """The communication plan: update cadence, who is reminded, and who hears when a reminder goes unanswered."""

    cadence: tuple[Cadence, ...] = ()
    lead_role: str = "communications_lead"
    remind: tuple[str, ...] = ()  # when the incident has no one in lead_role (or the manager role)
    escalate_after_minutes: int = DEFAULT_GRACE_MINUTES
    escalate_to: tuple[str, ...] = ()
    domain: str | None = None  # the organisation's mail and calendar domain (invite UIDs)

    def rules_for(self, priority: int | None, severity: str) -> dict[str, Cadence]:
        """The first matching rule per audience, in the order the file gives them."""
        found: dict[str, Cadence] = {}
        for rule in self.cadence:
            if rule.audience not in found and rule.applies(priority, severity):
                found[rule.audience] = rule
        return found


@dataclass(frozen=True)
class Comms:
    """Both sections, as ``Process.comms`` holds them."""

    notifications: Notifications = Notifications()
    communication: Communication = Communication()

    @classmethod
    def from_data(cls, process: Mapping[str, Any]) -> Comms:
        """From process.yaml's data, already checked against its schema."""
        data = process.get("notifications") or {}
        channels: dict[str, ChannelConfig] = {}
        duplicates: list[Path_] = []
        for number, item in enumerate(data.get("channels", ())):
            if item["id"] in channels:
                duplicates.append(("notifications", "channels", number, "id"))
                continue
            channels[item["id"]] = ChannelConfig(item["id"], item["type"], dict(item))
        routes = tuple(
            Route(tuple(item["channels"]), *(tuple((item.get("match") or {}).get(key, ())) for key in ROUTE_KEYS))
            for item in data.get("routes", ())
        )
        notifications = Notifications(
            channels,
            routes,
            RetryPolicy.from_data(data.get("retry")),
            int(data.get("horizon_minutes", DEFAULT_HORIZON_MINUTES)),
            str(data.get("incident_url", "")),
            tuple(duplicates),
        )
        plan = process.get("communication") or {}
        cadence = tuple(
            Cadence(str(rule["audience"]), int(rule["every_minutes"]), tuple(rule.get("priorities", ())), tuple(rule.get("severities", ())))
            for rule in plan.get("cadence", ())
        )
        communication = Communication(
            cadence,
            str(plan.get("lead_role", "communications_lead")),
            tuple(plan.get("remind", ())),
            int(plan.get("escalate_after_minutes", DEFAULT_GRACE_MINUTES)),
            tuple(plan.get("escalate_to", ())),
            str(plan["domain"]) if plan.get("domain") else None,
        )
        return cls(notifications, communication)
