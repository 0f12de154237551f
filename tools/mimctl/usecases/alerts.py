"""Alert notifications into incidents: parse a payload, open or update the incident of its group, commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from .. import alert_payloads
from .. import ingest as planner
from ..store import Tracker
from ..transaction import Applied, apply, locked

PayloadFormat = Literal["alertmanager", "generic"]
PARSERS = {"alertmanager": alert_payloads.parse_alertmanager, "generic": alert_payloads.parse_generic}


@dataclass(frozen=True)
class Ingested:
    """What one payload did: its group, the plan (open, update, nothing, and why) and what was written."""

    group: alert_payloads.AlertGroup
    plan: planner.Plan
    applied: Applied | None


def ingest(tracker: Tracker, payload_format: PayloadFormat, payload: bytes, at: datetime, by: str | None, commit: bool = True) -> Ingested:
    """Parse ``payload`` (alert_payloads.PayloadError if it is not what its format promises) and record what it means.

    Finding the incident a group opened and writing happen under one lock, so
    two deliveries at once open one incident.
    """
    group = PARSERS[payload_format](alert_payloads.read_json(payload))
    with locked(tracker.root):
        plan = planner.plan_alert(tracker, group, at, alert_payloads.clean_line(by or group.source, 64) or payload_format)
        applied = apply(tracker, plan.change, commit=commit) if plan.change is not None else None
    return Ingested(group, plan, applied)
