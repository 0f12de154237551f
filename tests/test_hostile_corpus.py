"""Several hundred generated hostile records (tests/hostile_corpus.py) through validate, check and an edit.

Each document is laid over a valid tracker, uncommitted as a pull request
would bring it, and three commands run on it, each in a forked child with
1 GiB of address space and 2 s of CPU time: ``validate``, ``check --base main
--uncommitted`` and ``set INC-0001 summary ...`` (an edit of incident.yaml,
which reads the whole incident). None may exit 3 or print a traceback; a
refusal (exit 1) must name a file and line (``PATH:LINE:COL:``). Afterwards
the repository is reset for the next document.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

import forkrun
from gitutil import REPO_ROOT, commit_all, git, make_tracker
from hostile_corpus import corpus
from test_interrupted import no_journal

INC = "INC-0001"
VALID_INCIDENT = (
    "id: INC-0001\ntitle: Card payments failing at checkout\nstage: identify\nseverity: SEV1\nimpact: high\n"
    "urgency: high\npriority: 1\ndetection:\n  source: alert\ndetected_at: '2026-11-15T08:45:00Z'\nservices:\n  - checkout-api\n"
)
CPU_SECONDS = 2
PLACE = re.compile(r"(?m)(?:^|\s)(\S+\.ya?ml|incidents/\S+):[0-9]+:[0-9]+: ")
DOCUMENTS = corpus((REPO_ROOT / "process.yaml").read_text(encoding="utf-8"), (REPO_ROOT / "catalog.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tracker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = make_tracker(tmp_path_factory.mktemp("corpus") / "tracker")
    (repo / "incidents" / INC).mkdir(parents=True)
    (repo / "incidents" / INC / "incident.yaml").write_text(VALID_INCIDENT, encoding="utf-8")
    commit_all(repo, "A valid incident")
    forkrun.warm(repo)
    return repo


def _commands() -> list[list[str]]:
    return [["validate"], ["check", "--base", "main", "--uncommitted"], ["set", INC, "summary", "Edited while the record is hostile"]]


def test_the_corpus_is_several_hundred_documents_of_every_kind() -> None:
    assert len(DOCUMENTS) >= 300
    assert len({d.name for d in DOCUMENTS}) == len(DOCUMENTS)
    assert {d.place.split("/")[0] for d in DOCUMENTS} == {"incidents", "kedb", "process.yaml", "catalog.yaml"}


@pytest.mark.slow
def test_no_hostile_document_makes_a_command_crash_hang_or_refuse_without_a_place(tracker: Path) -> None:
    base = git("rev-parse", "HEAD", cwd=tracker).strip()
    problems: list[str] = []
    slowest: list[tuple[float, str]] = []
    codes: Counter[str] = Counter()
    for document in DOCUMENTS:
        target = tracker / document.place
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(document.data)
        for args in _commands():
            outcome = forkrun.run(args, tracker, timeout=60, cpu_seconds=CPU_SECONDS)
            slowest.append((outcome.seconds, f"{document.name}: {args[0]}"))
            codes[f"{args[0]} {outcome.code}"] += 1
            if outcome.code is None:
                problems.append(f"{document.name}: mimctl {args[0]} used more than {CPU_SECONDS} s of CPU or hung\n{outcome!r}")
            elif outcome.code not in (0, 1) or "Traceback" in outcome.output or "unexpected error" in outcome.output:
                problems.append(f"{document.name}: {outcome!r}")
            elif outcome.code == 1 and not PLACE.search(outcome.output):
                problems.append(f"{document.name}: refused without naming a file and line: {outcome!r}")
        assert no_journal(tracker), f"{document.name}: a journal was left"
        git("reset", "--quiet", "--hard", base, cwd=tracker)
        git("clean", "--quiet", "-fdx", cwd=tracker)
    slowest.sort(reverse=True)
    print(f"{len(DOCUMENTS)} documents; outcomes {dict(codes)}; slowest: {slowest[:5]}")
    assert not problems, f"{len(problems)} problems:\n\n" + "\n\n".join(problems[:20])
    assert not Path("/tmp/mimctl-pwned").exists()
