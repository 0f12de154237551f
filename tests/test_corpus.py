"""Data-driven corpora: ``corpus/valid`` must validate clean; each ``corpus/invalid`` case
states the findings it must produce.

A case is either

- a folder: its files are laid over a fresh tracker (process.yaml, catalog.yaml and
  schemas/ from this repository; a case may replace any of them), or
- a single ``.yaml`` file whose header says where it goes: ``# place: incidents/INC-0001/incident.yaml``.

Expectations are comment lines in any of the case's YAML files, or lines of an
``expect.txt`` next to them (for cases a comment cannot carry, like a broken file)::

    # expect: incidents/INC-0001/incident.yaml:9: priority 2 disagrees with the matrix

``PATH:LINE: FRAGMENT`` — a finding at PATH and LINE whose message contains FRAGMENT.
An invalid case must produce exactly its expected findings: each expectation is met by
a finding, and every finding is expected (so noise is caught too). ``# xfail: why``
marks a case that shows a known bug.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import make_tracker
from mimctl.findings import Finding
from mimctl.store import Tracker
from mimctl.validate import validate

CORPUS = Path(__file__).parent / "corpus"
# Validation runs at a fixed moment so "in the future" means the same thing every day.
NOW = datetime(2027, 1, 1, tzinfo=timezone.utc)

_EXPECT = re.compile(r"^(?:#\s*)?expect:\s*(?P<path>[^:\s]+):(?P<line>[0-9]+):\s*(?P<fragment>.+?)\s*$")
_PLACE = re.compile(r"^#\s*place:\s*(?P<path>\S+)\s*$")
_XFAIL = re.compile(r"^#\s*xfail:\s*(?P<reason>.+?)\s*$")


@dataclass(frozen=True)
class Expectation:
    path: str
    line: int
    fragment: str

    def met_by(self, finding: Finding) -> bool:
        return finding.path == self.path and finding.line == self.line and self.fragment in finding.message

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: ...{self.fragment}..."


@dataclass(frozen=True)
class Case:
    source: Path
    place: str | None  # where a single-file case goes in the tracker
    expectations: tuple[Expectation, ...]
    xfail: str | None

    def files(self) -> list[tuple[Path, str]]:
        """(source file, repository-relative destination) for every file of the case."""
        if self.place is not None:
            return [(self.source, self.place)]
        return [
            (path, path.relative_to(self.source).as_posix())
            for path in sorted(self.source.rglob("*"))
            if path.is_file() and path.name != "expect.txt"
        ]


def _lines(path: Path) -> list[str]:
    return path.read_bytes().decode("utf-8", errors="replace").splitlines()


def load_case(source: Path) -> Case:
    files = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
    expectations: list[Expectation] = []
    place = xfail = None
    for path in files:
        for text in _lines(path):
            if path.name != "expect.txt" and not text.startswith("#"):
                continue
            if match := _EXPECT.match(text):
                expectations.append(Expectation(match["path"], int(match["line"]), match["fragment"]))
            elif (match := _PLACE.match(text)) and source.is_file():
                place = match["path"]
            elif match := _XFAIL.match(text):
                xfail = match["reason"]
    if source.is_file() and place is None:
        raise ValueError(f"{source}: a single-file case needs a '# place: PATH' line")
    return Case(source, place, tuple(expectations), xfail)


def _cases(kind: str) -> list[object]:
    folder = CORPUS / kind
    params = []
    for source in sorted(folder.iterdir()):
        if source.name.startswith(".") or (source.is_file() and source.suffix != ".yaml"):
            continue
        case = load_case(source)
        marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
        params.append(pytest.param(case, id=source.name, marks=marks))
    return params


def build(case: Case, root: Path) -> Tracker:
    make_tracker(root)
    for source, destination in case.files():
        target = root / destination
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return Tracker(root)


def _show(findings: list[Finding]) -> str:
    return "\n".join(f"  {f.as_text()}" for f in findings) or "  (none)"


@pytest.mark.parametrize("case", _cases("valid"))
def test_valid_case_has_no_findings(case: Case, tmp_path: Path) -> None:
    report = validate(build(case, tmp_path / "tracker"), now=NOW)
    assert report.findings == [], f"{case.source.name} should be valid, found:\n{_show(report.findings)}"
    assert report.ok
    records = [d for _, d in case.files() if d.startswith(("incidents/", "kedb/"))]
    assert report.files >= 2 + len(records), "every record of the case was read"


@pytest.mark.parametrize("case", _cases("invalid"))
def test_invalid_case_produces_exactly_its_findings(case: Case, tmp_path: Path) -> None:
    assert case.expectations, f"{case.source.name} states no '# expect:' line"
    report = validate(build(case, tmp_path / "tracker"), now=NOW)
    missing = [e for e in case.expectations if not any(e.met_by(f) for f in report.findings)]
    unexpected = [f for f in report.findings if not any(e.met_by(f) for e in case.expectations)]
    assert not missing and not unexpected, (
        f"{case.source.name}\nmissing:\n"
        + "\n".join(f"  {e}" for e in missing)
        + f"\nunexpected:\n{_show(unexpected)}\nall findings:\n{_show(report.findings)}"
    )
    assert not report.ok


def test_corpus_is_not_empty() -> None:
    assert len(_cases("valid")) >= 3
    assert len(_cases("invalid")) >= 20


def test_expectation_syntax_is_understood() -> None:
    match = _EXPECT.match("# expect: incidents/INC-0001/incident.yaml:7: priority 2 disagrees")
    assert match is not None
    assert (match["path"], match["line"], match["fragment"]) == ("incidents/INC-0001/incident.yaml", "7", "priority 2 disagrees")
