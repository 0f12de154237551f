"""Output of findings and check summaries: text, JSON, GitHub annotations, Markdown.

Record text is untrusted, and terminals, CI log viewers and JSON consumers act
on control characters: ``ESC ] 0; … BEL`` retitles a terminal, ``ESC [`` moves
the cursor or hides text, a lone CR overwrites a line, C1 codes (U+0080 to
U+009F) act like ESC sequences in some terminals, U+2028/U+2029 end lines in
JavaScript and log viewers, and bidi overrides reorder what a reviewer reads.
``terminal_safe`` and ``json_text`` are the one place that makes any text
inert: every printer calls one of them (the CLI's ``emit`` and error boundary,
and each formatter here).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from .findings import Finding

# What must never reach a terminal raw: C0 but tab and newline, DEL, C1,
# line and paragraph separators, and the bidirectional controls.
UNSAFE = frozenset(
    [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0), 0x061C, 0x200E, 0x200F, 0x2028, 0x2029]
    + [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)


def _escape(code: int) -> str:
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_TEXT = {code: _escape(code) for code in UNSAFE}
_ONE_LINE = {**_TEXT, 0x0A: "\\n"}
_JSON = {code: f"\\u{code:04x}" for code in UNSAFE}  # json.dumps already escapes C0; this adds the rest


def terminal_safe(text: str, one_line: bool = False) -> str:
    """``text`` with every control character written as a visible escape (``\\x1b``, ``\\u202e``).

    Newlines and tabs stay, unless ``one_line`` (a finding is one line: a
    newline in a key must not forge another).
    """
    return text.translate(_ONE_LINE if one_line else _TEXT)


def json_text(data: Any, indent: int | None = 2) -> str:
    """JSON that reads back the same and acts on no terminal: C1, DEL, separators and bidi controls as ``\\uXXXX``."""
    return json.dumps(data, indent=indent, ensure_ascii=False, default=str).translate(_JSON)


def finding_line(finding: Finding) -> str:
    """One finding as one inert line: ``path:line:col: message [field]``."""
    return terminal_safe(finding.as_text(), one_line=True)


def findings_text(findings: Iterable[Finding], files: int) -> str:
    items = list(findings)
    lines = [finding_line(f) for f in items]
    errors = sum(1 for f in items if f.severity == "error")
    if errors:
        lines.append(f"{errors} problem{'s' if errors != 1 else ''} in {len({f.path for f in items})} file(s); {files} file(s) checked")
    else:
        lines.append(f"ok: {files} file(s) valid")
    return "\n".join(lines)


def findings_json(findings: Iterable[Finding], files: int, extra: dict[str, Any] | None = None) -> str:
    items = list(findings)
    data = {"ok": not any(f.severity == "error" for f in items), "files": files, "findings": [f.as_dict() for f in items]}
    data.update(extra or {})
    return json_text(data)


def _escape_property(value: str) -> str:
    value = terminal_safe(value, one_line=True)
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A").replace(":", "%3A").replace(",", "%2C")


def _escape_data(value: str) -> str:
    value = terminal_safe(value)
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def findings_github(findings: Iterable[Finding], files: int) -> str:
    """Workflow commands that GitHub turns into inline annotations."""
    lines = []
    for f in findings:
        level = "error" if f.severity == "error" else "warning"
        message = f.message + (f" [{f.field}]" if f.field else "")
        lines.append(
            f"::{level} file={_escape_property(f.path)},line={f.line},col={f.column},"
            f"title={_escape_property('mimctl ' + f.rule)}::{_escape_data(message)}"
        )
    lines.append(findings_text([], files) if not lines else f"{len(lines)} problem(s); {files} file(s) checked")
    return "\n".join(lines)


def md(text: str) -> str:
    """Record text made inert for Markdown: no HTML, no links, no tables broken, no control characters."""
    out = terminal_safe(text).replace("\\", "\\\\")
    for char in "`*_[]<>|#!&":
        out = out.replace(char, "\\" + char)
    return " ".join(out.split())
