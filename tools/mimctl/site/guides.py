"""Tables of the guides made from the registries when the site is built, so the docs cannot drift from the code.

A guide page asks for a table with a marker line of its own, e.g.
``<!-- mimctl: event-kinds -->`` in docs/records.md; the plugin puts the
table in its place. The tables:

- ``event-kinds``: every event kind (``events.KINDS``) with its fields (the
  required ones in bold, words of the schema in brackets) and the commands
  that write it;
- ``gate-items``: every gate item the tracker's process can name (mimctl's,
  and those its process.yaml declares), what a reviewer reads, when it is met,
  whether it needs a live response, and the stages whose gate uses it;
- ``channels``: every notification channel type (``channels.TYPES``), what
  it sends and the receiver's limits (docs/notifications.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from .. import events, gates, vocabulary
from ..model import Process

MARKER = re.compile(r"^<!-- mimctl: ([a-z-]+) -->$", re.MULTILINE)


def _words(kind: str, name: str) -> str:
    """What an event field holds, in brackets: the registry's note, else the schema's words, a list, or a mapping's keys."""
    note = events.KINDS[kind].notes.get(name)
    if note:
        return f" ({note})"
    schema = vocabulary.schema("event")
    node: dict[str, Any] = schema["properties"].get(name, {})
    for clause in schema.get("allOf", ()):
        if clause.get("if", {}).get("properties", {}).get("kind", {}).get("const") == kind:
            node = {**node, **clause.get("then", {}).get("properties", {}).get(name, {})}
    if node.get("enum"):
        return f" ({', '.join(node['enum'])})"
    if node.get("type") == "array":
        return " (list)"
    if node.get("type") == "object" and node.get("properties"):
        return " (" + ", ".join(f"`{key}`" for key in node["properties"]) + ")"
    if node.get("type") == "object":
        return " (item: text)"
    return ""


def event_kinds() -> str:
    """The kinds table of docs/records.md."""
    rows = ["| Kind | Fields (required in bold) | Written by |", "|---|---|---|"]
    for kind in events.KINDS.values():
        cells = [f"**`{f}`**{_words(kind.name, f)}" for f in kind.required]
        cells += [f"`{f}`{_words(kind.name, f)}" for f in kind.optional]
        rows.append(f"| `{kind.name}` | {', '.join(cells)} | {kind.written_by} |")
    return "\n".join(rows)


def _condition(spec: Mapping[str, Any]) -> str:
    if "any" in spec:
        return "any of: " + "; ".join(_condition(part) for part in spec["any"])
    if "event" in spec:
        fields = ", ".join(f"{k} {v}" for k, v in (spec.get("with") or {}).items())
        article = "an" if spec["event"][0] in "aeiou" else "a"
        return f"{article} `{spec['event']}` event" + (f" with {fields}" if fields else "")
    if "equals" in spec:
        return f"`{spec['field']}` is {spec['equals']}"
    if "in" in spec:
        return f"`{spec['field']}` is one of {', '.join(map(str, spec['in']))}"
    return f"`{spec['field']}`"


def gate_items(process: Process) -> str:
    """The gate items table of docs/process.md, for the tracker's process."""
    rows = ["| Item | What a reviewer reads | Met when | Live only | Stages |", "|---|---|---|---|---|"]
    for gate in gates.gates_of(process).values():
        met = gate.rule
        if gate.declaration is not None:
            met = "; ".join(_condition(spec) for spec in gate.declaration["require"])
            if gate.declaration.get("when"):
                met = "when " + "; ".join(_condition(spec) for spec in gate.declaration["when"]) + " (otherwise met): " + met
        stages = ", ".join(stage.id for stage in process.stages if gate.name in stage.gate)
        cells = [f"`{gate.name}`", gate.description, met, "yes" if gate.live_only else "", stages]
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows)


def channel_types() -> str:
    """The channels table of docs/notifications.md."""
    from .. import channels

    rows = ["| type | what is sent | limits, and what mimctl does at them |", "|---|---|---|"]
    for name in channels.TYPES:
        channel = channels.channel(name)
        rows.append(f"| `{name}` | {channel.sends} | {channel.limits} |")
    return "\n".join(rows)


TABLES: dict[str, Callable[[Process], str]] = {
    "event-kinds": lambda process: event_kinds(),
    "gate-items": gate_items,
    "channels": lambda process: channel_types(),
}


def fill(markdown: str, process: Process) -> str:
    """``markdown`` with each marker line replaced by its table; ValueError names a marker that asks for no known table."""

    def table(match: re.Match[str]) -> str:
        if match.group(1) not in TABLES:
            raise ValueError(f"no table {match.group(1)!r} (tables: {', '.join(TABLES)})")
        return TABLES[match.group(1)](process)

    return MARKER.sub(table, markdown)
