"""The strict loader (what it refuses, where it says so, what it resolves) and the writer."""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mimctl import yamlio
from mimctl.yamlio import LoadError, atomic_write, dump_new, edit_text, load_file, loads

DEMO_INCIDENT = Path(__file__).parent / "corpus/valid/demo-complete/incidents/INC-0001/incident.yaml"


def load_error(text: str | bytes) -> LoadError:
    with pytest.raises(LoadError) as caught:
        loads(text)
    error = caught.value
    assert "\n" not in error.message, "a load error is one line"
    return error


# --- what the loader refuses, and where -------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        pytest.param("a: 1\nb: 2\na: 3\n", 3, "duplicate key 'a'", id="duplicate-key"),
        pytest.param("a:\n  b: 1\n  b: 2\n", 3, "duplicate key 'b'", id="duplicate-nested-key"),
        pytest.param("a: 1\n'a': 2\n", 2, "duplicate key 'a'", id="duplicate-key-quoted"),
        pytest.param("a: 1\nb: &x 2\n", 2, "anchors (&x) are not allowed", id="anchor"),
        pytest.param("a: 1\nb: *x\n", 2, "aliases (*name) are not allowed", id="alias"),
        pytest.param("a: 1\nb: !!str 2\n", 2, "explicit YAML tags (tag:yaml.org,2002:str) are not allowed", id="tag-str"),
        pytest.param("a: 1\nb: !custom x\n", 2, "explicit YAML tags (!custom) are not allowed", id="tag-custom"),
        pytest.param("a: 1\n1: x\n", 2, "mapping key '1' must be a string", id="int-key"),
        pytest.param("a: 1\ntrue: x\n", 2, "mapping key 'true' must be a string", id="bool-key"),
        pytest.param("a: 1\nnull: x\n", 2, "mapping key 'null' must be a string", id="null-key"),
        pytest.param("a: 1\n1.5: x\n", 2, "mapping key '1.5' must be a string", id="float-key"),
        pytest.param("a: 1\n[a]: x\n", 2, "mapping keys must be plain strings", id="list-key"),
        pytest.param("a: 1\n? {b: 1}\n: x\n", 2, "mapping keys must be plain strings", id="map-key"),
        pytest.param("a: 1\n---\nb: 2\n", 2, "one YAML document, found a second", id="two-documents"),
        pytest.param("a: [1, 2\nb: 3\n", 2, "invalid YAML", id="syntax-error"),
        pytest.param("a: 1\n\tb: 2\n", 2, "invalid YAML", id="tab-indent"),
    ],
)
def test_refused_with_line(text: str, line: int, fragment: str) -> None:
    error = load_error(text)
    assert fragment in error.message
    assert error.line == line


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param(
            "a: 1\nb: " + "9" * 4301 + "\n", "integer 9999999999...999999 (4301 characters) does not fit in 64 bits", id="4301-digits"
        ),
        pytest.param("a: 1\nb: 9223372036854775808\n", "integer 9223372036854775808 does not fit in 64 bits", id="2**63"),
        pytest.param("a: 1\nb: -9223372036854775809\n", "does not fit in 64 bits", id="below-int64"),
        pytest.param("a: 1\nb: 1e400\n", "number 1e400 is too large", id="float-overflow"),
        pytest.param("a: 1\nb: [1, -1.5e999]\n", "number -1.5e999 is too large", id="float-overflow-in-a-list"),
    ],
)
def test_numbers_out_of_range_are_refused_with_their_place(text: str, fragment: str) -> None:
    error = load_error(text)
    assert fragment in error.message
    assert error.line == 2


def test_numbers_at_the_edge_of_the_range_are_read() -> None:
    assert loads("a: 9223372036854775807\nb: -9223372036854775808\nc: 1.7e308\n").data == {
        "a": 2**63 - 1,
        "b": -(2**63),
        "c": 1.7e308,
    }


def test_alias_bomb_is_refused_at_its_first_anchor() -> None:
    bomb = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"{chr(c)}: &{chr(c)} [{', '.join(['*' + chr(c - 1)] * 9)}]\n" for c in range(ord("b"), ord("j"))
    )
    error = load_error(bomb)
    assert "anchors (&a) are not allowed" in error.message
    assert (error.line, error.column) == (1, 4)


@pytest.mark.parametrize("flow", [True, False], ids=["flow", "block"])
def test_1000_levels_of_nesting_are_refused_at_the_limit(flow: bool) -> None:
    if flow:
        text = "a: " + "[" * 1000 + "]" * 1000 + "\n"
    else:
        text = "".join(" " * depth + "a:\n" for depth in range(1000)) + " " * 1000 + "a: 1\n"
    error = load_error(text)
    # libyaml's own limit (1000) may be hit first in flow style; either way it is one clear line
    assert "nesting" in error.message
    assert error.line == (1 if flow else yamlio.MAX_DEPTH + 1)


def test_nesting_up_to_the_limit_is_fine() -> None:
    text = "[" * yamlio.MAX_DEPTH + "]" * yamlio.MAX_DEPTH
    value: Any = loads(text).data
    depth = 0
    while value is not None and isinstance(value, list):
        depth += 1
        value = value[0] if value else None
    assert depth == yamlio.MAX_DEPTH


def test_20_mb_text_is_refused_before_parsing() -> None:
    error = load_error("a: " + "x" * (20 * 1024 * 1024) + "\n")
    assert "larger than 1024 KiB" in error.message
    assert error.line == 1


def test_20_mb_file_is_refused_with_its_size(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: " + b"x" * (20 * 1024 * 1024) + b"\n")
    with pytest.raises(LoadError) as caught:
        load_file(path)
    assert "larger than 1024 KiB" in caught.value.message
    assert str(path.stat().st_size) in caught.value.message


def test_invalid_utf8_names_its_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "record.yaml"
    path.write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(LoadError) as caught:
        load_file(path)
    assert caught.value.message == "file is not valid UTF-8"
    assert (caught.value.line, caught.value.column) == (2, 7)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "record.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: caf\xc3\xa9\n")
    assert load_file(path).data == {"a": "café"}


def test_missing_file_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="cannot read file"):
        load_file(tmp_path / "nope.yaml")


def test_control_character_names_its_line() -> None:
    error = load_error("a: 1\nb: 2\nc: bell\x07here\n")
    assert "control characters are not allowed" in error.message
    assert error.line == 3


def test_control_character_is_refused() -> None:
    error = load_error("a: 1\nb: bell\x07here\n")
    assert "control characters are not allowed" in error.message


# --- what the loader resolves ------------------------------------------------


@pytest.mark.parametrize(
    "word",
    [
        "no",
        "No",
        "NO",
        "on",
        "yes",
        "off",
        "y",
        "n",
        "012",
        "0x1F",
        "0o17",
        "1_000",
        "1:30",
        "2024-01-01",
        "2024-01-01T00:00:00Z",
        "2024-01-01 00:00:00",
        ".inf",
        ".nan",
        "=",
        "<<",
    ],
)
def test_yaml_1_1_words_stay_strings(word: str) -> None:
    assert loads(f"a: {word}\n").data == {"a": word}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", True),
        ("True", True),
        ("false", False),
        ("FALSE", False),
        ("null", None),
        ("~", None),
        ("", None),
        ("0", 0),
        ("42", 42),
        ("-7", -7),
        ("+3", 3),
        ("1.5", 1.5),
        ("-0.25", -0.25),
        (".5", 0.5),
        ("1.0e+3", 1000.0),
        ("'true'", "true"),
        ('"42"', "42"),
        ("'null'", "null"),
    ],
)
def test_core_scalars_resolve(text: str, value: object) -> None:
    data = loads(f"a: {text}\n").data
    assert data == {"a": value}
    assert type(data["a"]) is type(value)


def test_empty_document_is_none() -> None:
    assert loads("# only a comment\n").data is None


# --- positions ---------------------------------------------------------------

NESTED = """\
# comment
id: INC-0001
roles:
  incident_manager: alex
  scribe: sam
services:
  - checkout-api
  - auth
actions:
  - id: A1
    title: first
  -   id: A2
      title: second
flow: {x: [1, 2]}
"""


@pytest.mark.parametrize(
    ("path", "position"),
    [
        (("id",), (2, 1)),
        (("roles",), (3, 1)),
        (("roles", "scribe"), (5, 3)),
        (("services", 0), (7, 5)),
        (("services", 1), (8, 5)),
        (("actions", 1), (12, 7)),
        (("actions", 1, "title"), (13, 7)),
        (("flow", "x", 1), (14, 15)),
        (("roles", "nobody"), (3, 1)),  # missing: its nearest parent
        (("nothing", "here"), (2, 1)),  # missing at the top: where the record starts
    ],
)
def test_positions_of_keys_and_items(path: tuple[str | int, ...], position: tuple[int, int]) -> None:
    assert loads(NESTED).position(path) == position


# --- writing -------------------------------------------------------------------

RECORD: dict[str, Any] = {
    "id": "INC-0001",
    "title": "no",
    "stage": "identify",
    "priority": 1,
    "ratio": 1.5,
    "public": False,
    "empty": None,
    "tags": [
        "on",
        "yes",
        "off",
        "012",
        "1:30",
        "2024-01-01",
        "2024-01-01T00:00:00Z",
        "null",
        "true",
        "~",
        "",
        "1e3",
        "+12",
        ".5",
        "#x",
        "a: b",
        "- x",
        " lead",
        "x\ny",
        "é",
        "'q'",
        '"dq"',
        "NULL",
        "True",
    ],
    "nested": {"a": [1, {"b": "c"}], "when": "2026-11-15T08:45:00Z"},
}


def test_dump_new_reads_back_equal() -> None:
    text = dump_new(RECORD, "../../schemas/incident.schema.json")
    assert text.startswith("# yaml-language-server: $schema=../../schemas/incident.schema.json\n")
    assert loads(text).data == RECORD


def test_untouched_demo_record_is_byte_identical() -> None:
    text = DEMO_INCIDENT.read_text(encoding="utf-8")
    assert edit_text(text, lambda data: None) == text


HAND_WRITTEN = """\
# yaml-language-server: $schema=../../schemas/incident.schema.json
# Written by hand at 3 a.m.; keep these comments.
id: "INC-0042"   # the id
title: 'It''s "odd": card payments failing'
stage: identify
severity: SEV1
detection: {source: alert}
detected_at: 2026-11-15T08:45:00Z
services: [checkout-api, auth]
regions:
  - "no"
  - on
  - 'yes'

summary: >
  Folded text
  over two lines.
major_reason: |
  Literal text

  with a blank line.
escaped: "tab\\there"
# trailing comment
"""


def test_untouched_hand_written_record_is_byte_identical() -> None:
    assert edit_text(HAND_WRITTEN, lambda data: None) == HAND_WRITTEN


STYLES = [
    pytest.param("tags:\n  - a\n", id="indented-sequence"),
    pytest.param("empty:\nb: 1\n", id="empty-value"),
    pytest.param("a: 'single'\nb: \"double\"\nc: plain\n", id="quoting"),
    pytest.param("t: Zahlungen schlagen fehl – ü\n", id="unicode"),
    pytest.param("tags:\n- a\n- b\n", id="unindented-sequence"),
    pytest.param("a:\n    b: 1\n", id="four-space-mapping"),
    pytest.param("impact:   high\n", id="spaces-after-colon"),
    pytest.param('a: "caf\\u00e9"\n', id="unicode-escape"),
    pytest.param("a: ~\nb: Null\n", id="tilde-null"),
    pytest.param("a: .NaN\nb: +.inf\nc: -.Inf\n", id="special-float-spellings"),
    pytest.param("a: True\nb: FALSE\nc: +3\nd: -0\ne: 1.0e+3\nf: .5\n", id="number-and-bool-spellings"),
    pytest.param("a: 0x1F\nb: 012\nc: 1_000\nd: 2024-01-01\ne: 1:30\nf: =\n", id="yaml-1-1-words"),
    pytest.param("a: b\t\nc:\td\n", id="tabs-between-tokens"),
    pytest.param("a: x\ty\n", id="tab-inside-a-plain-scalar"),
    pytest.param('a: "x\x85y"\nb: "x\u2028y"\n', id="raw-nel-and-line-separator-in-quotes"),
    pytest.param("a: [1,2]\nb: {x: 1,  y: 2}\n", id="flow-spacing"),
    pytest.param('a: "x\n  y"\nb: x\n  y\n', id="multi-line-scalars"),
    pytest.param("a: >-\n  x\n  y\nb: |+\n  z\n\n", id="block-scalars"),
    pytest.param("? a\n: 1\n", id="explicit-key"),
    pytest.param("a : 1\n", id="space-before-colon"),
    pytest.param("a: 1 #c\n#d\n\n\n", id="comments-and-blank-lines"),
    pytest.param("a: " + "word " * 1000 + "end\n", id="long-line"),
]


@pytest.mark.parametrize("text", STYLES)
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_an_edit_elsewhere_keeps_every_style_byte_for_byte(text: str, newline: str) -> None:
    before = "stage: identify\n" + text
    before = before.replace("\n", newline)

    def change(data: Any) -> None:
        data["stage"] = "notify"

    assert edit_text(before, change) == before.replace("identify", "notify", 1)


@pytest.mark.parametrize(
    "prefix", ["---\n", "\ufeff", "%YAML 1.1\n---\n", "# only a comment\n"], ids=["document-start", "bom", "directive", "comment"]
)
def test_what_comes_before_the_first_key_is_kept(prefix: str) -> None:
    before = prefix + "stage: identify\na: 1\n...\n"

    def change(data: Any) -> None:
        data["stage"] = "notify"
        data["b"] = 2

    assert edit_text(before, change) == prefix + "stage: notify\na: 1\nb: 2\n...\n"


def test_a_file_without_a_final_newline_keeps_it_that_way() -> None:
    def change(data: Any) -> None:
        data["b"] = 2

    assert edit_text("a: 1", change) == "a: 1\nb: 2"
    assert edit_text("a: 1\r\nc: 3", change) == "a: 1\r\nc: 3\r\nb: 2"


def _changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(True), after.splitlines(True), n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_one_field_edit_changes_one_line_of_the_demo_record() -> None:
    before = DEMO_INCIDENT.read_text(encoding="utf-8")

    def change(data: Any) -> None:
        data["resolution"]["change_ref"] = "CHG-9999"

    after = edit_text(before, change)
    assert _changed_lines(before, after) == ["-  change_ref: CHG-2041\n", "+  change_ref: CHG-9999\n"]


def test_one_field_edit_keeps_comments_and_quoting() -> None:
    def change(data: Any) -> None:
        data["stage"] = "notify"

    after = edit_text(HAND_WRITTEN, change)
    assert _changed_lines(HAND_WRITTEN, after) == ["-stage: identify\n", "+stage: notify\n"]
    assert loads(after).data["regions"] == ["no", "on", "yes"]


def test_edit_writes_yaml_1_1_words_that_read_back_as_strings() -> None:
    def change(data: Any) -> None:
        data["regions"].append("off")
        data["title"] = "null"
        data["priority"] = 2

    after = edit_text(HAND_WRITTEN, change)
    data = loads(after).data
    assert data["regions"] == ["no", "on", "yes", "off"]
    assert data["title"] == "null"
    assert data["priority"] == 2


# --- atomic_write ----------------------------------------------------------------


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_atomic_write_creates_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "incident.yaml"
    atomic_write(path, "a: 1\n")
    assert path.read_text(encoding="utf-8") == "a: 1\n"
    assert path.stat().st_mode & 0o777 == 0o644
    path.chmod(0o600)
    atomic_write(path, "a: café\n")
    assert path.read_bytes() == "a: café\n".encode()
    assert path.stat().st_mode & 0o777 == 0o600, "the file keeps its permissions"
    assert _leftovers(path.parent) == []


def test_atomic_write_writes_lf_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "incident.yaml"
    atomic_write(path, "a: 1\nb: 2\n")
    assert path.read_bytes() == b"a: 1\nb: 2\n"


def test_failed_atomic_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "incident.yaml"
    path.write_text("old: true\n", encoding="utf-8")

    def fail(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="No space left"):
        atomic_write(path, "new: true\n")
    assert path.read_text(encoding="utf-8") == "old: true\n"
    assert _leftovers(tmp_path) == []


def test_interrupted_atomic_write_leaves_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "incident.yaml"

    def interrupt(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(path, "new: true\n")
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


# Any value written by the tool must read back the same (no 'no' -> False).
_scalar = st.one_of(
    # control characters (Cc) are covered one by one below
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30),
    st.sampled_from(["no", "on", "yes", "off", "012", "1:30", "2024-01-01", "null", "true", "~", "1e3", "0x1F", "-.5", "+1"]),
    st.integers(-(10**12), 10**12),
    st.booleans(),
    st.none(),
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.from_regex(r"[a-z_]{1,12}", fullmatch=True), st.one_of(_scalar, st.lists(_scalar, max_size=4)), max_size=6))
def test_any_written_record_reads_back_equal(record: dict[str, Any]) -> None:
    assert loads(dump_new(record)).data == record


@pytest.mark.parametrize("value", [1e20, 1e-07])
def test_written_floats_with_an_exponent_read_back_as_floats(value: float) -> None:
    assert loads(dump_new({"a": value})).data == {"a": value}


@pytest.mark.parametrize("value", [0.1, -2.5, 1.5e300])
def test_written_floats_read_back_as_floats(value: float) -> None:
    assert loads(dump_new({"a": value})).data == {"a": value}


@pytest.mark.parametrize("value", ["a\tb", "a\nb", "a\r\nb", " lead", "trail ", "a\u2028b"])
def test_written_whitespace_reads_back_equal(value: str) -> None:
    assert loads(dump_new({"a": value})).data == {"a": value}


def test_written_next_line_character_reads_back_equal() -> None:
    assert loads(dump_new({"title": "before\x85after"})).data == {"title": "before\x85after"}
