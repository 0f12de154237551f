"""This repository is a tracker too: its schemas and process must be the ones mimctl ships."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tools" / "mimctl"


@pytest.mark.parametrize("name", sorted(p.name for p in (PACKAGE / "schemas").glob("*.schema.json")))
def test_repository_schemas_are_the_packaged_ones(name: str) -> None:
    assert (ROOT / "schemas" / name).read_bytes() == (PACKAGE / "schemas" / name).read_bytes()


def test_no_schema_only_in_the_repository() -> None:
    assert sorted(p.name for p in (ROOT / "schemas").glob("*.json")) == sorted(p.name for p in (PACKAGE / "schemas").glob("*.json"))


def test_repository_process_is_the_starter_process() -> None:
    assert (ROOT / "process.yaml").read_bytes() == (PACKAGE / "starter" / "process.yaml").read_bytes()
