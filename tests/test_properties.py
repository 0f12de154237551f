"""Property-based tests: the loader and validator never fail but with LoadError/findings; writes round-trip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mimctl import schema_check, secret_scan
from mimctl.findings import Finding
from mimctl.yamlio import LoadError, dump_new, edit_text, loads

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROOT = Path(__file__).resolve().parents[1]

# Single-line text as the schema allows it: no <, >, &, controls, line/paragraph separators.
LINE = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="<>&\u2028\u2029\x85"),
    min_size=1,
    max_size=60,
).filter(lambda s: s.strip() == s and s != "")
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\u2028\u2029\x85\r"),
    min_size=1,
    max_size=200,
).filter(lambda s: all(c in "\t\n" or not (ord(c) < 32 or 0x7F <= ord(c) <= 0x9F) for c in s))
SLUG = st.from_regex(r"\A[a-z0-9]([a-z0-9_-]{0,10}[a-z0-9])?\Z")
TIMESTAMP = st.datetimes(min_value=__import__("datetime").datetime(2000, 1, 1), max_value=__import__("datetime").datetime(2030, 1, 1)).map(
    lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")
)
INCIDENT_ID = st.integers(1, 99_999_999).map(lambda n: f"INC-{n:04d}")
ODD = st.sampled_from(
    [
        "\ufeff",
        "\u0000",
        "\u202e",
        "\ud7ff",
        "\U0001f600",
        "\u00a0",
        "\x1b[31m",
        "no",
        "on",
        "~",
        "012",
        "1:30",
        "2026-11-15",
        "*a",
        "&a",
        "!!str",
        "{",
        "- ",
        ": ",
        "#",
        "'",
        '"',
        "\\",
        "\t",
        "\n",
    ]
)


@st.composite
def incidents(draw: Any) -> dict[str, Any]:
    """An incident record valid by construction (schema shapes; cross-record rules not involved)."""
    data: dict[str, Any] = {
        "id": draw(INCIDENT_ID),
        "title": draw(LINE),
        "stage": draw(SLUG),
        "severity": draw(st.from_regex(r"\A[A-Za-z0-9-]{1,10}\Z")),
        "impact": draw(SLUG),
        "urgency": draw(SLUG),
        "priority": draw(st.integers(1, 9)),
        "detection": {"source": draw(st.sampled_from(["monitoring", "alert", "user-report", "other"]))},
        "detected_at": draw(TIMESTAMP),
        "services": draw(st.lists(SLUG, min_size=1, max_size=4, unique=True)),
    }
    for key, strategy in (
        ("summary", TEXT),
        ("visibility", st.sampled_from(["public", "internal", "private"])),
        ("security_sensitive", st.booleans()),
        ("regions", st.lists(LINE, max_size=3, unique=True)),
        ("risks", st.lists(TEXT, max_size=3)),
        ("roles", st.dictionaries(SLUG, LINE, max_size=3)),
        ("impacted_users", st.fixed_dictionaries({"count": st.integers(0, 10**9), "segment": LINE})),
        ("related_incidents", st.lists(INCIDENT_ID, max_size=3, unique=True)),
    ):
        if draw(st.booleans()):
            data[key] = draw(strategy)
    return data


def _mutate(draw: Any, data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    key = draw(st.sampled_from(sorted(data)))
    how = draw(st.sampled_from(["drop", "int", "list", "mapping", "odd", "none", "bool", "float"]))
    if how == "drop":
        del data[key]
    elif how == "int":
        data[key] = draw(st.integers())
    elif how == "list":
        data[key] = [data[key]]
    elif how == "mapping":
        data[key] = {"x": data[key]}
    elif how == "odd":
        data[key] = f"{data[key]}{draw(ODD)}"
    elif how == "none":
        data[key] = None
    elif how == "bool":
        data[key] = draw(st.booleans())
    else:
        data[key] = draw(st.floats(allow_nan=True, allow_infinity=True))
    return data


@st.composite
def mutated(draw: Any) -> dict[str, Any]:
    return _mutate(draw, draw(incidents()))


def _check(text: str | bytes) -> list[Finding]:
    """Load and validate as the tool does; only LoadError may escape from loads."""
    try:
        document = loads(text)
    except LoadError as exc:
        assert exc.line >= 1 and exc.column >= 1 and exc.message
        return [Finding("x.yaml", exc.line, exc.column, exc.message, rule="yaml")]
    if not isinstance(document.data, dict):
        return [Finding("x.yaml", 1, 1, "not a mapping", rule="yaml")]
    findings = schema_check.check(document, "incident", "incidents/INC-0001/incident.yaml", ROOT)
    findings += secret_scan.findings(
        secret_scan.scan_text("x.yaml", text if isinstance(text, str) else text.decode(), "x.yaml", document), None
    )
    return findings


@SETTINGS
@given(incidents())
def test_a_written_valid_record_validates_and_reads_back_equal(data: dict[str, Any]) -> None:
    text = dump_new(data, "../../schemas/incident.schema.json")
    document = loads(text)
    assert document.data == data
    assert schema_check.check(document, "incident", "x.yaml", ROOT) == []


@SETTINGS
@given(mutated())
def test_a_mutated_record_yields_findings_never_exceptions(data: dict[str, Any]) -> None:
    try:
        text = dump_new(data)
    except Exception:  # noqa: BLE001 - ruamel may refuse to represent odd values; that is not ours to judge
        return
    for finding in _check(text):
        assert finding.line >= 1 and finding.column >= 1 and finding.message


@SETTINGS
@given(st.binary(max_size=400) | st.text(max_size=400))
def test_arbitrary_bytes_yield_load_errors_or_findings(raw: bytes | str) -> None:
    _check(raw)


@SETTINGS
@given(
    st.lists(
        st.sampled_from(
            [
                "a:",
                " b",
                "- c",
                "[",
                "]",
                "{",
                "}",
                ": d",
                "&x",
                "*x",
                "!t",
                "? ",
                "---",
                "...",
                "'",
                '"',
                "\n",
                "  ",
                "#",
                "\ufeff",
                "%YAML 1.1",
                "<<:",
                "1: 2",
                "no",
                "2026-01-01",
            ]
        ),
        max_size=40,
    )
)
def test_yaml_shaped_noise_yields_load_errors_or_findings(parts: list[str]) -> None:
    _check("".join(parts))


@SETTINGS
@given(incidents(), st.data())
def test_edit_text_changes_exactly_one_field(data: dict[str, Any], draw: Any) -> None:
    text = dump_new(data)
    key = draw.draw(st.sampled_from(["title", "priority", "stage", "summary", "services"]))
    value = draw.draw(
        {
            "title": LINE,
            "priority": st.integers(1, 9),
            "stage": SLUG,
            "summary": TEXT,
            "services": st.lists(SLUG, min_size=1, max_size=3, unique=True),
        }[key]
    )

    def change(record: Any) -> None:
        record[key] = value

    edited = edit_text(text, change)
    expected = {**data, key: value}
    assert loads(edited).data == expected
    assert schema_check.check(loads(edited), "incident", "x.yaml", ROOT) == []
    # Untouched lines stay as they were (a minimal diff).
    if key in data and key not in ("summary", "services"):
        changed = [(a, b) for a, b in zip(text.splitlines(), edited.splitlines(), strict=False) if a != b]
        assert len(changed) <= 1 or data[key] == value, changed
