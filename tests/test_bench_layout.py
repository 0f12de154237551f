"""The layout benchmark (bench/layout.py): the two trees it compares hold the same incidents, and only the split one collapses.

Its figures argue that git's cost in a responder's sparse checkout follows the
number of entries in incidents/; they would mean nothing if the two trees held
different records or if the cone held more than one incident.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

from gitutil import REPO_ROOT, git


def _layout() -> Any:
    found = sys.modules.get("bench_layout")
    if found is None:
        spec = importlib.util.spec_from_file_location("bench_layout", REPO_ROOT / "bench" / "layout.py")
        assert spec is not None and spec.loader is not None
        found = sys.modules["bench_layout"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(found)
    return found


layout = _layout()


def test_both_trees_hold_the_same_incidents_and_the_sparse_index_collapses_only_the_shards(tmp_path: Path) -> None:
    listed = {}
    for shard in (0, 10):
        bare, target = tmp_path / f"{shard}.git", tmp_path / f"co-{shard}"
        layout.generate(bare, 50, shard)
        files = git("ls-tree", "-r", "--name-only", "main", cwd=bare).split()
        listed[shard] = sorted(path.partition("INC-")[1] + path.partition("INC-")[2] for path in files)  # from the incident's folder on
        newest = layout.folder(49, shard)
        layout.checkout(bare, target, newest)
        on_disk = sorted(p.relative_to(target).as_posix() for p in (target / "incidents").rglob("*") if p.is_file())
        assert on_disk == [f"{newest}/incident.yaml", f"{newest}/timeline/event.yaml"]
        seconds = layout.commit_times(target, f"{newest}/incident.yaml", 2, layout.EXPECT)
        assert len(seconds) == 2
        assert git("rev-list", "--count", "HEAD", cwd=target).strip() == "3", "each run is one commit"
        entries = subprocess.run(["git", "ls-files", "--sparse"], cwd=target, check=True, capture_output=True, text=True).stdout.split()
        if shard == 0:
            assert len(entries) == 1 + 49 + 2, "process.yaml, a folder entry per other incident, the two files"
        else:
            assert len(entries) == 1 + 4 + 9 + 2, "process.yaml, the four other shards, the shard's other nine incidents, the two files"
    assert listed[0] == listed[10], "the same incidents in both trees"
