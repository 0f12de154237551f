"""Schema validation of loaded records; the only module that imports jsonschema."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from .findings import Finding, dotted
from .yamlio import Document

PACKAGED_SCHEMAS = Path(__file__).parent / "schemas"


def schema_dir(root: Path | None) -> Path:
    """The schemas records are judged by: always this mimctl's (a tracker's schemas/ copy only serves editors)."""
    return PACKAGED_SCHEMAS


def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return moment.tzinfo is not None


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


@lru_cache(maxsize=16)
def _validator(directory: str, kind: str) -> Any:
    import jsonschema

    # Our own format checks: jsonschema skips date-time silently unless optional
    # packages are installed, and one of those takes two seconds to import.
    checker = jsonschema.FormatChecker(formats=())
    checker.checks("date-time")(_is_datetime)
    checker.checks("date")(_is_date)
    schema = json.loads((Path(directory) / f"{kind}.schema.json").read_text(encoding="utf-8"))
    base = jsonschema.validators.validator_for(schema)
    cls = jsonschema.validators.extend(base, {"pattern": _pattern})  # type: ignore[no-untyped-call]
    return cls(schema, format_checker=checker)


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    # In ECMA-262 (the schemas' dialect) a final $ matches only at the very end;
    # in Python it also matches before a final newline ("INC-0042\n").
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def _pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if isinstance(instance, str) and not _compile(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@lru_cache(maxsize=16)
def _fast_validator(directory: str, kind: str) -> Any:
    """jsonschema-rs for the same schema (100x faster), or None where it is not installed.

    It only answers "valid or not": a record it accepts is valid; for one it
    refuses, jsonschema gives the findings. tests/test_validation_fast.py
    shows on the corpus and on generated records that both agree.
    """
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - an optional speed-up
        return None
    schema = json.loads((Path(directory) / f"{kind}.schema.json").read_text(encoding="utf-8"))
    return jsonschema_rs.Draft7Validator(schema, validate_formats=True)


def check(document: Document, kind: str, path: str, root: Path | None = None) -> list[Finding]:
    """Every schema violation of ``document`` as findings, most relevant first."""
    directory = str(schema_dir(root))
    fast = _fast_validator(directory, kind)
    if fast is not None and fast.is_valid(document.data):
        return []
    return slow_check(document, kind, path, directory)


def slow_check(document: Document, kind: str, path: str, directory: str) -> list[Finding]:
    """The findings, from jsonschema (the reference implementation)."""
    from jsonschema.exceptions import relevance

    validator = _validator(directory, kind)
    errors = sorted(validator.iter_errors(document.data), key=relevance)
    findings = []
    seen: set[tuple[str, str]] = set()
    for error in errors:
        for leaf in _leaves(error):
            where = tuple(leaf.absolute_path)
            if leaf.validator == "additionalProperties" and isinstance(leaf.instance, dict):
                extra = sorted(set(leaf.instance) - set(leaf.schema.get("properties", {})))
                where = (*where, extra[0]) if extra else where
            message = _message(leaf)
            key = (dotted(where), message)
            if key in seen:
                continue
            seen.add(key)
            line, col = document.position(where)
            findings.append(Finding(path, line, col, message, dotted(where)))
    return findings


def _leaves(error: Any) -> list[Any]:
    """The errors a person should read: for if/then and anyOf, the inner causes."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        from jsonschema.exceptions import best_match

        best = best_match(error.context)
        return [best] if best is not None else [error]
    if error.validator == "allOf" and error.context:
        return list(error.context)
    return [error]


def _message(error: Any) -> str:
    validator = error.validator
    if validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"missing required field '{missing}'"
    if validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return "unknown field " + ", ".join(f"'{name}'" for name in extra)
    if validator == "pattern":
        value = _short(error.instance)
        hint = error.schema.get("description") or ""
        if "<>&" in error.validator_value:
            hint = "single-line text may not contain <, > or & or control characters"
        return f"{value} is not in the expected form" + (f" ({hint})" if hint else "")
    if validator == "enum":
        options = ", ".join(str(option) for option in error.validator_value)
        return f"{_short(error.instance)} is not one of: {options}"
    if validator == "type":
        return f"{_short(error.instance)} should be of type {error.validator_value}"
    if validator == "format":
        return f"{_short(error.instance)} is not a valid {error.validator_value}"
    if validator == "maxLength":
        return f"text is longer than {error.validator_value} characters"
    message = str(error.message)
    return message if len(message) < 300 else message[:297] + "..."


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
