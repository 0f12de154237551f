"""Taking a record off the site: the status path, laid over a full build, leaves no page of a record the edition no longer shows.

A responder withdraws an incident from the public site by making it internal or
security-sensitive, by deleting or renumbering it; a known error or a
maintenance by making it internal. The status path deploys over the last full
build, so the full build's page of that record, and its search entries, must go
at once, not when the archive is next built. Each test builds the full site for
real, changes the records as a user would, runs the status path over it, and
reads the files a reader would be served.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gitutil import git, ok, run
from mimctl.heads import HEAD_BYTES
from mimctl.site import status_path
from mimctl.store import Tracker, committed_source
from site_fixtures import Sample, cli, counting_loads, sample_tracker


def _full(sample: Sample, out: Path, *edition: str) -> None:
    ok(["site", "build", *edition, "-o", str(out), "--repo", str(sample.root)], sample.root)


def _status(sample: Sample, out: Path, *args: str) -> str:
    done = run(["site", "build", *args, "--status-only", "-o", str(out), "--repo", str(sample.root)], sample.root)
    assert done.exit_code == 0 and not done.crashed, done
    return done.stderr


def _searched_pages(out: Path) -> set[str]:
    docs = json.loads((out / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    return {str(d["location"]).partition("#")[0] for d in docs}


def _make_public(root: Path, ke_id: str) -> None:
    record = root / "kedb" / f"{ke_id}.yaml"
    record.write_text(record.read_text(encoding="utf-8") + "visibility: public\n", encoding="utf-8")


@pytest.fixture
def sample(tmp_path: Path) -> Sample:
    found = sample_tracker(tmp_path / "tracker")
    _make_public(found.root, "KE-0001")
    return found


def _made_internal(sample: Sample, incident_id: str) -> None:
    cli(sample.root, "set", incident_id, "visibility", "internal")


def _made_sensitive(sample: Sample, incident_id: str) -> None:
    cli(sample.root, "set", incident_id, "security_sensitive", "true", "--json")


def _deleted(sample: Sample, incident_id: str) -> None:
    """The folder removed, and the known error that named it no longer naming it (as a valid change must)."""
    shutil.rmtree(sample.root / "incidents" / incident_id)
    record = sample.root / "kedb" / "KE-0001.yaml"
    record.write_text(record.read_text(encoding="utf-8").replace(f"incidents: [{incident_id}]\n", ""), encoding="utf-8")


def _sensitive_after_a_long_summary(sample: Sample, incident_id: str) -> None:
    """``security_sensitive`` as the last line of an incident.yaml longer than any head that is looked at."""
    cli(sample.root, "set", incident_id, "summary", "The receipts service was slow. " * 600)
    record = sample.root / "incidents" / incident_id / "incident.yaml"
    text = record.read_text(encoding="utf-8")
    assert len(text.encode()) > HEAD_BYTES and "security_sensitive" not in text
    record.write_text(text + "security_sensitive: true\n", encoding="utf-8")


@pytest.mark.parametrize("change", [_made_internal, _made_sensitive, _deleted, _sensitive_after_a_long_summary])
def test_an_incident_taken_off_the_public_edition_leaves_no_page_and_no_search_entry(
    sample: Sample, tmp_path: Path, change: object
) -> None:
    out = tmp_path / "public"
    _full(sample, out, "--public")
    page = f"incidents/{sample.closed}.html"
    assert (out / page).is_file() and page in _searched_pages(out) and (out / "kedb" / "KE-0001.html").is_file()
    change(sample, sample.closed)  # type: ignore[operator]
    ok(["validate", "--repo", str(sample.root)], sample.root)
    warned = _status(sample, out, "--public")
    assert not (out / page).exists(), "the page of an incident no longer public is gone"
    searched = _searched_pages(out)
    assert page not in searched, "and so are its search entries"
    assert "kedb/KE-0001.html" in searched and (out / "kedb" / "KE-0001.html").is_file(), "the full build's other pages stay"
    assert (out / f"incidents/{sample.active}.html").is_file() and f"incidents/{sample.active}.html" in searched
    assert page in warned and "until the next full build" in warned
    home = (out / "index.html").read_text(encoding="utf-8")
    assert sample.closed not in home


def test_a_known_error_made_internal_is_taken_off_and_the_rest_stays(sample: Sample, tmp_path: Path) -> None:
    out = tmp_path / "public"
    _full(sample, out, "--public")
    before = {p.relative_to(out).as_posix() for p in out.rglob("*.html")}
    record = sample.root / "kedb" / "KE-0001.yaml"
    record.write_text(record.read_text(encoding="utf-8").replace("visibility: public\n", ""), encoding="utf-8")
    _status(sample, out, "--public")
    after = {p.relative_to(out).as_posix() for p in out.rglob("*.html")}
    assert before - after == {"kedb/KE-0001.html"}
    assert not any(p.startswith("kedb/KE-0001") for p in _searched_pages(out))


def test_in_the_internal_edition_a_deleted_incident_takes_its_review_with_it(sample: Sample, tmp_path: Path) -> None:
    out = tmp_path / "internal"
    _full(sample, out)
    pages = [f"incidents/{sample.closed}.html", f"reviews/{sample.closed}.html"]
    assert all((out / p).is_file() for p in pages)
    _status(sample, out)
    assert all((out / p).is_file() for p in pages), "nothing changed: nothing taken off"
    _deleted(sample, sample.closed)
    _status(sample, out)
    assert not any((out / p).exists() for p in pages)
    assert not set(pages) & _searched_pages(out)
    assert (out / f"incidents/{sample.active}.html").is_file()


def test_from_a_commit_a_decision_is_kept_by_folder_and_follows_the_next_commit(
    sample: Sample, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git("init", "-q", "-b", "main", cwd=sample.root)
    git("add", "-A", cwd=sample.root)
    git("commit", "-q", "-m", "records", cwd=sample.root)
    out = tmp_path / "public"
    ok(["site", "build", "--public", "--rev", "HEAD", "-o", str(out), "--repo", str(sample.root)], sample.root)
    _status(sample, out, "--public", "--rev", "HEAD")
    loaded = counting_loads(monkeypatch)
    known_error_loads: list[str] = []
    load_known_errors = Tracker.load_known_errors

    def counted_known_errors(self: Tracker, *args: object, **kwargs: object) -> object:
        known_error_loads.append("loaded")
        return load_known_errors(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Tracker, "load_known_errors", counted_known_errors)
    page = f"incidents/{sample.closed}.html"
    assert _withdrawn(sample.root, {page, "incidents/INC-9999.html"}) == {"incidents/INC-9999.html"}, "no such folder: taken off"
    assert loaded == [], "what the last run learnt of the unchanged folder decides: nothing is loaded"
    assert _withdrawn(sample.root, {"kedb/KE-0001.html"}) == set() and known_error_loads == [], "nor are the known errors"
    _made_internal(sample, sample.closed)
    git("commit", "-q", "-am", "withdraw", cwd=sample.root)
    _status(sample, out, "--public", "--rev", "HEAD")
    assert not (out / page).exists() and page not in _searched_pages(out)
    assert (out / "kedb" / "KE-0001.html").is_file()
    record = sample.root / "kedb" / "KE-0001.yaml"
    record.write_text(record.read_text(encoding="utf-8").replace("visibility: public\n", ""), encoding="utf-8")
    git("commit", "-q", "-am", "a known error made internal", cwd=sample.root)
    _status(sample, out, "--public", "--rev", "HEAD")
    assert not (out / "kedb" / "KE-0001.html").exists(), "kedb/ changed: the known errors are loaded again to decide"
    loaded.clear()
    assert _withdrawn(sample.root, {page}) == {page} and loaded == [], "kept at the new tree: not shown"
    monkeypatch.setenv("MIMCTL_CACHE", "off")
    assert _withdrawn(sample.root, {page}) == {page} and loaded == [sample.closed], "nothing kept: loaded to decide"


def _withdrawn(root: Path, pages: set[str]) -> set[str]:
    tracker = Tracker(root, committed_source(root, "HEAD"))
    try:
        return status_path.withdrawn(tracker, "public", pages)
    finally:
        tracker.close()


def test_a_search_index_this_code_cannot_read_is_dropped_rather_than_kept(sample: Sample, tmp_path: Path) -> None:
    out = tmp_path / "public"
    _full(sample, out, "--public")
    (out / "search" / "search_index.json").write_text('{"docs": "not a list"}', encoding="utf-8")
    _made_internal(sample, sample.closed)
    _status(sample, out, "--public")
    assert not (out / "search" / "search_index.json").exists()
    assert not (out / f"incidents/{sample.closed}.html").exists()


def test_with_search_turned_off_since_the_full_build_the_pages_taken_off_still_leave_its_index(sample: Sample, tmp_path: Path) -> None:
    out = tmp_path / "public"
    _full(sample, out, "--public")
    config = sample.root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("  - search\n", ""), encoding="utf-8")
    _made_internal(sample, sample.closed)
    _status(sample, out, "--public")
    searched = _searched_pages(out)
    assert f"incidents/{sample.closed}.html" not in searched and "kedb/KE-0001.html" in searched


def test_a_run_killed_as_it_takes_pages_off_leaves_nothing_the_next_run_does_not_take_off(
    sample: Sample, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "public"
    _full(sample, out, "--public")
    page = f"incidents/{sample.closed}.html"
    _made_internal(sample, sample.closed)
    unlink = Path.unlink

    def killed_after(self: Path, missing_ok: bool = False) -> None:
        unlink(self, missing_ok=missing_ok)
        if self.name == f"{sample.closed}.html":
            raise KeyboardInterrupt  # killed just after the page went, before anything else

    with monkeypatch.context() as m:
        m.setattr(Path, "unlink", killed_after)
        run(["site", "build", "--public", "--status-only", "-o", str(out), "--repo", str(sample.root)], sample.root)
    assert not (out / page).exists()
    _status(sample, out, "--public")
    assert page not in _searched_pages(out), "no search entry of the page is left behind"
