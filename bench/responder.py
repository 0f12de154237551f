"""Responder commands in a large tracker: mimctl advance/note against plain git add + commit.

Usage: python bench/responder.py REPO [--runs N]   (REPO made by bench/synth.py)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

MIMCTL = [sys.executable, "-m", "mimctl"]


def timed(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def declare_ready(repo: Path) -> str:
    """A new incident whose identify gate is met (setup, not timed)."""
    out = subprocess.run(
        [
            *MIMCTL,
            "new",
            "--title",
            "Bench",
            "--service",
            "auth",
            "--impact",
            "high",
            "--urgency",
            "high",
            "--severity",
            "SEV1",
            "--source",
            "alert",
            "--summary",
            "Bench",
            "--users",
            "5",
            "--format",
            "json",
        ],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    incident = out.split('"incident": "')[1].split('"')[0]
    subprocess.run([*MIMCTL, "confirm", incident], cwd=repo, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([*MIMCTL, "classify", incident, "--reason", "bench"], cwd=repo, check=True, stdout=subprocess.DEVNULL)
    return incident


def summarise(name: str, samples: list[float]) -> str:
    return f"| {name} | {statistics.median(samples) * 1000:.0f} | {min(samples) * 1000:.0f} | {max(samples) * 1000:.0f} |"


def measure(repo: Path, runs: int) -> dict[str, list[float]]:
    """Seconds per run of plain git add + commit, mimctl advance, mimctl note and mimctl --help.

    Leaves new commits and incidents behind; callers that reuse ``repo`` reset it afterwards.
    """
    os.environ.setdefault("MIMCTL_USER", "bench")
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    first = sorted((repo / "incidents").iterdir())[0]
    samples: dict[str, list[float]] = {"plain": [], "advance": [], "note": [], "help": []}
    for _ in range(runs):
        scratch = first / "timeline" / f"20260101T000000Z-note-{uuid.uuid4().hex[:6]}.yaml"
        scratch.write_text("at: '2026-01-01T00:00:00Z'\nkind: note\ntext: plain git\n")
        samples["plain"].append(timed(["sh", "-c", f"git add '{scratch}' && {' '.join(git)} commit -q -m plain"], repo))
        incident = declare_ready(repo)
        samples["advance"].append(timed([*MIMCTL, "advance", incident], repo))
        samples["note"].append(timed([*MIMCTL, "note", incident, "bench note"], repo))
        samples["help"].append(timed([str(Path(sys.executable).with_name("mimctl")), "--help"], repo))
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("repo", type=Path)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    repo: Path = args.repo
    samples = measure(repo, args.runs)
    plain, advance, note, helps = samples["plain"], samples["advance"], samples["note"], samples["help"]
    base = statistics.median(plain)
    print(f"Repository: {sum(1 for _ in (repo / 'incidents').iterdir())} incidents; {args.runs} runs each\n")
    print("| command | median ms | min ms | max ms |\n|---|---|---|---|")
    for name, samples_ in (
        ("git add + commit (one file)", plain),
        ("mimctl advance", advance),
        ("mimctl note", note),
        ("mimctl --help", helps),
    ):
        print(summarise(name, samples_))
    print(f"\nadvance / plain git: {statistics.median(advance) / base:.2f}x; note / plain git: {statistics.median(note) / base:.2f}x")


if __name__ == "__main__":
    main()
