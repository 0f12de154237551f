"""Notify and escalate: roles and hand-overs, notifications and escalations made, ack, bridge, stakeholder updates."""

from __future__ import annotations

from collections.abc import Sequence

from ..model import Incident
from ..store import Tracker
from ..timing import When, known
from ..transaction import Change
from . import Invalid
from .records import record


def assign(tracker: Tracker, incident: Incident, role: str, person: str, at: When, by: str) -> Change:
    """Give ``role`` to ``person``; when someone held it, the event records a hand-over from them."""
    roles = tracker.process.roles
    if role not in roles:
        raise Invalid(f"unknown role {role!r}; roles: {', '.join(roles)}", param="role")
    previous = (incident.data.get("roles") or {}).get(role)
    subject = f"{role} handed over from {previous} to {person}" if previous else f"{role} assigned to {person}"
    fields = {"role": role, "person": person, "previous": previous}
    return record(tracker, incident, "role", at, by, subject, fields, {f"roles.{role}": person})


def notified(
    tracker: Tracker,
    incident: Incident,
    recipients: Sequence[str],
    at: When,
    by: str,
    *,
    channel: str | None = None,
    text: str | None = None,
    mirt: bool = False,
) -> Change:
    """A notification that was sent; with ``mirt``, the recipients join the Major Incident Response Team."""
    edits = None
    if mirt:
        members = list(incident.data.get("mirt", []))
        edits = {"mirt": members + [r for r in recipients if r not in members]}
    fields = {"to": list(recipients), "channel": channel, "text": text}
    return record(tracker, incident, "notification", at, by, f"notified {', '.join(recipients)}", fields, edits)


def escalated(
    tracker: Tracker,
    incident: Incident,
    recipients: Sequence[str],
    at: When,
    by: str,
    *,
    level: int | None = None,
    policy: str | None = None,
    text: str | None = None,
) -> Change:
    """An escalation made, by a person or by the escalation run: the event, and escalation.level/policy.

    The commit carries ``Escalation-Level``/``Escalation-Policy`` trailers when
    those are known, so history can be queried for them.
    """
    edits: dict[str, object] = {}
    trailers: dict[str, str] = {}
    if level is not None:
        edits["escalation.level"] = level
        trailers["Escalation-Level"] = str(level)
    if policy:
        edits["escalation.policy"] = policy
        trailers["Escalation-Policy"] = policy
    subject = f"escalated to {', '.join(recipients)}" + (f" (level {level})" if level is not None else "")
    fields = {"to": list(recipients), "level": level, "text": text}
    summary = {"level": level, "to": list(recipients), "policy": policy}
    return record(tracker, incident, "escalation", at, by, subject, fields, edits, trailers, summary)


def acknowledge(tracker: Tracker, incident: Incident, at: When, by: str) -> Change:
    """``by`` acknowledged the incident (which stops further escalation)."""
    edits = {"escalation.acknowledged_by": by, "escalation.acknowledged_at": known(at)}
    return record(tracker, incident, "ack", at, by, f"acknowledged by {by}", None, edits)


def bridge(tracker: Tracker, incident: Incident, url: str, at: When, by: str) -> Change:
    """The bridge / virtual war room was opened at ``url``."""
    edits = {"bridge.url": url, "bridge.opened_at": known(at)}
    return record(tracker, incident, "bridge", at, by, "bridge opened", {"url": url}, edits)


def stakeholder_update(tracker: Tracker, incident: Incident, text: str, status: str, audience: str, at: When, by: str) -> Change:
    """An update to stakeholders (``audience`` internal or public) with a Statuspage-style status."""
    fields = {"audience": audience, "status": status, "text": text}
    return record(tracker, incident, "stakeholder-update", at, by, f"{audience} update: {status}", fields)


def vendor_escalation(
    tracker: Tracker,
    incident: Incident,
    vendor: str,
    at: When,
    by: str,
    *,
    case: str | None = None,
    url: str | None = None,
    text: str | None = None,
) -> Change:
    """An escalation to a vendor or other third party (a support case): not a level of the escalation path."""
    if url and not url.startswith(("http://", "https://")):
        raise Invalid("must start with http:// or https://", param="url")
    fields = {"vendor": vendor, "case": case, "url": url, "text": text}
    subject = f"escalated to {vendor}" + (f" (case {case})" if case else "")
    return record(tracker, incident, "vendor-escalation", at, by, subject, fields, summary={"vendor": vendor, "case": case})
