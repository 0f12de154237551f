"""Hostile records against every command that reads them, each in a bounded subprocess.

Each case in ``tests/hostile/`` is one file laid over a valid tracker (a git
repository with INC-0001 committed on main), left uncommitted as a pull
request would bring it. Headers: ``# place: PATH`` and ``# expect-line: N``.
A few cases cannot be files in this repository (20 MB, symlinks, folder
names) and are made here.

Each call runs in its own process: forked from the test process (so the
imports are paid once), with ``RLIMIT_AS`` set and killed after ``TIMEOUT``.
Every command must end with a clear message naming ``PATH:LINE:``, exit 1
(``list`` may exit 0 and name the incident as not shown), print no traceback,
and return within ``TIMEOUT`` seconds with at most 1 GiB of address space.
The timeout is a bound against hangs, not a speed requirement.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import forkrun
from forkrun import Outcome
from gitutil import commit_all, copy_repo, make_tracker

HOSTILE = Path(__file__).parent / "hostile"
TIMEOUT = 30.0
INC = "INC-0001"
INCIDENT_YAML = "incidents/INC-0001/incident.yaml"
VALID_INCIDENT = """\
id: INC-0001
title: Card payments failing at checkout
stage: identify
severity: SEV1
impact: high
urgency: high
priority: 1
detection:
  source: alert
detected_at: '2026-11-15T08:45:00Z'
services:
  - checkout-api
"""


@dataclass
class Case:
    name: str
    place: str
    line: int
    write: Callable[[Path], None]
    xfail: str = ""
    reads_incident: bool = True  # show / advance / note / list read it
    extra: list[str] = field(default_factory=list)  # more PATH:LINE texts the output must name


def _file_case(path: Path) -> Case:
    data = path.read_bytes()
    place = re.search(rb"^# place: (\S+)$", data, re.M)
    line = re.search(rb"^# expect-line: ([0-9]+)$", data, re.M)
    assert place and line, f"{path.name}: needs # place: and # expect-line: headers"
    target = place.group(1).decode()

    def write(root: Path) -> None:
        (root / target).parent.mkdir(parents=True, exist_ok=True)
        (root / target).write_bytes(data)

    return Case(path.stem, target, int(line.group(1)), write, reads_incident=target.startswith("incidents/"))


def _huge_file(root: Path) -> None:
    with open(root / INCIDENT_YAML, "w", encoding="utf-8") as handle:
        handle.write(VALID_INCIDENT + "risks:\n")
        chunk = "  - " + "x" * 996 + "\n"
        for _ in range(20 * 1024):
            handle.write(chunk)


def _symlink(rel: str, target: str) -> Callable[[Path], None]:
    def write(root: Path) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        os.symlink(target, path)

    return write


def _folder(name: str, text: str) -> Callable[[Path], None]:
    def write(root: Path) -> None:
        folder = root / "incidents" / name
        folder.mkdir(parents=True)
        (folder / "incident.yaml").write_text(text, encoding="utf-8")

    return write


CASES: list[Case] = [_file_case(path) for path in sorted(HOSTILE.glob("*.yaml"))] + [
    Case("huge-file-20mb", INCIDENT_YAML, 1, _huge_file),
    Case(
        "timeline-symlink-to-dev-zero",
        "incidents/INC-0001/timeline/20261115T085000Z-note-aaaaaa.yaml",
        1,
        _symlink("incidents/INC-0001/timeline/20261115T085000Z-note-aaaaaa.yaml", "/dev/zero"),
    ),
    Case("pir-symlink-to-dev-zero", "incidents/INC-0001/pir.yaml", 1, _symlink("incidents/INC-0001/pir.yaml", "/dev/zero")),
    Case("pir-symlink-out-of-the-repository", "incidents/INC-0001/pir.yaml", 1, _symlink("incidents/INC-0001/pir.yaml", "/etc/passwd")),
    Case("folder-differs-by-case", "incidents/inc-0001", 1, _folder("inc-0001", VALID_INCIDENT), reads_incident=False),
    Case(
        "folder-fullwidth-digits",
        "incidents/INC-\uff10\uff10\uff14\uff12",
        1,
        _folder("INC-\uff10\uff10\uff14\uff12", VALID_INCIDENT.replace("INC-0001", "INC-0042")),
        reads_incident=False,
    ),
    Case(
        "folder-arabic-indic-digits",
        "incidents/INC-\u0660\u0660\u0664\u0662",
        1,
        _folder("INC-\u0660\u0660\u0664\u0662", VALID_INCIDENT.replace("INC-0001", "INC-0042")),
        reads_incident=False,
    ),
]


def mimctl(args: list[str], repo: Path) -> forkrun.Outcome:
    """Run a command in a forked child with bounded memory and time; stdout and stderr together."""
    return forkrun.run(args, repo, timeout=TIMEOUT)


def _commands(case: Case) -> list[list[str]]:
    commands = [["validate"], ["check", "--base", "main", "--uncommitted"]]
    if case.reads_incident:
        commands += [["show", INC], ["note", INC, "hostile"], ["list"]]
    return commands


@pytest.fixture(scope="module")
def base_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = make_tracker(tmp_path_factory.mktemp("hostile") / "base")
    (repo / "incidents" / INC).mkdir(parents=True)
    (repo / INCIDENT_YAML).write_text(VALID_INCIDENT, encoding="utf-8")
    commit_all(repo, "A valid incident")
    return repo


@pytest.fixture(scope="module")
def outcomes(base_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Outcome]]:
    """Every command against every case, each in its own bounded process."""
    jobs = []
    for case in CASES:
        repo = copy_repo(base_repo, tmp_path_factory.mktemp(case.name) / "tracker")
        case.write(repo)
        jobs += [(case.name, args, repo) for args in _commands(case)]
    results: dict[str, list[Outcome]] = {case.name: [] for case in CASES}
    for name, args, repo in jobs:
        results[name].append(mimctl(args, repo))
    return results


def _judge(case: Case, results: list[Outcome]) -> None:
    where = f"{case.place}:{case.line}:"
    for outcome in results:
        assert outcome.code is not None, f"did not return within {TIMEOUT} s: {outcome!r}"
        assert "Traceback" not in outcome.output and "unexpected error" not in outcome.output, outcome
        if outcome.args == ["list"]:
            assert outcome.code in (0, 1), outcome
            assert INC in outcome.output, outcome
            continue
        assert outcome.code == 1, outcome
        if outcome.args[0] in ("validate", "check") or case.place.startswith("incidents/INC-0001/"):
            assert where in outcome.output, f"expected a finding at {where}\n{outcome!r}"


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, id=c.name, marks=[pytest.mark.xfail(strict=True, reason=c.xfail)] if c.xfail else []) for c in CASES],
)
def test_hostile_record_is_refused_cleanly(case: Case, outcomes: dict[str, list[Outcome]]) -> None:
    _judge(case, outcomes[case.name])


def test_the_python_tag_ran_nothing() -> None:
    assert not Path("/tmp/mimctl-pwned").exists()


@pytest.mark.parametrize(
    "given",
    [
        "../x",
        "INC-0001/../INC-0001",
        "/etc/passwd",
        "INC-\uff10\uff10\uff10\uff11",
        "-1",
        "INC-99999999999",
        "INC-0001\x00",
    ],
)
def test_path_like_incident_arguments_are_refused(base_repo: Path, tmp_path: Path, given: str) -> None:
    repo = copy_repo(base_repo, tmp_path / "tracker")
    declare = [
        "new",
        "--id",
        given,
        "--title",
        "x",
        "--service",
        "checkout-api",
        "--impact",
        "high",
        "--urgency",
        "high",
        "--severity",
        "SEV1",
        "--source",
        "alert",
    ]
    for args in (["show", given], ["note", given, "x"], declare):
        outcome = mimctl(args, repo)
        # 1: refused; 2: click's usage error (an argument that looks like an option)
        assert outcome.code in (1, 2) and "Traceback" not in outcome.output, outcome
    leftovers = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if ".git" not in p.parts)
    assert not any("passwd" in p or p.startswith("x") for p in leftovers), leftovers
    assert sorted(p.name for p in (repo / "incidents").iterdir()) == [INC]


def test_arabic_indic_digits_as_a_bare_number_mean_the_same_incident(base_repo: Path, tmp_path: Path) -> None:
    # str.isdigit() accepts them and int() reads them: "٠٠٠١" is incident 1, shown under its ASCII id.
    repo = copy_repo(base_repo, tmp_path / "tracker")
    outcome = mimctl(["show", "\u0660\u0660\u0660\u0661"], repo)
    assert outcome.code == 0 and INC in outcome.output, outcome


def test_one_site_build_over_the_whole_corpus(base_repo: Path, tmp_path: Path) -> None:
    """Every incident case under its own id, plus a valid incident: the site builds and leaves the hostile ones out."""
    repo = copy_repo(base_repo, tmp_path / "tracker")
    shutil.rmtree(repo / ".git")
    for number, case in enumerate([c for c in CASES if c.place.startswith("incidents/INC-0001/") and not c.xfail], start=100):
        scratch = tmp_path / "scratch" / case.name
        scratch.mkdir(parents=True)
        (scratch / "incidents" / INC).mkdir(parents=True)
        case.write(scratch)
        source = scratch / "incidents" / INC
        target = repo / "incidents" / f"INC-{number:04d}"
        shutil.copytree(source, target, symlinks=True)
    outcome = mimctl(["site", "build", "-o", str(tmp_path / "site")], repo)
    assert outcome.code == 0, outcome
    assert "Traceback" not in outcome.output
    pages = "".join(p.read_text(encoding="utf-8", errors="replace") for p in (tmp_path / "site").rglob("*.html"))
    assert "Card payments failing at checkout" in pages
    assert "mimctl-pwned" not in pages and "\x1b[" not in pages
