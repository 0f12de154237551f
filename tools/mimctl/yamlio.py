"""YAML I/O: the strict loader (with positions) and the atomic writer.

This is the only module that imports ``yaml``; editing (ruamel.yaml's round
trip) lives in ``yamledit``, and ``dump_new``, ``edit_text`` and ``edit_file``
here hand over to it.

Reading uses libyaml's event stream (``CParser``) and builds plain Python
values itself, so that it can refuse what a record never needs and what makes
other tools slow or wrong: anchors and aliases (alias bombs), explicit tags,
duplicate and non-string keys, deep nesting and oversized files. Scalars follow
a small YAML 1.2 core schema: ``true``/``false``, ``null``, decimal integers
and floats are resolved; everything else, timestamps and YAML 1.1 words like
``no`` or ``on`` included, stays a string.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 32
SCHEMA_LINE_PREFIX = "# yaml-language-server: $schema="

Path_ = tuple[str | int, ...]

_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+\.[0-9]*|[0-9]+(?=[eE]))([eE][-+]?[0-9]+)?\Z")
_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})

# libyaml is 8x faster; fall back only where the wheel lacks it.
_Parser = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LoadError(Exception):
    """A file that is not a well-formed, simple YAML record."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True)
class Document:
    """A loaded record: its data and the 1-based (line, column) of every value."""

    data: Any
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: Path_) -> tuple[int, int]:
        """Where ``path`` (or its nearest existing parent) is written in the file."""
        for end in range(len(path), -1, -1):
            found = self.positions.get(tuple(path[:end]))
            if found:
                return found
        return (1, 1)


INT_RANGE = (-(2**63), 2**63 - 1)  # 64 bits: what the JSON and YAML tools reading records can hold


class _OutOfRange(ValueError):
    """A number no record needs and not every tool can hold (a 5,000-digit integer, 1e400)."""


def _resolve_plain(value: str) -> Any:
    if value in _NULL:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if _INT.match(value):
        # int() refuses more than 4,300 digits; a 64-bit range is far below that
        number = int(value) if len(value) <= 21 else INT_RANGE[1] + 1
        if not INT_RANGE[0] <= number <= INT_RANGE[1]:
            raise _OutOfRange(f"integer {_clip(value)} does not fit in 64 bits")
        return number
    if _FLOAT.match(value):
        result = float(value)
        if result in (float("inf"), float("-inf")):
            raise _OutOfRange(f"number {_clip(value)} is too large")
        return result
    return value


def _clip(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:10]}...{text[-6:]} ({len(text)} characters)"


def _mark(event: Any) -> tuple[int, int]:
    return (event.start_mark.line + 1, event.start_mark.column + 1)


class _Positioned(Exception):
    """A refusal of one scalar, with where it is (the cause says what)."""

    def __init__(self, line: int, column: int) -> None:
        super().__init__(line, column)
        self.line, self.column = line, column


def _scalar(event: Any) -> Any:
    """The value of a scalar event: resolved when plain, else the text as written."""
    if not event.implicit[0]:
        return event.value
    try:
        return _resolve_plain(event.value)
    except _OutOfRange as exc:
        raise _Positioned(*_mark(event)) from exc


def loads(text: str | bytes) -> Document:
    """Parse one YAML document strictly; raise LoadError with a position."""
    if len(text) > MAX_BYTES:
        raise LoadError(f"file is larger than {MAX_BYTES // 1024} KiB")
    parser = _Parser(text)
    try:
        return _build(parser)
    except _Positioned as exc:
        raise LoadError(str(exc.__cause__), exc.line, exc.column) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise LoadError(f"invalid YAML: {exc.problem or exc.context}", line, col) from None
    except yaml.reader.ReaderError as exc:
        line, col = _line_col(text, exc.position)
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise LoadError(f"{exc.reason} (#x{code:02x})", line, col) from None
    except yaml.YAMLError as exc:
        raise LoadError(f"invalid YAML: {_one_line(str(exc))}") from None
    finally:
        parser.dispose()


def _line_col(text: str | bytes, position: int) -> tuple[int, int]:
    newline = b"\n" if isinstance(text, bytes) else "\n"
    before = text[:position]
    return before.count(newline) + 1, position - (before.rfind(newline) + 1) + 1  # type: ignore[arg-type]


def _one_line(text: str) -> str:
    return " ".join(text.split())


_SCALAR = yaml.events.ScalarEvent
_MAP_START = yaml.events.MappingStartEvent
_ENDS = (yaml.events.MappingEndEvent, yaml.events.SequenceEndEvent)
_SKIP = (yaml.events.StreamStartEvent, yaml.events.StreamEndEvent, yaml.events.DocumentEndEvent)
_NO_KEY = object()


def _build(parser: Any) -> Document:
    """Plain values from libyaml's events, refusing what records never need.

    A frame of the stack is [container, its path, the pending mapping key].
    """
    positions: dict[Path_, tuple[int, int]] = {}
    stack: list[list[Any]] = []
    root: Any = None
    documents = 0
    get_event = parser.get_event
    while True:
        event = get_event()
        if event is None:
            break
        cls = event.__class__
        if cls in _SKIP:
            continue
        if cls in _ENDS:
            container = stack.pop()[0]
            if stack:
                _attach(stack[-1], container)
            else:
                root = container
            continue
        if cls is yaml.events.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise LoadError("a record holds one YAML document, found a second", *_mark(event))
            continue
        if cls is yaml.events.AliasEvent:
            raise LoadError("YAML aliases (*name) are not allowed in records", *_mark(event))
        if event.anchor:
            raise LoadError(f"YAML anchors (&{event.anchor}) are not allowed in records", *_mark(event))
        if event.tag not in (None, "!"):
            raise LoadError(f"explicit YAML tags ({event.tag}) are not allowed in records", *_mark(event))
        frame = stack[-1] if stack else None
        in_mapping = frame is not None and frame[0].__class__ is dict
        if in_mapping and frame[2] is _NO_KEY:  # type: ignore[index]
            if cls is not _SCALAR:
                raise LoadError("mapping keys must be plain strings", *_mark(event))
            key = _scalar(event)
            if key.__class__ is not str:
                raise LoadError(f"mapping key {event.value!r} must be a string", *_mark(event))
            if key in frame[0]:  # type: ignore[index]
                raise LoadError(f"duplicate key {key!r}", *_mark(event))
            frame[2] = key  # type: ignore[index]
            positions[frame[1] + (key,)] = _mark(event)  # type: ignore[index]
            continue
        if frame is None:
            path: Path_ = ()
        elif in_mapping:
            path = frame[1] + (frame[2],)
        else:
            path = frame[1] + (len(frame[0]),)
        if not in_mapping:
            positions[path] = _mark(event)
        if cls is _SCALAR:
            value = _scalar(event)
            if frame is None:
                root = value
            else:
                _attach(frame, value)
            continue
        if len(stack) >= MAX_DEPTH:
            raise LoadError(f"nesting deeper than {MAX_DEPTH} levels", *_mark(event))
        stack.append([{}, path, _NO_KEY] if cls is _MAP_START else [[], path, None])
    return Document(root, positions)


def _attach(frame: list[Any], value: Any) -> None:
    container = frame[0]
    if container.__class__ is dict:
        container[frame[2]] = value
        frame[2] = _NO_KEY
    else:
        container.append(value)


def load_file(path: Path) -> Document:
    """Read and strictly parse one record file (a regular file, not a link or a device)."""
    try:
        info = path.lstat()
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror}") from None
    if stat.S_ISLNK(info.st_mode):
        raise LoadError("a record may not be a symbolic link")
    if not stat.S_ISREG(info.st_mode):
        raise LoadError("a record must be a regular file")
    if info.st_size > MAX_BYTES:
        raise LoadError(f"file is larger than {MAX_BYTES // 1024} KiB ({info.st_size} bytes)")
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)  # bounded even if the file grows meanwhile
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror}") from None
    return load_bytes(raw)


def load_bytes(raw: bytes) -> Document:
    """Strictly parse a record file's bytes (read by the caller, e.g. from a git object)."""
    if len(raw) > MAX_BYTES:
        raise LoadError(f"file is larger than {MAX_BYTES // 1024} KiB")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise LoadError("file is not valid UTF-8", line, col) from None
    return loads(raw)


def read_text(path: Path) -> str:
    """A record's text exactly as stored: line endings and a leading BOM kept (no newline translation)."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise LoadError("file is not valid UTF-8", line, col) from None


# --- where each value is written (for editing) ------------------------------------


@dataclass
class Node:
    """Where one value of a document is written, as offsets into its text.

    ``entry`` is where its entry begins (a mapping value: its key; otherwise the
    value itself); ``last`` is just after the last character of its content, for
    a collection that of its last descendant (a block collection's own end mark
    lies past trailing comments).
    """

    kind: str  # "scalar", "mapping" or "sequence"
    start: int
    end: int
    entry: int
    flow: bool = False  # a flow collection: [a, b] or {a: b}
    style: str = ""  # a scalar's: "" plain, "'", '"', "|" or ">"
    value: Any = None  # a scalar's value, as loads reads it
    last: int = 0
    key: tuple[int, int, str, str] | None = None  # a mapping entry's key: start, end, style, text


def nodes(text: str) -> dict[Path_, Node]:
    """Every value of a (strictly loadable) document with where it is written."""
    found: dict[Path_, Node] = {}
    stack: list[list[Any]] = []  # [path, node, pending key (or _NO_KEY), its (start, end, style), next index]
    parser = _Parser(text)
    try:
        while True:
            event = parser.get_event()
            if event is None:
                break
            cls = event.__class__
            if cls in _SKIP or cls is yaml.events.DocumentStartEvent:
                continue
            if cls in _ENDS:
                node = stack.pop()[1]
                node.end = max(event.end_mark.index, node.start)
                if node.flow:
                    node.last = node.end
                if stack:
                    stack[-1][1].last = max(stack[-1][1].last, node.last)
                continue
            start = event.start_mark.index
            frame = stack[-1] if stack else None
            if frame is not None and frame[1].kind == "mapping" and frame[2] is _NO_KEY:
                frame[2] = _scalar(event)
                frame[3] = (start, event.end_mark.index, event.style or "", frame[2])
                continue
            if frame is None:
                path: Path_ = ()
                entry, key = start, None
            elif frame[1].kind == "mapping":
                path, entry, key = frame[0] + (frame[2],), frame[3][0], frame[3]
                frame[2] = _NO_KEY
            else:
                path, entry, key = frame[0] + (frame[4],), start, None
                frame[4] += 1
            if cls is _SCALAR:
                end = event.end_mark.index
                node = Node("scalar", start, end, entry, False, event.style or "", _scalar(event), end, key)
                found[path] = node
                if frame is not None:
                    frame[1].last = max(frame[1].last, end)
                continue
            kind = "mapping" if cls is _MAP_START else "sequence"
            node = Node(kind, start, start, entry, bool(event.flow_style), last=start, key=key)
            found[path] = node
            stack.append([path, node, _NO_KEY, None, 0])
    finally:
        parser.dispose()
    return found


def dump_new(data: dict[str, Any], schema_ref: str | None = None) -> str:
    """A new record's text (see yamledit.dump_new)."""
    from .yamledit import dump_new as dump

    return dump(data, schema_ref)


def edit_text(text: str, change: Callable[[Any], None], name: str = "") -> str:
    """``text`` with ``change`` applied, untouched bytes kept (see yamledit.edit_text)."""
    from .yamledit import edit_text as edit

    return edit(text, change, name)


def edit_file(path: Path, change: Callable[[Any], None], name: str | None = None) -> str:
    """``path``'s text with ``change`` applied, read without newline translation (see yamledit.edit_file)."""
    from .yamledit import edit_file as edit

    return edit(path, change, name)


# The temporary files atomic_write makes: ".NAME." + mkstemp's 8 characters, or a journal's 12 hex digits, + ".tmp".
TEMP_FILE = re.compile(r"\.(?P<name>[^/]+)\.(?P<tag>[a-z0-9_]{8}|[0-9a-f]{12})\.tmp\Z")


def atomic_write(path: Path, text: str | bytes, temp: Path | None = None) -> None:
    """Write ``text`` to ``path`` so that a crash leaves the old or the new file.

    The new text goes to a temporary file in the same folder (``temp``, or a
    random ``.NAME.*.tmp``), is flushed to disk and renamed over ``path``.
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    path.parent.mkdir(parents=True, exist_ok=True)
    if temp is None:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        temp = Path(name)
    else:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = 0o644
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
