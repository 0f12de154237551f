"""Notifications: which timeline events to send where, what they say, and the delivery ledger.

An event is sent once per channel. The ledger (``.mimctl/notifications.jsonl``
in the tracker, committed) lists every (event file, channel) delivered, and
every one a receiver refused for good (HTTP 400/413/422, SMTP 5xx on the
message); it is rewritten atomically after each, so a rerun sends what is
missing, nothing twice, and does not knock again on a refusal (``--retry-refused``
does, once the cause is fixed). What to send is decided here; how each
receiver wants it, and sending, is the channels package's job.

Never sent: events of an incident recorded after the fact (``retrospective``
in incident.yaml) and events older than ``notifications.horizon_minutes``, so
recording a past incident or replaying history pages nobody.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path, PurePosixPath
from typing import Any

from . import channels
from .channels import ChannelConfig, Notice, one_line
from .comms import NOTIFIED_KINDS, Notifications, Route
from .findings import Finding, dotted
from .model import Event, Incident, Process, parse_time
from .store import INCIDENT_ID, INCIDENTS_DIR, PROCESS_FILE, TIMELINE_DIR, Tracker, TrackerError
from .transaction import locked
from .yamlio import atomic_write

__all__ = ["LEDGER_FILE", "NOTIFIED_KINDS", "Notice", "Route", "notify", "send_events"]

LEDGER_FILE = ".mimctl/notifications.jsonl"
MKDOCS_FILE = "mkdocs.yml"
_SITE_URL = re.compile(r"https?://[^\s<>\"'`|()\[\]{}]+\Z")


# --- configuration ------------------------------------------------------------------


def load_config(tracker: Tracker) -> Notifications:
    """The process's ``notifications`` section, refused (TrackerError naming file:line) if it cannot be used."""
    config = tracker.process.comms.notifications
    problems = config.problems()
    if problems:
        document = tracker.read(tracker.root / PROCESS_FILE, "process").document
        findings = []
        for path, message in problems:
            line, column = document.position(path) if document is not None else (1, 1)
            findings.append(Finding(PROCESS_FILE, line, column, message, dotted(path), rule="notifications"))
        raise TrackerError(f"{PROCESS_FILE}: the notifications section cannot be used", findings)
    return config


def incident_url(tracker: Tracker, config: Notifications) -> str:
    """The address of an incident's page with ``{id}`` for its id: ``incident_url``, else from mkdocs.yml's site_url; '' if neither."""
    if config.incident_url:
        return config.incident_url
    record = tracker.read(tracker.root / MKDOCS_FILE, None)
    if record.document is None:
        return ""  # no site, or one the strict loader will not read (tags): messages then name the record instead
    site = record.document.data
    base = site.get("site_url") if isinstance(site, dict) else None
    if not isinstance(base, str) or not _SITE_URL.match(base):
        return ""
    page = "incidents/{id}/" if site.get("use_directory_urls", True) is not False else "incidents/{id}.html"
    return base.rstrip("/") + "/" + page


# --- what to send ----------------------------------------------------------------------


def stage_at(incident: Incident, process: Process, moment: datetime) -> str:
    """The stage the incident was in at ``moment``, from its stage history."""
    current = process.stage_ids[0]
    for visit in incident.stage_history(current):
        if visit.entered <= moment:
            current = visit.stage
    return current


def _headline(kind: str, incident: Incident, event: Mapping[str, Any]) -> str:
    ident, title = incident.id, incident.title
    level = event.get("level", "?")
    lines = {
        "declared": lambda: f"{ident} declared: {title}",
        "stage": lambda: f"{ident} moved {event.get('from', '?')} \u2192 {event.get('to')}: {title}",
        "stakeholder-update": lambda: f"{ident} {event.get('audience', '')} update ({event.get('status', '')}): {title}",
        "escalation": lambda: f"{ident} escalated to level {level}: {title}",
        "update-reminder": lambda: (
            f"{ident} {event.get('audience', '')} update overdue: {title}"
            if level == 0
            else f"{ident} {event.get('audience', '')} update still overdue, escalated: {title}"
        ),
    }
    return one_line(lines[kind]())


def _details(kind: str, incident: Incident, event: Mapping[str, Any], stage: str) -> tuple[tuple[str, str], ...]:
    data = incident.data
    rows = [
        ("Severity", str(data.get("severity", ""))),
        ("Priority", f"P{data['priority']}" if data.get("priority") is not None else ""),
        ("Stage", stage),
        ("Services", ", ".join(incident.services)),
        ("When", str(event.get("at", ""))),
        ("By", str(event.get("by", ""))),
    ]
    if kind in ("escalation", "update-reminder"):
        rows.append(("To", ", ".join(event.get("to") or ())))
    if kind == "update-reminder":
        rows.append(("Due", str(event.get("due_at", ""))))
    if kind == "stage" and event.get("skipped"):
        rows.append(("Skipped", ", ".join(event["skipped"])))
    if kind == "stage" and event.get("reason"):
        rows.append(("Reason", str(event["reason"])))
    return tuple((label, one_line(value)) for label, value in rows if value)


def _as_of(incident: Incident, moment: datetime) -> Incident:
    """The incident as the records say it was at ``moment`` where the model can tell (``Incident.as_of``), else as it is."""
    as_of = getattr(incident, "as_of", None)
    return as_of(moment) if callable(as_of) else incident


def notice_of(incident: Incident, event: Event, path: str, process: Process, link: str = "") -> Notice:
    """The notice for one notified event, describing the incident as it was when the event happened."""
    then = _as_of(incident, event.at)
    data = event.data
    kind = event.kind
    stage = str(data["to"]) if kind == "stage" else stage_at(incident, process, event.at)
    return Notice(
        path=path,
        incident_id=incident.id,
        title=one_line(then.title),
        severity=then.severity,
        stage=stage,
        services=then.services,
        kind=kind,
        at=str(data["at"]),
        by=str(data.get("by", "")),
        audience=data.get("audience"),
        headline=_headline(kind, then, data),
        details=_details(kind, then, data, stage),
        text=str(data.get("text", "")),
        event=dict(data),
        link=link,
    )


@dataclass(frozen=True)
class Skipped:
    """An event that is never sent, and why."""

    path: str
    reason: str


def _event_parts(path: str) -> tuple[str, str] | None:
    parts = PurePosixPath(path).parts
    if len(parts) != 4 or parts[0] != INCIDENTS_DIR or parts[2] != TIMELINE_DIR or not INCIDENT_ID.match(parts[1]):
        return None
    return parts[1], parts[3]


def collect(
    tracker: Tracker, paths: list[str], now: datetime, config: Notifications, texts: Mapping[str, str] | None = None
) -> tuple[list[Notice], list[Skipped], list[str]]:
    """Notices for the notified events among ``paths``, the events skipped on purpose, and the records that could not be read."""
    notices: list[Notice] = []
    skipped: list[Skipped] = []
    problems: list[str] = []
    tracker = tracker.with_overlay({tracker.root / path: text for path, text in (texts or {}).items()})
    models: dict[str, Incident | None] = {}
    horizon = now - timedelta(minutes=config.horizon_minutes)
    url = incident_url(tracker, config)
    for path in paths:
        parts = _event_parts(path)
        if parts is None:
            continue
        incident_id, name = parts
        if incident_id not in models:
            bundle = tracker.load_bundle(incident_id)
            models[incident_id] = bundle.model
            if bundle.model is None:
                problems.append(
                    f"{incident_id}: records are invalid, nothing sent for it (run mimctl validate)"
                    + "".join(f"\n  {f.as_text()}" for f in bundle.findings)
                )
        incident = models[incident_id]
        if incident is None:
            continue
        event = next((e for e in incident.events if e.name == name), None)
        if event is None or event.kind not in NOTIFIED_KINDS:
            continue
        if incident.data.get("retrospective"):
            skipped.append(Skipped(path, "the incident is recorded after the fact (retrospective)"))
        elif event.at < horizon:
            skipped.append(Skipped(path, f"the event is older than the horizon ({config.horizon_minutes} minutes before now)"))
        else:
            notices.append(notice_of(incident, event, path, tracker.process, url.replace("{id}", incident_id)))
    return notices, skipped, problems


def added_events(tracker: Tracker, repo: Any, since: str, until: str = "HEAD") -> list[str]:
    """Timeline files added between ``since`` and ``until`` (tracker-relative), oldest first."""
    prefix = repo.relative(tracker.root)
    prefix = "" if prefix == "." else prefix + "/"
    added = repo.added_files(since, until, prefix + INCIDENTS_DIR)
    paths = [p[len(prefix) :] for p in added if p.startswith(prefix) and p.endswith(".yaml")]
    paths = [p for p in paths if _event_parts(p) is not None]
    return sorted(paths, key=lambda p: (PurePosixPath(p).name, p))


def payload_for(channel: ChannelConfig, notice: Notice) -> Any:
    """What ``channel`` is sent for ``notice``."""
    return channels.channel(channel.type).build(notice, channel)


# --- the ledger ---------------------------------------------------------------------


class Ledger:
    """(event file, channel) pairs delivered or refused for good: a JSON-lines file, rewritten atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: list[str] = []
        self.sent: set[tuple[str, str]] = set()
        self.refused: dict[tuple[str, str], str] = {}
        if path.exists():
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                    key = (str(entry["event"]), str(entry["channel"]))
                    status = str(entry.get("status", "sent"))
                except (ValueError, KeyError, TypeError, AttributeError):
                    raise TrackerError(f"{path}:{number}: not a ledger entry (fix or remove the line)") from None
                if status == "sent":
                    self.sent.add(key)
                    self.refused.pop(key, None)
                elif status == "refused":
                    self.refused[key] = str(entry.get("error", ""))
                self.lines.append(line)

    def __contains__(self, key: object) -> bool:
        return key in self.sent

    def _write(self, entry: dict[str, Any]) -> None:
        self.lines.append(json.dumps(entry, ensure_ascii=False, sort_keys=True))
        atomic_write(self.path, "\n".join(self.lines) + "\n")

    def add(self, event: str, channel: str, attempts: int, at: str) -> None:
        """Record a delivery and write the ledger (temp file, fsync, replace) before anything else is sent."""
        self._write({"event": event, "channel": channel, "status": "sent", "sent_at": at, "attempts": attempts})
        self.sent.add((event, channel))
        self.refused.pop((event, channel), None)

    def refuse(self, event: str, channel: str, attempts: int, at: str, error: str) -> None:
        """Record that the receiver refused this message for good: reruns report it and do not send it again."""
        self._write({"event": event, "channel": channel, "status": "refused", "refused_at": at, "attempts": attempts, "error": error})
        self.refused[(event, channel)] = error


def exclusive(root: Path) -> AbstractContextManager[None]:
    """One sender at a time per checkout, so two runs cannot both send before either records."""
    return locked(root, "notify", wait=0, busy="another mimctl notify or escalate is sending from this checkout; try again when it ends")


# --- delivering ------------------------------------------------------------------------

FAILING = ("failed", "not-sent", "refused", "invalid")


@dataclass
class Outcome:
    """One (event, channel): sent, already-sent, refused, refused-earlier, failed, not-sent, invalid, skipped or dry-run."""

    event: str
    channel: str
    status: str
    headline: str = ""
    attempts: int = 0
    error: str = ""
    payload: Any = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if isinstance(self.payload, EmailMessage):
            data["payload"] = self.payload.as_string()
        return {k: v for k, v in data.items() if v not in (None, "", 0) or k == "status"}


def deliver(
    config: Notifications,
    notices: list[Notice],
    ledger: Ledger,
    env: Mapping[str, str],
    now: str,
    dry_run: bool = False,
    retry_refused: bool = False,
) -> list[Outcome]:
    """Send each notice to its routed channels unless the ledger has it.

    A refusal (the receiver judged this message) is recorded and never stops
    the channel; a channel that is down (retries used up) is left alone for
    the rest of the run, and its messages are sent by the next run.
    """
    outcomes: list[Outcome] = []
    down: dict[str, str] = {}
    for notice in notices:
        for channel_id in config.channels_for(notice):

            def outcome(status: str, attempts: int = 0, error: str = "", payload: Any = None) -> Outcome:
                return Outcome(notice.path, channel_id, status, notice.headline, attempts, error, payload)  # noqa: B023

            key = (notice.path, channel_id)
            if key in ledger:
                outcomes.append(outcome("already-sent"))
                continue
            if key in ledger.refused and not retry_refused:
                outcomes.append(outcome("refused-earlier", error=ledger.refused[key]))
                continue
            channel = config.channels[channel_id]
            implementation = channels.channel(channel.type)
            payload = implementation.build(notice, channel)
            invalid = implementation.validate(payload)
            if invalid:
                outcomes.append(outcome("invalid", error=f"not sent: the payload breaks {channel.type}'s rules: " + "; ".join(invalid)))
            elif dry_run:
                outcomes.append(outcome("dry-run", payload=payload))
            elif channel_id in down:
                outcomes.append(outcome("not-sent", error=f"channel {channel_id} failed earlier in this run: {down[channel_id]}"))
            else:
                result = channels.send(channel, payload, channels.idempotency_key(notice.path, channel_id), config.retry, env)
                if result.ok:
                    ledger.add(notice.path, channel_id, result.attempts, now)
                    outcomes.append(outcome("sent", result.attempts))
                elif result.refused:
                    ledger.refuse(notice.path, channel_id, result.attempts, now, result.error)
                    outcomes.append(outcome("refused", result.attempts, result.error))
                else:
                    if result.down:
                        down[channel_id] = result.error
                    outcomes.append(outcome("failed", result.attempts, result.error))
    return outcomes


def commit_ledger(tracker: Tracker, delivered: int, refused: int) -> str | None:
    """Commit the ledger alone (never the user's other work), as every change is committed; the commit, or None if unchanged.

    The ledger is already written (after each delivery): the change writes
    nothing, and a failure leaves it as it is, since those messages were sent.
    """
    from .transaction import Change, Refused, apply

    summary = f"{delivered} delivered" + (f", {refused} refused by the receiver" if refused else "")
    change = Change(None, {}, f"notifications: {summary}", trailers={"Notification-Ledger": LEDGER_FILE}, written=(LEDGER_FILE,))
    try:
        return apply(tracker, change).commit
    except Refused as exc:
        raise Refused(f"delivered, but the ledger was not committed: {exc}", exc.findings) from None


@dataclass
class DeliveryReport:
    """Every (event, channel) outcome, events skipped on purpose, records that could not be read, and the ledger commit."""

    outcomes: list[Outcome]
    problems: list[str] = field(default_factory=list)
    commit: str | None = None
    skipped: list[Skipped] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def ok(self) -> bool:
        return not self.problems and not any(o.status in FAILING for o in self.outcomes)


def send_events(
    tracker: Tracker,
    paths: list[str],
    env: Mapping[str, str],
    now: str,
    dry_run: bool = False,
    commit: bool = True,
    texts: Mapping[str, str] | None = None,
    retry_refused: bool = False,
) -> DeliveryReport:
    """Notify the routed channels of these event files (``texts``: events not written yet, for a dry run)."""
    config = load_config(tracker)
    notices, skipped, problems = collect(tracker, paths, parse_time(now), config, texts)
    if dry_run:
        outcomes = deliver(config, notices, Ledger(tracker.root / LEDGER_FILE), env, now, dry_run=True, retry_refused=retry_refused)
        return DeliveryReport(outcomes, problems, skipped=skipped)
    with exclusive(tracker.root):
        outcomes = deliver(config, notices, Ledger(tracker.root / LEDGER_FILE), env, now, retry_refused=retry_refused)
    report = DeliveryReport(outcomes, problems, skipped=skipped)
    recorded = report.count("sent") + report.count("refused")
    if commit and recorded:
        report.commit = commit_ledger(tracker, report.count("sent"), report.count("refused"))
    return report


def notify(
    tracker: Tracker,
    since: str,
    until: str,
    env: Mapping[str, str],
    now: str,
    dry_run: bool = False,
    commit: bool = True,
    retry_refused: bool = False,
) -> DeliveryReport:
    """Send what was added to the timelines between ``since`` and ``until`` and is not in the ledger."""
    from .gitrepo import GitRepo

    repo = GitRepo(tracker.root)
    return send_events(tracker, added_events(tracker, repo, since, until), env, now, dry_run, commit, retry_refused=retry_refused)
