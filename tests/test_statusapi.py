"""The Statuspage v2-compatible JSON, checked the way a status-page client reads it.

Records are made with the CLI in a tracker folder in tmp_path; stage moves
past the gates are hand edits (a stage event plus the ``stage:`` line), as a
reviewer-approved pull request would make them.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import site_fixtures
from conftest import make_tracker
from gitutil import t
from mimctl.model import parse_time
from mimctl.site.data import INTERNAL, PUBLIC, SiteData, collect
from mimctl.site.statusapi import component_statuses, overall, status_api
from mimctl.store import Tracker
from site_fixtures import move, update

NOW = datetime(2025, 3, 11, 12, 0, tzinfo=timezone.utc)
BASE = "https://status.example.com/"
ENDPOINTS = [
    "api/v2/status.json",
    "api/v2/summary.json",
    "api/v2/components.json",
    "api/v2/incidents.json",
    "api/v2/incidents/unresolved.json",
    "api/v2/scheduled-maintenances.json",
    "api/v2/scheduled-maintenances/upcoming.json",
    "api/v2/scheduled-maintenances/active.json",
]
PAGE_KEYS = {"id", "name", "url", "time_zone", "updated_at"}
COMPONENT_KEYS = {
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "position",
    "description",
    "showcase",
    "group_id",
    "page_id",
    "group",
    "only_show_if_degraded",
}
INCIDENT_KEYS = {
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "monitoring_at",
    "resolved_at",
    "impact",
    "shortlink",
    "started_at",
    "page_id",
    "incident_updates",
    "components",
}
UPDATE_KEYS = {"id", "status", "body", "incident_id", "created_at", "updated_at", "display_at", "affected_components"}
COMPONENT_STATUSES = {"operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"}
INDICATORS = {"none", "minor", "major", "critical", "maintenance"}
INCIDENT_STATUSES = {"investigating", "identified", "monitoring", "resolved", "postmortem"}
SECRET = "Internal only: the root password was rotated"


def declare(root: Path, service: str, severity: str, at: str, visibility: str = "public", title: str = "Outage") -> str:
    """Declare an incident with the CLI; its id."""
    return site_fixtures.declare(root, title, service, severity, at, visibility)


def build(root: Path, edition: str) -> SiteData:
    site = collect(Tracker(root), edition, now=NOW)
    assert not site.skipped, f"invalid records left out: {site.skipped}"
    return site


def api(site: SiteData) -> dict[str, Any]:
    return {path: json.loads(text) for path, text in status_api(site, BASE).items()}


@pytest.fixture(scope="module")
def tracker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four incidents: an active SEV1, two over (two ways), an active private one on internal services."""
    root = make_tracker(tmp_path_factory.mktemp("status") / "tracker")
    sev1 = declare(root, "checkout-api", "SEV1", t(0), title="Card payments failing")
    update(root, sev1, "investigating", "Card payments fail. We are investigating.", t(5))
    update(root, sev1, "identified", SECRET, t(9), public=False)
    over = declare(root, "auth", "SEV3", t(1))
    update(root, over, "monitoring", "Sign-in works again; we are watching it.", t(20))
    update(root, over, "resolved", "Sign-in is fixed.", t(40))
    move(root, over, "recover", t(41))
    closed = declare(root, "search", "SEV2", t(2))
    update(root, closed, "monitoring", "Search works again.", t(30))
    move(root, closed, "review", t(50))
    private = declare(root, "orders-db", "SEV2", t(3), visibility="internal")
    assert private == "INC-0004"
    return root


def test_active_sev1_is_a_major_outage_of_its_service_only(tracker: Path) -> None:
    for edition in (PUBLIC, INTERNAL):
        site = build(tracker, edition)
        statuses = component_statuses(site)
        assert statuses["checkout-api"] == "major_outage"
        assert {s for k, s in statuses.items() if k not in ("checkout-api", "orders-db")} == {"operational"}
        assert overall(site) == ("critical", "Major Service Outage")
        assert api(site)["api/v2/status.json"]["status"] == {"indicator": "critical", "description": "Major Service Outage"}


def test_incidents_that_are_over_do_not_count(tracker: Path) -> None:
    documents = api(build(tracker, PUBLIC))
    incidents = {i["id"]: i for i in documents["api/v2/incidents.json"]["incidents"]}
    # Over by a resolved update once out of the active stages; over by passing the close stage.
    assert incidents["INC-0002"]["status"] == "resolved"
    assert incidents["INC-0002"]["resolved_at"] == t(40)
    assert incidents["INC-0003"]["status"] == "resolved"
    assert incidents["INC-0003"]["monitoring_at"] == t(30)
    assert incidents["INC-0001"]["status"] == "investigating"
    assert incidents["INC-0001"]["resolved_at"] is None
    unresolved = [i["id"] for i in documents["api/v2/incidents/unresolved.json"]["incidents"]]
    assert unresolved == ["INC-0001"]
    assert [i["id"] for i in documents["api/v2/summary.json"]["incidents"]] == unresolved
    components = {c["id"]: c["status"] for c in documents["api/v2/components.json"]["components"]}
    assert components["auth"] == components["search"] == "operational"


def test_public_edition_leaves_out_internal_updates_and_private_incidents(tracker: Path) -> None:
    public, internal = build(tracker, PUBLIC), build(tracker, INTERNAL)
    texts = status_api(public, BASE)
    assert all(SECRET not in text for text in texts.values())
    documents = {path: json.loads(text) for path, text in texts.items()}
    assert [i["id"] for i in documents["api/v2/incidents.json"]["incidents"]] == ["INC-0003", "INC-0002", "INC-0001"]
    shown = {c["id"] for c in documents["api/v2/components.json"]["components"] if not c["group"]}
    assert shown == {s.id for s in public.catalog.services.values() if s.public}
    assert "orders-db" not in component_statuses(public)
    # Internally: every service, the private incident, and the internal update decides the status.
    assert component_statuses(internal)["orders-db"] == "partial_outage"
    inside = {i["id"]: i for i in api(internal)["api/v2/incidents.json"]["incidents"]}
    assert set(inside) == {"INC-0001", "INC-0002", "INC-0003", "INC-0004"}
    assert inside["INC-0001"]["status"] == "identified"
    assert inside["INC-0001"]["incident_updates"][0]["body"] == SECRET


@pytest.mark.parametrize("edition", [PUBLIC, INTERNAL])
def test_field_names_and_values_match_statuspage(tracker: Path, edition: str) -> None:
    documents = api(build(tracker, edition))
    assert sorted(documents) == sorted(ENDPOINTS)
    assert set(documents["api/v2/status.json"]) == {"page", "status"}
    assert set(documents["api/v2/summary.json"]) == {"page", "components", "incidents", "scheduled_maintenances", "status"}
    assert set(documents["api/v2/components.json"]) == {"page", "components"}
    assert set(documents["api/v2/incidents.json"]) == {"page", "incidents"}
    assert documents["api/v2/summary.json"]["scheduled_maintenances"] == []
    for document in documents.values():
        page = document["page"]
        assert set(page) == PAGE_KEYS and page["url"] == BASE
        parse_time(page["updated_at"])
        status = document.get("status")
        assert status is None or (status["indicator"] in INDICATORS and set(status) == {"indicator", "description"})
    components = documents["api/v2/summary.json"]["components"]
    ids = {c["id"] for c in components}
    for component in components:
        assert set(component) >= COMPONENT_KEYS, component
        assert component["status"] in COMPONENT_STATUSES
        assert component["page_id"] == documents["api/v2/status.json"]["page"]["id"]
        assert component["group_id"] is None or component["group_id"] in ids
        assert isinstance(component["position"], int) and isinstance(component["showcase"], bool)
        if component["group"]:
            assert component["components"] and set(component["components"]) <= ids
    for incident in documents["api/v2/incidents.json"]["incidents"]:
        assert set(incident) >= INCIDENT_KEYS, incident
        assert incident["status"] in INCIDENT_STATUSES and incident["impact"] in INDICATORS
        assert incident["shortlink"] == f"{BASE}incidents/{incident['id']}.html"
        assert {c["id"] for c in incident["components"]} <= ids
        times = [u["created_at"] for u in incident["incident_updates"]]
        assert times == sorted(times, reverse=True), "updates must be newest first"
        for item in incident["incident_updates"]:
            assert set(item) == UPDATE_KEYS and item["incident_id"] == incident["id"]
            assert item["status"] in INCIDENT_STATUSES - {"postmortem"}
            for change in item["affected_components"]:
                assert {change["old_status"], change["new_status"]} <= COMPONENT_STATUSES


@pytest.mark.parametrize(
    ("severity", "indicator", "description", "status"),
    [
        ("SEV1", "critical", "Major Service Outage", "major_outage"),
        ("SEV2", "major", "Partial System Outage", "partial_outage"),
        ("SEV3", "minor", "Minor Service Outage", "degraded_performance"),
    ],
)
def test_severity_sets_indicator_and_component_status(tmp_path: Path, severity: str, indicator: str, description: str, status: str) -> None:
    root = make_tracker(tmp_path / "tracker")
    declare(root, "search", severity, t(0))
    site = build(root, PUBLIC)
    assert overall(site) == (indicator, description)
    assert component_statuses(site)["search"] == status
    group = next(c for c in api(site)["api/v2/components.json"]["components"] if c["group"] and "search" in c["components"])
    assert group["status"] == status


def test_worst_active_incident_wins(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "tracker")
    declare(root, "checkout-api", "SEV3", t(0))
    declare(root, "checkout-api", "SEV1", t(1))
    site = build(root, PUBLIC)
    assert component_statuses(site)["checkout-api"] == "major_outage"
    assert overall(site)[0] == "critical"


def test_no_incidents_all_operational(tmp_path: Path) -> None:
    site = build(make_tracker(tmp_path / "tracker"), PUBLIC)
    documents = api(site)
    assert documents["api/v2/status.json"]["status"] == {"indicator": "none", "description": "All Systems Operational"}
    assert {c["status"] for c in documents["api/v2/components.json"]["components"]} == {"operational"}
    assert documents["api/v2/incidents.json"]["incidents"] == []


def test_a_resolved_update_does_not_end_an_active_incident(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "tracker")
    incident_id = declare(root, "search", "SEV2", t(0))
    update(root, incident_id, "resolved", "Fixed, we think.", t(5))
    site = build(root, PUBLIC)
    incident = api(site)["api/v2/incidents.json"]["incidents"][0]
    assert incident["status"] == "monitoring"
    assert component_statuses(site)["search"] == "partial_outage"


def test_record_text_is_plain_json_text(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "tracker")
    incident_id = declare(root, "search", "SEV2", t(0))
    text = 'Search </script><script>alert("x")</script> & ]]> fails'
    update(root, incident_id, "investigating", text, t(5))
    raw = status_api(build(root, PUBLIC), BASE)["api/v2/incidents.json"]
    assert "<script>" not in raw and "</script>" not in raw
    assert json.loads(raw)["incidents"][0]["incident_updates"][0]["body"] == text
