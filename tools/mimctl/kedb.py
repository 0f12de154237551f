"""The Known Error Database: which known errors fit an incident, and new ones made from an incident.

Ranking is pure: an incident model and known-error models in, scored matches
with their reasons out. Signatures are alert names and labels, log patterns
(regular expressions from reviewed KEDB records, still compiled defensively)
and symptom phrases; shared services add a little.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .model import Incident, KnownError, format_time
from .store import INCIDENT_FILE, INCIDENTS_DIR, KEDB_DIR, KNOWN_ERROR_ID, PIR_FILE, Tracker
from .transaction import Change, Refused
from .yamlio import dump_new, edit_file

SCHEMA_FROM_KNOWN_ERROR = "../schemas/known-error.schema.json"
MAX_PATTERN = 500
MAX_LINE = 5000
ALERT_NAME, ALERT_LABEL, ALERT_CONFLICT = 4.0, 1.0, 1.0
LOG_PATTERN, PHRASE, SERVICE, MAX_SERVICE = 4.0, 3.0, 1.0, 2.0
# A group with a quantifier, itself quantified: (a+)+, (a|aa)*, (.*x)* ... can take exponential time.
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{]")
_WORD = re.compile(r"[a-z0-9]+")
SUGGESTION_PREFIX = "Possible known errors:"  # notes that ingestion adds; never matched against
_STOP = frozenset(
    {"a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "it", "of", "on", "or", "the", "to", "was", "were", "with"}
)


@dataclass(frozen=True)
class Match:
    """A known error that fits an incident: its score and why."""

    id: str
    title: str
    status: str
    score: float
    reasons: tuple[str, ...]
    workaround: tuple[str, ...]
    signature: bool  # matched by a signature, not only by shared services
    linked: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "score": self.score,
            "reasons": list(self.reasons),
            "workaround": list(self.workaround),
            "signature": self.signature,
            "linked": self.linked,
        }


@dataclass
class Ranking:
    matches: list[Match] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def compile_pattern(pattern: str) -> tuple[re.Pattern[str] | None, str | None]:
    """The compiled log pattern, or None and the reason it was refused."""
    if len(pattern) > MAX_PATTERN:
        return None, f"longer than {MAX_PATTERN} characters"
    if _NESTED_QUANTIFIER.search(pattern):
        return None, "nested quantifier (could take exponential time); rewrite it without (x+)+"
    try:
        return re.compile(pattern, re.IGNORECASE), None
    except (re.error, RecursionError, OverflowError) as exc:
        return None, f"not a valid regular expression: {exc}"


def incident_alerts(incident: Incident) -> list[tuple[str, dict[str, str]]]:
    """Alert names (with labels, where known) the incident was detected by or recorded."""
    found: list[tuple[str, dict[str, str]]] = []
    name = ((incident.data.get("detection") or {}).get("alert") or {}).get("name")
    if name:
        found.append((name, {}))
    for event in incident.events_of("alert"):
        alert = event.data.get("alert") or {}
        if alert.get("name"):
            found.append((alert["name"], dict(alert.get("labels") or {})))
    return found


def incident_texts(incident: Incident) -> list[str]:
    """Texts that log patterns are searched in: summary, scope, notes, evidence, alerts, hypotheses."""
    data = incident.data
    texts = [data.get("summary") or "", (data.get("validation") or {}).get("scope") or ""]
    for event in incident.events_of("note", "evidence", "alert", "hypothesis", "hypothesis-update"):
        if event.kind == "note" and event.text.startswith(SUGGESTION_PREFIX):
            continue
        texts.append(event.text)
        texts += [str(item) for item in event.data.get("evidence") or ()]
    return [t for t in texts if t]


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def _alert_score(signatures: list[dict[str, Any]], alerts: list[tuple[str, dict[str, str]]]) -> tuple[float, list[str]]:
    score, reasons = 0.0, []
    for signature in signatures:
        best: tuple[float, str] | None = None
        for name, labels in alerts:
            if name.lower() != str(signature.get("name", "")).lower():
                continue
            wanted = signature.get("labels") or {}
            conflicts = [k for k, v in wanted.items() if k in labels and labels[k] != v]
            agreeing = [k for k, v in wanted.items() if labels.get(k) == v]
            if conflicts:
                found = (ALERT_CONFLICT, f"alert {name} (but {', '.join(f'{k}={labels[k]}' for k in conflicts)} differs)")
            else:
                extra = f" with {', '.join(f'{k}={wanted[k]}' for k in agreeing)}" if agreeing else ""
                found = (ALERT_NAME + ALERT_LABEL * len(agreeing), f"alert {name}{extra}")
            if best is None or found[0] > best[0]:
                best = found
        if best:
            score += best[0]
            reasons.append(best[1])
    return score, reasons


def _log_score(known: KnownError, lines: list[str], problems: list[str]) -> tuple[float, list[str]]:
    score, reasons = 0.0, []
    for index, pattern in enumerate((known.data.get("signatures") or {}).get("log_patterns") or ()):
        compiled, problem = compile_pattern(pattern)
        if compiled is None:
            problems.append(f"{known.id}: log pattern {index + 1} skipped: {problem}")
            continue
        hit = next((found for line in lines if (found := compiled.search(line))), None)
        if hit is not None:
            score += LOG_PATTERN
            reasons.append(f"log pattern {pattern[:60]!r} matches {hit.group(0).strip()[:80]!r}")
    return score, reasons


def _phrase_score(phrases: list[str], text: str, words: set[str]) -> tuple[float, list[str]]:
    """Whole phrases anywhere in ``text``; most of a phrase's words among ``words`` (title, summary, notes)."""
    score, reasons = 0.0, []
    for phrase in phrases:
        wanted = _words(phrase)
        if not wanted:
            continue
        if " ".join(phrase.lower().split()) in text:
            score += PHRASE
            reasons.append(f"phrase {phrase!r}")
            continue
        shared = wanted & words
        if len(shared) * 2 >= len(wanted):
            score += round(PHRASE * len(shared) / len(wanted), 1)
            reasons.append(f"phrase {phrase!r} ({len(shared)}/{len(wanted)} words)")
    return score, reasons


def rank(incident: Incident, known_errors: Iterable[KnownError]) -> Ranking:
    """Known errors that fit the incident, best first (retired ones are left out)."""
    result = Ranking()
    alerts = incident_alerts(incident)
    lines = [line[:MAX_LINE] for text in incident_texts(incident) for line in text.splitlines()]
    data = incident.data
    symptom_text = " ".join(
        [
            incident.title,
            data.get("summary") or "",
            (data.get("validation") or {}).get("scope") or "",
            *(e.text for e in incident.events_of("note") if not e.text.startswith(SUGGESTION_PREFIX)),
        ]
    ).lower()
    words = _words(symptom_text)
    everything = " ".join([symptom_text, *(line.lower() for line in lines)])
    everything = " ".join(everything.split())
    linked = set(data.get("known_errors") or ())
    for known in known_errors:
        if known.data.get("status") == "retired":
            continue
        signatures = known.data.get("signatures") or {}
        score, reasons = 0.0, []
        for part in (
            _alert_score(list(signatures.get("alerts") or ()), alerts),
            _log_score(known, lines, result.problems),
            _phrase_score(list(signatures.get("phrases") or ()), everything, words),
        ):
            score += part[0]
            reasons += part[1]
        signature = score > 0
        shared = [s for s in known.data.get("services") or () if s in incident.services]
        if shared:
            score += min(MAX_SERVICE, SERVICE * len(shared))
            reasons.append(f"shared services: {', '.join(shared)}")
        if score > 0:
            result.matches.append(
                Match(
                    known.id,
                    known.title,
                    str(known.data.get("status", "")),
                    round(score, 1),
                    tuple(reasons),
                    tuple(known.data.get("workaround") or ()),
                    signature,
                    known.id in linked,
                )
            )
    result.matches.sort(key=lambda m: (-m.score, m.id))
    return result


# --- a new known error from an incident ----------------------------------------------------


def next_known_error_id(tracker: Tracker) -> str:
    numbers = [int(p.stem[3:]) for p in tracker.known_error_paths() if KNOWN_ERROR_ID.match(p.stem)]
    return f"KE-{max(numbers, default=0) + 1:04d}"


def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+|\n+", text.strip())
    return [p.strip() for p in parts if len(p.strip()) > 3][:5]


def known_error_data(incident: Incident, ke_id: str, at: datetime) -> dict[str, Any]:
    """A known-error record drafted from the incident and its PIR."""
    data, pir = incident.data, incident.pir or {}
    symptoms = _sentences(data.get("summary") or "") or [incident.title]
    scope = (data.get("validation") or {}).get("scope")
    if scope and scope not in symptoms:
        symptoms.append(scope)
    causes = list(pir.get("root_causes") or ())
    cause = "\n\n".join(causes) or (data.get("cause") or {}).get("summary")
    workaround = [a.action for a in incident.containment() if a.state != "ineffective"]
    alert_names = list(dict.fromkeys(name for name, _ in incident_alerts(incident)))
    record = {
        "id": ke_id,
        "title": incident.title,
        "status": "open",
        "created_at": format_time(at),
        "updated_at": format_time(at),
        "services": list(incident.services),
        "symptoms": symptoms,
        "workaround": workaround,
        "root_cause": cause,
        "problem_ref": (data.get("closure") or {}).get("problem_ref"),
        "incidents": [incident.id],
        "signatures": {"alerts": [{"name": n} for n in alert_names]} if alert_names else None,
    }
    return {k: v for k, v in record.items() if v not in (None, "", [], {})}


def _append(key: str, value: str) -> Any:
    def change(data: Any) -> None:
        if not isinstance(data.get(key), list):
            data[key] = []
        if value not in data[key]:
            data[key].append(value)

    return change


def new_from(tracker: Tracker, incident: Incident, at: datetime) -> Change:
    """The new kedb/KE-….yaml plus the links both ways (incident, and PIR if there is one), as one change."""
    ke_id = next_known_error_id(tracker)
    path = f"{KEDB_DIR}/{ke_id}.yaml"
    text = dump_new(known_error_data(incident, ke_id, at), SCHEMA_FROM_KNOWN_ERROR)
    _check_new(tracker, path, text)
    folder = f"{INCIDENTS_DIR}/{incident.id}"
    writes = {path: text}
    for name in (INCIDENT_FILE, PIR_FILE):
        current = tracker.root / folder / name
        if current.exists():
            writes[f"{folder}/{name}"] = edit_file(current, _append("known_errors", ke_id), f"{folder}/{name}")
    return Change(
        incident.id,
        writes,
        f"{incident.id}: known error {ke_id} \u2014 {incident.title}",
        trailers={"Incident": incident.id, "Stage": incident.stage, "Known-Error": ke_id},
        summary={"known_error": ke_id, "path": path},
    )


def _check_new(tracker: Tracker, path: str, text: str) -> None:
    """Refuse a known-error record that would not pass validation."""
    from . import rules

    record = tracker.with_overlay({tracker.root / path: text}).read(tracker.root / path, "known-error")
    findings = list(record.findings)
    if record.ok:
        findings += rules.check_known_error(record, tracker.catalog, set(tracker.incident_ids()))
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise Refused(f"{path} would not be valid; nothing was changed", errors)
