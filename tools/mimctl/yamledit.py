"""Editing records without rewriting what the edit does not touch; the only module that imports ruamel.yaml.

ruamel's round trip works out *what* the new text of a changed value is (its
quoting, its place among comments); the original text stays the base, and
only the values that changed are replaced, removed or inserted there. So
untouched bytes stay as they were: line endings (LF, CRLF, CR, mixed), a BOM,
spellings such as ``.NaN``, ``~`` or ``True``, spacing, comments, ``---``.

ruamel reads YAML 1.2 and libyaml, which judges records, reads 1.1: they
disagree on plain scalars like ``.NaN`` or ``2024-01-01`` (strings here,
numbers and dates there), on NEL and U+2028 (line breaks here, text there),
and ruamel cannot scan some tabs that libyaml accepts. So ruamel is given a
copy in which every scalar they could disagree on is written in one form both
read alike. The result must read back, through the strict loader, exactly as
the original with the change applied; if it would not, the edit is refused,
naming the place, and nothing is written.
"""

from __future__ import annotations

import copy
import io
import math
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from .findings import Finding, Refused
from .yamlio import SCHEMA_LINE_PREFIX, LoadError, Node, Path_, loads, nodes, read_text

Change = Callable[[Any], None]


class EditError(Refused):
    """The edit cannot be made without changing what it does not touch (or is not what was asked)."""


# --- indentation -------------------------------------------------------------------

_KEY_LINE = re.compile(r"^( *)[^\s#-][^:]*:\s*(#.*)?$")
_DASH_LINE = re.compile(r"^( *)- ")
_ANY_LINE = re.compile(r"^( *)\S")


def detect_indent(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) indentation as the file already uses it.

    ruamel writes one indentation style; using the file's own keeps what it
    renders for a changed value in line with its neighbours.
    """
    mapping, offset = 2, 2
    lines = text.splitlines()
    found_map = found_seq = False
    for previous, line in zip(lines, lines[1:], strict=False):
        key = _KEY_LINE.match(previous)
        if not key:
            continue
        parent = len(key.group(1))
        dash = _DASH_LINE.match(line)
        child = _ANY_LINE.match(line)
        if dash and not found_seq:
            offset, found_seq = len(dash.group(1)) - parent, True
        elif child and not dash and not found_map and len(child.group(1)) > parent:
            mapping, found_map = len(child.group(1)) - parent, True
        if found_map and found_seq:
            break
    offset = max(0, offset)
    return mapping, offset + 2, offset


# Characters ruamel may write raw that libyaml reads otherwise (NEL and U+2028/9 are line
# breaks to it), or that nobody should have to see raw: such strings are double-quoted.
_ESCAPE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\t]")


def _round_trip(text: str = "") -> Any:
    from ruamel.yaml import YAML  # only commands that write pay for the import

    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 4096
    mapping, sequence, offset = detect_indent(text) if text else (2, 4, 2)
    rt.indent(mapping=mapping, sequence=sequence, offset=offset)

    def represent_str(representer: Any, data: str) -> Any:
        style = '"' if _ESCAPE.search(data) else None
        return representer.represent_scalar("tag:yaml.org,2002:str", data, style=style)

    rt.representer.add_representer(str, represent_str)
    return rt


def dump_new(data: dict[str, Any], schema_ref: str | None = None) -> str:
    """Serialise a new record, led by its editor schema line; refused unless it reads back the same."""
    out = io.StringIO()
    if schema_ref:
        out.write(f"{SCHEMA_LINE_PREFIX}{schema_ref}\n")
    _round_trip().dump(data, out)
    text = out.getvalue()
    problem = _reads_back(text, data)
    if problem:
        raise EditError(f"cannot write this record so that it reads back the same ({problem})")
    return text


# --- editing ------------------------------------------------------------------------


def edit_file(path: Path, change: Change, name: str | None = None) -> str:
    """``path``'s text (read as stored, no newline translation) with ``change`` applied."""
    try:
        text = read_text(path)
    except LoadError as exc:
        where = name or path.as_posix()
        raise EditError(f"cannot edit {where}", [Finding(where, exc.line, exc.column, exc.message, rule="yaml")]) from None
    return edit_text(text, change, name or path.as_posix())


def edit_text(text: str, change: Change, name: str = "") -> str:
    """``text`` with ``change`` applied to its data, every untouched byte kept.

    ``change`` receives the document as mappings and lists (ruamel's, which
    behave like dict and list) and edits it in place. Raises EditError when the
    result would not read back as the original with the change, or would
    rewrite something the change does not touch.
    """
    try:
        original = loads(text)
    except LoadError as exc:
        raise EditError(f"cannot edit {name or 'the file'}", [Finding(name, exc.line, exc.column, exc.message, rule="yaml")]) from None
    expected = copy.deepcopy(original.data)
    change(expected)
    if _same(original.data, expected):
        return text
    if text.startswith("\ufeff"):  # libyaml's offsets do not count a BOM
        return "\ufeff" + edit_text(text[1:], change, name)
    before = nodes(text)
    rt = _round_trip(text)
    try:
        data = rt.load(_sanitised(text, before))
        change(data)
        _keep_flow_style(data, before)
        data = _escaped(data)
        out = io.StringIO()
        rt.dump(data, out)
    except Exception as exc:  # noqa: BLE001 - ruamel's errors are many; any of them means: not this way
        raise _refusal(name, text, getattr(getattr(exc, "problem_mark", None), "line", 0) + 1, f"the YAML writer failed ({exc})") from None
    rendered = out.getvalue()
    problem = _reads_back(rendered, expected)
    if problem:
        raise _refusal(name, text, 1, f"the YAML writer would change the data ({problem})")
    after = nodes(rendered)
    ops = _escalate(_plan(original.data, expected, (), before, []), before, after, text)
    result = _patch(text, before, rendered, after, ops)
    problem = _reads_back(result, expected)
    if problem:
        line = text.count("\n", 0, before[ops[0][1]].entry) + 1 if ops and ops[0][1] in before else 1
        raise _refusal(name, text, line, f"the edited file would not read back as intended ({problem})")
    return result


def _keep_flow_style(data: Any, before: dict[Path_, Node]) -> None:
    """A list or mapping written ``[a, b]`` by hand stays in that style when the change replaces it."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    for path, node in before.items():
        if not node.flow or not path:
            continue
        parent = data
        for part in path[:-1]:
            parent = _child(parent, part)
        value = _child(parent, path[-1])
        if type(value) is list:
            value = CommentedSeq(value)
        elif type(value) is dict:
            value = CommentedMap(value)
        else:
            continue
        value.fa.set_flow_style()
        parent[path[-1]] = value


def _escaped(value: Any) -> Any:
    """Strings with characters that must not be written raw, double-quoted (whatever style they had)."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if isinstance(value, dict):
        for key in value:
            value[key] = _escaped(value[key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            value[index] = _escaped(item)
    elif isinstance(value, str) and type(value) is not str and _ESCAPE.search(value):
        return DoubleQuotedScalarString(value)
    return value


def _child(container: Any, part: str | int) -> Any:
    if isinstance(container, dict) and isinstance(part, str):
        return container.get(part)
    if isinstance(container, list) and isinstance(part, int) and part < len(container):
        return container[part]
    return None


def _refusal(name: str, text: str, line: int, why: str) -> EditError:
    message = f"cannot edit {name or 'the file'} without rewriting what the change does not touch: {why}; make this change by hand"
    return EditError(message, [Finding(name, line, 1, f"cannot be edited by mimctl: {why}", rule="edit")])


def _reads_back(text: str, expected: Any) -> str:
    """'' when ``text`` loads strictly as ``expected``; otherwise what differs."""
    try:
        data = loads(text).data
    except LoadError as exc:
        return f"line {exc.line}: {exc.message}"
    return _difference(data, expected)


def _difference(got: Any, want: Any, path: str = "") -> str:
    if isinstance(want, dict) and isinstance(got, dict):
        for key in want.keys() | got.keys():
            if key not in got or key not in want:
                return f"{path + '.' if path else ''}{key} {'missing' if key not in got else 'added'}"
            found = _difference(got[key], want[key], f"{path + '.' if path else ''}{key}")
            if found:
                return found
        return ""
    if isinstance(want, list) and isinstance(got, list):
        if len(got) != len(want):
            return f"{path or 'the list'} has {len(got)} items, not {len(want)}"
        for index, (g, w) in enumerate(zip(got, want, strict=True)):
            found = _difference(g, w, f"{path}[{index}]")
            if found:
                return found
        return ""
    if _same(got, want):
        return ""
    return f"{path or 'the value'} would read back as {got!r}, not {want!r}"


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same types (True is not 1, 1 is not 1.0), lists and mappings alike."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if _kind(a) != _kind(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return bool(a == b)


def _kind(value: Any) -> str:
    for kind, types in (("bool", bool), ("int", int), ("float", float), ("str", str), ("null", type(None))):
        if isinstance(value, types):
            return kind
    return "mapping" if isinstance(value, dict) else "list" if isinstance(value, list) else type(value).__name__


# --- a copy ruamel reads as the strict loader does ---------------------------------

_BREAKS = re.compile("\r\n|[\n\r\x85\u2028\u2029]")
_ODD = re.compile("[\t\r\n\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")
_ODD_IN_BLOCK = re.compile("[\t\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


def _sanitised(text: str, found: dict[Path_, Node]) -> str:
    """``text`` as ruamel should read it: every risky scalar in a neutral form, and neutral trivia."""
    spans: list[tuple[int, int, str | None]] = []
    for node in found.values():
        if node.key is not None:
            start, end, style, key = node.key
            if _risky(text[start:end], style, key):
                spans.append((start, end, _quoted(key)))
        if node.kind == "scalar":
            raw = text[node.start : node.end]
            if _risky(raw, node.style, node.value):
                spans.append((node.start, node.end, _neutral(node.value) + ("\n" if raw.endswith(("\n", "\r")) else "")))
            elif node.style in ("|", ">"):
                spans.append((node.start, node.end, _BREAKS.sub("\n", raw)))
    pieces = []
    position = 0
    for start, end, replacement in sorted(spans):
        pieces.append(_trivia(text[position:start]))
        pieces.append(replacement or "")
        position = end
    pieces.append(_trivia(text[position:]))
    return "".join(pieces)


_COMMENT = re.compile(r"(?:^|(?<=[ \t\n]))#[^\n]*")
_BLANK_LINES = re.compile(r"(?:\n[ ]*)+\n")


def _trivia(text: str) -> str:
    """What lies between tokens, as ruamel should see it: no comments or blank lines, LF line breaks, spaces.

    Comments stay where they are in the file (only changed values are taken from
    ruamel's output), so ruamel need not place them, which it sometimes gets wrong
    when a value changes its kind. Between tokens libyaml reads NEL, U+2028/9 and
    a lone CR as line breaks and tabs as spaces.
    """
    plain = _COMMENT.sub("", _BREAKS.sub("\n", text)).replace("\t", " ").replace("\ufeff", "")
    return _BLANK_LINES.sub("\n", plain)  # ruamel keeps blank lines as comments, with the same trouble


def _risky(raw: str, style: str, value: Any) -> bool:
    """Whether ruamel might read ``raw`` otherwise than the strict loader, or not at all."""
    if style in ("|", ">"):
        return bool(_ODD_IN_BLOCK.search(raw))
    if _ODD.search(raw):
        return True
    if style == '"':
        return "\\" in raw
    if style == "'":
        return False
    return _ruamel_kind(raw) != _kind(value)


@lru_cache(maxsize=4096)
def _ruamel_kind(raw: str) -> str:
    from ruamel.yaml.nodes import ScalarNode
    from ruamel.yaml.resolver import VersionedResolver

    tag = VersionedResolver(version=(1, 2)).resolve(ScalarNode, raw, (True, False))
    kind = str(tag).rsplit(":", 1)[-1]
    return kind if kind in ("bool", "int", "float", "str", "null") else "other"


def _neutral(value: Any) -> str:
    """One spelling of a scalar that ruamel and libyaml read alike."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return _quoted(str(value))


def _quoted(value: str) -> str:
    out = ['"']
    for char in value:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char.isprintable() and char != "\ufeff":
            out.append(char)
        else:
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


# --- what changed -----------------------------------------------------------------

Op = tuple[str, Path_, Path_ | None]  # ("replace" | "remove" | "add", path, for "add": the sibling it follows)


def _plan(old: Any, new: Any, path: Path_, found: dict[Path_, Node], ops: list[Op]) -> list[Op]:
    """The smallest changes that turn ``old`` into ``new``, as replacements, removals and additions."""
    if _same(old, new):
        return ops
    node = found[path]
    if node.kind == "scalar" or node.flow or _kind(old) != _kind(new) or not new:
        ops.append(("replace", path, None))
        return ops
    if isinstance(old, dict):
        kept_old = [k for k in old if k in new]
        kept_new = [k for k in new if k in old]
        if kept_old != kept_new or not kept_old or next(iter(new)) not in old:
            ops.append(("replace", path, None))  # reordered, or something goes before every old key
            return ops
        ops += [("remove", (*path, k), None) for k in old if k not in new]
        previous: Path_ = ()
        for key in new:
            if key in old:
                _plan(old[key], new[key], (*path, key), found, ops)
            else:
                ops.append(("add", (*path, key), previous))
            previous = (*path, key)
        return ops
    common = min(len(old), len(new))
    for index in range(common):
        _plan(old[index], new[index], (*path, index), found, ops)
    ops += [("remove", (*path, i), None) for i in range(common, len(old))]
    ops += [("add", (*path, i), (*path, i - 1)) for i in range(common, len(new))]
    return ops


def _escalate(ops: list[Op], before: dict[Path_, Node], after: dict[Path_, Node], text: str) -> list[Op]:
    """Replace a whole collection where an entry of it cannot be edited on lines of its own.

    Entries of a flow collection (``[a, b]``) share its line; the first key of a
    mapping in a list shares the item's dash.
    """
    while True:
        changed = False
        result: list[Op] = []
        for kind, path, previous in ops:
            on_lines = kind != "replace" or not _inline(before[path], after[path])
            if path and (before[path[:-1]].flow or (on_lines and kind != "add" and not _exclusive(text, before, path))):
                result.append(("replace", path[:-1], None))
                changed = True
            else:
                result.append((kind, path, previous))
        replaced = [p for k, p, _ in result if k == "replace"]
        ops = []
        for op in result:
            inside = any(op[1][: len(r)] == r and op[1] != r for r in replaced)
            if op not in ops and not inside:
                ops.append(op)
        if not changed:
            return ops


def _inline(old: Node, new: Node) -> bool:
    """Whether the new value can take the old one's place on its line(s)."""
    return (old.kind == "scalar" or old.flow) and (new.flow or (new.kind == "scalar" and new.style not in ("|", ">")))


def _exclusive(text: str, found: dict[Path_, Node], path: Path_) -> bool:
    """Whether the entry of ``path`` starts its line (only its indentation, or its list dash, before it)."""
    anchor = _indent_at(text, found, path)
    return not text[_line_start(text, anchor) : anchor].strip()


def _indent_at(text: str, found: dict[Path_, Node], path: Path_) -> int:
    """Where the entry of ``path`` is anchored: its key, or for a list item its dash."""
    node = found[path]
    if isinstance(path[-1], int) and not found[path[:-1]].flow:
        dash = text.rfind("-", 0, node.entry)
        return dash if dash >= 0 else node.entry
    return node.entry


# --- putting it together -----------------------------------------------------------


def _patch(text: str, before: dict[Path_, Node], rendered: str, after: dict[Path_, Node], ops: list[Op]) -> str:
    """``text`` with each operation made: values replaced in place, entries removed or inserted as whole lines."""
    newline = _newline(text)
    edits: list[tuple[int, int, int, str]] = []  # start, end, order, new text
    anchors: dict[Path_, int] = {}
    for order, (kind, path, previous) in enumerate(ops):
        if kind == "remove":
            start, end = _entry_lines(text, before, path)
            edits.append((start, end, order, ""))
        elif kind == "add":
            anchor_path = previous if previous in before else None
            anchor = anchors.get(previous) if anchor_path is None else _entry_lines(text, before, anchor_path)[1]  # type: ignore[arg-type]
            assert anchor is not None
            anchors[path] = anchor
            column = _column(text, _indent_at(text, before, anchor_path or _first_in(before, path)))
            new = _lines_of(rendered, after, path, column, newline)
            if anchor == len(text) and text and not text.endswith(("\n", "\r")):
                new = newline + new[: -len(newline)] if new.endswith(newline) else newline + new
            edits.append((anchor, anchor, order, new))
        else:
            edits.append(_replacement(text, before, rendered, after, path, newline, order))
    result = text
    for start, end, _, new in sorted(edits, reverse=True):
        result = result[:start] + new + result[end:]
    return result


def _first_in(found: dict[Path_, Node], path: Path_) -> Path_:
    """An existing sibling of ``path`` (to take the column from)."""
    parent = path[:-1]
    return next(p for p in found if p[:-1] == parent and len(p) == len(path))


def _replacement(
    text: str, before: dict[Path_, Node], rendered: str, after: dict[Path_, Node], path: Path_, newline: str, order: int
) -> tuple[int, int, int, str]:
    old, new = before[path], after[path]
    if path and _inline(old, new):
        value = rendered[new.start : new.end]
        delta = _column(text, _indent_at(text, before, path)) - _column(rendered, _indent_at(rendered, after, path))
        value = _reindent(value, delta, first=False).replace("\n", newline)
        start, end = old.start, old.end
        if old.style in ("|", ">") and text[end - 1 : end] in ("\n", "\r"):
            value += newline  # a block scalar's text runs to the start of the next line
        if start == end and value and text[start - 1 : start] not in (" ", "\t"):
            value = " " + value
        if not value:
            while start > 0 and text[start - 1] in " \t":
                start -= 1
        return (start, end, order, value)
    if not path:  # the keys of the document were reordered: nothing of it stays in place
        return (0, len(text), order, rendered.replace("\n", newline))
    start, end = _entry_lines(text, before, path)
    column = _column(text, _indent_at(text, before, path))
    return (start, end, order, _lines_of(rendered, after, path, column, newline))


def _lines_of(rendered: str, found: dict[Path_, Node], path: Path_, column: int, newline: str) -> str:
    """The whole lines of ``path``'s entry in ``rendered``, moved to ``column``, with ``newline`` endings."""
    start, end = _entry_lines(rendered, found, path)
    delta = column - _column(rendered, _indent_at(rendered, found, path))
    block = _reindent(rendered[start:end], delta, first=True)
    if not block.endswith("\n"):
        block += "\n"
    return block.replace("\n", newline)


def _entry_lines(text: str, found: dict[Path_, Node], path: Path_) -> tuple[int, int]:
    """From the start of the line where ``path``'s entry begins to just after the line where it ends."""
    node = found[path]
    start = _line_start(text, _indent_at(text, found, path))
    last = max(node.last, node.end if node.kind == "scalar" else node.last)
    if last > 0 and text[last - 1] in "\n\r":
        return start, last
    return start, _line_end(text, last)


def _line_start(text: str, index: int) -> int:
    return max(text.rfind("\n", 0, index), text.rfind("\r", 0, index)) + 1


def _line_end(text: str, index: int) -> int:
    match = _BREAKS.search(text, index)
    return match.end() if match else len(text)


def _column(text: str, index: int) -> int:
    return index - _line_start(text, index)


def _reindent(block: str, delta: int, first: bool) -> str:
    if delta == 0:
        return block
    lines = block.split("\n")
    out = []
    for number, line in enumerate(lines):
        if (number == 0 and not first) or not line.strip():
            out.append(line)
        elif delta > 0:
            out.append(" " * delta + line)
        else:
            strip = min(-delta, len(line) - len(line.lstrip(" ")))
            out.append(line[strip:])
    return "\n".join(out)


def _newline(text: str) -> str:
    match = _BREAKS.search(text)
    return "\n" if match is None or match.group() not in ("\r\n", "\r") else match.group()
