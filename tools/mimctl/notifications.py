"""Notifications: which timeline events to send where, their text per channel, and the delivery ledger.

An event is sent once per channel. The ledger (``.mimctl/notifications.jsonl``
in the tracker, committed) lists every (event file, channel) delivered; it is
rewritten atomically after each delivery, so a rerun sends what is missing and
nothing twice. Sending itself is channels.py's job.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from pathlib import Path, PurePosixPath
from typing import Any

from . import channels
from .channels import ChannelConfig, RetryPolicy
from .store import INCIDENT_FILE, INCIDENT_ID, INCIDENTS_DIR, PROCESS_FILE, TIMELINE_DIR, Tracker, TrackerError
from .transaction import locked
from .yamlio import atomic_write

NOTIFIED_KINDS = ("declared", "stage", "stakeholder-update", "escalation")
LEDGER_FILE = ".mimctl/notifications.jsonl"
MAX_TEXT = 2800  # Slack refuses a section over 3000 characters

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_BROADCAST = re.compile(r"@(channel|here|everyone|all)\b", re.IGNORECASE)
_TEAMS_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


# --- configuration ------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One entry of ``notifications.routes``: a match (every key given must hold) and its channels."""

    channels: tuple[str, ...]
    events: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()

    def matches(self, notice: Notice) -> bool:
        return (
            (not self.events or notice.kind in self.events)
            and (not self.stages or notice.stage in self.stages)
            and (not self.severities or notice.severity in self.severities)
            and (not self.services or bool(set(notice.services) & set(self.services)))
            and (not self.audiences or notice.audience in self.audiences)
        )


@dataclass(frozen=True)
class Config:
    """The ``notifications`` section of process.yaml."""

    channels: dict[str, ChannelConfig]
    routes: tuple[Route, ...]
    retry: RetryPolicy

    def channels_for(self, notice: Notice) -> list[str]:
        """Channel ids of every matching route, each once, in the order they first appear."""
        found: list[str] = []
        for route in self.routes:
            if route.matches(notice):
                found += [c for c in route.channels if c not in found]
        return found


def load_config(tracker: Tracker) -> Config:
    """Read and check ``notifications`` in process.yaml (TrackerError if it is wrong)."""
    record = tracker.read(tracker.root / PROCESS_FILE, "process")
    if not record.ok or record.document is None:
        raise TrackerError(f"{PROCESS_FILE} is invalid", record.findings)
    data = record.document.data.get("notifications") or {}
    found: dict[str, ChannelConfig] = {}
    for item in data.get("channels", ()):
        if item["id"] in found:
            raise TrackerError(f"{PROCESS_FILE}: notification channel {item['id']!r} is defined twice")
        found[item["id"]] = ChannelConfig(item["id"], item["type"], dict(item))
    routes = []
    for number, item in enumerate(data.get("routes", ()), 1):
        unknown = [c for c in item["channels"] if c not in found]
        if unknown:
            raise TrackerError(f"{PROCESS_FILE}: notifications route {number} names unknown channel(s): {', '.join(unknown)}")
        match = item.get("match") or {}
        keys = ("events", "stages", "severities", "services", "audiences")
        routes.append(Route(tuple(item["channels"]), *(tuple(match.get(k, ())) for k in keys)))
    return Config(found, tuple(routes), RetryPolicy.from_data(data.get("retry")))


# --- what to send ----------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """One timeline event told as a notification; ``path`` (tracker-relative) is its identity."""

    path: str
    incident_id: str
    title: str
    severity: str
    stage: str
    services: tuple[str, ...]
    kind: str
    at: str
    by: str
    audience: str | None
    headline: str
    details: tuple[tuple[str, str], ...]
    text: str
    event: dict[str, Any] = field(default_factory=dict)


def _headline(kind: str, incident: Mapping[str, Any], event: Mapping[str, Any]) -> str:
    ident, title = incident["id"], incident["title"]
    lines = {
        "declared": lambda: f"{ident} declared ({incident['severity']}): {title}",
        "stage": lambda: f"{ident} moved {event.get('from', '?')} \u2192 {event.get('to')}: {title}",
        "stakeholder-update": lambda: f"{ident} {event.get('audience', '')} update ({event.get('status', '')}): {title}",
        "escalation": lambda: f"{ident} escalated to level {event.get('level', '?')}: {title}",
    }
    return one_line(lines[kind]())


def _details(kind: str, incident: Mapping[str, Any], event: Mapping[str, Any], stage: str) -> tuple[tuple[str, str], ...]:
    rows = [
        ("Severity", str(incident.get("severity", ""))),
        ("Priority", f"P{incident['priority']}" if incident.get("priority") is not None else ""),
        ("Stage", stage),
        ("Services", ", ".join(incident.get("services", ()))),
        ("When", str(event.get("at", ""))),
        ("By", str(event.get("by", ""))),
    ]
    if kind == "escalation":
        rows.append(("To", ", ".join(event.get("to") or ())))
    if kind == "stage" and event.get("reason"):
        rows.append(("Reason", str(event["reason"])))
    return tuple((label, one_line(value)) for label, value in rows if value)


def notice_for(tracker: Tracker, path: str, text: str | None = None) -> Notice | None:
    """The notice for the event file ``path`` (or for ``text``, not yet written); None if not notified."""
    parts = PurePosixPath(path).parts
    if len(parts) != 4 or parts[0] != INCIDENTS_DIR or parts[2] != TIMELINE_DIR or not INCIDENT_ID.match(parts[1]):
        return None
    absolute = tracker.root / path
    if text is not None:
        tracker.overlay = {absolute: text}
    try:
        record = tracker.read(absolute, "event")
    finally:
        tracker.overlay = {}
    if not record.ok or record.document is None:
        raise TrackerError(f"{path} is not a valid event", record.findings)
    event = record.document.data
    if event["kind"] not in NOTIFIED_KINDS:
        return None
    incident_record = tracker.read(tracker.root / INCIDENTS_DIR / parts[1] / INCIDENT_FILE, "incident")
    if not incident_record.ok or incident_record.document is None:
        raise TrackerError(f"{parts[1]}'s incident.yaml is invalid", incident_record.findings)
    incident = incident_record.document.data
    kind = event["kind"]
    stage = str(event["to"]) if kind == "stage" else str(incident["stage"])
    return Notice(
        path=path,
        incident_id=incident["id"],
        title=one_line(incident["title"]),
        severity=str(incident["severity"]),
        stage=stage,
        services=tuple(incident.get("services", ())),
        kind=kind,
        at=str(event["at"]),
        by=str(event.get("by", "")),
        audience=event.get("audience"),
        headline=_headline(kind, incident, event),
        details=_details(kind, incident, event, stage),
        text=str(event.get("text", ""))[:MAX_TEXT],
        event=dict(event),
    )


def added_events(tracker: Tracker, repo: Any, since: str, until: str = "HEAD") -> list[str]:
    """Timeline files added between ``since`` and ``until`` (tracker-relative), oldest first."""
    prefix = repo.relative(tracker.root)
    prefix = "" if prefix == "." else prefix + "/"
    added = repo.added_files(since, until, prefix + INCIDENTS_DIR)
    paths = [p[len(prefix) :] for p in added if p.startswith(prefix) and p.endswith(".yaml")]
    paths = [p for p in paths if len(PurePosixPath(p).parts) == 4 and PurePosixPath(p).parts[2] == TIMELINE_DIR]
    return sorted(paths, key=lambda p: (PurePosixPath(p).name, p))


# --- text per channel ----------------------------------------------------------------


def one_line(text: str) -> str:
    """Control characters and line breaks become spaces (for subjects and headlines)."""
    return _CONTROL.sub(" ", str(text)).strip()


def slack_escape(text: str) -> str:
    """Slack mrkdwn: &, <, > as entities (no <!channel>, <@U…> or <url|label>), broadcasts defused."""
    escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@\u2060\\1", escaped)


def teams_escape(text: str) -> str:
    """Adaptive Card text: Markdown characters escaped, no tags (so no <at> mentions), broadcasts defused."""
    escaped = _TEAMS_MARKDOWN.sub(r"\\\1", str(text)).replace("<", "\u2039").replace(">", "\u203a")
    return _BROADCAST.sub("@\u2060\\1", escaped)


def slack_payload(notice: Notice) -> dict[str, Any]:
    """Incoming-webhook message: blocks, plus ``text`` for notifications and old clients."""
    facts = [{"type": "mrkdwn", "text": f"*{label}*\n{slack_escape(value)}"} for label, value in notice.details[:10]]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{slack_escape(notice.headline)}*"}},
        {"type": "section", "fields": facts},
    ]
    if notice.text:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": slack_escape(notice.text)}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": slack_escape(f"{notice.path} \u00b7 mimctl")}]})
    return {"text": slack_escape(notice.headline), "blocks": blocks, "unfurl_links": False, "unfurl_media": False}


def teams_payload(notice: Notice) -> dict[str, Any]:
    """A Teams workflow ("post to a channel when a webhook request is received") message with an Adaptive Card."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": teams_escape(notice.headline), "weight": "Bolder", "size": "Medium", "wrap": True},
        {"type": "FactSet", "facts": [{"title": label, "value": teams_escape(value)} for label, value in notice.details]},
    ]
    if notice.text:
        body.append({"type": "TextBlock", "text": teams_escape(notice.text), "wrap": True})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "msteams": {"width": "Full"},
    }
    return {
        "type": "message",
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}],
    }


def webhook_payload(notice: Notice, channel_id: str) -> dict[str, Any]:
    """Plain JSON for automation: the event and the incident as data (receivers escape as they display)."""
    return {
        "version": 1,
        "channel": channel_id,
        "idempotency_key": channels.idempotency_key(notice.path, channel_id),
        "headline": notice.headline,
        "incident": {
            "id": notice.incident_id,
            "title": notice.title,
            "severity": notice.severity,
            "stage": notice.stage,
            "services": list(notice.services),
        },
        "event": {"path": notice.path, **notice.event},
    }


def email_message(notice: Notice, channel: ChannelConfig) -> EmailMessage:
    """A plain-text email; the subject has no control characters, so no header can be injected."""
    options = channel.options
    message = EmailMessage()
    message["Subject"] = one_line(f"[{notice.severity}] {notice.headline}")[:250]
    message["From"] = str(options["from"])
    message["To"] = ", ".join(options["to"])
    domain = str(options["from"]).rsplit("@", 1)[-1]
    message["Message-ID"] = f"<{channels.idempotency_key(notice.path, channel.id)}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    lines = [notice.headline, "", *(f"{label}: {value}" for label, value in notice.details)]
    if notice.text:
        lines += ["", notice.text]
    lines += ["", f"-- mimctl ({notice.path})"]
    message.set_content("\n".join(lines) + "\n")
    return message


def payload_for(channel: ChannelConfig, notice: Notice) -> Any:
    """What ``channel`` is sent for ``notice``."""
    builders: dict[str, Callable[[], Any]] = {
        "slack": lambda: slack_payload(notice),
        "teams": lambda: teams_payload(notice),
        "webhook": lambda: webhook_payload(notice, channel.id),
        "email": lambda: email_message(notice, channel),
    }
    return builders[channel.type]()


# --- the ledger ---------------------------------------------------------------------


class Ledger:
    """(event file, channel) pairs already delivered: a JSON-lines file, rewritten atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: list[str] = []
        self.keys: set[tuple[str, str]] = set()
        if path.exists():
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                    self.keys.add((str(entry["event"]), str(entry["channel"])))
                except (ValueError, KeyError, TypeError):
                    raise TrackerError(f"{path}:{number}: not a ledger entry (fix or remove the line)") from None
                self.lines.append(line)

    def __contains__(self, key: object) -> bool:
        return key in self.keys

    def add(self, event: str, channel: str, attempts: int, at: str) -> None:
        """Record a delivery and write the ledger (temp file, fsync, replace) before anything else is sent."""
        entry = {"event": event, "channel": channel, "sent_at": at, "attempts": attempts}
        self.lines.append(json.dumps(entry, ensure_ascii=False, sort_keys=True))
        self.keys.add((event, channel))
        atomic_write(self.path, "\n".join(self.lines) + "\n")


def exclusive(root: Path) -> AbstractContextManager[None]:
    """One sender at a time per checkout, so two runs cannot both send before either records."""
    return locked(root, "notify", wait=0, busy="another mimctl notify or escalate is sending from this checkout; try again when it ends")


# --- delivering ------------------------------------------------------------------------


@dataclass
class Outcome:
    """One (event, channel): sent, already-sent, failed, not-sent (channel down) or dry-run."""

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
    config: Config, notices: list[Notice], ledger: Ledger, env: Mapping[str, str], now: str, dry_run: bool = False
) -> list[Outcome]:
    """Send each notice to its routed channels unless the ledger has it; a failing channel is skipped after its first failure."""
    outcomes: list[Outcome] = []
    down: dict[str, str] = {}
    for notice in notices:
        for channel_id in config.channels_for(notice):

            def outcome(status: str, attempts: int = 0, error: str = "", payload: Any = None) -> Outcome:
                return Outcome(notice.path, channel_id, status, notice.headline, attempts, error, payload)  # noqa: B023

            if (notice.path, channel_id) in ledger:
                outcomes.append(outcome("already-sent"))
                continue
            channel = config.channels[channel_id]
            payload = payload_for(channel, notice)
            if dry_run:
                outcomes.append(outcome("dry-run", payload=payload))
            elif channel_id in down:
                outcomes.append(outcome("not-sent", error=f"channel {channel_id} failed earlier in this run"))
            else:
                key = channels.idempotency_key(notice.path, channel_id)
                result = channels.send(channel, payload, key, config.retry, env)
                if result.ok:
                    ledger.add(notice.path, channel_id, result.attempts, now)
                    outcomes.append(outcome("sent", result.attempts))
                else:
                    down[channel_id] = result.error
                    outcomes.append(outcome("failed", result.attempts, result.error))
    return outcomes


def commit_ledger(tracker: Tracker, sent: int) -> str | None:
    """Commit the ledger alone (never the user's other work); the commit, or None if unchanged."""
    from .gitrepo import GitError, GitRepo
    from .transaction import Refused, locked

    with locked(tracker.root):
        try:
            repo = GitRepo(tracker.root)
            repo.ensure_safe()
            message = f"notifications: {sent} delivered\n\nNotification-Ledger: {LEDGER_FILE}\n"
            return repo.commit_paths([repo.relative(tracker.root / LEDGER_FILE)], message)
        except GitError as exc:
            raise Refused(f"delivered, but the ledger was not committed: {exc}") from None


@dataclass
class Report:
    """Every (event, channel) outcome, records that could not be read, and the ledger commit."""

    outcomes: list[Outcome]
    problems: list[str] = field(default_factory=list)
    commit: str | None = None

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def ok(self) -> bool:
        return not self.problems and not any(o.status in ("failed", "not-sent") for o in self.outcomes)


def send_events(
    tracker: Tracker,
    paths: list[str],
    env: Mapping[str, str],
    now: str,
    dry_run: bool = False,
    commit: bool = True,
    texts: Mapping[str, str] | None = None,
) -> Report:
    """Notify the routed channels of these event files (``texts``: events not written yet, for a dry run)."""
    config = load_config(tracker)
    notices, problems = [], []
    for path in paths:
        try:
            notice = notice_for(tracker, path, (texts or {}).get(path))
        except TrackerError as exc:
            problems.append(f"{exc}" + "".join(f"\n  {f.as_text()}" for f in exc.findings))
            continue
        if notice is not None:
            notices.append(notice)
    if dry_run:
        return Report(deliver(config, notices, Ledger(tracker.root / LEDGER_FILE), env, now, dry_run=True), problems)
    with exclusive(tracker.root):
        outcomes = deliver(config, notices, Ledger(tracker.root / LEDGER_FILE), env, now)
    report = Report(outcomes, problems)
    if commit and report.count("sent"):
        report.commit = commit_ledger(tracker, report.count("sent"))
    return report


def notify(
    tracker: Tracker, since: str, until: str, env: Mapping[str, str], now: str, dry_run: bool = False, commit: bool = True
) -> Report:
    """Send what was added to the timelines between ``since`` and ``until`` and is not in the ledger."""
    from .gitrepo import GitRepo

    repo = GitRepo(tracker.root)
    return send_events(tracker, added_events(tracker, repo, since, until), env, now, dry_run, commit)
