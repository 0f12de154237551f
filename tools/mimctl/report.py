"""Output of findings and check summaries: text, JSON, GitHub annotations, Markdown."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from .findings import Finding


def findings_text(findings: Iterable[Finding], files: int) -> str:
    items = list(findings)
    lines = [f.as_text() for f in items]
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
    return json.dumps(data, indent=2, ensure_ascii=False)


def _escape_property(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A").replace(":", "%3A").replace(",", "%2C")


def _escape_data(value: str) -> str:
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
    """Record text made inert for Markdown: no HTML, no links, no tables broken."""
    out = text.replace("\\", "\\\\")
    for char in "`*_[]<>|#!&":
        out = out.replace(char, "\\" + char)
    return " ".join(out.split())
