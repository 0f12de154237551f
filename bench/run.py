"""Benchmarks at scale: one command that measures mimctl against plain tools and writes docs/benchmarks.md.

Usage:
    python bench/run.py [--quick] [--runs N] [--baseline-runs N] [--only a,b,c,d,e,f] [--scale-sizes 100,10000]
                        [--out docs/benchmarks.md]

Synthetic trackers (bench/synth.py) of 100, 1,000 and 10,000 incidents (and 5,000
incidents with 500 known errors for the site) are generated once and cached under
bench/results/ (git-ignored); delete that folder to regenerate. Each measurement runs
``--runs`` times (median, min, max). ``--quick`` uses small sizes for a smoke run.

  a. validation of the whole repository: ``mimctl validate`` against check-jsonschema
     with the same schemas over the same files (optional: ``pip install check-jsonschema``;
     the row is skipped when it is missing);
  b. the pull-request check ``mimctl check --base main`` on a branch that adds one
     timeline event, moves one incident to its next stage, or deletes a known error,
     in the largest tracker against the smallest;
  c. responder commands in the largest tracker against plain ``git add`` + ``git commit``;
  d. the site build against a plain ``mkdocs build`` of the same pages, written out
     as ready Markdown, with a short explicit nav;
  e. the status path: from a public update to rebuilt status pages, beside the full
     builds (bench/status_path.py; 1,000 and 10,000 incidents, or the larger quick sizes);
  f. scale (bench/scale.py; only when named in ``--only``): responder commands in a
     ``mimctl clone`` sparse checkout and in a full one, ``check --base``, validation cold and
     with kept results, the status path from a commit and git's settings, with peak memory,
     at each of ``--scale-sizes`` (the first is the baseline of ``check --base``).

The results page is rewritten after each section, so an interrupted run still leaves figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
sys.path.insert(0, str(BENCH))

import responder  # noqa: E402
import synth  # noqa: E402

BIN = Path(sys.executable).parent
MIMCTL = [sys.executable, "-m", "mimctl"]
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
TIME_V = Path("/usr/bin/time")
CHUNK = 4000  # files per check-jsonschema call: a command line has a length limit
SCHEMA_OF = {  # record kind -> (schema file, glob relative to the tracker)
    "process": ("process.schema.json", "process.yaml"),
    "catalog": ("catalog.schema.json", "catalog.yaml"),
    "incident": ("incident.schema.json", "incidents/*/incident.yaml"),
    "event": ("event.schema.json", "incidents/*/timeline/*.yaml"),
    "pir": ("pir.schema.json", "incidents/*/pir.yaml"),
    "known error": ("known-error.schema.json", "kedb/*.yaml"),
}


@dataclass
class Row:
    """One line of a results table: samples in seconds, an optional baseline and target."""

    name: str
    samples: list[float]
    baseline: list[float] | None = None
    target: str = ""
    verdict: str = ""
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def ratio(self) -> float | None:
        return self.median / statistics.median(self.baseline) if self.baseline else None


@dataclass
class Report:
    """Everything the results page shows; rendered after every section."""

    quick: bool
    runs: int
    sections: dict[str, list[Row]] = field(default_factory=dict)
    facts: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    out: Path = ROOT / "docs" / "benchmarks.md"
    noise: str = ""
    scale_sizes: str = "100,10000"  # section f's sizes, as given on the command line


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}" if seconds < 10 else f"{seconds:,.1f} s"


def timed(args: list[str], cwd: Path, env: dict[str, str] | None = None, ok_codes: tuple[int, ...] = (0,)) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, stdout=subprocess.DEVNULL, env=env, check=False)
    if done.returncode not in ok_codes:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(args)}")
    return time.perf_counter() - start


def timed_with_memory(args: list[str], cwd: Path) -> tuple[float, int]:
    """Seconds and peak resident memory (KiB) of one command."""
    if TIME_V.exists():
        start = time.perf_counter()
        done = subprocess.run([str(TIME_V), "-v", *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"failed: {' '.join(args)}\n{done.stderr[-3000:]}")
        match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        return elapsed, int(match.group(1)) if match else 0
    import resource  # fallback: the largest child so far, so run the bigger build last

    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def repeat(runs: int, action: Callable[[], float]) -> list[float]:
    return [action() for _ in range(runs)]


def tracker(incidents: int, known_errors: int) -> Path:
    """A cached synthetic tracker; generated on first use."""
    path = RESULTS / "repos" / f"tracker-{incidents}-{known_errors}"
    if not (path / ".git").is_dir() or not (path / "kedb").is_dir():
        print(f"generating {incidents} incidents, {known_errors} known errors ...", flush=True)
        synth.generate(path, incidents, known_errors=known_errors)
    return path


def restore(repo: Path, head: str) -> None:
    """Put a cached tracker back as generated: the commit, no branches, no stray files."""
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=repo, check=True)
    subprocess.run(["git", "reset", "-q", "--hard", head], cwd=repo, check=True)
    subprocess.run(["git", "clean", "-q", "-fd"], cwd=repo, check=True)
    branches = subprocess.run(["git", "branch", "--format=%(refname:short)"], cwd=repo, capture_output=True, text=True).stdout.split()
    for branch in branches:
        if branch != "main":
            subprocess.run(["git", "branch", "-q", "-D", branch], cwd=repo, check=True)


def head_of(repo: Path) -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def count_files(repo: Path) -> int:
    return sum(len(list(repo.glob(pattern))) for _, pattern in SCHEMA_OF.values())


# a. validation -------------------------------------------------------------------------------


def check_jsonschema_once(repo: Path, exe: str) -> float:
    """One check-jsonschema pass per record kind over all files of that kind; total seconds."""
    total = 0.0
    for schema, pattern in SCHEMA_OF.values():
        files = sorted(str(p.relative_to(repo)) for p in repo.glob(pattern))
        for start in range(0, len(files), CHUNK):
            total += timed([exe, "--schemafile", f"schemas/{schema}", *files[start : start + CHUNK]], repo)
    return total


def bench_validation(report: Report, sizes: list[tuple[int, int]], runs: int, baseline_runs: int) -> None:
    rows: list[Row] = []
    exe = shutil.which("check-jsonschema", path=str(BIN)) or shutil.which("check-jsonschema")
    if exe is None:
        report.notes.append("check-jsonschema is not installed, so its rows are skipped: `pip install check-jsonschema`.")
        print("check-jsonschema not found: pip install check-jsonschema (its rows are skipped)", flush=True)
    largest = sizes[-1][0]
    for incidents, kes in sizes:
        repo = tracker(incidents, kes)
        files = count_files(repo)
        print(f"[a] validate {incidents} incidents ({files:,} files)", flush=True)
        mine = repeat(runs, lambda repo=repo: timed([*MIMCTL, "validate"], repo))
        base = None
        if exe:
            base = repeat(baseline_runs if incidents == largest else runs, lambda repo=repo: check_jsonschema_once(repo, exe))
        row = Row(f"{incidents:,} incidents ({files:,} files)", mine, base)
        if incidents == largest and base:
            row.target = "≥ 10x faster"
            row.verdict = "met" if statistics.median(base) / row.median >= 10 else "missed"
        rows.append(row)
        report.sections["a"] = rows
        write(report)


# b. pull-request check -----------------------------------------------------------------------


def _pr_note(repo: Path) -> None:
    """One timeline event added to one incident."""
    folder = sorted((repo / "incidents").iterdir())[0]
    now = datetime.now(timezone.utc)
    (folder / "timeline" / f"{now:%Y%m%dT%H%M%SZ}-note-be0c41.yaml").write_text(
        "# yaml-language-server: $schema=../../../schemas/event.schema.json\n"
        f"at: '{now:%Y-%m-%dT%H:%M:%SZ}'\nkind: note\nby: bench\ntext: One more note from the pull request.\n"
    )


def _pr_stage_change(repo: Path) -> None:
    """A stage event and the stage: line of one open incident (judged as of its time, gate and all)."""
    for folder in sorted((repo / "incidents").iterdir()):
        record = folder / "incident.yaml"
        text = record.read_text()
        match = re.search(r"^stage: (identify|contain|investigate)$", text, re.M)
        if match:
            target = {"identify": "notify", "contain": "investigate", "investigate": "resolve"}[match.group(1)]
            record.write_text(text.replace(match.group(0), f"stage: {target}"))
            now = datetime.now(timezone.utc)
            (folder / "timeline" / f"{now:%Y%m%dT%H%M%SZ}-stage-be0c42.yaml").write_text(
                f"at: '{now:%Y-%m-%dT%H:%M:%SZ}'\nkind: stage\nby: bench\nfrom: {match.group(1)}\nto: {target}\n"
            )
            return
    raise SystemExit("no open incident to move")


def _pr_known_error_removed(repo: Path) -> None:
    """A known error deleted: every record that refers to it is judged again (git grep of the tree)."""
    (sorted((repo / "kedb").glob("KE-*.yaml"))[0]).unlink()


PR_SHAPES: dict[str, Callable[[Path], None]] = {
    "one timeline event": _pr_note,
    "a stage change": _pr_stage_change,
    "a known error removed": _pr_known_error_removed,
}


def bench_prcheck(report: Report, small: tuple[int, int], large: tuple[int, int], runs: int) -> None:
    rows = []
    for shape, prepare in PR_SHAPES.items():
        samples: dict[int, list[float]] = {}
        for incidents, kes in (small, large):
            repo = tracker(incidents, kes)
            head = head_of(repo)
            print(f"[b] check --base main, {incidents} incidents, {shape}", flush=True)
            try:
                subprocess.run(["git", "checkout", "-q", "-B", "bench-pr", "main"], cwd=repo, check=True)
                prepare(repo)
                subprocess.run([*GIT, "add", "--all"], cwd=repo, check=True)
                subprocess.run([*GIT, "commit", "-q", "--no-verify", "-m", f"bench: {shape}"], cwd=repo, check=True)
                # A verdict either way is a measurement: exit 1 (a gate not met) is not a failure here.
                samples[incidents] = repeat(runs, lambda repo=repo: timed([*MIMCTL, "check", "--base", "main"], repo, ok_codes=(0, 1)))
            finally:
                restore(repo, head)
        rows.append(Row(f"{shape}, {small[0]:,} incidents", samples[small[0]]))
        large_row = Row(f"{shape}, {large[0]:,} incidents", samples[large[0]], samples[small[0]], "≤ 3x the small tracker")
        large_row.verdict = "met" if (large_row.ratio() or 0) <= 3 else "missed"
        rows.append(large_row)
        report.sections["b"] = rows
        write(report)


# c. responder commands -----------------------------------------------------------------------


def bench_responder(report: Report, size: tuple[int, int], runs: int) -> None:
    repo = tracker(*size)
    head = head_of(repo)
    print(f"[c] responder commands, {size[0]} incidents", flush=True)
    try:
        samples = responder.measure(repo, runs)
    finally:
        restore(repo, head)
    plain = samples["plain"]
    rows = [Row("git add FILE && git commit -m msg", plain)]
    for key, name in (("advance", "mimctl advance"), ("note", "mimctl note")):
        row = Row(name, samples[key], plain, "≤ 4x plain git")
        row.verdict = "met" if (row.ratio() or 0) <= 4 else "missed"
        rows.append(row)
    help_row = Row("mimctl --help", samples["help"], target="< 100 ms")
    help_row.verdict = "met" if help_row.median < 0.1 else "missed"
    rows.append(help_row)
    report.sections["c"] = rows
    report.facts["c"] = [f"Tracker: {size[0]:,} incidents."]
    write(report)


# d. site -------------------------------------------------------------------------------------

PLAIN_CONFIG = """site_name: Plain MkDocs baseline
use_directory_urls: false
theme:
  name: material
  font: false
plugins:
  - search
markdown_extensions:
  - tables
  - toc:
      permalink: true
nav:
  - Status: index.md
  - Incidents: incidents/index.md
  - Known errors: kedb/index.md
  - Reviews: reviews/index.md
  - Reports: reports/index.md
  - CLI reference: cli.md
"""


def plain_project(repo: Path, target: Path) -> int:
    """A plain MkDocs project holding the tracker's generated pages as ready-written files."""
    from mimctl.site.cli_reference import cli_reference
    from mimctl.site.data import collect
    from mimctl.site.generate import generate
    from mimctl.store import Tracker

    if target.exists():
        shutil.rmtree(target)
    files = generate(collect(Tracker(repo), "internal"))
    files["cli.md"] = cli_reference()
    for rel, content in files.items():
        path = target / "docs" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    (target / "mkdocs.yml").write_text(PLAIN_CONFIG, encoding="utf-8")
    return sum(1 for rel in files if rel.endswith(".md"))


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def incident_page(site: Path) -> Path:
    pages = sorted(site.glob("incidents/INC-*.html")) or sorted(site.rglob("INC-00001*.html"))
    return pages[0]


def mimctl_site(repo: Path, out: Path) -> tuple[float, int]:
    if out.exists():
        shutil.rmtree(out)
    return timed_with_memory([*MIMCTL, "site", "build", "-o", str(out)], repo)


def bench_site(report: Report, size: tuple[int, int], small: tuple[int, int], runs: int) -> None:
    repo = tracker(*size)
    work = RESULTS / "site"
    plain = work / "plain"
    print(f"[d] site, {size[0]} incidents + {size[1]} known errors", flush=True)
    pages = plain_project(repo, plain)
    os.environ["NO_MKDOCS_2_WARNING"] = "1"
    mine: list[float] = []
    base: list[float] = []
    mem_mine: list[int] = []
    mem_base: list[int] = []
    for _ in range(runs):  # interleaved, so drift in the machine hits both alike
        seconds, kib = mimctl_site(repo, work / "mimctl-site")
        mine.append(seconds)
        mem_mine.append(kib)
        shutil.rmtree(plain / "site", ignore_errors=True)
        seconds, kib = timed_with_memory([str(BIN / "mkdocs"), "build", "-q"], plain)
        base.append(seconds)
        mem_base.append(kib)
    big_site = work / "mimctl-site"
    total = tree_size(big_site)
    big_page = incident_page(big_site).stat().st_size
    small_repo = tracker(*small)
    mimctl_site(small_repo, work / "small-site")
    small_page = incident_page(work / "small-site").stat().st_size
    plain_total = tree_size(plain / "site")
    row = Row(f"mimctl site build, {size[0]:,} incidents + {size[1]:,} known errors", mine, base, "≤ 1.3x plain mkdocs")
    row.verdict = "met" if (row.ratio() or 0) <= 1.3 else "missed"
    report.sections["d"] = [Row(f"plain mkdocs build, {pages:,} ready-written pages", base), row]
    report.facts["d"] = [
        f"Peak memory (maximum resident set size, median): mimctl {statistics.median(mem_mine) / 1024:,.0f} MiB; "
        f"plain mkdocs {statistics.median(mem_base) / 1024:,.0f} MiB.",
        f"Site size: mimctl {total / 2**20:,.0f} MiB; plain mkdocs {plain_total / 2**20:,.0f} MiB.",
        f"One incident page: {small_page / 1024:,.1f} KiB at {small[0]:,} incidents, {big_page / 1024:,.1f} KiB at "
        f"{size[0]:,} incidents ({'does not grow' if big_page <= small_page * 1.05 else 'grows'}).",
        f"The baseline holds the same generated pages ({pages:,} Markdown files plus the status API and feeds), "
        "written to disk beforehand, built by `mkdocs build` without the mimctl plugin.",
    ]
    write(report)


# noise and page ------------------------------------------------------------------------------


def calibrate(samples: int = 15) -> str:
    """Spread of a fixed small workload (Python start-up), as a measure of machine noise."""
    times = [timed([sys.executable, "-c", "sum(range(300000))"], ROOT) for _ in range(samples)]
    median = statistics.median(times)
    spread = (max(times) - min(times)) / median * 100
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"a fixed workload (Python start-up plus a short loop, {samples} runs) took median {median * 1000:.0f} ms, "
        f"min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f} ms (spread {spread:.0f}% of the median); "
        f"load average {load}. Differences smaller than that spread are not meaningful."
    )


def table(rows: Iterable[Row], baseline_label: str = "baseline median ms") -> list[str]:
    out = [
        f"| measurement | median ms | min ms | max ms | runs | {baseline_label} | ratio | target | result |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        base = ms(statistics.median(row.baseline)) if row.baseline else ""
        ratio = f"{row.ratio():.2f}x" if row.baseline else ""
        out.append(
            f"| {row.name} | {ms(row.median)} | {ms(min(row.samples))} | {ms(max(row.samples))} | {len(row.samples)} "
            f"| {base} | {ratio} | {row.target} | {row.verdict} |"
        )
    return out


def validation_table(rows: list[Row]) -> list[str]:
    out = [
        "| tracker | mimctl validate median | min | max | runs | check-jsonschema median | min | max | runs | speed-up | target | result |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        if row.baseline:
            b = row.baseline
            base = f"{ms(statistics.median(b))} | {ms(min(b))} | {ms(max(b))} | {len(b)}"
            speed = f"{statistics.median(b) / row.median:.1f}x"
        else:
            base, speed = "skipped | | | ", ""
        out.append(
            f"| {row.name} | {ms(row.median)} | {ms(min(row.samples))} | {ms(max(row.samples))} | {len(row.samples)} "
            f"| {base} | {speed} | {row.target} | {row.verdict} |"
        )
    return out


def version(args: list[str]) -> str:
    try:
        return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip().splitlines()[0]
    except (OSError, subprocess.CalledProcessError):
        return "not installed"


TITLES = {
    "a": "Validation of the whole repository",
    "b": "Pull-request check",
    "c": "Responder commands",
    "d": "Site",
    "e": "Status path",
    "f": "Scale: responder checkouts, kept results and the status path",
}


def _sections(report: Report) -> dict[str, list[str]]:
    """The Markdown of each section this run measured."""
    out: dict[str, list[str]] = {}
    quick = " --quick" if report.quick else ""
    stamp = f"*Measured {datetime.now(timezone.utc):%Y-%m-%d} by `python bench/run.py{quick} --only {{letter}}`; noise: {report.noise}*"
    if "a" in report.sections:
        out["a"] = [
            "`mimctl validate` (schemas and cross-record rules) against check-jsonschema with the same schemas",
            "over the same files: one call per record kind with all files of that kind (split into calls of",
            f"{CHUNK:,} files, as a command line has a length limit), times summed. check-jsonschema checks the",
            "schemas only, so it does less work than mimctl.",
            "",
            *validation_table(report.sections["a"]),
        ]
    if "b" in report.sections:
        out["b"] = [
            "`mimctl check --base main` on a branch that adds one timeline event to one incident; that moves one open",
            "incident to its next stage (a stage event, judged as of its time); and that deletes one known error (every",
            "record that refers to it is judged again). The large tracker against the small one, each shape alike.",
            "",
            *table(report.sections["b"], "small tracker median"),
        ]
    if "c" in report.sections:
        out["c"] = [
            "Each command commits its change, as does the baseline: `git add FILE && git commit -m msg`.",
            "",
            *(f"- {fact}" for fact in report.facts.get("c", [])),
            "",
            *table(report.sections["c"], "plain git median"),
        ]
    if "d" in report.sections:
        out["d"] = [
            "`mimctl site build` against `mkdocs build` of the same pages written out beforehand (Material",
            "theme, search plugin, `use_directory_urls: false`, a nav of six entries), run alternately.",
            "",
            *table(report.sections["d"], "plain mkdocs median"),
            "",
            *(f"- {fact}" for fact in report.facts.get("d", [])),
        ]
    if "e" in report.sections:  # bench/status_path.py
        out["e"] = [
            "A public update, then `mimctl site build --public --status-only` over the last full build,",
            "beside the full builds (bench/status_path.py).",
            "",
            *table(report.sections["e"], "plain mkdocs median"),
        ]
    if "f" in report.sections:  # bench/scale.py
        out["f"] = list(report.facts.get("f", []))  # a copy: the stamp is added below
    for letter, lines in out.items():
        lines += ["", stamp.replace("{letter}", letter if letter != "f" else f"f --scale-sizes {report.scale_sizes}")]
    return out


def _kept_sections(page: Path) -> dict[str, list[str]]:
    """The sections of the page as it is (from an earlier run), by letter."""
    if not page.exists():
        return {}
    text = page.read_text(encoding="utf-8")
    found: dict[str, list[str]] = {}
    for match in re.finditer(r"<!-- bench:([a-z]) -->\n(.*?)\n<!-- /bench:\1 -->", text, re.S):
        found[match.group(1)] = match.group(2).splitlines()
    if found:
        return found
    by_title = {title: letter for letter, title in TITLES.items()}  # a page written before the sections were marked
    for chunk in re.split(r"^## ", text, flags=re.M)[1:]:
        title, _, body = chunk.partition("\n")
        if title.strip() in by_title:
            found[by_title[title.strip()]] = ["", *body.strip("\n").splitlines()]
    return found


def write(report: Report) -> None:
    """Rewrite the results page: this run's sections anew, the others as an earlier run left them."""
    out = report.out
    sections = _kept_sections(out)
    for letter, lines in _sections(report).items():
        sections[letter] = [f"## {TITLES[letter]}", "", *lines]
    for letter, lines in sections.items():
        if not lines or not lines[0].startswith("## "):
            sections[letter] = [f"## {TITLES[letter]}", *lines]
    lines = [
        "# Benchmarks",
        "",
        "How mimctl performs on large trackers, next to the plain tools it replaces. Generated by",
        "`python bench/run.py`; each section says when and how it was measured (`--only` reruns some and keeps",
        "the others). Times are wall-clock milliseconds (or seconds where marked) of whole commands, as a user",
        "runs them; each measurement ran several times and the table shows the median, the fastest and the slowest run.",
        "",
        "The trackers are synthetic (`bench/synth.py`): every incident is a copy of one of the example",
        "incidents, so records are realistic and valid. About 80% are complete with a post-incident review;",
        "each has 20 to 30 timeline events of varied kinds; known errors carry symptoms, workaround, tags and signatures.",
        "Section f's trackers are written straight into git objects (`git fast-import`), one commit per 1,000",
        "incidents, with only the newest 10 still open, as in a real tracker.",
        "",
        "## How to run",
        "",
        "From a checkout with the development install (`pip install -e '.[dev]'`), on a quiet machine:",
        "",
        "- `python bench/run.py`: sections a to e at 100, 1,000 and 10,000 incidents (the site at 1,000 and 5,000).",
        "- `python bench/run.py --only f --scale-sizes 100,10000`: the scale section (responder checkouts made by",
        "  `mimctl clone` and full ones, `check --base`, validation cold and with kept results, the status path from a",
        "  commit, git's settings, peak memory) at 100 and 10,000 incidents.",
        "- `python bench/run.py --only f --scale-sizes 100,100000`: the scale section at 100,000 incidents, a separate,",
        "  longer run (about 20 minutes to generate the tracker, once; above 10,000 incidents only the sparse checkout",
        "  is made, as a full one is 2.7 million files).",
        "- `python bench/scale.py --incidents N [--runs 3] [--no-full]`: one size of section f, printed, not written here.",
        "- `python bench/run.py --quick`: a smoke run at small sizes (figures not meaningful).",
        "",
        "Each `--only` run rewrites its own sections and keeps the others. Generated trackers are cached in",
        "`bench/results/` (delete it to regenerate); the same seed gives the same trackers.",
        "",
        "## Machine",
        "",
        f"- {platform.system()} {platform.release()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        f"- {version(['git', '--version'])}; check-jsonschema {version([str(BIN / 'check-jsonschema'), '--version']).split()[-1]}",
        f"- Noise of the last run: {report.noise}",
        "",
    ]
    for letter in sorted(sections):
        lines += [f"<!-- bench:{letter} -->", *sections[letter], f"<!-- /bench:{letter} -->", ""]
    if report.notes:
        lines += ["## Notes", "", *(f"- {note}" for note in report.notes), ""]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small trackers, for a smoke run")
    parser.add_argument("--runs", type=int, default=None, help="runs per measurement (default 3, quick 2)")
    parser.add_argument(
        "--baseline-runs", type=int, default=None, help="runs of check-jsonschema on the largest tracker (default: --runs); it is slow"
    )
    parser.add_argument("--only", default="a,b,c,d,e", help="sections to run, e.g. a,d (f, the scale section, runs only when named)")
    parser.add_argument(
        "--scale-sizes", default="100,10000", help="incidents for section f, e.g. 100,100000 (the first is the check's baseline)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    runs = args.runs or (2 if args.quick else 3)
    if args.quick:
        sizes, site, site_small = [(20, 5), (100, 10), (300, 30)], (300, 30), (100, 10)
    else:
        sizes, site, site_small = [(100, 10), (1000, 100), (10000, 1000)], (5000, 500), (1000, 100)
    synth.bytecode_ready()
    report = Report(args.quick, runs, out=args.out, scale_sizes=args.scale_sizes)
    report.noise = calibrate()
    sections = set(args.only.split(","))
    os.environ.setdefault("MIMCTL_USER", "bench")
    if "c" in sections:
        bench_responder(report, sizes[-1], max(runs, 5))
    if "b" in sections:
        bench_prcheck(report, sizes[0], sizes[-1], runs)
    if "a" in sections:
        bench_validation(report, sizes, runs, args.baseline_runs or runs)
    if "d" in sections:
        bench_site(report, site, site_small, runs)
    if "e" in sections:
        import status_path

        status_path.section(report, [incidents for incidents, _ in sizes[1:]], runs)
    if "f" in sections:
        import scale

        scale.section(report, [int(n) for n in args.scale_sizes.split(",")], runs)
    report.noise = f"before the run, {report.noise} After the run, {calibrate()}"
    write(report)
    print(f"wrote {args.out}", flush=True)


if __name__ == "__main__":
    main()
