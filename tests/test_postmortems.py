"""Public postmortems recorded as a new user would, from their published timelines, following docs/past-incidents.md.

Each incident below is recorded with the CLI only (a tracker made by
``mimctl init``, its catalog given the services named), with the facts its
source publishes and nothing else: a time the source does not give is
``unknown``, "around" is ``~``, a figure derived from a published start and
a published duration says so. Live-only gate items the sources cannot hold
(a bridge, a named manager, a confirmation from users) are exempt with a
reason. Then:

- ``stats --by incident`` reproduces each published duration to the minute,
  or marks it approximate where the source is, and leaves out what needs an
  unknown time;
- each incident goes as far through the lifecycle as its facts allow (to
  ``complete``, or stopped at the gate item its source cannot meet);
- ``mimctl check`` passes the branch that records them all, nothing is
  notified, and the site marks them as recorded after the fact.

The sources (published figures quoted in each scenario):

- Fastly, "Summary of June 8 outage" (2021-06-08)
- GitHub, "GitHub Availability Report: October 2022" (the 2022-10-13 Projects API incident)
- GitHub, "GitHub Availability Report: March 2023" (the 2023-02-28 Codespaces incident)
- Cloudflare, "Details of the Cloudflare outage on July 2, 2019"
- GitHub, "GitHub Availability Report: October 2024" (the 2024-10-11 DNS incident)
- Cloudflare, its account of the 18 November 2025 outage
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gitutil import git, init_tracker, ok, ok_json, run
from mimctl.site.data import INTERNAL, PUBLIC, collect
from mimctl.site.incident_pages import incident_pages
from mimctl.site.statusapi import status_api
from mimctl.store import Tracker

MINUTE = 60

SERVICES = """
  - id: edge-cloud
    name: Edge cloud
    owner: platform
    tier: 1
    public: true
  - id: issues
    name: Issues and Projects
    owner: platform
    tier: 1
    public: true
  - id: codespaces
    name: Codespaces
    owner: platform
    tier: 2
    public: true
  - id: edge-proxy
    name: Edge proxy
    owner: platform
    tier: 1
    public: true
  - id: dns
    name: DNS
    owner: platform
    tier: 1
  - id: bot-management
    name: Bot management
    owner: platform
    tier: 1
    public: true
"""
RETROSPECTIVE = "--source monitoring --visibility public --retrospective 'Recorded from the published postmortem'"
LIVE_ONLY_REASON = "Recorded from a published postmortem, which does not say"
# The record's end: closure (when it was closed is not published), no problem record, no review of ours.
CLOSE = [
    "close {id} --summary '{summary}' --no-problem \"The provider's problem record is not public\" --at unknown",
    "pir schedule {id} --not-required 'The published postmortem is the review' --at unknown",
]
LIVE_ONLY = ["validated", "manager_assigned", "mirt_notified", "bridge_recorded", "resolution_confirmed"]
AFTER_RESOLVE = ["dependents_validated", "recovery_communicated"]


@dataclass
class Postmortem:
    """One published incident: the commands that record it (as typed), and the figures its source publishes."""

    name: str
    source: str
    declare: str  # `mimctl new` without the options every retrospective record takes (RETROSPECTIVE, --source-url)
    steps: list[str]  # {id}: the incident; {C1}, {C2}: its containment actions, in the order recorded
    exempt: list[str]
    # duration id -> (published seconds, approximate?); None: the source gives no time to measure it from
    figures: dict[str, tuple[int, bool] | None]
    ends_in: str = "complete"
    missing: list[str] = field(default_factory=list)  # the gate items that stop it, when it does not end in complete
    incident_id: str = ""


def _close(summary: str) -> list[str]:
    return [step.replace("{summary}", summary) for step in CLOSE]


POSTMORTEMS = [
    Postmortem(
        "fastly-2021-06-08",
        "https://www.fastly.com/blog/summary-of-june-8-outage",
        "new --title 'Sites on the edge cloud return errors' --service edge-cloud --severity SEV1 --impact high --urgency high"
        " --summary 'A valid customer configuration change triggered a software bug: 85% of the network returned errors.'"
        " --segment 'Sites served by the edge cloud' --major-reason '85% of the network returned errors'"
        # "09:47 Initial onset of global disruption" / "09:48 Global disruption identified by Fastly monitoring"
        " --started 2021-06-08T09:47Z --detected 2021-06-08T09:48Z --at 2021-06-08",
        [
            "update {id} --public --status investigating 'Status post published.' --at 2021-06-08T09:58Z",
            # "10:27 Fastly Engineering identified the customer configuration"
            "cause {id} --confirmed 'A software bug deployed on May 12, triggered by a valid customer configuration change'"
            " --change 'Software deployment begun on May 12' --at 2021-06-08T10:27Z",
            # "...identified and isolated the cause, and disabled the configuration" (no time given for it)
            "containment add {id} --action 'Disabled the customer configuration that triggered the bug'"
            " --rollback 'Enable the configuration again' --at unknown",
            # "10:36 Impacted services began to recover"; "Within 49 minutes, 95% of our network was operating as normal"
            "containment set {id} {C1} effective --text 'Impacted services began to recover' --at 2021-06-08T10:36Z",
            "note {id} 'Majority of services recovered' --at 2021-06-08T11:00Z",
            # "12:35 Incident mitigated" (their word: service fully back for users) / "12:44 Status post resolved"
            "resolution {id} --service-restored --stable --at 2021-06-08T12:35Z",
            "update {id} --public --status resolved 'Status post resolved.' --at 2021-06-08T12:44Z",
            "plan {id} 'Create a permanent fix for the bug and deploy it across the network' --at unknown",
            # "17:25 Bug fix deployment began"
            "resolution {id} --implemented 'Bug fix deployment (per the postmortem)' --at 2021-06-08T17:25Z",
            # the fix replaced the disabled configuration; when it took over is not published
            "containment set {id} {C1} superseded --text 'The permanent fix was deployed' --at unknown",
            *_close("A latent bug, triggered by a customer configuration, took 85% of the network down; fixed the same day."),
        ],
        [*LIVE_ONLY, *AFTER_RESOLVE],
        {
            "time_to_detect": (1 * MINUTE, False),  # "We detected the disruption within one minute"
            "time_to_mitigate": (48 * MINUTE, False),  # 09:48 -> 10:36 (49 minutes from the onset at 09:47)
            "time_to_resolve": ((2 * 60 + 47) * MINUTE, False),  # 09:48 -> 12:35
            "impact_duration": ((2 * 60 + 48) * MINUTE, False),  # 09:47 -> 12:35
            "time_to_acknowledge": None,
        },
    ),
    Postmortem(
        "github-2022-10-13",
        "https://github.blog/2022-11-02-github-availability-report-october-2022/",
        "new --title 'Projects API returns errors' --service issues --severity SEV2 --impact high --urgency medium"
        " --summary 'An increase in the Projects API error response rate.' --segment 'Users of Issues and Projects'"
        " --major-reason 'Significant customer impact: Issues went to status red'"
        # "On October 13, 2022 at 20:43 UTC, our alerting systems detected..."
        " --detected 2022-10-13T20:43Z --at 2022-10-13",
        [
            # "status red for Issues at 20:47 UTC"
            "update {id} --public --status investigating 'Issues: status red.' --at 2022-10-13T20:47Z",
            # "Within 10 minutes of the alert, we traced the cause to a recently-deployed change."
            "cause {id} --confirmed 'A recently deployed change required a value it did not default in every scenario'"
            " --change 'The recently deployed change (per the report)' --at unknown",
            # "We initiated a roll back of the change at 21:08 UTC." / "At 21:13 UTC, we began to see a steady decrease..."
            "containment add {id} --action 'Rolled back the recently deployed change' --rollback 'Deploy the change again'"
            " --at 2022-10-13T21:08Z",
            "containment set {id} {C1} effective --text 'Error responses decreased steadily to normal levels' --at 2022-10-13T21:13Z",
            "update {id} --public --status monitoring 'Issues: status yellow.' --at 2022-10-13T21:24Z",
            # "changed the status of Issues to green at 21:31 UTC once all metrics were healthy" ("lasting 48 minutes")
            "resolution {id} --service-restored --stable --at 2022-10-13T21:31Z",
            "update {id} --public --status resolved 'Issues: status green.' --at 2022-10-13T21:31Z",
            "plan {id} 'Keep the change rolled back; protect against missing values' --at unknown",
            # "we have added mitigations to protect against missing values in the future"
            "resolution {id} --implemented 'Mitigations against missing values (per the report)' --at unknown",
            "containment set {id} {C1} superseded --text 'Mitigations against missing values added' --at unknown",
            *_close("A deployed change left a required value unset; rolled back in 30 minutes."),
        ],
        [*LIVE_ONLY, *AFTER_RESOLVE],
        {
            "time_to_mitigate": (30 * MINUTE, False),  # 20:43 -> 21:13
            "time_to_resolve": (48 * MINUTE, False),  # "lasting 48 minutes": 20:43 -> 21:31
            "time_to_detect": None,  # no impact start is published
            "impact_duration": None,
        },
    ),
    Postmortem(
        "github-2023-02-28",
        "https://github.blog/2023-04-05-github-availability-report-march-2023/",
        "new --title 'Creating and starting codespaces fails in East US' --service codespaces --severity SEV2 --impact medium"
        " --urgency high --summary 'A higher than normal failure rate for creating and starting codespaces in the East US region.'"
        " --segment 'Codespaces users in East US' --major-reason 'Codespaces could not be created or started in a region'"
        # "On February 28 at 15:42 UTC, our monitors detected ..., caused by slower than normal VM allocation time"
        " --detected 2023-02-28T15:42Z --at 2023-02-28",
        [
            "cause {id} --confirmed 'Slower than normal VM allocation time from the cloud provider' --at unknown",
            # "we redirected codespace creations to a secondary region" (no time given, for it or for its effect)
            "containment add {id} --action 'Redirected codespace creations to a secondary region'"
            " --rollback 'Create codespaces in East US again' --at unknown",
            "containment set {id} {C1} effective --text 'Reduced the impact to customers' --at unknown",
            # "(lasting 1 hour and 26 minutes)": 15:42 + 1:26 = 17:08, derived from the two published figures
            "resolution {id} --service-restored --stable --at 2023-02-28T17:08Z",
            "plan {id} 'Redirect creations to a secondary region while VM allocation is slow' --at unknown",
        ],
        [*LIVE_ONLY, "stakeholder_update"],
        {
            "time_to_resolve": ((60 + 26) * MINUTE, False),  # "lasting 1 hour and 26 minutes"
            "time_to_mitigate": None,  # the redirect's effect has no published time: unknown, never guessed
        },
        ends_in="resolve",
        missing=["fix_implemented"],  # the report does not say what ended it: nothing to record as the fix
    ),
    Postmortem(
        "cloudflare-2019-07-02",
        "https://blog.cloudflare.com/details-of-the-cloudflare-outage-on-july-2-2019/",
        "new --title 'Requests through the edge return 502 errors' --service edge-proxy --severity SEV1 --impact high --urgency high"
        " --summary 'A new WAF managed rule with a regular expression that backtracked excessively exhausted CPU on the edge.'"
        " --segment 'Every site proxied through the edge' --major-reason 'HTTP and HTTPS traffic through the network failed worldwide'"
        " --started 2019-07-02T13:42Z --detected unknown --at 2019-07-02",
        [
            "cause {id} --confirmed 'A WAF managed rule whose regular expression backtracked excessively, deployed globally'"
            " --change 'WAF managed rules update of 13:42 UTC' --at unknown",
            # A global terminate of the WAF at 14:07; by 14:09 traffic and CPU were back to expected levels
            "containment add {id} --action 'Global kill of the WAF managed rules' --rollback 'Re-enable the WAF' --at 2019-07-02T14:07Z",
            "containment set {id} {C1} effective --text 'Traffic and CPU back to expected levels' --at 2019-07-02T14:09Z",
            "resolution {id} --service-restored --stable --at 2019-07-02T14:09Z",
            "plan {id} 'Remove the offending rule, then re-enable the WAF' --at unknown",
            "resolution {id} --implemented 'Offending rule removed (per the postmortem)' --at unknown",
            "containment set {id} {C1} rolled-back --text 'The WAF was re-enabled' --at unknown",
            *_close("A WAF rule exhausted CPU on the edge for 27 minutes; the WAF was turned off, fixed and turned on again."),
        ],
        [*LIVE_ONLY, "stakeholder_update", *AFTER_RESOLVE, "closure_communicated"],
        {
            "impact_duration": (27 * MINUTE, False),  # "27 minutes", 13:42 -> 14:09
            "time_to_mitigate": None,  # no detection time is published
            "time_to_resolve": None,
        },
    ),
    Postmortem(
        "github-2024-10-11",
        "https://github.blog/news-insights/company-news/github-availability-report-october-2024/",
        "new --title 'DNS in one site fails to resolve lookups' --service dns --severity SEV1 --impact high --urgency high"
        " --summary 'After a database migration, DNS in one site failed: code search, Copilot completions and Actions were affected.'"
        " --segment 'Users of code search, Copilot and Actions' --major-reason 'Code search failed for about four hours'"
        # "the first customer impact started around 17:31 UTC"
        " --started '~2024-10-11T17:31Z' --detected unknown --at 2024-10-11",
        [
            # "starting at 05:59 UTC, the DNS infrastructure in one of our sites started failing" (before customer impact)
            "note {id} 'The DNS infrastructure in one site started failing to resolve lookups after a database migration'"
            " --at 2024-10-11T05:59Z",
            "cause {id} --confirmed 'A database migration; attempts to recover the database cascaded into the DNS systems' --at unknown",
            # "Starting at 18:05 UTC, we attempted ... repointing the degraded DNS site to a different site but were unsuccessful"
            "containment add {id} --action 'Repointed the degraded DNS site to a different site' --rollback 'Point it back'"
            " --at 2024-10-11T18:05Z",
            "containment set {id} {C1} ineffective --text 'Broke connectivity from healthy sites to it' --at unknown",
            # "At 20:52 UTC, the team finalized a remediation plan"
            "plan {id} 'Deploy temporary DNS resolution capabilities to the degraded site' --at 2024-10-11T20:52Z",
            "containment add {id} --action 'Deployed temporary DNS resolution capabilities to the degraded site'"
            " --rollback 'Remove the temporary DNS resolution' --at unknown",
            # "At 21:46 UTC, DNS resolution in the degraded site began to recover and was fully healthy at 22:16 UTC."
            "containment set {id} {C2} effective --text 'DNS resolution began to recover' --at 2024-10-11T21:46Z",
            "resolution {id} --service-restored --stable --at 2024-10-11T22:16Z",
            # "Lingering issues with code search were resolved at 01:11 UTC on October 12."
            "recovery {id} --restored --summary 'Lingering issues with code search resolved' --at 2024-10-12T01:11Z",
            "resolution {id} --implemented 'Original functionality restored within the site (per the report)' --at unknown",
            "containment set {id} {C2} superseded --text 'The original functionality of the site was restored' --at unknown",
            *_close("DNS in one site failed after a database migration; temporary DNS resolution restored service."),
        ],
        [*LIVE_ONLY, "stakeholder_update", *AFTER_RESOLVE, "closure_communicated"],
        {
            # "the first customer impact started around 17:31 UTC" -> fully healthy 22:16: about 4h 45m
            "impact_duration": ((4 * 60 + 45) * MINUTE, True),
            # "(lasting 19 hours and 12 minutes)" counts from the first failure at 05:59, which the record keeps as a note:
            # it is neither when users were affected nor a published detection, so no milestone measures from it.
            "time_to_recover": None,
            "time_to_resolve": None,
        },
    ),
    Postmortem(
        "cloudflare-2025-11-18",
        "https://blog.cloudflare.com/18-november-2025-outage/",
        "new --title 'Requests through the network return HTTP 500 errors' --service bot-management --severity SEV1 --impact high"
        " --urgency high --summary 'A configuration file for the bot management service grew beyond its expected size and crashed"
        " the core proxy.' --segment 'Customers of the network' --major-reason 'Widespread degradation of traffic across the network'"
        " --started '~2025-11-18T11:20Z' --detected unknown --at 2025-11-18",
        [
            "cause {id} --confirmed 'A latent bug related to a configuration file of the bot management service' --at unknown",
            # "reverted to an earlier version of the bot detection module configuration that was below the limits"
            "containment add {id} --action 'Reverted to an earlier bot management configuration below the limits'"
            " --rollback 'Deploy the newer configuration again' --at unknown",
            # "The majority of the impact was resolved by 14:30 UTC"
            "containment set {id} {C1} effective --text 'The majority of the impact was resolved' --at 2025-11-18T14:30Z",
            "resolution {id} --service-restored --stable --at 2025-11-18T14:30Z",
            # "with all remaining downstream impacted services being fully operational at 17:06 UTC"
            "recovery {id} --restored --summary 'All downstream services fully operational' --at 2025-11-18T17:06Z",
            "plan {id} 'Revert the configuration; keep the core proxy from failing when limits are reached' --at unknown",
            # "We also modified the core proxy service so it would not fail in this way if limits are reached again."
            "resolution {id} --implemented 'Core proxy no longer fails at the limit (per the account)' --at unknown",
            "containment set {id} {C1} made-permanent --text 'The configuration below the limits stayed' --at unknown",
            *_close("A bot management configuration file grew past its limit and crashed the proxy; reverted."),
        ],
        [*LIVE_ONLY, "stakeholder_update", *AFTER_RESOLVE, "closure_communicated"],
        {
            "impact_duration": ((3 * 60 + 10) * MINUTE, True),  # "around 11:20" -> "by 14:30"
            "time_to_resolve": None,  # no detection time is published
        },
    ),
]


def _command(line: str, incident_id: str, ids: dict[str, str]) -> list[str]:
    """A command line as typed, split as a shell would, with the incident's and its actions' ids filled in."""
    for name, value in {"id": incident_id, **ids}.items():
        line = line.replace("{" + name + "}", value)
    return shlex.split(line)


def _record(root: Path, case: Postmortem) -> dict[str, Any]:
    """Record one postmortem as the guide says; where its stages ended, and what stopped them."""
    declare = f"{case.declare} {RETROSPECTIVE} --source-url {case.source}"
    case.incident_id = ok_json(shlex.split(declare), root)["incident"]
    ids: dict[str, str] = {}
    for step in case.steps:
        made = ok_json(_command(step, case.incident_id, ids), root)
        if "action_id" in made:
            ids[f"C{len(ids) + 1}"] = made["action_id"]
    ok(["exempt", case.incident_id, *case.exempt, "--reason", LIVE_ONLY_REASON], root)
    while True:
        moved = run(["advance", case.incident_id, "--format", "json"], root)
        if moved.exit_code != 0:
            return {"stage": ok_json(["show", case.incident_id], root)["stage"], "refused": moved.json()}
        if moved.json()["to"] == "complete":
            return {"stage": "complete", "refused": None}


@pytest.fixture(scope="module")
def tracker(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, Any]]]:
    root = init_tracker(tmp_path_factory.mktemp("postmortems") / "tracker")
    catalog = root / "catalog.yaml"
    catalog.write_text(catalog.read_text(encoding="utf-8") + SERVICES.lstrip("\n"), encoding="utf-8")
    git("add", "catalog.yaml", cwd=root)
    git("commit", "--quiet", "-m", "The services the postmortems name", cwd=root)
    git("checkout", "--quiet", "-b", "postmortems", cwd=root)
    outcomes = {case.name: _record(root, case) for case in POSTMORTEMS}
    return root, outcomes


@pytest.mark.parametrize("case", POSTMORTEMS, ids=lambda c: c.name)
def test_stats_reproduces_the_published_durations(tracker: tuple[Path, dict[str, dict[str, Any]]], case: Postmortem) -> None:
    root, _ = tracker
    rows = {row["id"]: row for row in ok_json(["stats", "--by", "incident"], root)["incidents"]}
    durations = rows[case.incident_id]["durations"]
    for name, published in case.figures.items():
        found = durations[name]
        if published is None:
            assert found["seconds"] is None, (name, found)
            continue
        seconds, approximate = published
        assert found["seconds"] is not None, (name, found)
        assert abs(found["seconds"] - seconds) <= MINUTE, (name, found["seconds"], seconds)
        assert found["approximate"] is approximate, (name, found)


def test_what_no_source_gives_is_left_out_as_unknown_not_guessed(tracker: tuple[Path, dict[str, dict[str, Any]]]) -> None:
    root, _ = tracker
    rows = {row["id"]: row for row in ok_json(["stats", "--by", "incident"], root)["incidents"]}
    by_name = {case.name: rows[case.incident_id] for case in POSTMORTEMS}
    cloudflare = by_name["cloudflare-2019-07-02"]
    assert cloudflare["milestones"]["detected"]["precision"] == "unknown"
    assert cloudflare["durations"]["time_to_resolve"]["missing"] == "time unknown: detected"
    codespaces = by_name["github-2023-02-28"]
    assert codespaces["milestones"]["mitigated"]["text"] == "unknown"
    assert codespaces["durations"]["time_to_mitigate"]["missing"] == "time unknown: mitigated"
    text = ok(["stats", "--by", "incident"], root).stdout
    line = next(row for row in text.splitlines() if row.startswith(POSTMORTEMS[3].incident_id))
    assert line.split()[2:7] == [
        "?",
        "-",
        "?",
        "?",
        "-",
    ]  # detect (unknown), ack (never recorded), mitigate, resolve, recover (not published)
    grouped = ok_json(["stats"], root)["overall"]
    assert grouped["time_to_resolve"]["unknown"] == 3 and grouped["impact_duration"]["approximate"] == 2


@pytest.mark.parametrize("case", POSTMORTEMS, ids=lambda c: c.name)
def test_each_goes_as_far_as_its_facts_allow(tracker: tuple[Path, dict[str, dict[str, Any]]], case: Postmortem) -> None:
    _, outcomes = tracker
    outcome = outcomes[case.name]
    assert outcome["stage"] == case.ends_in, outcome
    if case.ends_in != "complete":
        assert [m["item"] for m in outcome["refused"]["missing"]] == case.missing


def test_the_branch_passes_the_pull_request_check_and_nothing_is_sent(tracker: tuple[Path, dict[str, dict[str, Any]]]) -> None:
    root, _ = tracker
    ok(["validate"], root)
    result = run(["check", "--base", "main", "--format", "json"], root)
    assert result.exit_code == 0, result
    changes = result.json()["stage_changes"]
    moves = {"complete": 9, "resolve": 4}  # identify -> ... -> complete is nine moves; identify -> resolve four
    assert len(changes) == sum(moves[c.ends_in] for c in POSTMORTEMS)
    assert all(not c["problems"] for c in changes)
    exempt = [item for c in changes for item in c["gate"] if item.get("exempt")]
    assert exempt and all(item["exempt"] == LIVE_ONLY_REASON for item in exempt)
    sent = ok_json(["notify", "--since", "main", "--dry-run"], root)
    assert sent["outcomes"] == [] and sent["skipped"]
    assert {s["reason"] for s in sent["skipped"]} == {"the incident is recorded after the fact (retrospective)"}
    # the one still open (in resolve, an active stage, never acknowledged) is neither escalated nor chased for updates
    open_one = next(c.incident_id for c in POSTMORTEMS if c.ends_in != "complete")
    due = ok_json(["escalate", "--dry-run"], root)
    assert due["escalated"] == [] and due["reminders"] == [] and due["notifications"]["outcomes"] == []
    listed = {row["id"]: row for row in ok_json(["list"], root)["incidents"]}
    assert listed[open_one]["next_update_due"] is None and listed[open_one]["updates_due"] == []


def test_the_site_marks_them_and_measures_them_on_the_whole_record(tracker: tuple[Path, dict[str, dict[str, Any]]]) -> None:
    root, _ = tracker
    fastly = POSTMORTEMS[0].incident_id
    internal = incident_pages(collect(Tracker(root), INTERNAL))[f"incidents/{fastly}.md"]
    assert "recorded after the fact" in internal and "https://www.fastly.com/blog/summary-of-june-8-outage" in internal
    assert "<code>bridge_recorded</code>" in internal  # the exemptions and their reason
    assert '<time datetime="2021-06-08" class="mim-about">2021-06-08 (day)</time>' in internal  # declared: the day only
    pages = incident_pages(collect(Tracker(root), PUBLIC))
    public = pages[f"incidents/{fastly}.md"]
    assert "This incident was recorded after the fact" in public and LIVE_ONLY_REASON not in public
    assert "Resolved at" in public and "2021-06-08 12:35 UTC" in public  # restored when the record says, not when written up
    assert "Status post published." in public and "Status post resolved." in public  # the posts it published are on record
    assert "2021-06-08 09:58 UTC" in public and "09:58:00 UTC" not in public  # known to the minute, shown so to the public too
    # no post was published for this one: its page makes none up ("We are investigating ...", "... has been resolved")
    silent = pages[f"incidents/{POSTMORTEMS[3].incident_id}.md"]
    assert "This incident was recorded after the fact" in silent and "Resolved at" in silent
    assert "mim-updates" not in silent and "We are investigating" not in silent and "has been resolved" not in silent


def _latest_given(case: Postmortem) -> str:
    """The latest time the scenario gives (as the records hold it, to the second)."""
    times = re.findall(r"(20[0-9]{2}-[0-9]{2}-[0-9]{2})(?:T([0-9]{2}:[0-9]{2})Z)?", " ".join([case.declare, *case.steps]))
    return max(f"{day}T{minute or '00:00'}:00Z" for day, minute in times)


def test_the_status_api_dates_them_by_their_facts_not_by_when_they_were_written_up(tracker: tuple[Path, dict[str, dict[str, Any]]]) -> None:
    root, _ = tracker
    published = {i["id"]: i for i in json.loads(status_api(collect(Tracker(root), PUBLIC))["api/v2/incidents.json"])["incidents"]}
    for case in POSTMORTEMS:
        incident = published[case.incident_id]
        stamps = [incident[k] for k in ("created_at", "updated_at", "monitoring_at", "resolved_at", "started_at") if incident[k]]
        stamps += [u[k] for u in incident["incident_updates"] for k in ("created_at", "updated_at", "display_at")]
        assert max(stamps) <= _latest_given(case), (case.name, incident)
        assert (incident["status"] == "resolved") is (case.ends_in == "complete"), (case.name, incident["status"])
    # no status post published its end: resolved when service was restored, not the day it was written up
    assert published[POSTMORTEMS[3].incident_id]["resolved_at"] == "2019-07-02T14:09:00Z"
