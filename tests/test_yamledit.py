"""Editing keeps every byte the edit does not touch, and what the loader accepts can be edited.

The generated records mix the spellings the YAML writer used to rewrite or crash
on (``.NaN``, ``~``, ``True``, tabs between tokens, NEL inside quotes, CRLF, CR,
a BOM, comments) with an edit of one entry; the rest of the file must come back
byte for byte, and the result must read back as the original with the change.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mimctl.usecases.records import set_path
from mimctl.yamledit import EditError, edit_text
from mimctl.yamlio import LoadError, loads

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

# How a value may be written by hand: each reads, through the strict loader, as some value.
SPELLINGS = [
    "plain",
    ".NaN",
    "+.inf",
    "-.Inf",
    "~",
    "Null",
    "",
    "True",
    "FALSE",
    "+3",
    "-0",
    "0x1F",
    "012",
    "1_000",
    "1.0e+3",
    ".5",
    "2024-01-01",
    "2026-11-27T08:35:00Z",
    "1:30",
    "no",
    "on",
    "=",
    "'it''s'",
    '"caf\\u00e9 \\t tab"',
    '"x\x85y"',
    '"x\u2028y"',
    "x\ty",
    "über – ✓",
    "\u00a0nbsp\u00a0inside",
    "[a, .NaN, 2024-01-01]",
    "{x: 1,  y: ~}",
    "[]",
    "{}",
    "'multi\n  line'",
    "|\n  literal\n  block\n",
    ">-\n  folded\n  block\n",
]
# (An indented comment after a block scalar would be part of its text: comments start their line here.)
COMMENTS = ["", "# a comment", "#\ttabbed comment", "# ünïcode – comment", "#"]
SEPARATORS = [": ", ":   ", ":\t", " : "]
NEWLINES = ["\n", "\r\n", "\r"]

# Values a command may set: what records hold (strings of every kind, numbers, booleans, lists, mappings).
NEW_VALUES = st.recursive(
    st.one_of(
        st.text(st.characters(blacklist_categories=("Cs",)), max_size=20),
        st.sampled_from(["no", ".NaN", "~", "true", "2024-01-01", "x\ty", "a\x85b", "a\u2028b", "\ufeffx", "#x", "- x", "a: b"]),
        st.integers(-(2**63), 2**63 - 1),
        st.booleans(),
        st.floats(allow_nan=False, allow_infinity=False),
    ),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True), children, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def records(draw: Any) -> tuple[str, list[tuple[str, int, int]]]:
    """A hand-written record: its text, and each top-level entry's key with where its lines start and end."""
    newline = draw(st.sampled_from(NEWLINES))
    mixed = draw(st.booleans())
    keys = draw(st.lists(st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True), min_size=1, max_size=6, unique=True))
    text = "\ufeff" if draw(st.booleans()) else ""
    if draw(st.booleans()):
        text += "# yaml-language-server: $schema=../../schemas/incident.schema.json" + newline
    entries = []
    for key in keys:
        comment = draw(st.sampled_from(COMMENTS))
        if comment:
            text += comment + (draw(st.sampled_from(NEWLINES)) if mixed else newline)
        start = len(text)
        if draw(st.integers(0, 4)) == 0:  # a nested block mapping
            children = draw(st.lists(st.from_regex(r"[a-z]{1,6}", fullmatch=True), min_size=1, max_size=3, unique=True))
            text += key + ":" + newline
            for child in children:
                text += f"  {child}: {draw(st.sampled_from(SPELLINGS[:22]))}" + newline
        else:
            spelling = draw(st.sampled_from(SPELLINGS))
            separator = ": " if "\n" in spelling else draw(st.sampled_from(SEPARATORS))
            trailing = draw(st.sampled_from(["", " ", "\t", "  # trailing"])) if "\n" not in spelling else ""
            line_end = draw(st.sampled_from(NEWLINES)) if mixed else newline
            text += key + separator + spelling.replace("\n", line_end) + trailing
            if not spelling.endswith("\n"):
                text += line_end
        entries.append((key, start, len(text)))
    return text, entries


def _edit(text: str, dotted: str, value: Any) -> tuple[str, Any]:
    expected = copy.deepcopy(loads(text).data)
    set_path(expected, dotted, value)

    def change(data: Any) -> None:
        set_path(data, dotted, value)

    return edit_text(text, change, "x.yaml"), expected


@SETTINGS
@given(records(), st.data())
def test_an_edit_changes_its_entry_and_keeps_every_other_byte(record: tuple[str, list[tuple[str, int, int]]], data: Any) -> None:
    text, entries = record
    try:
        original = loads(text).data
    except LoadError:
        assume(False)  # not a record the loader accepts (validate refuses it too)
    assume(isinstance(original, dict))
    index = data.draw(st.integers(0, len(entries)))
    value = data.draw(NEW_VALUES | st.none())
    if index == len(entries):  # a new key
        key, start, end = "zz_new", entries[-1][2], entries[-1][2]
        assume(value is not None)
    else:
        key, start, end = entries[index]
        assume(value is not None or len(original) > 1)  # a record is never emptied

    result, expected = _edit(text, key, value)

    assert loads(result).data == expected and _typed(loads(result).data) == _typed(expected)
    assert result.startswith(text[:start]), "the lines before the edited entry changed"
    assert result.endswith(text[end:]), "the lines after the edited entry changed"


@SETTINGS
@given(records(), st.data())
def test_an_edit_inside_a_nested_mapping_keeps_its_siblings(record: tuple[str, list[tuple[str, int, int]]], data: Any) -> None:
    text, entries = record
    try:
        original = loads(text).data
    except LoadError:
        assume(False)
    nested = [(k, s, e) for k, s, e in entries if isinstance(original.get(k), dict) and original[k] and "{" not in text[s:e]]
    assume(nested)
    key, start, end = data.draw(st.sampled_from(nested))
    child = data.draw(st.sampled_from([*original[key], "zz_new"]))
    value = data.draw(NEW_VALUES)

    result, expected = _edit(text, f"{key}.{child}", value)

    assert _typed(loads(result).data) == _typed(expected)
    assert result.startswith(text[:start]) and result.endswith(text[end:])
    old_lines = text[start:end].splitlines(keepends=True)
    new_lines = result[start : len(result) - (len(text) - end)].splitlines(keepends=True)
    untouched = [line for line in old_lines if not line.lstrip().startswith(f"{child}:") and not line.startswith(f"{key}")]
    assert all(line in new_lines for line in untouched), "a sibling line of the edited key changed"


def _typed(value: Any) -> Any:
    """A value with the type of every scalar made visible (so True and 1, 1 and 1.0 differ)."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value).__name__, value)


# --- refusals ------------------------------------------------------------------------


def test_a_value_that_cannot_read_back_is_refused_with_its_place() -> None:
    with pytest.raises(EditError) as caught:
        _edit("a: 1\nb: 2\n", "b", float("nan"))
    (finding,) = caught.value.findings
    assert finding.path == "x.yaml" and finding.line >= 1
    assert "cannot be edited by mimctl" in finding.message


def test_a_file_the_loader_refuses_is_refused_with_its_place() -> None:
    with pytest.raises(EditError) as caught:
        edit_text("a: 1\na: 2\n", lambda d: None, "x.yaml")
    (finding,) = caught.value.findings
    assert (finding.path, finding.line) == ("x.yaml", 2)
    assert "duplicate key" in finding.message


# --- what each kind of change looks like -------------------------------------------------


@pytest.mark.parametrize(
    ("before", "dotted", "value", "after"),
    [
        ("stage: identify  # why\nx: .NaN\n", "stage", "notify", "stage: notify  # why\nx: .NaN\n"),
        ("tags: [a, b]\nx: 1\n", "tags", ["a", "b", "c"], "tags: [a, b, c]\nx: 1\n"),
        ("a: 1\r\nb:\r\n  c: 2\r\n", "b.d", "new", "a: 1\r\nb:\r\n  c: 2\r\n  d: new\r\n"),
        ("a: 1\nclosure:\nz: 2\n", "closure.summary", "done", "a: 1\nclosure:\n  summary: done\nz: 2\n"),
        ("a: 1\nb: 2\nc: 3\n", "b", None, "a: 1\nc: 3\n"),
        ("a: 1\ns: |\n  one\n  two\nz: 2\n", "s", "short", "a: 1\ns: |-\n  short\nz: 2\n"),
        (
            "actions:\n- id: A1\n  title: x\n",
            "actions",
            [{"id": "A1", "title": "x"}, {"id": "A2"}],
            "actions:\n- id: A1\n  title: x\n- id: A2\n",
        ),
        ("a: ~\nb: x\n", "a", "no", "a: no\nb: x\n"),
        ("a: x\n", "b", "a\x85b", 'a: x\nb: "a\\Nb"\n'),
        ("a: |\n  x\nb: 1\n", "a", "bell\x07", 'a: "bell\\a"\nb: 1\n'),
        ("a: 1\n   # indented comment\nb: 2\n", "a", 3, "a: 3\n   # indented comment\nb: 2\n"),
    ],
    ids=[
        "scalar-keeps-comment",
        "flow-list-stays-flow",
        "crlf-nested-add",
        "null-becomes-mapping",
        "remove",
        "block-scalar",
        "list-item",
        "yaml-1-1-word",
        "nel",
        "control-in-a-block",
        "indented-comment",
    ],
)
def test_each_kind_of_change_is_a_minimal_diff(before: str, dotted: str, value: Any, after: str) -> None:
    assert _edit(before, dotted, value)[0] == after


# --- through the commands, on a record written by hand ------------------------------------


def _hand_written(text: str, newline: str) -> str:
    """The record as a person might have written it: odd but valid spellings, comments, tabs, a BOM."""
    lines = []
    for line in text.splitlines():
        if line.startswith("title:"):
            line = "title: .NaN  # yes, the service is called that"
        elif line.startswith("severity:"):
            line = "severity:\tSEV1"
        elif line.startswith("impact:"):
            line = "impact:   high   "
        lines.append(line)
    lines.insert(1, "# Written by hand at 3 a.m.")
    return "\ufeff" + newline.join(lines) + newline


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_commands_change_only_their_lines_of_a_hand_written_record(tmp_path: Any, newline: str) -> None:
    from gitutil import commit_all, declare, git, incident_path, make_tracker, ok, ready_to_leave_identify, t

    repo = make_tracker(tmp_path / "tracker")
    incident = declare(repo)
    ready_to_leave_identify(repo, incident)
    path = repo / incident_path(incident, "incident.yaml")
    original = _hand_written(path.read_text(encoding="utf-8"), newline).encode()
    path.write_bytes(original)
    commit_all(repo, "Written by hand")
    ok(["validate"], repo)

    ok(["set", incident, "regions", '["eu-west-1"]', "--json", "--at", t(5)], repo)
    ok(["advance", incident, "--at", t(6)], repo)
    ok(["bridge", incident, "https://meet.example.com/x", "--at", t(7)], repo)

    after = path.read_bytes()
    assert after.startswith(b"\xef\xbb\xbf"), "the BOM was dropped"
    old_lines, new_lines = original.split(newline.encode()), after.split(newline.encode())
    removed = [line for line in old_lines if line not in new_lines]
    added = [line for line in new_lines if line not in old_lines]
    assert removed == [b"stage: identify"], removed
    assert added[0] == b"stage: notify" and all(b"\n" not in line and b"\r" not in line for line in added), added
    assert {line.split(b":")[0].strip() for line in added} == {b"stage", b"regions", b"- eu-west-1", b"bridge", b"url", b"opened_at"}
    assert git("status", "--porcelain", cwd=repo) == ""
    ok(["validate"], repo)
