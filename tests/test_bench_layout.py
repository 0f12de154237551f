"""The layout benchmark (bench/layout.py): the two trees it compares hold the same incidents, and only the split one collapses.

Its figures argue that git's cost in a responder's sparse checkout follows the
number of entries in incidents/; they would mean nothing if the two trees held
different records or if the cone held more than one incident.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from gitutil import bench_script, git

layout = bench_script("layout")


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
