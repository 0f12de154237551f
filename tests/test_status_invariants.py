"""The Statuspage API agrees with itself, on every sample and synthetic tracker, in both editions.

Read as a client reads it (the JSON files only): incident statuses, impacts,
updates, component statuses, maintenance and the page indicator must all tell
the same story.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from conftest import make_tracker
from gitutil import t
from mimctl.model import parse_time
from mimctl.site.data import INTERNAL, PUBLIC, collect
from mimctl.site.statusapi import status_api
from mimctl.store import Tracker
from site_fixtures import REPO_ROOT, cli, declare, move, sample_tracker, update

sys.path.insert(0, str(REPO_ROOT / "bench"))
import synth  # noqa: E402

COMPONENT_ORDER = ("operational", "under_maintenance", "degraded_performance", "partial_outage", "major_outage")
INDICATOR_ORDER = ("none", "maintenance", "minor", "major", "critical")
INDICATOR_OF = dict(zip(COMPONENT_ORDER, INDICATOR_ORDER, strict=True))
DESCRIPTION = {
    "none": "All Systems Operational",
    "maintenance": "Service Under Maintenance",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major Service Outage",
}
UNRESOLVED = {"investigating", "identified", "monitoring"}


def worst(order: tuple[str, ...], values: list[str]) -> str:
    return max(values, key=order.index) if values else order[0]


def api_documents(root: Path, edition: str, now: datetime | None = None) -> dict[str, Any]:
    site = collect(Tracker(root), edition, now=now)
    assert not site.skipped, site.skipped
    return {path: json.loads(text) for path, text in status_api(site, "https://status.example.com/").items()}


def contradictions(docs: dict[str, Any]) -> list[str]:
    """Everything a client could find that does not add up."""
    found: list[str] = []
    status = docs["api/v2/status.json"]["status"]
    summary = docs["api/v2/summary.json"]
    components = docs["api/v2/components.json"]["components"]
    leaves = {c["id"]: c for c in components if not c["group"]}
    incidents = docs["api/v2/incidents.json"]["incidents"]
    unresolved = docs["api/v2/incidents/unresolved.json"]["incidents"]
    maintenances = docs["api/v2/scheduled-maintenances.json"]["scheduled_maintenances"]
    upcoming = docs["api/v2/scheduled-maintenances/upcoming.json"]["scheduled_maintenances"]
    active = docs["api/v2/scheduled-maintenances/active.json"]["scheduled_maintenances"]

    for incident in [*incidents, *unresolved]:
        name = incident["id"]
        updates = incident["incident_updates"]
        if not updates:
            found.append(f"{name}: no update")
            continue
        if incident["status"] != updates[0]["status"]:
            found.append(f"{name}: status {incident['status']} but its newest update says {updates[0]['status']}")
        times = [u["created_at"] for u in updates]
        if times != sorted(times, reverse=True):
            found.append(f"{name}: updates not newest first")
        if (incident["resolved_at"] is not None) != (incident["status"] == "resolved"):
            found.append(f"{name}: resolved_at {incident['resolved_at']} with status {incident['status']}")
        if (incident["monitoring_at"] is not None) != any(u["status"] == "monitoring" for u in updates):
            found.append(f"{name}: monitoring_at does not match its updates")
        for newer, older in zip(updates, updates[1:], strict=False):
            for a, b in zip(newer["affected_components"], older["affected_components"], strict=True):
                if a["old_status"] != b["new_status"]:
                    found.append(f"{name}: update {newer['id']} starts from {a['old_status']}, the one before left {b['new_status']}")
        newest = {c["code"]: c["new_status"] for c in updates[0]["affected_components"]}
        if incident["status"] in UNRESOLVED and incident["impact"] != "none":
            for code, new in newest.items():
                if COMPONENT_ORDER.index(leaves[code]["status"]) < COMPONENT_ORDER.index(new):
                    found.append(f"{name}: says {code} is {new}, but the component is {leaves[code]['status']}")
            if INDICATOR_ORDER.index(status["indicator"]) < INDICATOR_ORDER.index(incident["impact"]):
                found.append(f"{name}: impact {incident['impact']} above the page's indicator {status['indicator']}")
        elif any(new != "operational" for new in newest.values()):
            found.append(
                f"{name}: {incident['status']} with impact {incident['impact']}, yet its newest update leaves components impaired: {newest}"
            )
    listed_unresolved = {i["id"] for i in incidents if i["status"] in UNRESOLVED}
    if not listed_unresolved <= {i["id"] for i in unresolved}:
        found.append(f"unresolved incidents missing from unresolved.json: {listed_unresolved - {i['id'] for i in unresolved}}")
    if any(i["status"] not in UNRESOLVED for i in unresolved):
        found.append("unresolved.json lists a resolved incident")
    if summary["incidents"] != unresolved:
        found.append("summary.json's incidents are not unresolved.json's")

    # Components: each non-operational one is explained, by the worst thing affecting it.
    for code, component in leaves.items():
        causes = [
            c["new_status"]
            for i in unresolved
            if i["impact"] != "none"
            for u in i["incident_updates"][:1]
            for c in u["affected_components"]
            if c["code"] == code
        ]
        if any(c["id"] == code for m in active for c in m["components"]):
            causes.append("under_maintenance")
        expected = worst(COMPONENT_ORDER, ["operational", *causes])
        if component["status"] != expected:
            found.append(f"component {code} is {component['status']}, its incidents and maintenance make it {expected}")
    for group in (c for c in components if c["group"]):
        expected = worst(COMPONENT_ORDER, [leaves[m]["status"] for m in group["components"]])
        if group["status"] != expected:
            found.append(f"group {group['id']} is {group['status']}, its members make it {expected}")

    # The page indicator: the worst of the components and of the impairing incidents.
    expected_indicator = worst(
        INDICATOR_ORDER,
        ["none", *(INDICATOR_OF[c["status"]] for c in leaves.values()), *(i["impact"] for i in unresolved)],
    )
    if status["indicator"] != expected_indicator:
        found.append(f"indicator {status['indicator']}, the components and incidents make it {expected_indicator}")
    if status["description"] != DESCRIPTION[status["indicator"]]:
        found.append(f"description {status['description']!r} for indicator {status['indicator']}")
    if summary["status"] != status:
        found.append("summary.json's status is not status.json's")

    # Maintenance.
    if any(m["status"] != "scheduled" for m in upcoming) or any(m["status"] not in ("in_progress", "verifying") for m in active):
        found.append("upcoming.json or active.json lists a maintenance in another status")
    if {m["id"] for m in [*upcoming, *active]} != {m["id"] for m in maintenances if m["status"] != "completed"}:
        found.append("upcoming.json and active.json do not cover the maintenance not completed")
    if {m["id"] for m in summary["scheduled_maintenances"]} != {m["id"] for m in [*upcoming, *active]}:
        found.append("summary.json's scheduled_maintenances are not the upcoming and active ones")
    for m in maintenances:
        if not m["incident_updates"] or m["incident_updates"][0]["status"] != m["status"]:
            found.append(f"{m['id']}: status {m['status']} does not match its newest update")
        if parse_time(m["scheduled_until"]) <= parse_time(m["scheduled_for"]):
            found.append(f"{m['id']}: window ends before it starts")
    return found


# --- the trackers --------------------------------------------------------------------


def _lifecycle_tracker(root: Path) -> Path:
    """Incidents in every situation the issue names: recover with no update, a resolved update while active, reopened, on internal services."""
    make_tracker(root)
    recovering = declare(root, "Sign-in failing", "auth", "SEV1", t(0))
    update(root, recovering, "investigating", "Sign-in fails.", t(5))
    move(root, recovering, "recover", t(30))
    early = declare(root, "Search slow", "search", "SEV2", t(1))
    update(root, early, "resolved", "Fixed, we think.", t(10))
    reopened = declare(root, "Checkout errors", "checkout-api", "SEV3", t(2))
    move(root, reopened, "recover", t(20))
    move(root, reopened, "investigate", t(25))
    closed = declare(root, "Web shop down", "web-shop", "SEV1", t(3))
    move(root, closed, "close", t(40))
    declare(root, "Orders database", "orders-db", "SEV2", t(4), "internal")
    cli(
        root,
        "maintenance",
        "schedule",
        "--title",
        "Upgrade",
        "--service",
        "payments-gateway",
        "--from",
        t(60),
        "--until",
        t(90),
        "--public",
        "Soon.",
        "--at",
        t(6),
    )
    cli(
        root,
        "maintenance",
        "schedule",
        "--title",
        "Now",
        "--service",
        "search",
        "--from",
        t(6),
        "--until",
        t(600),
        "--public",
        "Planned.",
        "--at",
        t(6),
    )
    cli(root, "maintenance", "update", "MNT-0002", "--status", "in_progress", "Under way.", "--at", t(7))
    cli(
        root,
        "maintenance",
        "schedule",
        "--title",
        "Done",
        "--service",
        "auth",
        "--from",
        t(8),
        "--until",
        t(9),
        "--public",
        "Planned.",
        "--at",
        t(6),
    )
    cli(root, "maintenance", "update", "MNT-0003", "--status", "completed", "Done.", "--at", t(9))
    return root


def _trackers(tmp: Path) -> Iterator[tuple[str, Path]]:
    yield "this repository", REPO_ROOT
    yield "site sample", sample_tracker(tmp / "sample", mkdocs=False).root
    yield "lifecycle", _lifecycle_tracker(tmp / "lifecycle")
    for seed in (1, 2, 3):
        yield f"synthetic {seed}", synth.generate(tmp / f"synth-{seed}", 80, events=8, seed=seed, commit=False)


@pytest.fixture(scope="module")
def trackers(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Path]]:
    return list(_trackers(tmp_path_factory.mktemp("invariants")))


@pytest.mark.parametrize("edition", [INTERNAL, PUBLIC])
def test_the_status_api_never_contradicts_itself(trackers: list[tuple[str, Path]], edition: str) -> None:
    problems = []
    for name, root in trackers:
        for now in (None, datetime(2026, 12, 1, tzinfo=timezone.utc) - timedelta(days=400)):
            problems += [f"{name} ({edition}, now={now}): {p}" for p in contradictions(api_documents(root, edition, now))]
    assert not problems, "\n".join(problems[:40])


def test_the_situations_of_the_issue(tmp_path: Path) -> None:
    docs = api_documents(_lifecycle_tracker(tmp_path / "t"), PUBLIC)
    incidents = {i["id"]: i for i in docs["api/v2/incidents.json"]["incidents"]}
    components = {c["id"]: c["status"] for c in docs["api/v2/components.json"]["components"]}
    # In recover with no update saying so: service restored, monitoring, no impact now, nothing left impaired.
    recovering = incidents["INC-0001"]
    assert (recovering["status"], recovering["impact"], components["auth"]) == ("monitoring", "none", "operational")
    assert recovering["incident_updates"][0]["affected_components"][0]["new_status"] == "operational"
    # A resolved update while still active reads as monitoring and still impairs.
    assert incidents["INC-0002"]["status"] == "monitoring" and components["search"] == "partial_outage"
    # Reopened: impairing again.
    assert incidents["INC-0003"]["status"] == "investigating" and components["checkout-api"] == "degraded_performance"
    # Closed without a resolved update: resolved, with an update saying so at the close.
    closed = incidents["INC-0004"]
    assert closed["status"] == "resolved" and closed["resolved_at"] == t(40) and closed["incident_updates"][0]["body"]
    assert "INC-0005" not in incidents, "an internal incident is not on the public page"
    assert docs["api/v2/status.json"]["status"]["indicator"] == "major"  # INC-0002; the SEV1s are restored or closed
    active = docs["api/v2/scheduled-maintenances/active.json"]["scheduled_maintenances"]
    assert [m["id"] for m in active] == ["MNT-0002"]
    assert components["payments-gateway"] == "operational"  # scheduled, not started
    # search is under maintenance and impaired: the worse wins.
    assert components["search"] == "partial_outage"


def test_the_checker_finds_contradictions(trackers: list[tuple[str, Path]]) -> None:
    docs = api_documents(dict(trackers)["lifecycle"], PUBLIC)
    docs["api/v2/status.json"]["status"]["indicator"] = "major"
    incident = docs["api/v2/incidents.json"]["incidents"][0]
    incident["incident_updates"] = []
    component = next(c for c in docs["api/v2/components.json"]["components"] if c["id"] == "auth")
    component["status"] = "major_outage"
    found = contradictions(docs)
    assert any("no update" in p for p in found) and any("indicator" in p for p in found) and any("component auth" in p for p in found), (
        found
    )
