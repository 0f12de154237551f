"""The fixed words of the records, read from the packaged schemas (their one home), and what they mean.

Command-line choices use these tuples, so a value added to a schema's enum is
offered by the CLI at once. Words an organisation chooses (stages,
severities, roles, services) are in process.yaml and catalog.yaml instead;
event kinds are in ``events``.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

SCHEMAS = Path(__file__).resolve().parent / "schemas"


@cache
def schema(kind: str) -> dict[str, Any]:
    """The packaged JSON Schema of a record kind (``incident``, ``event``, ``pir``, ...)."""
    data: dict[str, Any] = json.loads((SCHEMAS / f"{kind}.schema.json").read_text(encoding="utf-8"))
    return data


def enum(kind: str, *path: str) -> tuple[str, ...]:
    """The ``enum`` of the field at ``path`` (``[]`` steps into a list's items) in a schema."""
    node: dict[str, Any] = schema(kind)
    for step in path:
        node = node["items"] if step == "[]" else node["properties"][step]
    return tuple(node["enum"])


def enum_when(kind: str, event_kind: str, field: str) -> tuple[str, ...]:
    """The ``enum`` the event schema allows for ``field`` in events of ``event_kind`` (its if/then clause)."""
    for clause in schema(kind).get("allOf", ()):
        condition = clause.get("if", {}).get("properties", {}).get("kind", {})
        allowed = clause.get("then", {}).get("properties", {}).get(field, {}).get("enum")
        if condition.get("const") == event_kind and allowed:
            return tuple(allowed)
    return enum(kind, field)


def has_field(kind: str, dotted: str) -> bool:
    """Whether a record of ``kind`` can hold the field ``a.b.c`` (a mapping's own keys, e.g. ``roles.scribe``, included)."""
    root = schema(kind)
    node: Any = root
    for part in dotted.split("."):
        while isinstance(node, dict) and "$ref" in node:
            node = root["definitions"][node["$ref"].rsplit("/", 1)[-1]]
        if not isinstance(node, dict) or not part:
            return False
        if part in node.get("properties", {}):
            node = node["properties"][part]
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        else:
            return False
    return True


DETECTION_SOURCES = enum("incident", "detection", "source")
VISIBILITIES = enum("incident", "visibility")
AUDIENCES = enum("event", "audience")
UPDATE_STATUSES = enum("event", "status")
CONTAINMENT_STATES = enum_when("event", "containment-update", "state")
HYPOTHESIS_STATES = enum_when("event", "hypothesis-update", "state")
PIR_STATUSES = enum("pir", "status")
ACTION_KINDS = enum("pir", "actions", "[]", "kind")
ACTION_STATUSES = enum("pir", "actions", "[]", "status")
MAINTENANCE_STATUSES = enum("maintenance", "updates", "[]", "status")  # in the order work goes through them

# What "settled" means: nothing more to do about it.
# An ineffective or superseded action changed nothing that must be undone before recovery.
CONTAINMENT_SETTLED = ("rolled-back", "made-permanent", "ineffective", "superseded")
ACTION_SETTLED = ("done", "dropped")


def containment_settled(state: str) -> bool:
    """A containment action is settled once rolled back, made permanent, found ineffective or superseded."""
    return state in CONTAINMENT_SETTLED


def action_settled(status: str) -> bool:
    """A PIR action item is settled once done or dropped."""
    return status in ACTION_SETTLED


def action_overdue(status: str, due: date | None, today: date) -> bool:
    """Not settled, and due before ``today`` (an item without a due date is never overdue)."""
    return not action_settled(status) and due is not None and due < today
