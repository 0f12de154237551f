"""Commands that send: ``notify`` (what a push added) and ``escalate`` (what is due now)."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from .common import EXIT_FAILED, TIME, default_person, emit, format_option, now, repo_option, tracker


def _payload_text(payload: Any) -> str:
    if isinstance(payload, (dict, list)):
        return json.dumps(payload, indent=2, ensure_ascii=False)
    return payload.as_string() if hasattr(payload, "as_string") else str(payload)


def _report_text(report: Any) -> list[str]:
    lines = []
    for outcome in report.outcomes:
        if outcome.status == "already-sent":
            continue
        line = f"{outcome.status:<15} {outcome.channel:<20} {outcome.headline}"
        if outcome.attempts > 1:
            line += f" ({outcome.attempts} attempts)"
        if outcome.error:
            line += f"\n                {outcome.error}"
        if outcome.status == "dry-run":
            line += "\n" + "\n".join("    " + row for row in _payload_text(outcome.payload).splitlines())
        lines.append(line)
    lines += [f"skipped  {s.path}: {s.reason}" for s in report.skipped]
    lines += [f"problem  {problem}" for problem in report.problems]
    statuses = ("sent", "already-sent", "refused", "refused-earlier", "failed", "not-sent", "invalid", "dry-run")
    counts = {s: report.count(s) for s in statuses}
    lines.append(", ".join(f"{n} {s}" for s, n in counts.items() if n) or "nothing to send")
    if report.commit:
        lines.append(f"ledger committed {report.commit[:10]}")
    failing = sorted({o.channel for o in report.outcomes if o.status in ("failed", "not-sent")})
    if failing:
        lines.append(f"failing channel(s): {', '.join(failing)} (rerun to send only what is missing)")
    if report.count("refused") or report.count("refused-earlier"):
        lines.append("refused messages are not sent again; fix the cause, then rerun with --retry-refused")
    return lines


def _report_data(report: Any) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "outcomes": [o.as_dict() for o in report.outcomes],
        "problems": report.problems,
        "skipped": [{"event": s.path, "reason": s.reason} for s in report.skipped],
        "ledger_commit": report.commit,
    }


@click.command()
@click.option("--since", required=True, help="Send what was added after this revision (e.g. the commit before a push).")
@click.option("--until", default="HEAD", show_default=True, help="Up to this revision.")
@click.option("--dry-run", is_flag=True, help="Print the payloads; send nothing, write no ledger.")
@click.option("--no-commit", is_flag=True, help="Update the ledger file but do not commit it.")
@click.option("--retry-refused", is_flag=True, help="Send again what a receiver refused for good earlier (after fixing the cause).")
@click.option(
    "--now", "moment", type=TIME, default=None, help="The time to judge the horizon by (default: the clock); for replays and tests."
)
@format_option("text", "json")
@repo_option
def notify(
    since: str,
    until: str,
    dry_run: bool,
    no_commit: bool,
    retry_refused: bool,
    moment: datetime | None,
    output_format: str,
    repo: Path | None,
) -> int:
    """Send the timeline events added between --since and --until to the channels routed in process.yaml.

    Declarations, stage changes, stakeholder updates, escalations and update
    reminders are sent once per channel: delivered (event, channel) pairs are
    kept in .mimctl/notifications.jsonl and committed, so a rerun sends only
    what is missing. A message the receiver refuses for good (HTTP 400, 413,
    422) is recorded as refused and the channel's later messages still go;
    reruns report it without sending it again (--retry-refused does). A
    channel that is down is reported and its messages go with the next run.
    Any failure in this run exits 1. Retrospective incidents and events older
    than notifications.horizon_minutes are never sent. Webhook URLs and
    secrets come from the environment variables named in process.yaml.

    \b
    Example:
      mimctl notify --since "$BEFORE"           # in CI, after a push
      mimctl notify --since HEAD~3 --dry-run    # see the payloads
      mimctl notify --since HEAD~1 --retry-refused
    """
    from .. import notifications
    from ..model import format_time

    tr = tracker(repo)
    when = format_time(moment or now())
    report = notifications.notify(tr, since, until, os.environ, when, dry_run, commit=not no_commit, retry_refused=retry_refused)
    emit(output_format, _report_data(report), "\n".join(_report_text(report)))
    return 0 if report.ok else EXIT_FAILED


@click.command()
@click.option("--now", "moment", type=TIME, default=None, help="The time to judge by (default: the clock); for replays and tests.")
@click.option("--dry-run", is_flag=True, help="Show what is due and the payloads; record and send nothing.")
@click.option("--by", "by", default=None, help="Who records the escalation (default: $MIMCTL_USER or the login name).")
@click.option("--no-commit", is_flag=True, help="Write the records and the ledger but do not commit.")
@click.option("--no-notify", is_flag=True, help="Record the escalations but send nothing.")
@format_option("text", "json")
@repo_option
def escalate(
    moment: datetime | None, dry_run: bool, by: str | None, no_commit: bool, no_notify: bool, output_format: str, repo: Path | None
) -> int:
    """Escalate unacknowledged active incidents and chase overdue stakeholder updates; record it and notify.

    Level 0 of the severity's policy is due at declaration; the next level once
    the current level's ack_within_minutes passed without `mimctl ack`. Each
    escalation is one commit (an escalation event, escalation.level/policy in
    incident.yaml). When an update is overdue by the communication plan
    (process.yaml communication.cadence), the communications lead gets one
    reminder (an update-reminder event), and escalate_to one escalation if it
    is still overdue escalate_after_minutes later. Then the routed channels are
    notified; notifications that failed earlier are retried. Run it every few
    minutes.

    \b
    Example:
      mimctl escalate                                  # from a scheduled job
      mimctl escalate --now 2026-11-27T09:00Z --dry-run
    """
    from .. import escalation, notifications
    from ..model import format_time

    tr = tracker(repo)
    moment = moment or now()
    done = escalation.record_due(tr, moment, by or default_person(), dry_run, commit=not no_commit)
    recorded, problems, new_paths, texts = done.recorded, done.problems, done.paths, done.texts
    report = None
    if not no_notify:
        paths = new_paths if dry_run else list(dict.fromkeys([*escalation.unsent_candidates(tr), *new_paths]))
        report = notifications.send_events(tr, paths, os.environ, format_time(moment), dry_run, not no_commit, texts)
    data = {
        "now": format_time(moment),
        "escalated": [r for r in recorded if not r.get("reminder")],
        "reminders": [r for r in recorded if r.get("reminder")],
        "problems": problems,
        "notifications": _report_data(report) if report else None,
    }
    lines = [
        f"{r['incident']}: {'update reminder' if r.get('reminder') else 'level'} {r['level']} \u2192 {', '.join(r['to'])} ({r['reason']})"
        + (f" committed {r['commit'][:10]}" if r["commit"] else "")
        for r in recorded
    ]
    lines += [f"problem  {p}" for p in problems]
    if not recorded:
        lines.append("no escalation or update reminder due")
    if report is not None:
        lines += _report_text(report)
    emit(output_format, data, "\n".join(lines))
    return 0 if not problems and (report is None or report.ok) else EXIT_FAILED
