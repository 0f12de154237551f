"""Secrets and personal data in the tracker's files: a pure scanner over their text.

Two checks, each a ``Finding`` at ``file:line:col``:

- ``secret``: credentials in any file under the record folders, record or
  not, comments included (the rules are in ``secret_rules``). A secret
  committed to git is leaked for good: revoke it, then remove it.
- ``personal-data``: e-mail addresses and phone numbers, but only in what
  the PUBLIC status site publishes, as the publication policy
  (``publication``) defines it: the published fields of a public incident,
  the text of its public events, its review's public summary, and the
  published fields of public known errors and public scheduled maintenance.
  Internal fields may name an on-call contact.

The text is scanned as written (so comments count) and, for a record, its
parsed values too (so YAML escapes and folded lines hide nothing). Invisible
characters (zero-width spaces, joiners, bidi controls, soft hyphens) are
removed first, so a token split by one is still found. Matching uses RE2,
linear in the input whatever the input.

A finding is silenced only by a reviewed exception naming its fingerprint:
``exceptions: [{rule: secret, fingerprint: FILE:RULE:HASH, reason,
approved_by}]`` in incident.yaml (for any file of the incident's folder) or in
the known error itself. The fingerprint names one file, one rule and one value
(a hash: never the secret), so a later secret is never covered by an old
exception. An exception that matches nothing is itself a finding. Personal
data may also be excepted by field (``path: title``,
``path: timeline/FILE.yaml:text``). Messages never repeat what they found.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from . import publication
from .findings import Finding, dotted
from .secret_rules import RULES, Rule, entropy
from .yamlio import Document

SECRET, PERSONAL_DATA, EXCEPTION = "secret", "personal-data", "exception"

MAX_FINDINGS_PER_FILE = 100
# Values a rule's pattern finds but its entropy or value test turns down, per file; past this the
# rest of the file is not judged by that rule (bounded time), and that is a finding itself.
MAX_NEAR_MISSES = 5000
SCAN_LIMIT = 64 * 1024 * 1024  # bytes of one file; past this the file is reported, not scanned

# Every Unicode format character (category Cf) and the other invisible ones
# (variation selectors, the combining grapheme joiner, Hangul fillers).
INVISIBLE = (
    r"[\x{00AD}\x{034F}\x{0600}-\x{0605}\x{061C}\x{06DD}\x{070F}\x{0890}-\x{0891}\x{08E2}\x{115F}\x{1160}"
    r"\x{17B4}\x{17B5}\x{180B}-\x{180F}\x{200B}-\x{200F}\x{202A}-\x{202E}\x{2060}-\x{206F}\x{3164}"
    r"\x{FE00}-\x{FE0F}\x{FEFF}\x{FFA0}\x{FFF9}-\x{FFFB}\x{110BD}\x{110CD}\x{13430}-\x{1343F}\x{1BCA0}-\x{1BCA3}"
    r"\x{1D173}-\x{1D17A}\x{E0001}\x{E0020}-\x{E007F}\x{E0100}-\x{E01EF}]+"
)

_FILE_EXTENSIONS = frozenset(
    [
        "png",
        "jpg",
        "jpeg",
        "gif",
        "svg",
        "webp",
        "ico",
        "bmp",
        "tif",
        "tiff",
        "css",
        "js",
        "mjs",
        "ts",
        "json",
        "yaml",
        "yml",
        "toml",
        "txt",
        "md",
        "html",
        "htm",
        "pdf",
        "zip",
        "gz",
        "tgz",
        "tar",
        "xz",
        "log",
        "csv",
        "xml",
        "py",
        "go",
        "rs",
        "java",
        "rb",
        "sh",
        "ps1",
        "exe",
        "dll",
        "so",
        "dylib",
        "jar",
        "war",
        "whl",
    ]
)


def _email_ok(value: str) -> bool:
    """Not an asset name like ``logo@2x.png``: the last label is a file extension, not a domain."""
    return value.rsplit(".", 1)[-1].lower() not in _FILE_EXTENSIONS


def _phone_ok(value: str) -> bool:
    """8 to 15 digits (E.164), and not an IP address like ``+10.120.33.45``."""
    digits = sum(ch.isdigit() for ch in value)
    if not 8 <= digits <= 15:
        return False
    parts = value.lstrip("+(").split(".")
    return not (len(parts) == 4 and all(p.isdigit() and len(p) <= 3 and int(p) <= 255 for p in parts))


PERSONAL_RULES: tuple[Rule, ...] = (
    Rule(
        "email",
        "an e-mail address",
        # Not followed by ":path" either: `git@github.com:org/repo.git` is a git remote.
        r"(?:^|[^A-Za-z0-9._%+/:-])([A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24})"
        r"(?:[^A-Za-z0-9:-]|:[^A-Za-z0-9/~._-]|:$|$)",
        ("@",),
        accept=_email_ok,
    ),
    Rule("phone", "a phone number", r"(?:^|[^A-Za-z0-9_+])(\+[1-9][0-9 ().-]{6,20}[0-9])(?:[^A-Za-z0-9_]|$)", ("+",), accept=_phone_ok),
    Rule(
        "phone",
        "a phone number",
        r"(?:^|[^A-Za-z0-9_.+-])(\(?0[0-9]{2,4}\)?[ /-][0-9]{3,4}[ -]?[0-9]{3,4})(?:[^A-Za-z0-9_.-]|$)",
        accept=_phone_ok,
    ),
)


# --- the engine -------------------------------------------------------------


def _re2() -> Any:
    """The RE2 binding, imported when a scan first needs it (commands that never scan never pay for it)."""
    import re2  # type: ignore[import-untyped]

    return re2


@dataclass
class _Compiled:
    rule: Rule
    pattern: str
    keywords: frozenset[int]  # indexes into the keyword list; empty: the rule always runs
    _regex: Any = None

    @property
    def regex(self) -> Any:
        """Compiled on first use: a command that meets no keyword of a rule never pays for it."""
        if self._regex is None:
            self._regex = _re2().compile(self.pattern)
        return self._regex


class _RuleSet:
    """Rules for RE2, and their keywords: which rules to run on a text, found in one pass."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.words = sorted({k for rule in rules for k in rule.keywords})
        index = {word: i for i, word in enumerate(self.words)}
        self._set: Any = None
        self.rules: list[_Compiled] = []
        for rule in rules:
            pattern, flags = rule.pattern, ""
            if pattern.startswith("(?i)"):
                flags, pattern = "(?i)", pattern[4:]
            if rule.boundary:
                pattern = f"(?:^|[^{rule.boundary}]){pattern}(?:[^{rule.boundary}]|$)"
            self.rules.append(_Compiled(rule, flags + pattern, frozenset(index[k] for k in rule.keywords)))

    def _keywords(self, data: bytes) -> set[int]:
        # One pass of an RE2 set, whatever the size: testing each keyword in turn was 40 times slower
        # even on a 400-byte record, and the set is built once per process.
        if self._set is None:
            re2 = _re2()
            options = re2.Options()
            options.case_sensitive = False
            options.encoding = re2.Options.Encoding.LATIN1  # keywords are ASCII; match bytes as they are
            options.max_mem = 64 << 20  # a set of literals needs far less: its automaton cannot run out
            options.log_errors = False
            self._set = re2.Set.SearchSet(options)
            for word in self.words:
                self._set.Add(re2.escape(word))
            self._set.Compile()
        return set(self._set.Match(data) or ())

    def applicable(self, data: bytes) -> Iterator[_Compiled]:
        present = self._keywords(data)
        return (c for c in self.rules if not c.keywords or c.keywords & present)


_CACHE: dict[str, _RuleSet] = {}


def _compiled(name: str, rules: tuple[Rule, ...]) -> _RuleSet:
    """Rules compiled on first use (so importing this module stays cheap)."""
    found = _CACHE.get(name)
    if found is None:
        found = _CACHE[name] = _RuleSet(rules)
    return found


@dataclass(frozen=True)
class Hit:
    """One match: the rule, where the value is in the scanned bytes, and its hash."""

    rule: Rule
    start: int
    digest: str
    incomplete: bool = False  # the rule stopped here: too many near misses


def _invisible_table() -> dict[int, None]:
    codes: dict[int, None] = {}
    for first, last in re.findall(r"\\x\{([0-9A-F]+)\}(?:-\\x\{([0-9A-F]+)\})?", INVISIBLE):
        codes.update(dict.fromkeys(range(int(first, 16), int(last or first, 16) + 1)))
    return codes


_DROP = _invisible_table()  # for str.translate: every invisible character removed


def visible(text: str) -> str:
    """``text`` without invisible characters (so a token split by a zero-width space is whole again)."""
    return text if text.isascii() else text.translate(_DROP)


class _Places:
    """Line and column in the original text of offsets into its visible form's UTF-8, asked in increasing order."""

    def __init__(self, text: str, shown: str, data: bytes) -> None:
        self.text, self.shown, self.data = text, shown, data
        self.byte = self.char = 0  # where we are in ``data`` / ``shown``
        self.raw = 0  # the same place in ``text``
        self.line, self.line_start = 1, 0

    def _advance_raw(self, target: int) -> None:
        """Move ``raw`` to where visible character ``target`` is: C-speed chunks, then one by one."""
        if self.shown is self.text:
            self.raw = target
            return
        while self.char < target:
            chunk = self.text[self.raw : self.raw + max(target - self.char, 64)]
            kept = len(visible(chunk))
            if self.char + kept <= target:
                self.raw += len(chunk)
                self.char += kept
                continue
            for ch in chunk:
                if self.char == target:
                    break
                self.raw += 1
                if ord(ch) not in _DROP:
                    self.char += 1

    def at(self, offset: int) -> tuple[int, int, str]:
        """(line, column, the line's text before the place) of byte ``offset`` of ``data``."""
        target = self.char + len(self.data[self.byte : offset].decode("utf-8", "replace"))
        self.byte = offset
        before = self.raw
        self._advance_raw(target)
        self.char = target
        newlines = self.text.count("\n", before, self.raw)
        if newlines:
            self.line += newlines
            self.line_start = self.text.rfind("\n", before, self.raw) + 1
        return self.line, self.raw - self.line_start + 1, self.text[self.line_start : self.raw]


def digest(value: str) -> str:
    """The hash that names a found value in a fingerprint (never the value itself).

    Twenty decimal digits (64 bits): digits alone never look like a secret to
    the rules, so an exception's own fingerprint is not a finding.
    """
    raw = hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()
    return str(int.from_bytes(raw[:8], "big")).zfill(20)


def hits(data: bytes, rules: tuple[Rule, ...] = RULES, name: str = "secrets", limit: int = MAX_FINDINGS_PER_FILE) -> list[Hit]:
    """Every value in ``data`` that a rule finds (each span once: the first rule to find it keeps it).

    ``data`` is visible text (see ``visible``), UTF-8. Time is linear in its
    length: one pass for the keywords, then for each rule whose keyword occurs
    RE2 searches that each resume where the last one ended.
    """
    text = data
    kept: list[tuple[int, int]] = []
    out: list[Hit] = []
    for compiled in _compiled(name, rules).applicable(text):
        rule = compiled.rule
        pos = misses = 0
        search = compiled.regex.search
        while len(out) <= limit:
            match = search(text, pos)
            if match is None:
                break
            start, end = match.span(1)
            pos = max(end, pos + 1)
            value = text[start:end].decode("utf-8", "replace")
            if (rule.entropy and entropy(value) < rule.entropy) or (rule.accept is not None and not rule.accept(value)):
                misses += 1
                if misses > MAX_NEAR_MISSES:
                    out.append(Hit(rule, start, "", incomplete=True))
                    break
                continue
            if any(start < b and a < end for a, b in kept):
                continue
            kept.append((start, end))
            out.append(Hit(rule, start, digest(value)))
    out.sort(key=lambda h: h.start)
    return out


# --- findings for one file ----------------------------------------------------


@dataclass(frozen=True)
class Found:
    """A secret or personal data at a place, with the fingerprint an exception would name."""

    rule: Rule
    check: str  # SECRET or PERSONAL_DATA
    path: str
    line: int
    column: int
    field: str
    fingerprint: str
    in_comment: bool = False
    incomplete: bool = False


def _field_index(document: Document | None) -> tuple[list[tuple[int, int]], list[tuple[str | int, ...]]]:
    if document is None:
        return [], []
    ordered = sorted((pos, path) for path, pos in document.positions.items() if path)
    return [p for p, _ in ordered], [path for _, path in ordered]


def scan_text(path: str, text: str, name: str, document: Document | None = None) -> list[Found]:
    """Secrets in one file's text (comments included) and, given its document, in its parsed values.

    ``name`` is how a fingerprint names the file (relative to the folder whose
    record holds its exceptions). Pure: no I/O.
    """
    shown = visible(text)
    data = shown.encode("utf-8", "surrogatepass")
    found: list[Found] = []
    seen: set[tuple[str, str]] = set()
    places = _Places(text, shown, data)
    positions, paths = _field_index(document)
    for hit in hits(data):
        line, column, line_text = places.at(hit.start)
        in_comment = line_text.lstrip().startswith("#") or " #" in line_text or "\t#" in line_text
        field = ""
        if not in_comment and positions:
            index = bisect.bisect_right(positions, (line, column)) - 1
            field = dotted(paths[index]) if index >= 0 else ""
        seen.add((hit.rule.id, hit.digest))
        fingerprint = "" if hit.incomplete else f"{name}:{hit.rule.id}:{hit.digest}"
        found.append(Found(hit.rule, SECRET, path, line, column, field, fingerprint, in_comment, hit.incomplete))
    if document is not None:
        for where, hit in _value_hits(document.data, RULES, "secrets"):
            if (hit.rule.id, hit.digest) in seen:
                continue
            seen.add((hit.rule.id, hit.digest))
            line, column = document.position(where)
            fingerprint = "" if hit.incomplete else f"{name}:{hit.rule.id}:{hit.digest}"
            found.append(Found(hit.rule, SECRET, path, line, column, dotted(where), fingerprint, incomplete=hit.incomplete))
    return found[: MAX_FINDINGS_PER_FILE + 1]


def strings(data: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every string in ``data`` with its path; a mapping entry with a string value as one ``key: value``."""
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, str):
                yield (*path, key), f"{key}: {value}"
            else:
                yield path, str(key)
                yield from strings(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from strings(value, (*path, index))


def _value_hits(data: Any, rules: tuple[Rule, ...], name: str) -> list[tuple[tuple[str | int, ...], Hit]]:
    """Hits in parsed values, each with the path of the value it is in (one scan over all of them)."""
    units = list(strings(data))
    if not units:
        return []
    offsets = []
    chunks = []
    size = 0
    for _, value in units:
        encoded = visible(value).encode("utf-8", "surrogatepass")
        offsets.append(size)
        chunks.append(encoded)
        size += len(encoded) + 3
    joined = b"\n\x00\n".join(chunks)
    return [(units[bisect.bisect_right(offsets, hit.start) - 1][0], hit) for hit in hits(joined, rules, name)]


def personal_data(path: str, name: str, data: Any, document: Document | None, fields: tuple[str, ...] | None) -> list[Found]:
    """E-mail addresses and phone numbers in the published top-level ``fields`` (None: every field but the exceptions)."""
    if not isinstance(data, dict):
        return []
    published = {k: v for k, v in data.items() if (k != "exceptions" if fields is None else k in fields)}
    out = []
    for where, hit in _value_hits(published, PERSONAL_RULES, "personal"):
        line, column = document.position(where) if document is not None else (1, 1)
        out.append(Found(hit.rule, PERSONAL_DATA, path, line, column, dotted(where), f"{name}:{hit.rule.id}:{hit.digest}"))
    return out


# --- exceptions and findings ---------------------------------------------------


@dataclass
class Exceptions:
    """The reviewed exceptions of one record, and which of them something used."""

    path: str  # the record that holds them
    items: list[Any]
    document: Document | None
    used: set[int]

    @classmethod
    def of(cls, path: str, document: Document | None) -> Exceptions:
        data = document.data if document is not None else None
        items = data.get("exceptions") if isinstance(data, dict) else None
        return cls(path, items if isinstance(items, list) else [], document, set())

    def allows(self, found: Found, field_prefix: str) -> bool:
        for index, item in enumerate(self.items):
            if not isinstance(item, dict) or item.get("rule") != found.check:
                continue
            fingerprint, where = item.get("fingerprint"), item.get("path")
            if found.incomplete:
                return False
            if fingerprint == found.fingerprint or (
                found.check == PERSONAL_DATA and isinstance(where, str) and where in (found.field, f"{field_prefix}{found.field}")
            ):
                self.used.add(index)
                return True
        return False

    def unused(self, judged: tuple[str, ...]) -> list[Finding]:
        """An exception for a check that ran and matched nothing, or one that can match nothing."""
        out = []
        for index, item in enumerate(self.items):
            if index in self.used or not isinstance(item, dict) or item.get("rule") not in judged:
                continue
            line, column = self.document.position(("exceptions", index)) if self.document is not None else (1, 1)
            if item.get("rule") == SECRET and not item.get("fingerprint"):
                message = (
                    "a secret exception must name the finding's fingerprint (FILE:RULE:HASH, as the finding prints it); "
                    "this one allows nothing"
                )
            else:
                message = "this exception matches no finding (what it allowed is gone, or the fingerprint is wrong): remove it"
            out.append(Finding(self.path, line, column, message, f"exceptions[{index}]", EXCEPTION))
        return out


def _message(found: Found, holder: str | None) -> str:
    if found.incomplete:
        return (
            f"more than {MAX_NEAR_MISSES} values from here on nearly look like {found.rule.description} [{found.rule.id}]: "
            "the rest of this file was not checked for it; look at the file by hand, and shorten it"
        )
    where = " in a comment" if found.in_comment else ""
    if holder is None:
        keep = "files outside the records cannot carry exceptions"
    else:
        keep = f"if it is not one, add a reviewed exception to {holder}: {{rule: {found.check}, fingerprint: {found.fingerprint}, reason: ..., approved_by: ...}}"
    if found.check == SECRET:
        return (
            f"this looks like {found.rule.description}{where} [{found.rule.id}]: a secret in git is leaked for good — "
            f"revoke it, then remove it (secrets belong in environment variables named in config); {keep}"
        )
    return (
        f"{found.rule.description} in a field published on the public status site: remove it, or {keep.replace('if it is not one, ', '')}"
    )


def findings(items: Iterable[Found], exceptions: Exceptions | None, field_prefix: str = "") -> list[Finding]:
    """What is left of ``items`` after the exceptions, as findings."""
    out = []
    count = 0
    for found in items:
        if exceptions is not None and exceptions.allows(found, field_prefix):
            continue
        count += 1
        if count > MAX_FINDINGS_PER_FILE:
            out.append(
                Finding(
                    found.path,
                    found.line,
                    found.column,
                    f"more than {MAX_FINDINGS_PER_FILE} findings: the rest are not listed",
                    "",
                    found.check,
                )
            )
            break
        out.append(
            Finding(
                found.path, found.line, found.column, _message(found, exceptions.path if exceptions else None), found.field, found.check
            )
        )
    return out


# --- records ---------------------------------------------------------------------


def _text(record: Any) -> str | None:
    text = getattr(record, "text", None)
    return text if isinstance(text, str) else None


def _too_large(record: Any) -> list[Finding]:
    text = _text(record)
    if text is not None and len(text) > SCAN_LIMIT:
        return [Finding(record.path, 1, 1, f"file is larger than {SCAN_LIMIT // (1024 * 1024)} MiB: not scanned for secrets", "", SECRET)]
    return []


def _secrets_of(record: Any, name: str) -> list[Found]:
    text = _text(record)
    if text is None or len(text) > SCAN_LIMIT:
        return []
    return scan_text(record.path, text, name, record.document)


def _published(data: Any, predicate: Callable[[Mapping[str, Any]], bool]) -> bool:
    return isinstance(data, dict) and predicate(data)


def scan_bundle(bundle: Any) -> list[Finding]:
    """Secrets in every file of an incident's folder; personal data where a public incident publishes it."""
    incident = bundle.incident
    folder = PurePosixPath(incident.path).parent
    exceptions = Exceptions.of(incident.path, incident.document)
    public = incident.document is not None and _published(incident.document.data, publication.incident_published)
    review = bundle.pir
    out: list[Finding] = []
    for record in [*bundle.records, *getattr(bundle, "others", [])]:
        name = PurePosixPath(record.path).relative_to(folder).as_posix() if record.path.startswith(f"{folder}/") else record.path
        prefix = "" if record is incident else f"{name}:"
        items = _secrets_of(record, name)
        if public and record.document is not None:
            data = record.document.data
            if record is incident:
                items += personal_data(record.path, name, data, record.document, publication.PUBLISHED_INCIDENT_FIELDS)
            elif name.startswith("timeline/") and _published(data, publication.event_published):
                items += personal_data(record.path, name, data, record.document, publication.PUBLISHED_EVENT_TEXT_FIELDS)
            elif record is review:
                items += personal_data(record.path, name, data, record.document, publication.PUBLISHED_PIR_FIELDS)
        out += _too_large(record) + findings(items, exceptions, prefix)
    out += exceptions.unused((SECRET, PERSONAL_DATA) if public else (SECRET,))
    return out


def _scan_record(record: Any, predicate: Callable[[Mapping[str, Any]], bool], fields: tuple[str, ...] | None) -> list[Finding]:
    """Secrets in a record that holds its own exceptions; personal data in the ``fields`` it publishes when ``predicate`` says it is public."""
    name = PurePosixPath(record.path).name
    exceptions = Exceptions.of(record.path, record.document)
    items = _secrets_of(record, name)
    public = record.document is not None and _published(record.document.data, predicate)
    if public:
        items += personal_data(record.path, name, record.document.data, record.document, fields)
    return _too_large(record) + findings(items, exceptions) + exceptions.unused((SECRET, PERSONAL_DATA) if public else (SECRET,))


def scan_known_error(record: Any) -> list[Finding]:
    """Secrets in a known error; personal data in the fields a public one publishes."""
    return _scan_record(record, publication.known_error_published, publication.PUBLISHED_KNOWN_ERROR_FIELDS)


def scan_maintenance(record: Any) -> list[Finding]:
    """Secrets in a scheduled maintenance; personal data anywhere in a public one (the public edition shows all of it)."""
    return _scan_record(record, publication.maintenance_published, None)


def scan_file(record: Any) -> list[Finding]:
    """Secrets in a file that no record holds exceptions for (outside the record layout)."""
    return _too_large(record) + findings(_secrets_of(record, record.path), None)
