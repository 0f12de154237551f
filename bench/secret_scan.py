"""Benchmark: the secret scanner on adversarial input, and `mimctl note` beside a 900 KB hostile value.

Usage:
    python bench/secret_scan.py [--sizes 1,5,20] [--runs 3]

Prints MB/s of ``secret_scan.scan_text`` for each input shape at each size (linear
time shows as a steady rate), then the time of ``mimctl note`` on an incident
whose incident.yaml carries a 900 KB hostile value (in a comment, so the
record stays valid and every note scans it) against one without.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mimctl import secret_scan

ROOT = Path(__file__).resolve().parent.parent

# Each shape repeats a unit that a backtracking engine or a naive scanner pays for.
SHAPES = {
    "eyJ repeated (JWT prefix)": "eyJ",
    "base64 run": "aB3/",
    "near-miss assignments": "password=aaaaaa1 ",
    "near-miss URLs": "redis://u:aaaaaaa@h ",
    "every keyword": "ghp_ eyJa.eyJb. AKIA xapp- sk_live_ AIza -----BEGIN ://x:y@ token ",
    "zero-width every 3rd char": "gh\u200bp",
}


def rate(text: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        secret_scan.scan_text("bench.txt", text, "bench.txt")
        times.append(time.perf_counter() - started)
    return len(text.encode()) / (1024 * 1024) / statistics.median(times)


def scanner(sizes: list[int], runs: int) -> None:
    print(f"{'input':32}" + "".join(f"{size:>8} MB" for size in sizes) + "   (MB/s)")
    for name, unit in SHAPES.items():
        cells = []
        for size in sizes:
            text = unit * (size * 1024 * 1024 // len(unit.encode()))
            cells.append(f"{rate(text, runs):>11.1f}")
        print(f"{name:32}" + "".join(cells))


def _mimctl(args: list[str], cwd: Path) -> float:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "MIMCTL_USER": "bench"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mimctl", *args], cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def note(runs: int) -> None:
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    with tempfile.TemporaryDirectory() as scratch:
        repo = Path(scratch) / "tracker"
        repo.mkdir()
        for name in ("process.yaml", "catalog.yaml"):
            shutil.copyfile(ROOT / name, repo / name)
        shutil.copytree(ROOT / "schemas", repo / "schemas")
        subprocess.run([*git, "init", "-q", "-b", "main"], cwd=repo, check=True)
        for key, value in (("user.name", "bench"), ("user.email", "bench@example.invalid"), ("commit.gpgsign", "false")):
            subprocess.run(["git", "config", key, value], cwd=repo, check=True)
        declare = ["new", "--title", "Checkout errors", "--service", "checkout-api", "--impact", "high", "--urgency", "high"]
        declare += ["--severity", "SEV1", "--source", "alert", "--alert-name", "CheckoutErrorRate"]
        declare += ["--started", "2025-03-10T07:55:00Z", "--at", "2025-03-10T08:00:00Z"]
        _mimctl(declare, repo)
        _mimctl(declare, repo)
        hostile = repo / "incidents" / "INC-0002" / "incident.yaml"
        with open(hostile, "a", encoding="utf-8") as handle:
            handle.write("# " + "eyJ" * (900 * 1024 // 3) + "\n")
        subprocess.run([*git, "commit", "-qam", "a hostile comment"], cwd=repo, check=True)
        for incident in ("INC-0001", "INC-0002"):
            times = [_mimctl(["note", incident, f"note {i}", "--at", "2025-03-10T08:05:00Z"], repo) for i in range(runs)]
            label = "plain" if incident == "INC-0001" else "900 KB of eyJ in a comment"
            print(
                f"mimctl note, {label:28} median {statistics.median(times) * 1000:7.0f} ms (min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,5,20")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    scanner([int(s) for s in args.sizes.split(",")], args.runs)
    note(args.runs)


if __name__ == "__main__":
    main()
