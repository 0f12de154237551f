"""Service impact: every dependent of a service, with owner, tier and the path; cycles are safe and reported."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gitutil import REPO_ROOT, make_tracker, ok, ok_json, run
from mimctl.impact import dependents
from mimctl.model import Catalog, Service

CYCLE_CATALOG = REPO_ROOT / "tests" / "corpus" / "invalid" / "catalog-cycle-and-unknown-owner" / "catalog.yaml"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_tracker(tmp_path / "repo")


def test_impact_lists_transitive_dependents_with_owner_tier_and_path(repo: Path) -> None:
    data = ok_json(["impact", "message-queue"], repo)
    assert data["service"] == "message-queue"
    found = {d["id"]: d for d in data["dependents"]}
    assert set(found) == {"payments-gateway", "search-index", "checkout-api", "search", "web-shop", "mobile-app-api"}
    assert found["payments-gateway"]["path"] == ["payments-gateway", "message-queue"] and found["payments-gateway"]["depth"] == 1
    assert found["checkout-api"]["path"] == ["checkout-api", "payments-gateway", "message-queue"]
    assert found["web-shop"]["depth"] == 3
    index = found["search-index"]
    assert (index["owner"], index["owner_name"], index["tier"]) == ("data", "Data Platform", 3)
    assert found["search"]["contact"] == "#storefront-oncall"
    depths = [d["depth"] for d in data["dependents"]]
    assert depths == sorted(depths), "nearest first"


def test_impact_agrees_with_the_catalog_model(repo: Path) -> None:
    from mimctl.store import Tracker

    catalog = Tracker(repo).catalog
    for service in catalog.services:
        assert sorted(d.id for d in dependents(catalog, service)) == catalog.dependents(service)


def test_impact_text_output(repo: Path) -> None:
    out = ok(["impact", "orders-db"], repo).stdout
    assert "owner Payments (#payments-oncall)" in out and "via checkout-api -> orders-db" in out
    assert "reporting  tier 3  owner Data Platform" in out


def test_impact_of_a_service_nothing_depends_on(repo: Path) -> None:
    assert ok_json(["impact", "web-shop"], repo)["dependents"] == []


def test_impact_of_an_unknown_service_is_a_clear_error(repo: Path) -> None:
    result = run(["impact", "nope"], repo)
    assert result.exit_code == 1 and not result.crashed and "service 'nope' is not in the service catalog" in result.stderr, result


def test_impact_terminates_on_a_dependency_cycle() -> None:
    def service(sid: str, *deps: str) -> Service:
        return Service(sid, sid, "team", 1, deps, False)

    catalog = Catalog({s.id: s for s in (service("a", "b"), service("b", "c"), service("c", "a"), service("d", "a"))}, {})
    found = {d.id: d.path for d in dependents(catalog, "a")}
    assert found == {"c": ("c", "a"), "b": ("b", "c", "a"), "d": ("d", "a")}


def test_validate_reports_a_catalog_cycle_with_path_and_line(repo: Path) -> None:
    shutil.copyfile(CYCLE_CATALOG, repo / "catalog.yaml")
    result = run(["validate"], repo)
    assert result.exit_code == 1 and not result.crashed, result
    assert "catalog.yaml:54:" in result.output, result
    assert "dependency cycle: payments-gateway -> message-queue -> payments-gateway" in result.output, result
