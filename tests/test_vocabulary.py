"""The records' fixed words have one home (the packaged schemas, read by ``mimctl.vocabulary``).

Every command-line choice is one of them, and the modules that decide what
"settled" and "overdue" mean agree with the one definition.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import click
import pytest

from mimctl import vocabulary
from mimctl.cli import COMMANDS, main
from mimctl.gates import GATES
from mimctl.metrics import DIMENSIONS, ActionItem
from mimctl.model import ContainmentAction, Event, Incident, Process
from mimctl.site.knowledge_pages import _overdue
from mimctl.yamlio import load_file
from test_cli_lifecycle import COMMAND_PATHS

ROOT_PROCESS = Process.from_data(load_file(Path(__file__).resolve().parents[1] / "process.yaml").data)
TODAY = date(2026, 12, 1)
WORDS = {
    "detection source": vocabulary.DETECTION_SOURCES,
    "visibility": vocabulary.VISIBILITIES,
    "update status": vocabulary.UPDATE_STATUSES,
    "containment state": vocabulary.CONTAINMENT_STATES,
    "hypothesis state": vocabulary.HYPOTHESIS_STATES,
    "action kind": vocabulary.ACTION_KINDS,
    "action status": vocabulary.ACTION_STATUSES,
    "stats dimension": (*DIMENSIONS, "incident"),  # or one row per incident
    "maintenance status": vocabulary.MAINTENANCE_STATUSES,
}


def _command(path: list[str]) -> click.Command:
    command: click.Command = main
    with click.Context(main) as ctx:
        for name in path:
            assert isinstance(command, click.Group)
            found = command.get_command(ctx, name)
            assert found is not None
            command = found
    return command


def _choices() -> list[tuple[str, str, tuple[str, ...]]]:
    found = []
    for path in COMMAND_PATHS:
        for param in _command(path).params:
            if isinstance(param.type, click.Choice) and param.name != "output_format":
                found.append((" ".join(path), str(param.name), tuple(str(c) for c in param.type.choices)))
    return found


def test_the_vocabulary_is_the_schemas() -> None:
    assert vocabulary.DETECTION_SOURCES == ("monitoring", "alert", "user-report", "staff-report", "third-party", "other")
    assert set(vocabulary.CONTAINMENT_STATES) | set(vocabulary.HYPOTHESIS_STATES) == set(vocabulary.enum("event", "state"))
    assert vocabulary.AUDIENCES == vocabulary.enum("event", "audience") == ("internal", "public")
    assert set(vocabulary.CONTAINMENT_SETTLED) < set(vocabulary.CONTAINMENT_STATES)
    assert set(vocabulary.ACTION_SETTLED) < set(vocabulary.ACTION_STATUSES)


def test_every_choice_on_the_command_line_is_a_word_of_the_records() -> None:
    choices = _choices()
    assert len(choices) >= len(WORDS)
    for command, param, values in choices:
        assert values in WORDS.values(), f"mimctl {command} {param}: {values} is no vocabulary's"
    assert {values for _, _, values in choices} == set(WORDS.values())


def test_choices_follow_a_new_schema_value(monkeypatch: pytest.MonkeyPatch) -> None:
    schema = vocabulary.schema("pir")
    items = schema["properties"]["actions"]["items"]["properties"]["kind"]
    monkeypatch.setitem(items, "enum", [*items["enum"], "vendor"])
    assert vocabulary.enum("pir", "actions", "[]", "kind")[-1] == "vendor"


def test_gates_in_the_process_schema_are_the_lifecycle_guards() -> None:
    gate = vocabulary.schema("process")["properties"]["stages"]["items"]["properties"]["gate"]["items"]["anyOf"][0]
    assert sorted(gate["enum"]) == sorted(GATES)


# --- one meaning of settled and overdue -------------------------------------------------------


@pytest.mark.parametrize("state", ["open", *vocabulary.CONTAINMENT_STATES])
def test_containment_settled_has_one_meaning(state: str) -> None:
    at = datetime(2026, 11, 27, tzinfo=timezone.utc)
    assert ContainmentAction("C-1a2b", "a", "r", at, "alex", state).settled is vocabulary.containment_settled(state)
    incident = Incident(
        "INC-0001",
        {"id": "INC-0001"},
        (
            Event("1-containment", at, "containment", {"id": "C-1a2b", "action": "a", "rollback": "r"}),
            *([Event("2-update", at, "containment-update", {"action_id": "C-1a2b", "state": state})] if state != "open" else []),
        ),
    )
    assert GATES["no_open_containment"].check(incident, ROOT_PROCESS) is vocabulary.containment_settled(state)


@pytest.mark.parametrize("status", vocabulary.ACTION_STATUSES)
@pytest.mark.parametrize("due", ["2026-11-30", "2026-12-01", "2026-12-02"])
def test_overdue_has_one_meaning(status: str, due: str) -> None:
    expected = vocabulary.action_overdue(status, date.fromisoformat(due), TODAY)
    assert expected is (status not in ("done", "dropped") and due == "2026-11-30")
    assert ActionItem("INC-0001", "A1", "t", "o", date.fromisoformat(due), status).overdue(TODAY) is expected
    assert _overdue({"id": "A1", "status": status, "due": due}, TODAY) is expected


@pytest.mark.parametrize("status", vocabulary.ACTION_STATUSES)
def test_an_action_item_is_settled_the_same_way_everywhere(status: str) -> None:
    incident = Incident("INC-0001", {"id": "INC-0001"}, (), {"actions": [{"id": "A1", "status": status}]})
    assert GATES["actions_settled"].check(incident, ROOT_PROCESS) is vocabulary.action_settled(status)
    assert ActionItem("INC-0001", "A1", "t", "o", None, status).settled is vocabulary.action_settled(status)


def test_no_command_is_left_out_of_the_walk() -> None:
    assert {p[0] for p in COMMAND_PATHS if p} == set(COMMANDS)
