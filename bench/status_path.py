"""The status path against the history: from a public update to rebuilt status pages, and the full build against plain mkdocs.

Side by side in one run, on a synthetic tracker (bench/synth.py):

The tracker is synthetic with a handful of incidents open (see ``settled``).

- ``mimctl update --public`` on an active public incident, then
  ``mimctl site build --public --status-only`` over the last full build: the
  time a reader waits for an update (goal: under 10 s, independent of history);
- ``mimctl site build --public`` (the full public site), for comparison;
- ``mimctl site build`` (internal, full) against ``mkdocs build`` of the same
  pages written out beforehand (goal: at most 1.2x).

Usage:
    python bench/status_path.py --incidents 1000 [--runs 3]   # a tracker of that size, cached under bench/results/
    python bench/run.py --only e                                # the same, as a section of the results page
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

MIMCTL = [sys.executable, "-m", "mimctl"]
ENV_NOTE = "NO_MKDOCS_2_WARNING"


def _timed(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def active_public_incident(repo: Path) -> str:
    """An incident the public status page shows as unresolved (chosen, not timed)."""
    from mimctl.site.data import PUBLIC
    from mimctl.site.status_path import collect_status
    from mimctl.store import Tracker

    site = collect_status(Tracker(repo), PUBLIC)
    for state in site.state.unresolved():
        if state.impairing:
            return state.incident.id
    raise SystemExit(f"{repo}: no active public incident to update")


def settled(repo: Path, target: Path, keep: int = 5) -> Path:
    """A copy of ``repo`` where only the ``keep`` newest open incidents are still open (cached).

    bench/synth.py draws every incident's stage from the same weights, so a long
    synthetic history has hundreds of incidents open for years; a real tracker
    has a handful open at a time. The others are moved to ``complete`` as a
    reviewer would (a stage event after their last one).
    """
    import re
    from datetime import datetime, timedelta, timezone

    if (target / ".git").is_dir():
        return target
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(repo, target)
    open_stages = ("identify", "notify", "contain", "investigate", "resolve", "recover")
    found = []
    for folder in sorted((target / "incidents").iterdir()):
        text = (folder / "incident.yaml").read_text(encoding="utf-8")
        stage = re.search(r"^stage: (\S+)$", text, re.M)
        detected = re.search(r"^detected_at: '([^']+)'$", text, re.M)
        if stage and detected and stage.group(1) in open_stages:
            found.append((detected.group(1), folder, stage.group(1), text))
    for _, folder, stage, text in sorted(found, reverse=True)[keep:]:
        (folder / "incident.yaml").write_text(text.replace(f"\nstage: {stage}\n", "\nstage: complete\n", 1), encoding="utf-8")
        last = max(p.name[:16] for p in (folder / "timeline").glob("*.yaml"))
        at = datetime.strptime(last, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc) + timedelta(minutes=1)
        (folder / "timeline" / f"{at:%Y%m%dT%H%M%SZ}-stage-be0c42.yaml").write_text(
            f"at: '{at:%Y-%m-%dT%H:%M:%SZ}'\nkind: stage\nby: bench\nfrom: {stage}\nto: complete\nreason: Settled for the benchmark\n",
            encoding="utf-8",
        )
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run([*git, "add", "-A"], cwd=target, check=True)
    subprocess.run([*git, "commit", "-q", "--no-verify", "-m", "settle old incidents"], cwd=target, check=True)
    return target


def _restore(repo: Path) -> None:
    subprocess.run(["git", "checkout", "-q", "--", "."], cwd=repo, check=True)
    subprocess.run(["git", "clean", "-q", "-fd", "--", "incidents", "maintenance"], cwd=repo, check=True)


def measure(repo: Path, work: Path, runs: int) -> dict[str, list[float]]:
    """Seconds per run of each measurement (see the module docstring)."""
    import os

    os.environ.setdefault(ENV_NOTE, "1")
    from run import plain_project, timed_with_memory  # the site section's baseline

    samples: dict[str, list[float]] = {"update": [], "status path": [], "full public": [], "full internal": [], "plain mkdocs": []}
    public = work / "public"
    if public.exists():
        shutil.rmtree(public)
    samples["full public"].append(_timed([*MIMCTL, "site", "build", "--public", "-o", str(public)], repo))
    incident = active_public_incident(repo)
    try:
        for n in range(runs):
            text = f"We are still working on it (bench update {n})."
            samples["update"].append(
                _timed([*MIMCTL, "update", incident, "--public", "--status", "identified", text, "--no-commit", "--by", "bench"], repo)
            )
            samples["status path"].append(_timed([*MIMCTL, "site", "build", "--public", "--status-only", "-o", str(public)], repo))
            assert text in (public / "index.html").read_text(encoding="utf-8"), "the update is on the status home"
    finally:
        _restore(repo)
    plain = work / "plain"
    plain_project(repo, plain)
    for _ in range(runs):  # interleaved, so drift in the machine hits both alike
        out = work / "internal"
        if out.exists():
            shutil.rmtree(out)
        samples["full internal"].append(timed_with_memory([*MIMCTL, "site", "build", "-o", str(out)], repo)[0])
        shutil.rmtree(plain / "site", ignore_errors=True)
        samples["plain mkdocs"].append(timed_with_memory([str(Path(sys.executable).parent / "mkdocs"), "build", "-q"], plain)[0])
    return samples


def rows(incidents: int, samples: dict[str, list[float]]) -> list[tuple[str, float, float, float, int, str]]:
    """(name, median, min, max, runs, note) per measurement."""
    found = []
    reader_wait = [u + s for u, s in zip(samples["update"], samples["status path"], strict=True)]
    for name, values, note in (
        ("public update (mimctl update --public)", samples["update"], ""),
        ("status path (site build --public --status-only)", samples["status path"], "goal: update + status path < 10 s"),
        ("update to rebuilt status path", reader_wait, "the time a reader waits"),
        ("full public build", samples["full public"], "one run"),
        ("full internal build (mimctl site build)", samples["full internal"], ""),
        ("plain mkdocs build of the same pages", samples["plain mkdocs"], ""),
    ):
        found.append((f"{name}, {incidents:,} incidents", statistics.median(values), min(values), max(values), len(values), note))
    ratio = statistics.median(samples["full internal"]) / statistics.median(samples["plain mkdocs"])
    found.append((f"full build / plain mkdocs, {incidents:,} incidents", ratio, ratio, ratio, 1, "goal: at most 1.2x"))
    return found


def section(report: object, sizes: list[int], runs: int) -> None:
    """Section e of bench/run.py's results page, at each of ``sizes`` incidents."""
    for incidents in sizes:
        _section(report, incidents, runs)


def _section(report: object, incidents: int, runs: int) -> None:
    from run import RESULTS, Row, tracker, write

    generated = tracker(incidents, max(5, incidents // 10))
    repo = settled(generated, RESULTS / "repos" / f"settled-{generated.name}")
    samples = measure(repo, RESULTS / "status-path", runs)
    reader_wait = [u + s for u, s in zip(samples["update"], samples["status path"], strict=True)]
    wait = Row(f"public update to rebuilt status path, {incidents:,} incidents", reader_wait, target="< 10 s")
    wait.verdict = "met" if wait.median < 10 else "missed"
    full = Row(f"mimctl site build, {incidents:,} incidents", samples["full internal"], samples["plain mkdocs"], "≤ 1.2x plain mkdocs")
    full.verdict = "met" if (full.ratio() or 0) <= 1.2 else "missed"
    report.sections.setdefault("e", []).extend(
        [  # type: ignore[attr-defined]
            Row(f"mimctl update --public, {incidents:,} incidents", samples["update"]),
            Row(f"mimctl site build --public --status-only, {incidents:,} incidents", samples["status path"]),
            wait,
            Row(f"mimctl site build --public (full), {incidents:,} incidents", samples["full public"]),
            Row(f"plain mkdocs build of the same pages, {incidents:,} incidents", samples["plain mkdocs"]),
            full,
        ]
    )
    write(report)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--as-generated", action="store_true", help="keep synth.py's share of open incidents (about 13%%, for years)")
    args = parser.parse_args()
    from run import RESULTS, tracker

    generated = tracker(args.incidents, max(5, args.incidents // 10))
    repo = generated if args.as_generated else settled(generated, RESULTS / "repos" / f"settled-{generated.name}")
    for name, median, low, high, runs, note in rows(args.incidents, measure(repo, RESULTS / "status-path", args.runs)):
        unit = "x" if name.startswith("full build /") else "s"
        print(f"{name:<70} median {median:8.2f} {unit}  min {low:8.2f}  max {high:8.2f}  runs {runs}  {note}")


if __name__ == "__main__":
    main()
