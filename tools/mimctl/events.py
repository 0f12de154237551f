"""The event kinds: every kind of timeline event, in one table.

Each kind says which fields it has (required and optional, beyond ``at``,
``kind`` and ``by``), how a page labels it, the headline a notification or a
feed gives it, whether the public may see it, whether it is sent to the
notification channels, and whether it may be dated before detection.

The event schema's ``kind`` enum and required fields, the notification
routes' ``events`` enum and the modules that filter events by kind are tested
against this table (tests/test_events.py), and the kinds table of
docs/records.md is made from it when the site is built (site/guides.py): so
adding a kind is one entry here and its name in the schema.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Headline = Callable[[Mapping[str, Any], Mapping[str, Any]], str]
# Who may see an event: nobody outside, everybody, or whoever its ``audience`` names.
Publicity = Literal["never", "always", "audience"]
# seq: its place in recording order (model.event_order); times: how well ``at`` is known (timing);
# sets: the incident.yaml fields the event set (Incident.as_of)
COMMON_FIELDS = ("at", "kind", "by", "seq", "times", "sets")


def _headline(verb: str) -> Headline:
    return lambda incident, event: f"{incident['id']} {verb}: {incident['title']}"


@dataclass(frozen=True)
class EventKind:
    """One kind of timeline event and everything the tool knows about it."""

    name: str
    label: str  # how a page or a report names it
    written_by: str  # the commands that record it (docs)
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    one_of: tuple[str, ...] = ()  # optional fields of which an event carries exactly one
    public: Publicity = "never"
    notified: bool = False
    before_detection: bool = False  # may be dated before the incident was detected
    headline: Headline | None = None
    notes: Mapping[str, str] = field(default_factory=dict)  # field -> what it holds, for the docs' kinds table

    @property
    def fields(self) -> tuple[str, ...]:
        """Every field an event of this kind may carry besides ``at``, ``kind`` and ``by``."""
        return self.required + self.optional

    def headline_for(self, incident: Mapping[str, Any], event: Mapping[str, Any]) -> str:
        """One line for notifications and feeds: the incident, what happened, its title."""
        return (self.headline or _headline(self.label.lower()))(incident, event)

    def is_public(self, event: Mapping[str, Any]) -> bool:
        """Whether the public edition of the site may show ``event``."""
        return self.public == "always" or (self.public == "audience" and event.get("audience") == "public")


KINDS: dict[str, EventKind] = {
    kind.name: kind
    for kind in (
        EventKind(
            "declared",
            "Declared",
            "`new`",
            optional=("text",),
            notified=True,
            headline=lambda i, e: f"{i['id']} declared: {i['title']}",
        ),
        EventKind(
            "note",
            "Note",
            "`note`; also `cause`, `plan`, `containment none`, `pir schedule`",
            required=("text",),
            before_detection=True,
        ),
        EventKind("validated", "Confirmed as real", "`confirm`", optional=("text",), notes={"text": "the scope"}),
        EventKind("classified", "Classified", "`classify`", optional=("text",)),
        EventKind("role", "Role assigned", "`assign`", required=("role", "person"), optional=("previous",)),
        EventKind("notification", "Notification", "`notified`", required=("to",), optional=("channel", "text")),
        EventKind(
            "escalation",
            "Escalation",
            "`escalated`, `escalate`",
            required=("to",),
            optional=("level", "text"),
            notified=True,
            headline=lambda i, e: f"{i['id']} escalated to level {e.get('level', '?')}: {i['title']}",
        ),
        EventKind(
            "update-reminder",
            "Update reminder",
            "`escalate`",
            optional=("audience", "due_at", "level", "to", "text"),
            notified=True,
            notes={"due_at": "when the overdue update was due", "level": "0 reminds, 1 escalates"},
            headline=lambda i, e: (
                f"{i['id']} {e.get('audience', '')} update overdue: {i['title']}"
                if e.get("level", "?") == 0
                else f"{i['id']} {e.get('audience', '')} update still overdue, escalated: {i['title']}"
            ),
        ),
        EventKind("ack", "Acknowledged", "`ack`"),
        EventKind(
            "vendor-escalation",
            "Escalated to a third party",
            "`vendor`",
            required=("vendor",),
            optional=("case", "url", "text"),
            notes={"vendor": "a vendor or other third party, not a level of the escalation path", "case": "their reference"},
        ),
        EventKind("bridge", "Bridge opened", "`bridge`", required=("url",)),
        EventKind(
            "containment",
            "Containment action",
            "`containment add`",
            required=("id", "action"),
            optional=("rollback", "irreversible"),
            one_of=("rollback", "irreversible"),
            notes={"id": "`C-` + hex", "rollback": "how to undo it", "irreversible": "why it cannot be undone"},
        ),
        EventKind("containment-update", "Containment update", "`containment set`", required=("action_id", "state"), optional=("text",)),
        EventKind(
            "hypothesis", "Hypothesis", "`hypothesis add`", required=("id", "text"), optional=("evidence",), notes={"id": "`H-` + hex"}
        ),
        EventKind(
            "hypothesis-update", "Hypothesis update", "`hypothesis set`", required=("hypothesis_id", "state"), optional=("evidence", "text")
        ),
        EventKind("evidence", "Evidence", "`evidence`", required=("text",), optional=("links",), before_detection=True),
        EventKind(
            "stakeholder-update",
            "Stakeholder update",
            "`update`",
            required=("audience", "status", "text"),
            public="audience",
            notified=True,
            headline=lambda i, e: f"{i['id']} {e.get('audience', '')} update ({e.get('status', '')}): {i['title']}",
        ),
        EventKind("resolution", "Resolution", "`resolution`", optional=("text",)),
        EventKind("recovery", "Recovery", "`recovery`", optional=("text",)),
        EventKind("closure", "Closure", "`close`", optional=("text",)),
        EventKind(
            "review",
            "Review",
            "`pir new`, `pir set`, `pir complete`, `pir action add`, `pir action set`",
            required=("text",),
            notes={"text": "what changed in the review"},
        ),
        EventKind("field", "Field set", "`set`", required=("field",), optional=("value",), notes={"field": "a dotted path"}),
        EventKind(
            "stage",
            "Stage change",
            "`advance`",
            required=("to",),
            optional=("from", "reason", "skipped", "exempt"),
            public="always",
            notified=True,
            headline=lambda i, e: f"{i['id']} moved {e.get('from', '?')} \u2192 {e.get('to')}: {i['title']}",
        ),
        EventKind(
            "alert",
            "Alert",
            "`ingest`, or by hand",
            optional=("alert", "text", "url"),
            before_detection=True,
        ),
    )
}


def kind(name: str) -> EventKind:
    """The kind called ``name``; KeyError names the known ones."""
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(f"unknown event kind {name!r}; kinds: {', '.join(KINDS)}") from None


def notified_kinds() -> tuple[str, ...]:
    """The kinds sent to notification channels, in table order."""
    return tuple(k.name for k in KINDS.values() if k.notified)


def public_kinds() -> tuple[str, ...]:
    """The kinds the public may see (always, or when their audience is public)."""
    return tuple(k.name for k in KINDS.values() if k.public != "never")


def early_kinds() -> frozenset[str]:
    """The kinds that may be dated before the incident was detected (an alert, a note, evidence)."""
    return frozenset(k.name for k in KINDS.values() if k.before_detection)


def is_public(event: Mapping[str, Any]) -> bool:
    """Whether the public edition may show this event (unknown kinds: no)."""
    found = KINDS.get(str(event.get("kind", "")))
    return found is not None and found.is_public(event)


def check_fields(name: str, fields: Mapping[str, Any]) -> None:
    """ValueError unless every field given belongs to the kind (a writer's mistake, caught before any file)."""
    known = kind(name)
    extra = sorted(set(fields) - set(known.fields) - set(COMMON_FIELDS))
    if extra:
        raise ValueError(f"event kind {name!r} has no field(s) {', '.join(extra)}; it has: {', '.join(known.fields) or 'none'}")
