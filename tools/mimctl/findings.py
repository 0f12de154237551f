"""Findings: one problem found in one place, how they are ordered, and the refusal that carries them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, order=True)
class Finding:
    """A problem at ``path:line:column``, about the field ``field`` (dotted)."""

    path: str
    line: int
    column: int
    message: str
    field: str = ""
    rule: str = "schema"
    severity: str = "error"

    def as_text(self) -> str:
        """``path:line:col: message [field]`` — the form editors and people both read."""
        where = f" [{self.field}]" if self.field else ""
        return f"{self.path}:{self.line}:{self.column}: {self.message}{where}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "field": self.field,
            "rule": self.rule,
            "severity": self.severity,
        }


def dotted(path: tuple[Any, ...] | list[Any]) -> str:
    """``('roles', 'scribe')`` -> ``roles.scribe``; list indexes as ``[2]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class Refused(Exception):
    """A command did not change anything; ``findings`` say where, when records are at fault."""

    def __init__(self, message: str, findings: list[Finding] | None = None) -> None:
        super().__init__(message)
        self.findings = findings or []
