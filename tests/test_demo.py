"""The demo drives the library, and writes the same records and commits as the CLI commands it names.

``golden/demo.json`` was recorded from the demo when it still ran every step
as a ``mimctl`` command in-process: every commit's subject, trailers and
paths, and every record file at the end, with the random parts (the six hex
digits of timeline file names, containment and hypothesis ids) masked. Since
then the events that edit incident.yaml also carry the values they set (``sets:``),
events carry their place in recording order (``seq``), the review commands record a
``review`` event, and the demo records when its containment worked and service was
restored (the mitigated and resolved milestones); the file was re-recorded from the
demo then, each change read in the diff.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gitutil import GIT_ENV, START, git, ok
from mimctl import demo

GOLDEN = Path(__file__).parent / "golden" / "demo.json"
_RANDOM = ((re.compile(r"-[0-9a-f]{6}\.yaml"), "-xxxxxx.yaml"), (re.compile(r"\b([CH])-[0-9a-f]{4}\b"), r"\1-xxxx"))


def _mask(text: str) -> str:
    for pattern, replacement in _RANDOM:
        text = pattern.sub(replacement, text)
    return text


def describe(repo: Path) -> dict[str, object]:
    """Every commit after the first (subject, trailers, paths) and every record file, masked."""
    commits = git("rev-list", "--reverse", "HEAD", cwd=repo).split()[1:]
    found: dict[str, object] = {"commits": [], "files": {}}
    for sha in commits:
        subject = git("log", "-1", "--format=%s", sha, cwd=repo).strip()
        trailers = git("log", "-1", "--format=%(trailers:only,unfold)", sha, cwd=repo).strip().splitlines()
        paths = sorted(p for p in git("show", "--name-only", "--format=", sha, cwd=repo).splitlines() if p)
        found["commits"].append({"subject": _mask(subject), "trailers": [_mask(t) for t in trailers], "paths": [_mask(p) for p in paths]})  # type: ignore[attr-defined]
    for path in sorted(git("ls-files", "incidents", cwd=repo).splitlines()):
        found["files"][_mask(path)] = _mask((repo / path).read_text(encoding="utf-8"))  # type: ignore[index]
    return found


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)


def test_demo_writes_the_records_and_commits_it_always_wrote(tmp_path: Path) -> None:
    lines: list[str] = []
    assert demo.run(tmp_path / "demo", lines.append, START, "tester"), "\n".join(lines)

    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    found = describe(tmp_path / "demo")
    assert [c["subject"] for c in found["commits"]] == [c["subject"] for c in expected["commits"]]  # type: ignore[attr-defined]
    assert found["commits"] == expected["commits"]
    assert sorted(found["files"]) == sorted(expected["files"])  # type: ignore[arg-type]
    for path, text in expected["files"].items():
        assert found["files"][path] == text, path  # type: ignore[index]
    assert lines[-1].startswith("ok: ") and "valid" in lines[-1]
    assert git("status", "--porcelain", cwd=tmp_path / "demo") == ""


def test_demo_step_lines_name_the_commands_and_their_commits(tmp_path: Path) -> None:
    lines: list[str] = []
    assert demo.run(tmp_path / "demo", lines.append, START, "tester")
    steps = [line for line in lines if re.match(r"^ *[0-9]+\. ", line)]
    assert len(steps) == len(demo.script(START, "tester"))
    heads = git("rev-list", "--reverse", "HEAD", cwd=tmp_path / "demo").split()[1:]
    for line, sha in zip(steps, heads, strict=True):
        assert line.endswith(f"[{sha[:8]}]"), line
    assert "mimctl containment add" in "\n".join(steps) and "mimctl pir action set" in "\n".join(steps)


def test_mimctl_demo_builds_both_site_editions(tmp_path: Path) -> None:
    result = ok(["demo", "--path", str(tmp_path / "demo")], tmp_path)
    assert "Done. The repository is at" in result.stdout
    assert (tmp_path / "demo" / "site" / "index.html").is_file()
    assert (tmp_path / "demo" / "site-public" / "index.html").is_file()


def test_mimctl_demo_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "keep.txt").write_text("mine\n", encoding="utf-8")
    from gitutil import run

    result = run(["demo", "--path", str(tmp_path / "demo")], tmp_path)
    assert result.exit_code == 2 and "is not empty" in result.stderr, result
    assert sorted(p.name for p in (tmp_path / "demo").iterdir()) == ["keep.txt"]
