"""CODEOWNERS, as GitHub reads it (a real matcher): reviewers approve stage changes, other updates flow.

Both files: this repository's and the one `mimctl init` writes into a new tracker.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from codeowners import CodeOwners

from gitutil import git, init_tracker

ROOT = Path(__file__).resolve().parents[1]
FILES = {"repo": ROOT / ".github" / "CODEOWNERS", "template": ROOT / "tools" / "mimctl" / "starter" / "github" / "CODEOWNERS"}
MANAGERS = "@your-org/major-incident-managers"
RESPONDERS = "@your-org/incident-responders"
PROBLEM_MANAGERS = "@your-org/problem-managers"

OWNERS = {
    # A stage change is a new timeline file named *-stage-*: the managers.
    "incidents/INC-0042/timeline/20261127T083500Z-stage-0a1b2c.yaml": MANAGERS,
    "incidents/INC-12345678/timeline/20261127T083500Z-stage-ffffff.yaml": MANAGERS,
    # Everything else recorded during an incident: responders.
    "incidents/INC-0042/timeline/20261127T083500Z-note-0a1b2c.yaml": RESPONDERS,
    "incidents/INC-0042/timeline/20261127T083500Z-stakeholder-update-0a1b2c.yaml": RESPONDERS,
    "incidents/INC-0042/timeline/20261127T083500Z-role-0a1b2c.yaml": RESPONDERS,
    "incidents/INC-0042/timeline/20261127T083500Z-containment-update-0a1b2c.yaml": RESPONDERS,
    "incidents/INC-0042/incident.yaml": RESPONDERS,
    "incidents/INC-0042/pir.yaml": RESPONDERS,
    "kedb/KE-0007.yaml": PROBLEM_MANAGERS,
    # What judges, publishes or sends: the managers.
    "process.yaml": MANAGERS,
    "catalog.yaml": MANAGERS,
    "schemas/incident.schema.json": MANAGERS,
    ".mimctl/requirements.txt": MANAGERS,
    ".mimctl/notifications.jsonl": MANAGERS,
    ".github/workflows/check.yml": MANAGERS,
    ".github/CODEOWNERS": MANAGERS,
    "tools/mimctl/prcheck.py": MANAGERS,
    "pyproject.toml": MANAGERS,
    "mkdocs.yml": MANAGERS,
    "docs/about.md": MANAGERS,
    "some-new-file.py": MANAGERS,
}


@pytest.mark.parametrize("which", sorted(FILES))
@pytest.mark.parametrize("path", sorted(OWNERS))
def test_each_path_has_the_owners_it_should(which: str, path: str) -> None:
    owners = CodeOwners(FILES[which].read_text(encoding="utf-8")).of(path)
    assert [name for _, name in owners] == [OWNERS[path]], f"{which}: {path} -> {owners}"


def test_init_writes_the_template(tmp_path: Path) -> None:
    root = init_tracker(tmp_path / "tracker")
    assert (root / ".github" / "CODEOWNERS").read_bytes() == FILES["template"].read_bytes()
    assert ".github/CODEOWNERS" in git("ls-files", cwd=root).splitlines()
