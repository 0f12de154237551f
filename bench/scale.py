"""Scale: responder checkouts, the pull-request check, validation and the status path at 100 to 100,000 incidents.

Side by side in one run, on a tracker written straight into git objects by
``synth.generate_history`` (git fast-import, one commit per 1,000 incidents,
the newest 10 open), each command with its peak memory (maximum resident set
size):

- a responder's checkout made by ``mimctl clone`` (partial, sparse) and a
  full checkout (``git clone``); in each, ``mimctl note``, ``update``,
  ``new`` and ``advance`` against plain ``git add FILE && git commit`` in the
  same checkout (goals: sparse at most 0.3 s and 2x plain git; full at most
  2x plain git);
- ``mimctl list`` and ``show`` of an incident that is not checked out, in the
  sparse checkout;
- ``mimctl check --base main`` on a branch adding one timeline event (the
  section's smallest size is the baseline: goal at most 2x at 100 incidents);
- ``mimctl validate`` cold (``--no-cache``), warm, and warm from the commit
  (``--rev HEAD``), beside the floors: reading and strictly parsing every
  record file in one process, ``git status`` and ``git ls-tree -r``;
- a public update committed, then the status path built from the commit
  (``site build --public --status-only --rev HEAD``), with no heads kept and
  with them (goal: update plus status path under 10 s);
- ``git status`` and plain add + commit in the full checkout with git's
  defaults and with ``feature.manyFiles`` (index version 4, untracked cache).

Usage:
    python bench/scale.py --incidents 1000 [--runs 3] [--no-full]
    python bench/run.py --only f --scale-sizes 100,10000     # a section of docs/benchmarks.md
    python bench/run.py --only f --scale-sizes 100,100000

Repositories are cached under bench/results/scale/ (delete it to regenerate).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import synth  # noqa: E402

WORK = BENCH / "results" / "scale"
FULL_CHECKOUT_LIMIT = 10_000  # incidents; above it, bench/run.py measures the sparse checkout only
MIMCTL = [sys.executable, "-m", "mimctl"]
TIME_V = Path("/usr/bin/time")
ENV = {
    **{key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"},  # see synth.bytecode_ready
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "MIMCTL_USER": "bench",
    "NO_MKDOCS_2_WARNING": "1",
}
FLOOR = """
import sys, time
from pathlib import Path
from mimctl.yamlio import load_bytes
root = Path(sys.argv[1])
paths = sorted([*root.glob("incidents/*/*.yaml"), *root.glob("incidents/*/timeline/*.yaml"), *root.glob("kedb/*.yaml")])
for path in paths:
    load_bytes(path.read_bytes())
print(len(paths))
"""


@dataclass
class Sample:
    seconds: float
    kib: int  # peak resident memory


@dataclass
class Measured:
    """One measurement's runs, and what it is compared with."""

    name: str
    samples: list[Sample] = field(default_factory=list)
    baseline: str = ""  # the name of the measurement it is compared with
    target: str = ""

    @property
    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def peak(self) -> int:
        return max(s.kib for s in self.samples)


def run(args: list[str], cwd: Path, ok: tuple[int, ...] = (0,)) -> Sample:
    """Seconds and peak memory of one command (GNU time -v where it is installed)."""
    start = time.perf_counter()
    if TIME_V.exists():
        done = subprocess.run([str(TIME_V), "-v", *args], cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        elapsed = time.perf_counter() - start
        match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        kib = int(match.group(1)) if match else 0
    else:  # pragma: no cover - without GNU time, memory is not measured
        done = subprocess.run(args, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        elapsed, kib = time.perf_counter() - start, 0
    if done.returncode not in ok:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(args)} in {cwd}\n{done.stderr[-2000:]}")
    return Sample(elapsed, kib)


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True, text=True).stdout


# --- the repositories ----------------------------------------------------------------------------


def origin(incidents: int) -> Path:
    """The bare repository of ``incidents`` incidents (generated once)."""
    bare = WORK / f"origin-{incidents}.git"
    if not (bare / "HEAD").is_file() or not git("rev-parse", "--verify", "-q", "main", cwd=bare).strip():
        print(f"generating {incidents:,} incidents with git fast-import ...", flush=True)
        start = time.perf_counter()
        synth.generate_history(bare, incidents, known_errors=max(5, incidents // 100))
        print(f"  {time.perf_counter() - start:.0f} s", flush=True)
    return bare


def fresh_sparse(bare: Path, incidents: int) -> tuple[Path, Sample]:
    """A new ``mimctl clone`` of the bare repository, and what making it cost."""
    target = WORK / f"sparse-{incidents}"
    if target.exists():
        shutil.rmtree(target)
    made = run([*MIMCTL, "clone", f"file://{bare}", str(target)], WORK)
    return target, made


def full(bare: Path, incidents: int) -> Path:
    """A full checkout of the bare repository (kept between runs; put back to the origin's main each time)."""
    target = WORK / f"full-{incidents}"
    if not (target / ".git").is_dir():
        print(f"checking out {incidents:,} incidents ...", flush=True)
        git("clone", "--quiet", str(bare), str(target), cwd=WORK)
    git("checkout", "--quiet", "-f", "main", cwd=target)
    git("reset", "--quiet", "--hard", "origin/main", cwd=target)
    git("clean", "-q", "-fd", cwd=target)
    for branch in git("branch", "--format=%(refname:short)", cwd=target).split():
        if branch != "main":
            git("branch", "-q", "-D", branch, cwd=target)
    return target


def newest_incident(repo: Path) -> str:
    """The incident with the highest number that the checkout has on disk (INC-100000 comes after INC-99999)."""
    return max((p.name for p in (repo / "incidents").iterdir() if p.name.startswith("INC-")), key=lambda name: int(name[4:]))


def open_incident(repo: Path) -> str:
    """An open incident that the checkout has on disk (the newest)."""
    return newest_incident(repo)


# --- measurements --------------------------------------------------------------------------------


def responder(repo: Path, label: str, runs: int) -> list[Measured]:
    """Recording commands against plain git add + commit, in one checkout."""
    plain = Measured(f"{label}: git add FILE && git commit")
    floor = Measured(f"{label}: start Python and import the recording commands, nothing else")
    rows = {name: Measured(f"{label}: mimctl {name}", baseline=plain.name) for name in ("note", "update", "new", "advance")}
    incident = open_incident(repo)
    for n in range(runs):
        floor.samples.append(run([sys.executable, "-c", "import mimctl.cli.record"], repo))
        scratch = f"incidents/{incident}/timeline/20260101T0000{n:02d}Z-note-{uuid.uuid4().hex[:6]}.yaml"
        (repo / scratch).write_text(f"at: '2026-01-01T00:00:{n:02d}Z'\nkind: note\nby: bench\ntext: plain git {n}\n", encoding="utf-8")
        plain.samples.append(run(["sh", "-c", f"git add '{scratch}' && git commit -q -m plain"], repo))
        rows["note"].samples.append(run([*MIMCTL, "note", incident, f"bench note {n}"], repo))
        rows["update"].samples.append(run([*MIMCTL, "update", incident, "--internal", "--status", "investigating", f"bench {n}"], repo))
        declared = run([*MIMCTL, "new", *DECLARE], repo)
        rows["new"].samples.append(declared)
        newest = newest_incident(repo)
        subprocess.run([*MIMCTL, "confirm", newest], cwd=repo, env=ENV, check=True, capture_output=True)
        subprocess.run([*MIMCTL, "classify", newest, "--reason", "bench"], cwd=repo, env=ENV, check=True, capture_output=True)
        rows["advance"].samples.append(run([*MIMCTL, "advance", newest], repo))
    return [plain, floor, *rows.values()]


DECLARE = [
    "--title", "Bench incident", "--service", "auth", "--impact", "high", "--urgency", "high", "--severity", "SEV1",
    "--source", "alert", "--summary", "Bench", "--users", "5",
]  # fmt: skip


def reading(repo: Path, label: str, runs: int) -> list[Measured]:
    """Commands that read many incidents or one that is not checked out, in a sparse checkout."""
    listed = Measured(f"{label}: mimctl list")
    shown = Measured(f"{label}: mimctl show (an incident not checked out)")
    for _ in range(runs):
        listed.samples.append(run([*MIMCTL, "list"], repo))
        shown.samples.append(run([*MIMCTL, "show", "INC-00001"], repo))
    return [listed, shown]


def check(repo: Path, incidents: int, runs: int) -> Measured:
    """``mimctl check --base main`` on a branch that adds one timeline event."""
    measured = Measured(f"mimctl check --base main, {incidents:,} incidents")
    git("checkout", "--quiet", "-B", "bench-pr", "main", cwd=repo)
    incident = open_incident(repo)
    path = repo / "incidents" / incident / "timeline" / "20260102T000000Z-note-be0c41.yaml"
    path.write_text("at: '2026-01-02T00:00:00Z'\nkind: note\nby: bench\ntext: One more note from the pull request.\n", encoding="utf-8")
    git("add", str(path), cwd=repo)
    git("commit", "--quiet", "--no-verify", "-m", "bench: a note", cwd=repo)
    for _ in range(runs):
        measured.samples.append(run([*MIMCTL, "check", "--base", "main"], repo, ok=(0, 1)))
    git("checkout", "--quiet", "main", cwd=repo)
    return measured


def validation(repo: Path, incidents: int, runs: int) -> list[Measured]:
    floor = Measured("read and strictly parse every record file (one process)")
    status = Measured("git status")
    listing = Measured("git ls-tree -r HEAD")
    cold = Measured("mimctl validate --no-cache", baseline=floor.name, target="≤ 1.5x the floor")
    warm = Measured("mimctl validate (unchanged, kept results)", baseline=status.name)
    committed = Measured("mimctl validate --rev HEAD (unchanged, kept results)", baseline=listing.name, target="≤ 0.5 s at 10,000")
    for _ in range(runs):
        floor.samples.append(run([sys.executable, "-c", FLOOR, str(repo)], repo))
        cold.samples.append(run([*MIMCTL, "validate", "--no-cache"], repo))
    run([*MIMCTL, "validate"], repo)  # keeps the results (of files on disk)
    run([*MIMCTL, "validate", "--rev", "HEAD"], repo)  # and of the commit's objects
    for _ in range(runs):
        status.samples.append(run(["git", "status", "--porcelain"], repo))
        warm.samples.append(run([*MIMCTL, "validate"], repo))
        listing.samples.append(run(["git", "ls-tree", "-r", "HEAD"], repo))
        committed.samples.append(run([*MIMCTL, "validate", "--rev", "HEAD"], repo))
    for row in (floor, status, listing, cold, warm, committed):
        row.name = f"{row.name}, {incidents:,} incidents"
        row.baseline = f"{row.baseline}, {incidents:,} incidents" if row.baseline else ""
    return [floor, cold, status, warm, listing, committed]


def status_path(repo: Path, incidents: int, runs: int) -> list[Measured]:
    """A public update committed, then the status path from the commit: without kept heads, then with them."""
    from status_path import active_public_incident

    incident = active_public_incident(repo)
    update = Measured(f"mimctl update --public (committed), {incidents:,} incidents")
    cold = Measured(f"site build --public --status-only --rev HEAD, no heads kept, {incidents:,} incidents")
    warm = Measured(f"site build --public --status-only --rev HEAD, heads kept, {incidents:,} incidents", target="update + this < 10 s")
    out = WORK / "status-site"
    for n in range(runs):
        update.samples.append(run([*MIMCTL, "update", incident, "--public", "--status", "identified", f"Still on it ({n})."], repo))
        shutil.rmtree(repo / ".git" / "mimctl", ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
        cold.samples.append(run([*MIMCTL, "site", "build", "--public", "--status-only", "--rev", "HEAD", "-o", str(out)], repo))
        shutil.rmtree(out, ignore_errors=True)
        warm.samples.append(run([*MIMCTL, "site", "build", "--public", "--status-only", "--rev", "HEAD", "-o", str(out)], repo))
        assert f"Still on it ({n})." in (out / "index.html").read_text(encoding="utf-8"), "the update is on the status home"
    return [update, cold, warm]


def git_settings(repo: Path, incidents: int, runs: int) -> list[Measured]:
    """git status and add + commit with git's defaults, then with feature.manyFiles (index v4, untracked cache)."""
    rows = []
    incident = open_incident(repo)
    for label, config, version, cache in (
        ("git defaults (index v2, no untracked cache)", "false", "2", "--no-untracked-cache"),
        ("feature.manyFiles (index v4, untracked cache)", "true", "4", "--untracked-cache"),
    ):
        git("config", "feature.manyFiles", config, cwd=repo)
        git("config", "core.untrackedCache", config, cwd=repo)
        git("update-index", "--index-version", version, cache, cwd=repo)
        git("status", "--porcelain", cwd=repo)
        size = (repo / ".git" / "index").stat().st_size
        status = Measured(f"git status, {label}, index {size / 2**20:,.0f} MiB, {incidents:,} incidents")
        commit = Measured(f"git add FILE && git commit, {label}, {incidents:,} incidents")
        note = Measured(f"mimctl note, {label}, {incidents:,} incidents", baseline=commit.name)
        for n in range(runs):
            status.samples.append(run(["git", "status", "--porcelain"], repo))
            scratch = f"incidents/{incident}/timeline/20260103T0000{n:02d}Z-note-{uuid.uuid4().hex[:6]}.yaml"
            (repo / scratch).write_text(f"at: '2026-01-03T00:00:{n:02d}Z'\nkind: note\nby: bench\ntext: settings {n}\n", encoding="utf-8")
            commit.samples.append(run(["sh", "-c", f"git add '{scratch}' && git commit -q -m plain"], repo))
            note.samples.append(run([*MIMCTL, "note", incident, f"settings {n}"], repo))
        rows += [status, commit, note]
    return rows


def measure(incidents: int, runs: int, with_full: bool = True) -> list[Measured]:
    """Every measurement of this module at one size."""
    synth.bytecode_ready()
    WORK.mkdir(parents=True, exist_ok=True)
    bare = origin(incidents)
    rows: list[Measured] = []
    sparse, made = fresh_sparse(bare, incidents)
    clone_row = Measured(f"mimctl clone (partial, sparse: config, KEDB, open incidents), {incidents:,} incidents")
    clone_row.samples.append(made)
    rows.append(clone_row)
    rows += responder(sparse, f"sparse checkout, {incidents:,} incidents", runs)
    rows += reading(sparse, f"sparse checkout, {incidents:,} incidents", runs)
    if with_full:
        repo = full(bare, incidents)
        rows += responder(repo, f"full checkout, {incidents:,} incidents", runs)
        repo = full(bare, incidents)
        rows.append(check(repo, incidents, runs))
        rows += validation(repo, incidents, runs)
        rows += status_path(full(bare, incidents), incidents, runs)
        rows += git_settings(full(bare, incidents), incidents, runs)
        full(bare, incidents)
    else:  # the commands that read git objects, not the work tree, run in the responder's checkout instead
        rows.append(check(sparse, incidents, runs))
        rows += status_path(sparse, incidents, runs)
    return rows


def render(rows: list[Measured]) -> list[str]:
    """A Markdown table: median, min, max, runs, peak memory, the baseline's median and the ratio."""
    by_name = {row.name: row for row in rows}
    out = [
        "| measurement | median ms | min ms | max ms | runs | peak memory MiB | baseline median ms | ratio | target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        seconds = [s.seconds for s in row.samples]
        base = by_name.get(row.baseline)
        ratio = f"{row.median / base.median:.2f}x" if base else ""
        out.append(
            f"| {row.name} | {row.median * 1000:,.0f} | {min(seconds) * 1000:,.0f} | {max(seconds) * 1000:,.0f} | {len(seconds)} "
            f"| {row.peak / 1024:,.0f} | {f'{base.median * 1000:,.0f}' if base else ''} | {ratio} | {row.target} |"
        )
    return out


INTRO = [
    "Each size is a tracker written straight into git objects (bench/synth.py, `generate_history`): one commit per 1,000",
    "incidents, the newest 10 still open. A responder's checkout is made by `mimctl clone` (partial and sparse: the",
    "configuration, the KEDB and the open incidents); the full checkout by `git clone`. Baselines are measured in the",
    "same run and the same checkout. Peak memory is the maximum resident set size of the command (GNU time).",
    f"Above {FULL_CHECKOUT_LIMIT:,} incidents no full checkout is made (100,000 incidents are 2.7 million files): `check --base`",
    "and the status path, which read git objects, run in the responder's sparse checkout, and a partial clone fetches",
    "the objects they need from the origin on the same machine; the full validation is not run.",
]


def goals(rows: list[Measured], sizes: list[int]) -> list[str]:
    """The issue's goals, each with the figures it is judged on and whether it is met."""
    by = {row.name: row for row in rows}
    out = ["| goal | figures | result |", "|---|---|---|"]

    def verdict(ok: bool) -> str:
        return "met" if ok else "missed"

    for n in sizes:
        plain = by.get(f"sparse checkout, {n:,} incidents: git add FILE && git commit")
        for name in ("note", "update", "new", "advance"):
            row, full_row = (
                by.get(f"sparse checkout, {n:,} incidents: mimctl {name}"),
                by.get(f"full checkout, {n:,} incidents: mimctl {name}"),
            )
            full_plain = by.get(f"full checkout, {n:,} incidents: git add FILE && git commit")
            if row and plain:
                ratio = row.median / plain.median
                out.append(
                    f"| `mimctl {name}`, sparse checkout, {n:,} incidents: ≤ 0.3 s and ≤ 2x plain git "
                    f"| {row.median * 1000:,.0f} ms, {ratio:.2f}x | {verdict(row.median <= 0.3 and ratio <= 2)} |"
                )
            if full_row and full_plain:
                ratio = full_row.median / full_plain.median
                out.append(f"| `mimctl {name}`, full checkout, {n:,} incidents: ≤ 2x plain git | {ratio:.2f}x | {verdict(ratio <= 2)} |")
    small = by.get(f"mimctl check --base main, {sizes[0]:,} incidents")
    for n in sizes[1:]:
        large = by.get(f"mimctl check --base main, {n:,} incidents")
        if small and large:
            ratio = large.median / small.median
            out.append(f"| `check --base` at {n:,} ≤ 2x at {sizes[0]:,} | {ratio:.2f}x | {verdict(ratio <= 2)} |")
    for n in sizes:
        warm = by.get(f"mimctl validate --rev HEAD (unchanged, kept results), {n:,} incidents")
        cold = by.get(f"mimctl validate --no-cache, {n:,} incidents")
        floor = by.get(f"read and strictly parse every record file (one process), {n:,} incidents")
        if warm and n >= 10000:
            out.append(
                f"| `validate` of an unchanged {n:,}-incident tracker ≤ 0.5 s | {warm.median * 1000:,.0f} ms | {verdict(warm.median <= 0.5)} |"
            )
        if cold and floor:
            ratio = cold.median / floor.median
            out.append(f"| cold `validate`, {n:,} incidents, ≤ 1.5x the strict-parse floor | {ratio:.2f}x | {verdict(ratio <= 1.5)} |")
        update = by.get(f"mimctl update --public (committed), {n:,} incidents")
        path = by.get(f"site build --public --status-only --rev HEAD, heads kept, {n:,} incidents")
        if update and path and n >= 10000:
            wait = update.median + path.median
            out.append(f"| public update to a rebuilt status path, {n:,} incidents, ≤ 10 s | {wait:,.1f} s | {verdict(wait <= 10)} |")
    largest = [row for row in rows if row.name.endswith(f"{sizes[-1]:,} incidents") or f"{sizes[-1]:,} incidents:" in row.name]
    if largest:
        worst = max(largest, key=lambda r: r.peak)
        out.append(
            f"| peak memory of any command at {sizes[-1]:,} incidents (report) | {worst.peak / 1024:,.0f} MiB ({worst.name}) | reported |"
        )
    return out


def section(report: object, sizes: list[int], runs: int) -> None:
    """Section f of bench/run.py's results page: every measurement at each of ``sizes`` incidents, then the goals."""
    from run import _kept_sections, write

    earlier = _earlier_blocks(_kept_sections(report.out).get("f", []), sizes)  # type: ignore[attr-defined]
    rows: list[Measured] = []
    lines: list[str] = []
    for incidents in sizes:
        found = measure(incidents, runs, with_full=incidents <= FULL_CHECKOUT_LIMIT)
        rows += found
        lines += [f"### {incidents:,} incidents", "", *render(found), ""]
        report.sections["f"] = []  # type: ignore[attr-defined]
        heading = f"### Goals ({', '.join(f'{n:,}' for n in sizes)} incidents, this run)"
        report.facts["f"] = [*INTRO, "", *earlier, *lines, heading, "", *goals(rows, sizes)]  # type: ignore[attr-defined]
        write(report)  # type: ignore[arg-type]


def _earlier_blocks(kept: list[str], sizes: list[int]) -> list[str]:
    """What an earlier run wrote for sizes this run does not measure (its tables and goals), so 10,000 and 100,000 can run apart."""
    blocks: list[list[str]] = []
    for line in kept:
        if line.startswith("### "):
            blocks.append([])
        if blocks and not line.startswith("*Measured "):
            blocks[-1].append(line)
    out: list[str] = []
    for block in blocks:
        title = block[0][4:]
        measured = {int(n.replace(",", "")) for n in re.findall(r"[0-9][0-9,]*", title.partition("(")[2] or title)}
        if measured and measured <= set(sizes):
            continue  # measured again now
        if title.startswith("Goals ("):
            block = [f"### Goals of an earlier run ({title.partition('(')[2].replace(', this run', '')}", *block[1:]]
        out += block
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--no-full", action="store_true", help="only the sparse checkout (a full checkout of 100,000 incidents is 2.7 million files)"
    )
    args = parser.parse_args()
    print("\n".join(render(measure(args.incidents, args.runs, with_full=not args.no_full))))


if __name__ == "__main__":
    main()
