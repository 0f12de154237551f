"""A generated corpus of hostile records, independent of tests/hostile/: several hundred documents.

Each document is one file's bytes and where it goes in a tracker that holds a
valid INC-0001. They are built from what breaks parsers, validators and
writers: odd values in every kind of field (timestamps at the edges of the
calendar, numbers beyond 64 bits, NaN spellings, control and line-separator
characters raw and escaped, terminal escapes, megabyte strings, deep nesting,
tags, anchors), broken structure (duplicate and complex keys, several
documents, a list or scalar as the record), broken encodings (invalid UTF-8,
UTF-16, NUL bytes, lone surrogates) and mixed line endings, placed in
incidents, timeline events, reviews, known errors, the process and the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass

INCIDENT = "incidents/INC-0001/incident.yaml"
EVENT = "incidents/INC-0001/timeline/20261115T085000Z-note-a1b2c3.yaml"
PIR = "incidents/INC-0001/pir.yaml"
KNOWN_ERROR = "kedb/KE-0001.yaml"

INCIDENT_FIELDS = [
    ("id", "INC-0001"),
    ("title", "Card payments failing at checkout"),
    ("stage", "identify"),
    ("severity", "SEV1"),
    ("impact", "high"),
    ("urgency", "high"),
    ("priority", "1"),
    ("detection", "\n  source: alert"),
    ("detected_at", "'2026-11-15T08:45:00Z'"),
    ("services", "\n  - checkout-api"),
]
EVENT_FIELDS = [("at", "'2026-11-15T08:50:00Z'"), ("kind", "note"), ("by", "pat"), ("text", "Error rate at 40%")]
PIR_FIELDS = [("incident", "INC-0001"), ("status", "draft"), ("summary", "Pool exhausted"), ("actions", "[]")]
KNOWN_ERROR_FIELDS = [
    ("id", "KE-0001"),
    ("title", "Pool exhausted"),
    ("status", "open"),
    ("services", "[checkout-api]"),
    ("symptoms", "\n  - HTTP 502"),
]

# Values as written after "key: " (raw YAML), each hostile in its own way.
VALUES = {
    "leap-second": "'2026-11-15T23:59:60Z'",
    "year-0000": "'0000-01-01T00:00:00Z'",
    "year-0001-plus-offset": "'0001-01-01T00:30:00+01:00'",
    "year-9999-minus-offset": "'9999-12-31T23:30:00-01:00'",
    "year-9999": "'9999-12-31T23:59:59Z'",
    "seven-fraction-digits": "'2026-11-15T08:45:00.1234567Z'",
    "lower-case-t-z": "'2026-11-15t08:45:00z'",
    "offset-24h": "'2026-11-15T08:45:00+24:00'",
    "february-30": "'2026-02-30T08:45:00Z'",
    "unquoted-timestamp": "2026-11-15T08:45:00Z",
    "date-only": "2026-11-15",
    "int-4301-digits": "9" * 4301,
    "int-100000-digits": "1" * 100000,
    "int-2-63": str(2**63),
    "int-below-int64": str(-(2**63) - 1),
    "float-overflow": "1e400",
    "negative-float-overflow": "-1.5e999",
    "nan": ".NaN",
    "plus-inf": "+.inf",
    "minus-inf": "-.Inf",
    "hex": "0x7FFFFFFF",
    "octal": "0o17",
    "leading-zero": "012",
    "underscores": "1_000",
    "sexagesimal": "1:30:00",
    "value-key": "=",
    "merge-key": "<<",
    "tilde": "~",
    "true-word": "True",
    "no-word": "no",
    "empty-list": "[]",
    "empty-map": "{}",
    "nested-31": "[" * 31 + "]" * 31,
    "nested-40": "[" * 40 + "]" * 40,
    "nested-1000": "[" * 1000 + "]" * 1000,
    "binary-tag": "!!binary aGVsbG8=",
    "python-tag": "!!python/object/apply:os.system ['touch /tmp/mimctl-pwned']",
    "local-tag": "!secret x",
    "anchor": "&a x",
    "alias": "*a",
    "escaped-nul": '"a\\0b"',
    "escaped-bell": '"a\\ab"',
    "raw-bell": "a\x07b",
    "raw-escape": "a\x1bb",
    "terminal-title": '"\\e]0;pwned\\a"',
    "raw-terminal-title": "\x1b]0;pwned\x07",
    "csi-clear": '"\\e[2J\\e[H"',
    "tab-inside": "a\tb",
    "tab-after-colon": "\tvalue",
    "trailing-tab": "value\t",
    "raw-nel": "a\x85b",
    "escaped-nel": '"a\\Nb"',
    "raw-line-separator": "a\u2028b",
    "escaped-line-separator": '"a\\Lb"',
    "raw-paragraph-separator": "a\u2029b",
    "quoted-raw-nel": '"a\x85b"',
    "bom-inside": "a\ufeffb",
    "zero-width-space": "a\u200bb",
    "right-to-left-override": "a\u202eb",
    "escaped-surrogate": '"\\ud800"',
    "astral": '"\\U0001F600 emoji"',
    "private-use": "\ue000",
    "html": "<script>alert(1)</script>",
    "ampersand": "Fish & chips",
    "template": "{{ secrets.TOKEN }}",
    "shell": "$(touch /tmp/mimctl-pwned)",
    "backticks": "`touch /tmp/mimctl-pwned`",
    "markdown-link": "'[click](javascript:alert(1))'",
    "string-100k": "x" * 100_000,
    "string-2m": "x" * 2_000_000,
    "flow-list-5000": "[" + ", ".join(["a"] * 5000) + "]",
    "unterminated-double": '"unterminated',
    "unterminated-single": "'unterminated",
    "unterminated-flow": "[a, b",
    "colon-space-inside": "a: b: c",
    "hash-inside": "a #b",
    "block-literal": "|\n  line one\n  line two",
    "block-with-tab-indent": "|\n\tline",
    "block-keep": "|+\n  kept\n\n",
    "folded": ">-\n  folded\n  text",
    "multi-line-plain": "first\n  second",
    "multi-line-double": '"first\n  second"',
    "question-key": "? complex",
    "document-end": "x\n...",
    "document-start": "x\n---\ny: 1",
    "directive": "x\n%YAML 1.1",
    "mapping-value": "\n  nested: map",
    "sequence-value": "\n  - item",
    "null-word": "null",
    "empty": "",
}

# Whole documents: structure and encoding.
DOCUMENTS: dict[str, bytes] = {
    "empty": b"",
    "only-a-comment": b"# nothing here\n",
    "root-list": b"- id: INC-0001\n",
    "root-scalar": b"INC-0001\n",
    "root-null": b"~\n",
    "two-documents": b"id: INC-0001\n---\nid: INC-0002\n",
    "document-markers-only": b"---\n...\n",
    "yaml-2-directive": b"%YAML 2.0\n---\nid: INC-0001\n",
    "tag-directive": b"%TAG ! tag:example.com,2000:\n---\nid: !x INC-0001\n",
    "duplicate-top-key": b"id: INC-0001\nid: INC-0002\n",
    "complex-key": b"? [a, b]\n: c\n",
    "int-key": b"1: x\n",
    "null-key": b"~: x\n",
    "bool-key": b"true: x\n",
    "merge-key": b"base: &b {title: x}\n<<: *b\n",
    "long-simple-key": b"k" * 2000 + b": x\n",
    "10000-keys": b"".join(b"k%d: x\n" % i for i in range(10000)),
    "alias-bomb": b"a: &a [x, x, x, x, x, x, x, x, x]\n"
    + b"".join(b"%c: &%c [%s]\n" % (c, c, b", ".join([b"*" + bytes([c - 1])] * 9)) for c in range(ord("b"), ord("j"))),
    "invalid-utf8": b"id: INC-0001\ntitle: caf\xe9\n",
    "overlong-utf8": b"id: INC-0001\ntitle: \xc0\xaf\n",
    "surrogate-utf8": b"id: INC-0001\ntitle: \xed\xa0\x80\n",
    "utf16-bom": "\ufeffid: INC-0001\n".encode("utf-16"),
    "utf32": "id: INC-0001\n".encode("utf-32"),
    "nul-byte": b"id: INC-0001\ntitle: a\x00b\n",
    "bom-twice": b"\xef\xbb\xbf\xef\xbb\xbfid: INC-0001\n",
    "cr-only": b"id: INC-0001\rtitle: x\r",
    "mixed-line-ends": b"id: INC-0001\r\ntitle: x\rstage: identify\n",
    "tab-indentation": b"detection:\n\tsource: alert\n",
    "deep-block-40": b"".join(b" " * d + b"a:\n" for d in range(40)) + b" " * 40 + b"a: 1\n",
    "unclosed-quote-at-end": b'id: "INC-0001\n',
    "binary-garbage": bytes(range(256)) * 4,
    "file-over-1mib": b"id: INC-0001\ntitle: " + b"x" * (1 << 20) + b"\n",
}


@dataclass(frozen=True)
class Document:
    name: str
    place: str
    data: bytes


def _record(fields: list[tuple[str, str]], key: str | None, value: str | None, extra: list[str] | None = None) -> bytes:
    lines = []
    for name, text in fields:
        written = value if name == key and value is not None else text
        lines.append(f"{name}:{'' if written.startswith(chr(10)) or written == '' else ' '}{written}")
    if key is not None and key not in {name for name, _ in fields}:
        lines.append(f"{key}:{'' if value.startswith(chr(10)) or value == '' else ' '}{value}")  # type: ignore[union-attr]
    return ("\n".join(lines + (extra or [])) + "\n").encode("utf-8", errors="surrogatepass")


def _replace_line(text: str, prefix: str, line: str) -> bytes:
    lines = text.split("\n")
    index = next(i for i, old in enumerate(lines) if old.startswith(prefix))
    return "\n".join([*lines[:index], line, *lines[index + 1 :]]).encode("utf-8", errors="surrogatepass")


def corpus(process: str, catalog: str) -> list[Document]:
    """Every document, in a fixed order (the same on every machine); ``process`` and ``catalog`` are the valid files to vary."""
    docs: list[Document] = []
    # Every hostile value in an incident's one-line text, its time and its free text; a share in a number and a list.
    for field, share in (("title", 1), ("detected_at", 1), ("summary", 1), ("priority", 3), ("regions", 3)):
        for name, value in list(VALUES.items())[::share]:
            docs.append(Document(f"incident-{field}-{name}", INCIDENT, _record(INCIDENT_FIELDS, field, value)))
    # A share of them in a timeline event, the review and a known error.
    for place, fields, field in (
        (EVENT, EVENT_FIELDS, "text"),
        (EVENT, EVENT_FIELDS, "at"),
        (PIR, PIR_FIELDS, "summary"),
        (KNOWN_ERROR, KNOWN_ERROR_FIELDS, "title"),
    ):
        for name, value in list(VALUES.items())[::4]:
            kind = place.split("/")[-2] if place != KNOWN_ERROR else "known-error"
            docs.append(Document(f"{kind}-{field}-{name}", place, _record(fields, field, value)))
    # Broken structure and encodings, as the incident, an event and a known error.
    for name, data in DOCUMENTS.items():
        docs.append(Document(f"incident-document-{name}", INCIDENT, data))
    for name, data in list(DOCUMENTS.items())[::2]:
        docs.append(Document(f"timeline-document-{name}", EVENT, data))
        docs.append(Document(f"known-error-document-{name}", KNOWN_ERROR, data))
    # The process and the catalog, which every command reads first.
    for name, value in list(VALUES.items())[::4]:
        docs.append(
            Document(
                f"process-max-future-minutes-{name}",
                "process.yaml",
                _replace_line(process, "max_future_minutes:", f"max_future_minutes: {value}"),
            )
        )
        docs.append(
            Document(f"catalog-service-name-{name}", "catalog.yaml", _replace_line(catalog, "    name: Web shop", f"    name: {value}"))
        )
    for name, data in list(DOCUMENTS.items())[::4]:
        docs.append(Document(f"process-document-{name}", "process.yaml", data))
    return docs
