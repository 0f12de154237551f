"""Synthetic tracker repositories for benchmarks: many incidents, long timelines, PIRs, known errors.

Every incident is cloned from one of this repository's example incidents (one per
lifecycle stage, so the records are realistic and valid): ids, times and file-name
suffixes are rewritten, and its timeline is trimmed or padded to about ``--events``
events of varied kinds. Completed incidents carry their post-incident review;
known errors are cloned from the example KEDB with symptoms, workaround, tags and
signatures. Most incidents are complete, as in a tracker with years of history.

Usage: python bench/synth.py TARGET --incidents N [--events 20] [--known-errors K]
"""

from __future__ import annotations

import argparse
import compileall
import os
import random
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Share of incidents per stage; the rest of the history is complete.
STAGE_WEIGHTS = {
    "complete": 80,
    "review": 4,
    "close": 3,
    "recover": 2,
    "resolve": 2,
    "investigate": 3,
    "contain": 3,
    "identify": 3,
}
# Events that later events or the stage rules depend on: never trimmed.
ESSENTIAL_KINDS = frozenset({"declared", "validated", "classified", "stage", "containment", "hypothesis"})
LATEST_START = datetime(2026, 5, 1, tzinfo=timezone.utc)  # templates span under 60 days; stay in the past
EARLIEST_START = datetime(2019, 1, 1, tzinfo=timezone.utc)

_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_DATE = re.compile(r"(?<![\dT:-])(\d{4}-\d{2}-\d{2})(?![\dT:])")
_FILE_STAMP = re.compile(r"^(\d{8}T\d{6}Z)-(.+)-[0-9a-f]{6}\.yaml$")
_REF = re.compile(r"\b(INC|KE|inc)-(\d{4,8})\b")
_FILLERS = (
    ("note", "text: '{who} checked the {thing} dashboard again at step {i}: error rate {pct}% and holding; nothing new in the logs.'\n"),
    (
        "evidence",
        "text: '{thing} p99 latency {pct}0 ms on the affected pods, {pct}% of requests retried (sample {i}).'\nlinks:\n  - https://grafana.example.com/d/{slug}-overview\n",
    ),
    ("note", "text: Support reports {pct} more tickets about the {thing}; the macro from the last update is in use (item {i}).\n"),
    ("evidence", "text: 'Log query for the {thing}: {pct} matching lines in the last 10 minutes (run {i}).'\n"),
)


@dataclass(frozen=True)
class Event:
    stamp: str
    kind: str
    text: str


@dataclass(frozen=True)
class Template:
    ident: str
    stage: str
    detected: datetime
    incident: str
    pir: str | None
    events: tuple[Event, ...]


def _parse(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def load_templates(root: Path = ROOT) -> list[Template]:
    """The example incidents of this repository, one per stage."""
    out = []
    for folder in sorted((root / "incidents").iterdir()):
        incident = (folder / "incident.yaml").read_text(encoding="utf-8")
        stage = re.search(r"^stage: (\S+)$", incident, re.M).group(1)  # type: ignore[union-attr]
        detected = _parse(re.search(r"^detected_at: '([^']+)'$", incident, re.M).group(1))  # type: ignore[union-attr]
        pir = folder / "pir.yaml"
        events = []
        for path in sorted((folder / "timeline").glob("*.yaml")):
            match = _FILE_STAMP.match(path.name)
            assert match, path.name
            events.append(Event(match.group(1), match.group(2), path.read_text(encoding="utf-8")))
        out.append(
            Template(folder.name, stage, detected, incident, pir.read_text(encoding="utf-8") if pir.exists() else None, tuple(events))
        )
    return out


class _Clone:
    """Rewrites one template's text for incident ``number``: ids, references and times."""

    def __init__(
        self, template: Template, number: int, incidents: int, known_errors: int, rng: random.Random, start: datetime | None = None
    ) -> None:
        self.template = template
        self.ident = f"INC-{number:05d}"
        self.number = number
        if start is None:
            start = EARLIEST_START + timedelta(minutes=rng.randrange(int((LATEST_START - EARLIEST_START).total_seconds() // 60)))
        self.shift = start - template.detected
        self.days = timedelta(days=self.shift.days)
        self.rng = rng
        self.incidents = incidents
        self.ke_block = rng.randrange(max(1, known_errors // 5))  # which copy of the example KEDB it refers to

    def ref(self, match: re.Match[str]) -> str:
        prefix, digits = match.group(1), int(match.group(2))
        if prefix == "KE":
            return f"KE-{self.ke_block * 5 + digits:05d}"
        if f"INC-{digits:04d}" == self.template.ident:
            return self.ident if prefix == "INC" else self.ident.lower()
        other = self.rng.randrange(1, self.incidents + 1) if self.incidents > 1 else self.number
        while other == self.number and self.incidents > 1:
            other = self.rng.randrange(1, self.incidents + 1)
        return f"{prefix}-{other:05d}"

    def text(self, text: str) -> str:
        text = _REF.sub(self.ref, text)
        text = _STAMP.sub(lambda m: (_parse(m.group(0)) + self.shift).strftime("%Y-%m-%dT%H:%M:%SZ"), text)
        return _DATE.sub(lambda m: (datetime.strptime(m.group(1), "%Y-%m-%d") + self.days).strftime("%Y-%m-%d"), text)

    def stamp(self, stamp: str) -> datetime:
        return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc) + self.shift


def _timeline(clone: _Clone, target: int, rng: random.Random) -> dict[str, str]:
    """About ``target`` events: the template's, trimmed of optional ones or padded with notes and evidence."""
    events = list(clone.template.events)
    optional = [i for i, e in enumerate(events) if e.kind not in ESSENTIAL_KINDS]
    drop = set(rng.sample(optional, max(0, min(len(optional), len(events) - target))))
    kept = [(clone.stamp(e.stamp), e.kind, clone.text(e.text)) for i, e in enumerate(events) if i not in drop]
    last = kept[-1][0]
    things = ("checkout", "payments-gateway", "search index", "sign-in", "message queue")
    for i in range(target - len(kept)):
        last += timedelta(minutes=rng.randrange(1, 20))
        kind, body = _FILLERS[i % len(_FILLERS)]
        thing = rng.choice(things)
        body = body.format(
            who=rng.choice(("dana", "priya", "sam", "lee")), thing=thing, slug=thing.replace(" ", "-"), pct=rng.randrange(2, 60), i=i
        )
        kept.append(
            (
                last,
                kind,
                "# yaml-language-server: $schema=../../../schemas/event.schema.json\n"
                f"at: '{last.strftime('%Y-%m-%dT%H:%M:%SZ')}'\nkind: {kind}\nby: bench\n{body}",
            )
        )
    files = {}
    for at, kind, text in kept:
        name = f"timeline/{at.strftime('%Y%m%dT%H%M%SZ')}-{kind}-{rng.getrandbits(24):06x}.yaml"
        while name in files:
            name = f"timeline/{at.strftime('%Y%m%dT%H%M%SZ')}-{kind}-{rng.getrandbits(24):06x}.yaml"
        files[name] = text
    return files


def _suffixed(scalar: str, suffix: str) -> str:
    """A one-line YAML scalar with ``suffix`` appended inside its quotes, if any."""
    if scalar[:1] in ("'", '"'):
        return f"{scalar[:-1]} {suffix}{scalar[-1]}"
    return f"{scalar} {suffix}"


def incident_files(
    template: Template, number: int, incidents: int, known_errors: int, events: int, rng: random.Random, start: datetime | None = None
) -> dict[str, str]:
    """Files of one incident (relative to its folder), as the tool would write them (``start``: when it was detected)."""
    clone = _Clone(template, number, incidents, known_errors, rng, start)
    incident = clone.text(template.incident)
    incident = re.sub(r"^title: (.*)$", lambda m: f"title: {_suffixed(m.group(1), f'(case {number})')}", incident, count=1, flags=re.M)
    files = {"incident.yaml": incident}
    if template.pir is not None:
        files["pir.yaml"] = clone.text(template.pir)
    files.update(_timeline(clone, events + rng.randrange(0, 11), rng))
    return files


def known_error_text(template: str, number: int, incidents: int, rng: random.Random) -> str:
    """One known error cloned from an example, its incident references pointing at existing incidents."""
    text = re.sub(r"\bKE-\d{4,8}\b", f"KE-{number:05d}", template)
    text = re.sub(r"\bINC-\d{4,8}\b", lambda _: f"INC-{rng.randrange(1, incidents + 1):05d}", text)
    return re.sub(r"^title: (.*)$", lambda m: f"title: {_suffixed(m.group(1), f'(variant {number})')}", text, count=1, flags=re.M)


def generate(target: Path, incidents: int, events: int = 20, known_errors: int = 0, seed: int = 1, commit: bool = True) -> Path:
    """Write a tracker repository with ``incidents`` incidents into ``target`` and commit it.

    ``known_errors`` is raised to the size of the example KEDB, since incidents refer to it.
    """
    rng = random.Random(seed)
    templates = {t.stage: t for t in load_templates()}
    stages = [s for s in STAGE_WEIGHTS if s in templates]
    weights = [STAGE_WEIGHTS[s] for s in stages]
    ke_templates = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "kedb").glob("KE-*.yaml"))]
    known_errors = max(known_errors, len(ke_templates))
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in ("process.yaml", "catalog.yaml"):
        shutil.copyfile(ROOT / name, target / name)
    shutil.copytree(ROOT / "schemas", target / "schemas")
    for n in range(1, incidents + 1):
        folder = target / "incidents" / f"INC-{n:05d}"
        (folder / "timeline").mkdir(parents=True)
        template = templates[rng.choices(stages, weights)[0]]
        for rel, text in incident_files(template, n, incidents, known_errors, events, rng).items():
            (folder / rel).write_text(text, encoding="utf-8")
    kedb = target / "kedb"
    kedb.mkdir()
    for n in range(1, known_errors + 1):
        text = known_error_text(ke_templates[(n - 1) % len(ke_templates)], n, incidents, rng)
        (kedb / f"KE-{n:05d}.yaml").write_text(text, encoding="utf-8")
    if commit:
        git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
        subprocess.run(["git", "init", "-q", "-b", "main", str(target)], check=True)
        # Pack now, in the foreground: otherwise the first commits start a background gc that
        # runs for minutes and skews every measurement taken meanwhile.
        subprocess.run(["git", "config", "gc.autoDetach", "false"], cwd=target, check=True)
        subprocess.run([*git, "add", "-A"], cwd=target, check=True)
        subprocess.run([*git, "-c", "gc.auto=0", "commit", "-q", "--no-verify", "-m", "synthetic tracker"], cwd=target, check=True)
        subprocess.run(["git", "repack", "-a", "-d", "-q"], cwd=target, check=True)
        subprocess.run(["git", "commit-graph", "write", "--reachable"], cwd=target, check=True)
    return target


def bytecode_ready() -> None:
    """Let every measured command start as an installed mimctl does: from compiled bytecode.

    With ``PYTHONDONTWRITEBYTECODE`` set (some shells and CI images set it),
    an editable install compiles every module it imports from source on
    every run (a ``mimctl note`` on a loaded 2-core machine: 2.0 s without
    bytecode, 1.1 to 1.5 s with it). pip compiles a regular install once; do
    the same here, and let the commands use it.
    """
    import mimctl

    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    compileall.compile_dir(str(Path(mimctl.__file__).resolve().parent), quiet=1)


OPEN_STAGES = ("identify", "contain", "investigate", "resolve", "recover", "review")


STAGING = "staging"  # generate_history's scratch folder, in no commit


def generate_history(
    target: Path, incidents: int, known_errors: int = 0, events: int = 20, open_incidents: int = 10, seed: int = 1, per_commit: int = 1000
) -> Path:
    """A bare tracker repository with ``incidents`` incidents written straight into git objects (git fast-import).

    Writing 100,000 incidents (2.7 million files) through a work tree and
    ``git add`` takes hours and most of a disk; fast-import streams them into a
    pack. Unlike :func:`generate`, the history is ordered as a real one: the
    incidents follow one another in time, one commit per ``per_commit`` of
    them, and only the newest ``open_incidents`` are still open (a real
    tracker has a handful open at a time), the others complete with their
    review. Check it out with ``git clone`` (a full work tree) or ``mimctl
    clone`` (a responder's sparse checkout).
    """
    rng = random.Random(seed)
    templates = {t.stage: t for t in load_templates()}
    open_kinds = [s for s in OPEN_STAGES if s in templates]
    ke_templates = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "kedb").glob("KE-*.yaml"))]
    known_errors = max(known_errors, len(ke_templates))
    if target.exists():
        shutil.rmtree(target)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(target)], check=True)
    subprocess.run(["git", "config", "gc.auto", "0"], cwd=target, check=True)
    span = LATEST_START - EARLIEST_START
    importer = subprocess.Popen(["git", "fast-import", "--quiet", "--done"], cwd=target, stdin=subprocess.PIPE)
    assert importer.stdin is not None
    out = importer.stdin

    def write_file(path: str, text: str) -> None:
        data = text.encode("utf-8")
        out.write(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")

    when = int(EARLIEST_START.timestamp())
    for first in range(1, incidents + 1, per_commit) if incidents else [1]:
        last = min(incidents, first + per_commit - 1)
        message = f"incidents {first} to {last}".encode()
        when += 3600
        out.write(
            f"commit refs/heads/main\ncommitter bench <bench@example.invalid> {when} +0000\ndata {len(message)}\n".encode()
            + message
            + b"\n"
        )
        if first == 1:
            for name in ("process.yaml", "catalog.yaml"):
                write_file(name, (ROOT / name).read_text(encoding="utf-8"))
            for schema in sorted((ROOT / "schemas").glob("*.json")):
                write_file(f"schemas/{schema.name}", schema.read_text(encoding="utf-8"))
            for n in range(1, known_errors + 1):
                write_file(f"kedb/KE-{n:05d}.yaml", known_error_text(ke_templates[(n - 1) % len(ke_templates)], n, incidents, rng))
        # fast-import finds a name in a folder by a linear search: the files go into a small folder first, and each
        # incident is then copied into incidents/ as one entry (one search of it per incident, not one per file).
        for n in range(first, last + 1):
            still_open = n > incidents - open_incidents
            template = templates[open_kinds[n % len(open_kinds)]] if still_open else templates["complete"]
            start = EARLIEST_START + span * (n / max(incidents, 1)) - timedelta(minutes=rng.randrange(0, 600))
            for rel, text in incident_files(template, n, incidents, known_errors, events, rng, start).items():
                write_file(f"{STAGING}/INC-{n:05d}/{rel}", text)
        for n in range(first, last + 1):
            out.write(f"C {STAGING}/INC-{n:05d} incidents/INC-{n:05d}\n".encode())
        out.write(f"D {STAGING}\n".encode())
    out.write(b"done\n")
    out.close()
    if importer.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "repack", "-a", "-d", "-q"], cwd=target, check=True)
    subprocess.run(["git", "commit-graph", "write", "--reachable", "--changed-paths"], cwd=target, check=True)
    subprocess.run(["git", "config", "uploadpack.allowFilter", "true"], cwd=target, check=True)  # partial clones over file://
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("target", type=Path)
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--events", type=int, default=20, help="minimum timeline events per incident (up to 10 more)")
    parser.add_argument("--known-errors", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate(args.target, args.incidents, args.events, args.known_errors, args.seed)


if __name__ == "__main__":
    main()
