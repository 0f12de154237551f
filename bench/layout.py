"""Layout: what plain git costs a responder in a sparse checkout, with every incident in one folder or the folder split in shards.

A responder's sparse checkout holds a few incident folders. Git's sparse index
collapses each folder the cone leaves out into one entry, but only folders
whose parent is itself outside the cone: with every incident in
``incidents/`` (the tracker's layout), the index keeps one entry per incident
of the history, and every ``git add`` and ``git commit`` reads, compares and
writes them all. With ``incidents/`` split into shards (a folder per 1,000
incidents, say), the index keeps one entry per shard instead.

This measures plain git only, on two trees written straight into git objects
(git fast-import): ``incidents/INC-N/`` and ``incidents/SHARD/INC-N/``, each
folder holding an ``incident.yaml`` and one timeline file. In a sparse,
blobless clone of each (cone: the newest incident's folder, sparse index,
``feature.manyFiles``) it times ``git add`` + ``git commit`` of an edit to
that incident, with git's defaults and with
``sparse.expectFilesOutsideOfPatterns`` (what mimctl sets when nothing is on
disk outside the cone), and reports the index's size and entries.

Usage:
    python bench/layout.py [--incidents 100000] [--shard 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ENV_CONFIG = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
EXPECT = ["-c", "sparse.expectFilesOutsideOfPatterns=true"]
RECORD = b"stage: closed\ntitle: a closed incident\n"


def folder(number: int, shard: int) -> str:
    """The incident's folder: in incidents/ itself (shard 0) or in the shard that holds it."""
    name = f"INC-{number:06d}"
    return f"incidents/{name}" if shard == 0 else f"incidents/{number // shard:04d}/{name}"


def generate(bare: Path, incidents: int, shard: int) -> None:
    """A bare repository holding ``incidents`` incident folders in one commit, written with git fast-import."""
    subprocess.run(["git", "init", "--quiet", "--bare", "--initial-branch=main", str(bare)], check=True)
    subprocess.run(["git", "config", "uploadpack.allowFilter", "true"], cwd=bare, check=True)
    lines = [b"blob\nmark :1\ndata %d\n%s\n" % (len(RECORD), RECORD)]
    lines.append(b"commit refs/heads/main\ncommitter bench <bench@example.invalid> 1700000000 +0000\ndata 8\nhistory\n")
    lines.append(b"M 100644 :1 process.yaml\n")
    for number in range(incidents):
        path = folder(number, shard).encode()
        lines.append(b"M 100644 :1 %s/incident.yaml\nM 100644 :1 %s/timeline/event.yaml\n" % (path, path))
    lines.append(b"\n")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=bare, input=b"".join(lines), check=True)


def checkout(bare: Path, target: Path, cone: str) -> None:
    """A sparse, blobless clone holding ``cone`` only, with the settings mimctl gives a responder's checkout."""
    subprocess.run(["git", "clone", "--quiet", "--sparse", "--filter=blob:none", f"file://{bare}", str(target)], check=True)
    subprocess.run(["git", "config", "feature.manyFiles", "true"], cwd=target, check=True)
    subprocess.run(["git", "sparse-checkout", "set", "--cone", "--sparse-index", cone], cwd=target, check=True)


def commit_times(target: Path, path: str, runs: int, settings: list[str]) -> list[float]:
    """Seconds of ``git add PATH && git commit`` after appending a line to ``path``, ``runs`` times."""
    out = []
    for run in range(runs):
        with (target / path).open("a", encoding="utf-8") as record:
            record.write(f"note: run {run}\n")
        start = time.perf_counter()
        subprocess.run(["git", *settings, "add", path], cwd=target, check=True)
        subprocess.run(["git", *ENV_CONFIG, *settings, "commit", "--quiet", "-m", f"run {run}"], cwd=target, check=True)
        out.append(time.perf_counter() - start)
    return out


def measure(work: Path, incidents: int, shard: int, runs: int) -> dict[str, str]:
    bare, target = work / f"layout-{shard}.git", work / f"layout-{shard}"
    generate(bare, incidents, shard)
    newest = folder(incidents - 1, shard)
    checkout(bare, target, newest)
    plain = commit_times(target, f"{newest}/incident.yaml", runs, [])
    expect = commit_times(target, f"{newest}/incident.yaml", runs, EXPECT)
    entries = subprocess.run(["git", "ls-files", "--sparse"], cwd=target, check=True, capture_output=True).stdout.count(b"\n")
    return {
        "layout": "incidents/INC-N/" if shard == 0 else f"incidents/SHARD/INC-N/ ({shard:,} per shard)",
        "index": f"{(target / '.git' / 'index').stat().st_size / 1024:,.0f} KiB, {entries:,} entries",
        "plain": _spread(plain),
        "expect": _spread(expect),
    }


def _spread(seconds: list[float]) -> str:
    return f"{statistics.median(seconds):.3f} s (min {min(seconds):.3f}, max {max(seconds):.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--shard", type=int, default=1_000, help="incidents per shard in the split layout")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mimctl-layout-"))
    try:
        rows = [measure(work, args.incidents, shard, args.runs) for shard in (0, args.shard)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{args.incidents:,} incidents, {args.runs} runs each: plain git add + git commit of an edit, sparse checkout of one incident\n")
    print("| layout | sparse index | git's defaults | sparse.expectFilesOutsideOfPatterns |")
    print("|---|---|---:|---:|")
    for row in rows:
        print(f"| {row['layout']} | {row['index']} | {row['plain']} | {row['expect']} |")


if __name__ == "__main__":
    main()
