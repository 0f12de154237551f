"""The demo: a sample major incident taken through all nine stages by the library, one commit per step.

Each step is a use case and ``transaction.apply``, exactly what the matching
``mimctl`` command does; the step names that command so a reader can repeat
it by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from . import gitrepo, views
from .model import Incident
from .output import findings_text
from .scaffold import create
from .store import Tracker, TrackerError
from .transaction import Change, Refused, apply
from .usecases import close, contain, identify, investigate, notify, resolve, review
from .usecases.advance import advance
from .usecases.records import load_incident

INCIDENT = "INC-0001"
Echo = Callable[[str], None]
# A step's action: the tracker and the ids earlier steps made ("C", "H") -> the change that records it.
Act = Callable[[Tracker, dict[str, str]], Change]


@dataclass(frozen=True)
class Step:
    what: str  # what a person reads
    command: str  # the mimctl command that does the same
    act: Act


def _advance(at: datetime, by: str) -> Act:
    def act(tr: Tracker, ids: dict[str, str]) -> Change:
        move = advance(tr, load_incident(tr, INCIDENT), at, by)
        if move.change is None:
            raise Refused(views.render_gate_failure(move.transition))
        return move.change

    return act


def script(start: datetime, person: str) -> list[Step]:
    """The demo's steps, with times from ``start``; ``person`` does what nobody else is named for."""

    def t(minutes: int) -> datetime:
        return start + timedelta(minutes=minutes)

    def inc(tr: Tracker) -> Incident:
        return load_incident(tr, INCIDENT)

    declared = identify.Declaration(
        title="Card payments failing at checkout",
        services=["checkout-api"],
        impact="high",
        urgency="high",
        severity="SEV1",
        source="alert",
        alert={"name": "CheckoutErrorRate"},
        started_at=t(-7),
        visibility="public",
    )
    me = person
    due = (start + timedelta(days=14)).strftime("%Y-%m-%d")
    return [
        Step("Declare the incident (stage: identify)", "new", lambda tr, ids: identify.declare(tr, declared, t(0), "pat")),
        Step(
            "Confirm it is real",
            "confirm",
            lambda tr, ids: identify.confirm(tr, inc(tr), "All card payments in EU and US fail with HTTP 502", t(2), "pat"),
        ),
        Step(
            "Classify",
            "classify",
            lambda tr, ids: identify.classify(
                tr,
                inc(tr),
                t(3),
                me,
                impact="high",
                urgency="high",
                major_reason="Customers cannot pay; revenue loss",
                user_count=48000,
                segment="All paying customers",
                summary="Checkout returns errors for card payments.",
            ),
        ),
        Step("Advance to notify", "advance", _advance(t(4), me)),
        Step("Assign the incident manager", "assign", lambda tr, ids: notify.assign(tr, inc(tr), "incident_manager", "alex", t(5), me)),
        Step(
            "Notify the MIRT",
            "notified",
            lambda tr, ids: notify.notified(tr, inc(tr), ["@payments", "@sre"], t(6), me, channel="pager", mirt=True),
        ),
        Step("Open the bridge", "bridge", lambda tr, ids: notify.bridge(tr, inc(tr), "https://meet.example.com/inc-0001", t(6), me)),
        Step(
            "First public update",
            "update",
            lambda tr, ids: notify.stakeholder_update(
                tr, inc(tr), "Some card payments are failing. We are investigating.", "investigating", "public", t(8), me
            ),
        ),
        Step("Advance to contain", "advance", _advance(t(9), me)),
        Step(
            "Log a containment action",
            "containment add",
            lambda tr, ids: contain.add_containment(
                tr, inc(tr), "Routed card traffic to the secondary gateway", "Route card traffic back to the primary gateway", t(15), me
            ),
        ),
        Step(
            "It works: mitigated",
            "containment set",
            lambda tr, ids: contain.set_containment(tr, inc(tr), ids["C"], "effective", t(18), me, text="Card payments succeed again"),
        ),
        Step(
            "Service restored for users",
            "resolution",
            lambda tr, ids: resolve.resolution(tr, inc(tr), t(18), me, service_restored=True),
        ),
        Step("Advance to investigate", "advance", _advance(t(20), me)),
        Step(
            "Record a hypothesis",
            "hypothesis add",
            lambda tr, ids: investigate.add_hypothesis(tr, inc(tr), "TLS certificate on the primary gateway expired", t(25), me),
        ),
        Step(
            "Confirm it",
            "hypothesis set",
            lambda tr, ids: investigate.set_hypothesis(
                tr, inc(tr), ids["H"], "confirmed", t(32), me, evidence=["Handshake errors from 08:00Z in gateway logs"]
            ),
        ),
        Step(
            "Record the cause",
            "cause",
            lambda tr, ids: investigate.confirm_cause(
                tr, inc(tr), "The primary gateway's TLS certificate expired; renewal job had failed silently", t(33), me
            ),
        ),
        Step(
            "Record the plan",
            "plan",
            lambda tr, ids: investigate.plan(tr, inc(tr), "Renew the certificate, verify in staging, switch traffic back", t(34), me),
        ),
        Step("Advance to resolve", "advance", _advance(t(35), me)),
        Step(
            "Implement the fix",
            "resolution",
            lambda tr, ids: resolve.resolution(
                tr, inc(tr), t(50), me, change_ref="CHG-2041", summary="Certificate renewed and deployed", validated_in="staging"
            ),
        ),
        Step("Observe stability", "resolution", lambda tr, ids: resolve.resolution(tr, inc(tr), t(80), me, stable=True)),
        Step("Confirm with users", "resolution", lambda tr, ids: resolve.resolution(tr, inc(tr), t(85), me, confirmed_by="service-desk")),
        Step("Advance to recover", "advance", _advance(t(86), me)),
        Step(
            "Roll back the containment",
            "containment set",
            lambda tr, ids: contain.set_containment(tr, inc(tr), ids["C"], "rolled-back", t(90), me),
        ),
        Step(
            "Validate dependents",
            "recovery",
            lambda tr, ids: resolve.recovery(
                tr, inc(tr), t(100), me, summary="Traffic back on the primary gateway", restored=True, dependents_validated=True
            ),
        ),
        Step(
            "Communicate recovery",
            "update",
            lambda tr, ids: notify.stakeholder_update(
                tr, inc(tr), "Payments work again. We are monitoring.", "monitoring", "public", t(105), me
            ),
        ),
        Step("Advance to close", "advance", _advance(t(110), me)),
        Step(
            "Record closure",
            "close",
            lambda tr, ids: close.close(tr, inc(tr), "Expired certificate replaced; service restored", t(180), me, problem_ref="PRB-311"),
        ),
        Step(
            "Communicate closure",
            "update",
            lambda tr, ids: notify.stakeholder_update(tr, inc(tr), "This incident is resolved.", "resolved", "public", t(181), me),
        ),
        Step(
            "Schedule the review",
            "pir schedule",
            lambda tr, ids: close.schedule_review(tr, inc(tr), t(60 * 48), ["alex", "pat"], t(182), me),
        ),
        Step("Advance to review", "advance", _advance(t(183), me)),
        Step("Write the review", "pir new", lambda tr, ids: review.start_review(tr, inc(tr), t(184), me)),
        Step(
            "Root causes",
            "pir set",
            lambda tr, ids: review.set_review_field(
                tr, inc(tr), "root_causes", ["Certificate renewal job failed without alerting"], t(185), me
            ),
        ),
        Step(
            "Known-error decision",
            "pir set",
            lambda tr, ids: review.set_review_field(
                tr, inc(tr), "no_known_error_reason", "A one-off failure; the fix removes it", t(186), me
            ),
        ),
        Step(
            "Action item",
            "pir action add",
            lambda tr, ids: review.add_action(tr, inc(tr), "Alert on certificate expiry 14 days ahead", "sam", due, t(187), me, "detect"),
        ),
        Step(
            "Hold the review",
            "pir complete",
            lambda tr, ids: review.complete_review(tr, inc(tr), t(60 * 48), ["alex", "pat"], t(60 * 48 + 30), me),
        ),
        Step("Advance to improve", "advance", _advance(t(60 * 49), me)),
        Step(
            "Finish the action item",
            "pir action set",
            lambda tr, ids: review.set_action(tr, inc(tr), "A1", "done", t(60 * 24 * 9), "sam"),
        ),
        Step("Complete the incident", "advance", _advance(t(60 * 24 * 10), me)),
    ]


def start_tracker(root: Path) -> Tracker:
    """A new tracker repository at ``root`` (starter process and catalog, no site), committed."""
    root.mkdir(parents=True, exist_ok=True)
    paths = create(root, with_site=False)
    repo = gitrepo.init(root)
    repo.commit_paths(paths, "Start a tracker repository\n")
    return Tracker(root)


def replay(tr: Tracker, steps: list[Step], echo: Echo) -> bool:
    """Apply every step, one commit each, printing one line per step; False (and why) at the first refusal."""
    ids: dict[str, str] = {}
    for number, step in enumerate(steps, 1):
        try:
            change = step.act(tr, ids)
            applied = apply(tr, change)
        except (Refused, TrackerError) as exc:
            findings = "".join(f"\n  {f.as_text()}" for f in exc.findings)
            echo(f"step {number} failed: mimctl {step.command}\n{exc}{findings}")
            return False
        for key, name in (("C", "action_id"), ("H", "hypothesis_id")):
            if name in change.summary:
                ids.setdefault(key, str(change.summary[name]))
        echo(f"{number:>2}. {step.what:<32} mimctl {step.command}  [{(applied.commit or '')[:8]}]")
    return True


def run(root: Path, echo: Echo, start: datetime, person: str) -> bool:
    """Build a tracker at ``root``, replay the script, validate; False if anything failed."""
    from .validate import validate

    tr = start_tracker(root)
    if not replay(tr, script(start, person), echo):
        return False
    result = validate(Tracker(root))
    echo(findings_text(result.findings, result.files))
    return result.ok
