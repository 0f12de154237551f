"""Record text never reaches a terminal raw: every output format of every printing command escapes control characters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitutil import commit_all, declare, git, make_tracker, ok, run
from mimctl.findings import Finding
from mimctl.output import UNSAFE, findings_github, findings_json, findings_text, json_text, md, terminal_safe

# A key as an attacker writes it in YAML: OSC 0 (set the window title) ended by BEL, a C1 CSI,
# a line separator, a right-to-left override and a lone carriage return.
HOSTILE_YAML = r'"\e]0;owned\a\x9b31m\L\u202Eevil\rok"'
HOSTILE = "\x1b]0;owned\x07\x9b31m\u2028\u202eevil\rok"


def assert_inert(output: str) -> None:
    """No character a terminal, a log viewer or a JSON consumer would act on (tab and newline aside)."""
    raw = sorted({f"U+{ord(c):04X}" for c in output if ord(c) in UNSAFE})
    assert raw == [], f"raw control characters in output: {raw}\n{output!r}"


def test_terminal_safe_escapes_every_unsafe_character_visibly() -> None:
    text = "".join(chr(c) for c in sorted(UNSAFE))
    safe = terminal_safe(text)
    assert_inert(safe)
    assert "\\x1b" in safe and "\\x07" in safe and "\\x9b" in safe and "\\u2028" in safe and "\\u202e" in safe and "\\x0d" in safe
    assert terminal_safe("two\tcolumns\nand lines ü €") == "two\tcolumns\nand lines ü €"
    assert terminal_safe("a\nb", one_line=True) == "a\\nb"


def test_json_text_reads_back_the_same_and_is_inert() -> None:
    data = {HOSTILE: [HOSTILE, "\x7f\x85\u2029\u2066x\u2069", "plain ü"]}
    text = json_text(data)
    assert_inert(text)
    assert json.loads(text) == data


def test_findings_in_every_format_are_inert() -> None:
    finding = Finding(f"incidents/INC-0001/{HOSTILE}.yaml", 3, 1, f"unknown key {HOSTILE}", HOSTILE)
    text = findings_text([finding], 1)
    assert_inert(text)
    assert len(text.splitlines()) == 2  # the finding and the summary: no forged lines
    github = findings_github([finding], 1)
    assert_inert(github)
    assert [line.startswith("::error ") for line in github.splitlines()[:-1]] == [True]
    assert json.loads(findings_json([finding], 1))["findings"][0]["field"] == HOSTILE
    assert_inert(md(HOSTILE))


# --- through the CLI --------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A tracker whose main has a valid incident with a bidi override in its title and summary, and a
    branch that adds a hostile key to a second incident."""
    repo = make_tracker(tmp_path_factory.mktemp("terminal") / "tracker")
    good = declare(repo)
    ok(["set", good, "summary", "Refunds \u202egnilaef\u202c since \u2066noon\u2069"], repo)
    ok(["set", good, "title", "Checkout \u202eevil\u202c down"], repo)
    git("switch", "--quiet", "-c", "feature", cwd=repo)
    bad = declare(repo)
    path = repo / "incidents" / bad / "incident.yaml"
    path.write_text(path.read_text(encoding="utf-8") + f"{HOSTILE_YAML}: 1\n", encoding="utf-8")
    commit_all(repo, "a hostile key")
    return repo, good, bad


@pytest.mark.parametrize("output_format", ["text", "github", "json"])
def test_validate_output_is_inert(hostile: tuple[Path, str, str], output_format: str) -> None:
    repo, _, bad = hostile
    result = run(["validate", "--format", output_format], repo)
    assert result.exit_code == 1 and not result.crashed, result
    assert bad in result.output
    assert_inert(result.output)
    if output_format == "json":
        assert any(HOSTILE in f["field"] + f["message"] for f in result.json()["findings"]), result


@pytest.mark.parametrize("output_format", ["text", "github", "json"])
def test_check_output_and_summary_are_inert(hostile: tuple[Path, str, str], output_format: str, tmp_path: Path) -> None:
    repo, _, bad = hostile
    summary = tmp_path / "summary.md"
    result = run(["check", "--base", "main", "--summary", str(summary), "--format", output_format], repo)
    assert result.exit_code == 1 and not result.crashed, result
    assert bad in result.output
    assert_inert(result.output)
    assert_inert(summary.read_text(encoding="utf-8"))


@pytest.mark.parametrize("output_format", ["text", "json"])
def test_show_and_list_are_inert(hostile: tuple[Path, str, str], output_format: str) -> None:
    repo, good, _ = hostile
    shown = ok(["show", good, "--format", output_format], repo)
    assert_inert(shown.output)
    listed = ok(["list", "--format", output_format], repo)
    assert_inert(listed.output)
    if output_format == "json":
        assert listed.json()["incidents"][0]["title"] == "Checkout \u202eevil\u202c down"
    else:
        assert "Checkout \\u202eevil\\u202c down" in listed.stdout


def test_a_refusal_naming_a_hostile_key_is_inert(hostile: tuple[Path, str, str]) -> None:
    repo, _, bad = hostile
    for args in (["show", bad], ["note", bad, "text"], ["advance", bad]):
        result = run(args, repo)
        assert result.exit_code == 1 and not result.crashed, result
        assert_inert(result.output)
        assert "\\x1b]0;owned\\x07" in result.stderr, result
