"""The Known Error Database: ranking known errors for an incident, and new ones drafted from an incident."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gitutil import REPO_ROOT, commit_files, declare, make_tracker, ok, ok_json, run, t, tracker_with_kedb, trailers
from mimctl.kedb import compile_pattern, rank
from mimctl.model import Event, Incident, KnownError, parse_time
from mimctl.store import Tracker
from mimctl.yamlio import load_file

SAMPLE_KEDB = Tracker(REPO_ROOT).load_known_errors()[1]


def make_incident(
    title: str = "Something is wrong",
    services: tuple[str, ...] = ("web-shop",),
    alert: str | None = None,
    texts: tuple[str, ...] = (),
    labels: dict[str, str] | None = None,
    **data: Any,
) -> Incident:
    events = [Event(f"e{n}", parse_time(t(n)), "evidence", {"at": t(n), "kind": "evidence", "text": text}) for n, text in enumerate(texts)]
    if labels is not None and alert:
        body = {"at": t(9), "kind": "alert", "alert": {"name": alert, "status": "firing", "labels": labels}}
        events.append(Event("a", parse_time(t(9)), "alert", body))
    detection: dict[str, Any] = {"source": "alert", "alert": {"name": alert}} if alert else {"source": "user-report"}
    base = {"id": "INC-0100", "title": title, "stage": "investigate", "services": list(services), "detection": detection}
    return Incident("INC-0100", {**base, **data}, tuple(events))


def top(incident: Incident, known: list[KnownError] = SAMPLE_KEDB) -> str:
    matches = rank(incident, known).matches
    assert matches, "nothing matched"
    return matches[0].id


@pytest.mark.parametrize(
    ("alert", "expected"),
    [("PaymentsGatewayPoolSaturated", "KE-0001"), ("MobileApiAuthFailures", "KE-0002"), ("ConsumerLagHigh", "KE-0003")],
)
def test_alert_name_ranks_its_known_error_first(alert: str, expected: str) -> None:
    assert top(make_incident(alert=alert)) == expected


def test_log_text_in_evidence_ranks_its_known_error_first() -> None:
    line = 'ts=2026-11-30T06:03:11Z level=warn msg="verify failed" err="invalid_token: kid not found" kid=2026-12'
    incident = make_incident(texts=(line,))
    ranking = rank(incident, SAMPLE_KEDB)
    assert ranking.matches[0].id == "KE-0002"
    assert any(r.startswith("log pattern") for r in ranking.matches[0].reasons)
    assert ranking.matches[0].workaround, "the workaround steps come with the match"


def test_phrases_match_words_of_the_title_and_summary() -> None:
    incident = make_incident(title="Card payments failing for EU customers", summary="Users see a 502 at checkout.")
    assert top(incident) == "KE-0001"


def test_conflicting_label_scores_less_than_an_agreeing_one() -> None:
    agreeing = make_incident(alert="ConsumerLagHigh", labels={"service": "message-queue"})
    conflicting = make_incident(alert="ConsumerLagHigh", labels={"service": "search"})
    agreeing_score = rank(agreeing, SAMPLE_KEDB).matches[0].score
    conflicting_match = next(m for m in rank(conflicting, SAMPLE_KEDB).matches if m.id == "KE-0003")
    assert agreeing_score > conflicting_match.score


def test_shared_services_alone_rank_low_and_are_not_a_signature() -> None:
    matches = rank(make_incident(services=("payments-gateway",)), SAMPLE_KEDB).matches
    assert matches and all(not m.signature and m.score <= 2 for m in matches)


def test_bad_or_dangerous_patterns_are_reported_not_raised() -> None:
    known = KnownError(
        "KE-0900",
        {
            "id": "KE-0900",
            "title": "t",
            "status": "open",
            "services": ["web-shop"],
            "symptoms": ["s"],
            "signatures": {"log_patterns": ["([unclosed", "(a+)+$", "x" * 600, "real error [0-9]+"]},
        },
    )
    ranking = rank(make_incident(texts=("a real error 42 happened", "a" * 40 + "!")), [known])
    assert len(ranking.problems) == 3
    assert ranking.matches[0].id == "KE-0900" and ranking.matches[0].signature
    assert compile_pattern("(x*)*")[0] is None and compile_pattern("ok")[0] is not None


def test_retired_known_errors_are_left_out() -> None:
    retired = [KnownError(k.id, {**k.data, "status": "retired"}) for k in SAMPLE_KEDB]
    assert rank(make_incident(alert="ConsumerLagHigh"), retired).matches == []


# --- through the CLI -----------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return tracker_with_kedb(tmp_path / "repo")


def test_kedb_match_lists_the_right_known_error_with_its_workaround(repo: Path) -> None:
    incident_id = declare(repo)  # alert CheckoutErrorRate on checkout-api
    ok(["evidence", incident_id, 'level=error msg="acquire conn: context deadline exceeded" component=dbpool', "--at", t(5)], repo)
    data = ok_json(["kedb", "match", incident_id, "--limit", "2"], repo)
    assert data["incident"] == incident_id and len(data["matches"]) <= 2
    best = data["matches"][0]
    assert best["id"] == "KE-0001" and best["workaround"][0].startswith("Check the running pool size")
    text = ok(["kedb", "match", incident_id], repo).stdout
    assert "KE-0001" in text and "workaround:" in text


def test_kedb_match_unknown_incident_is_a_clear_error(repo: Path) -> None:
    result = run(["kedb", "match", "INC-0999"], repo)
    assert result.exit_code == 1 and "no incident INC-0999" in result.stderr, result


def test_kedb_new_from_an_incident_links_both_ways_in_one_commit(repo: Path) -> None:
    incident_id = declare(repo, t(0), "--summary", "Card payments fail with HTTP 502. PayPal still works.")
    ok(
        [
            "containment",
            "add",
            incident_id,
            "--action",
            "Scale payments-gateway to 18 replicas",
            "--rollback",
            "Scale back to 6 replicas",
            "--at",
            t(4),
        ],
        repo,
    )
    ok(["cause", incident_id, "--confirmed", "Pool size fell back to 20 after a chart key rename", "--at", t(6)], repo)
    ok(["pir", "new", incident_id], repo)
    data = ok_json(["kedb", "new", "--from", incident_id, "--at", t(30)], repo)
    assert data["known_error"] == "KE-0006" and data["commit"]
    ke = load_file(repo / "kedb" / "KE-0006.yaml").data
    assert ke["incidents"] == [incident_id] and ke["services"] == ["checkout-api"] and ke["status"] == "open"
    assert ke["symptoms"] == ["Card payments fail with HTTP 502.", "PayPal still works."]
    assert ke["workaround"] == ["Scale payments-gateway to 18 replicas"]
    assert ke["root_cause"] == "Pool size fell back to 20 after a chart key rename"
    assert ke["signatures"] == {"alerts": [{"name": "CheckoutErrorRate"}]}
    folder = f"incidents/{incident_id}"
    assert load_file(repo / folder / "incident.yaml").data["known_errors"] == ["KE-0006"]
    assert load_file(repo / folder / "pir.yaml").data["known_errors"] == ["KE-0006"]
    assert commit_files(repo) == sorted(["kedb/KE-0006.yaml", f"{folder}/incident.yaml", f"{folder}/pir.yaml"])
    assert trailers(repo)["Known-Error"] == "KE-0006"
    result = run(["validate"], repo)
    assert result.exit_code == 0, result


def test_kedb_new_without_a_pir_links_the_incident(tmp_path: Path) -> None:
    repo = make_tracker(tmp_path / "bare")
    incident_id = declare(repo)
    data = ok_json(["kedb", "new", "--from", incident_id, "--at", t(30)], repo)
    assert data["known_error"] == "KE-0001"
    ke = load_file(repo / "kedb" / "KE-0001.yaml").data
    assert ke["symptoms"] == ["Card payments failing at checkout"]  # no summary: the title
    assert not (repo / "incidents" / incident_id / "pir.yaml").exists()
    result = run(["validate"], repo)
    assert result.exit_code == 0, result
