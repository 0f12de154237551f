"""``mimctl stats`` over many incidents, against the same command of a baseline revision, in the same run.

Usage:
    python bench/stats.py [--incidents N] [--runs N] [--baseline REV] [--by severity|incident]

A synthetic tracker of ``N`` incidents (bench/synth.py, 20 to 30 timeline
events each; cached under bench/results/) is measured with this checkout's
mimctl and with the mimctl of ``--baseline`` (default ``main``), checked out
into a temporary git worktree and run with the same interpreter, so both
figures come from the same machine at the same moment. Each command runs
``--runs`` times, alternating; the median, fastest and slowest are printed, with
the ratio of the medians (the target: at most 1.2x the baseline).
The lead runs 10,000 incidents on a quiet machine; keep ``N`` small elsewhere.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
sys.path.insert(0, str(BENCH))

import synth  # noqa: E402


def tracker(incidents: int) -> Path:
    """The cached synthetic tracker of ``incidents`` incidents (made once)."""
    target = RESULTS / f"stats-{incidents}"
    if not (target / "process.yaml").exists():
        synth.generate(target, incidents, events=20, seed=7, commit=False)
    return target


def timed(tools: Path, repo: Path, by: str) -> float:
    """Seconds one ``mimctl stats`` takes with the package under ``tools``."""
    env = {**os.environ, "PYTHONPATH": str(tools)}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "mimctl", "stats", "--by", by, "--format", "json", "--repo", str(repo)],
        env=env,
        capture_output=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"mimctl stats failed with {tools}:\n{done.stderr.decode(errors='replace')}")
    return elapsed


def baseline_tools(revision: str, folder: Path, repo: Path) -> Path:
    """A worktree of ``revision`` in ``folder``; its package folder.

    The tracker gets the baseline's process.yaml: both versions accept it (the
    milestones and durations sections are optional, with standard defaults),
    and the records are the sample incidents, which both accept too.
    """
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(folder), revision], check=True)
    (repo / "process.yaml").write_bytes((folder / "process.yaml").read_bytes())
    return folder / "tools"


def summary(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1000:,.0f} ms (min {min(samples) * 1000:,.0f}, max {max(samples) * 1000:,.0f}, {len(samples)} runs)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", default="main", help="the git revision to compare with (default: main)")
    parser.add_argument("--by", default="severity", choices=("severity", "service", "month", "incident"))
    args = parser.parse_args()
    repo = tracker(args.incidents)
    with tempfile.TemporaryDirectory(prefix="mimctl-stats-baseline-") as scratch:
        folder = Path(scratch) / "baseline"
        base = baseline_tools(args.baseline, folder, repo)
        try:
            ours, theirs = [], []
            timed(ROOT / "tools", repo, args.by)  # warm the file cache for both
            by_baseline = "severity" if args.by == "incident" else args.by  # the baseline has no --by incident
            timed(base, repo, by_baseline)
            for _ in range(args.runs):
                theirs.append(timed(base, repo, by_baseline))
                ours.append(timed(ROOT / "tools", repo, args.by))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(folder)], check=False)
    ratio = statistics.median(ours) / statistics.median(theirs)
    print(f"mimctl stats --by {args.by}, {args.incidents:,} incidents")
    print(f"  {args.baseline:<10} {summary(theirs)}")
    print(f"  {'this tree':<10} {summary(ours)}")
    print(f"  ratio {ratio:.2f}x (target: at most 1.20x): {'met' if ratio <= 1.2 else 'NOT met'}")


if __name__ == "__main__":
    main()
