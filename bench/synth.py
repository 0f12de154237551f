"""Synthetic tracker repositories for benchmarks: many incidents, long timelines, PIRs, known errors."""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ["identify", "notify", "contain", "investigate", "resolve", "recover", "close", "review", "improve", "complete"]


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _incident(n: int, rng: random.Random, services: list[str], events: int) -> dict[str, str]:
    """Files of one incident (relative to its folder), as the tool would write them."""
    detected = datetime(2020, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=rng.randrange(60 * 24 * 365 * 6))
    stage_index = rng.randrange(len(STAGES))
    files: dict[str, str] = {}
    service = rng.choice(services)
    incident = [
        "# yaml-language-server: $schema=../../schemas/incident.schema.json",
        f"id: INC-{n:05d}",
        f"title: Synthetic incident {n} on {service}",
        f"stage: {STAGES[0]}",
        "severity: SEV2",
        "impact: high",
        "urgency: medium",
        "priority: 2",
        "detection:",
        "  source: alert",
        "  alert:",
        f"    name: HighErrorRate{n % 17}",
        f"detected_at: '{_ts(detected)}'",
        "services:",
        f"  - {service}",
        "summary: |",
        "  " + " ".join(f"Symptom text {rng.randrange(10**6)} for realistic size." for _ in range(12)),
        "impacted_users:",
        f"  count: {rng.randrange(100000)}",
        "  segment: Synthetic customers",
    ]
    at = detected
    stage = STAGES[0]
    for index in range(events):
        at += timedelta(minutes=rng.randrange(1, 30))
        stamp = at.strftime("%Y%m%dT%H%M%SZ")
        if index % 4 == 3 and STAGES.index(stage) < stage_index:
            target = STAGES[STAGES.index(stage) + 1]
            body = f"kind: stage\nby: bench\nfrom: {stage}\nto: {target}\n"
            stage = target
            kind = "stage"
        else:
            kind = "note"
            body = f"kind: note\nby: bench\ntext: Note {index} about what responders saw and did, long enough to look real.\n"
        files[f"timeline/{stamp}-{kind}-{index:06x}.yaml"] = (
            "# yaml-language-server: $schema=../../../schemas/event.schema.json\n" f"at: '{_ts(at)}'\n" + body
        )
    incident[3] = f"stage: {stage}"
    files["incident.yaml"] = "\n".join(incident) + "\n"
    return files


def generate(target: Path, incidents: int, events: int = 20, known_errors: int = 0, seed: int = 1) -> Path:
    """Write a tracker repository with ``incidents`` incidents into ``target`` and commit it."""
    rng = random.Random(seed)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in ("process.yaml", "catalog.yaml"):
        shutil.copyfile(ROOT / name, target / name)
    shutil.copytree(ROOT / "schemas", target / "schemas")
    services = ["checkout-api", "auth", "search", "payments-gateway", "web-shop"]
    for n in range(1, incidents + 1):
        folder = target / "incidents" / f"INC-{n:05d}"
        for rel, text in _incident(n, rng, services, events).items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    kedb = target / "kedb"
    kedb.mkdir()
    for n in range(1, known_errors + 1):
        (kedb / f"KE-{n:05d}.yaml").write_text(
            "# yaml-language-server: $schema=../schemas/known-error.schema.json\n"
            f"id: KE-{n:05d}\ntitle: Known error {n}\nstatus: open\nservices:\n  - {rng.choice(services)}\n"
            f"symptoms:\n  - Requests fail with error code E{n:05d} under load\nworkaround:\n  - Restart the worker pool\n",
            encoding="utf-8",
        )
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(target)], check=True)
    subprocess.run([*git, "add", "-A"], cwd=target, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "synthetic tracker"], cwd=target, check=True)
    subprocess.run(["git", "commit-graph", "write", "--reachable"], cwd=target, check=True)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("target", type=Path)
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--known-errors", type=int, default=0)
    args = parser.parse_args()
    generate(args.target, args.incidents, args.events, args.known_errors)


if __name__ == "__main__":
    main()
