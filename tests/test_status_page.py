"""The status home's content as generated: what is broken first, names not ids, history bars, next update, workaround."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

from conftest import make_tracker
from gitutil import t
from mimctl.model import parse_time
from mimctl.site.data import INTERNAL, PUBLIC, collect
from mimctl.site.status_page import home_page
from mimctl.store import Tracker
from site_fixtures import cli, declare, move, update, write_known_error

NOW = parse_time(t(90))


def _home(root: Path, edition: str, now: datetime = NOW) -> str:
    return home_page(collect(Tracker(root), edition, now=now))


def test_next_update_by_follows_the_communication_cadence(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "tracker")
    incident = declare(root, "Card payments failing", "checkout-api", "SEV1", t(0))  # P1: public every 60, internal every 30 minutes
    update(root, incident, "investigating", "We are looking into it.", t(10), public=True)
    update(root, incident, "identified", "Internal detail.", t(20), public=False)
    assert re.search(rf'Next update by <time datetime="{t(70)}">', _home(root, PUBLIC)), "60 minutes after the last public update"
    assert re.search(rf'Next update by <time datetime="{t(50)}">', _home(root, INTERNAL)), "the soonest audience internally"
    move(root, incident, "recover", t(80))
    assert "Next update by" not in _home(root, PUBLIC), "no promise once service is restored"


def test_what_is_affected_comes_first_by_name_with_the_workaround(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "tracker")
    incident = declare(root, "Card payments failing", "checkout-api", "SEV2", t(0))
    write_known_error(
        root, "KE-0001", "Card payments time out after a gateway deploy", ["HTTP 502"], ["checkout-api"], ["Retry"], visibility="public"
    )
    cli(root, "set", incident, "known_errors", '["KE-0001"]', "--json", "--at", t(1))
    page = _home(root, PUBLIC)
    order = [
        page.index(marker)
        for marker in ('class="mim-overall', 'id="affected-now"', 'id="current-incidents"', 'id="components"', "## Past incidents")
    ]
    assert order == sorted(order), order
    affected = page.split('id="affected-now"', 1)[1].split("</ul>", 1)[0]
    assert "<span>Checkout API</span>" in affected and "checkout-api" not in affected and "Partial outage" in affected
    assert 'href="kedb/KE-0001.html#workaround"' in page and "Card payments time out after a gateway deploy" in page
    assert "orders-db" not in page and "Orders database" not in page, "non-public services are not on the public page"


def test_history_bars_show_each_day_and_groups_follow_the_catalog(tmp_path: Path) -> None:
    root = make_tracker(tmp_path / "tracker")
    incident = declare(root, "Search down", "search", "SEV1", t(0))
    move(root, incident, "recover", t(60 * 30))  # thirty hours: two days red
    now = parse_time(t(0)) + timedelta(days=10)
    page = _home(root, PUBLIC, now)
    groups = re.findall(r'<section class="mim-group"><h3>([^<]+)</h3>', page)
    assert groups == ["Customer", "Payments"], groups
    search = page.split("<span>Product search</span>", 1)[1].split("</li>", 1)[0]
    cells = re.findall(r"<i( class=\"[^\"]+\" title=\"[^\"]+\")?></i>", search)
    assert len(cells) == 90
    red = re.findall(r'<i class="mim-major_outage" title="([^"]+)"', search)
    assert len(red) == 2 and all("INC-0001" in tip for tip in red), red
    assert red[0].startswith(parse_time(t(0)).date().isoformat())
    assert "98.61 % uptime" in search  # down 30 of 2,160 hours
