"""Notification payloads: the cost of building and checking each receiver's payload, and of the cadence in ``list``.

Usage:
    python bench/notify.py [--notices N] [--incidents N] [--runs N]

For every channel type, ``N`` notices (half short, half at the record limit
of 20,000 characters of ``&<>``-heavy text, which forces the cut) are built
and checked against the receiver's rules (slack_sdk's models for Slack), as
``notify`` does before it sends. The cadence row computes the next update due
for ``--incidents`` synthetic active incidents with ten updates each, as
``mimctl list`` does per line. Prints the median of ``--runs`` in ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from mimctl import cadence, channels  # noqa: E402
from mimctl.channels import ChannelConfig, Notice  # noqa: E402
from mimctl.model import Event, Incident, format_time  # noqa: E402
from mimctl.store import Tracker  # noqa: E402

CONFIGS = {
    "slack": ChannelConfig("s", "slack", {"url_env": "X"}),
    "teams": ChannelConfig("t", "teams", {"url_env": "X"}),
    "webhook": ChannelConfig("w", "webhook", {"url_env": "X", "secret_env": "Y"}),
    "email": ChannelConfig("e", "email", {"host": "h", "from": "a@example.com", "to": ["b@example.com"]}),
}


def notices(count: int) -> list[Notice]:
    found = []
    for number in range(count):
        text = "Checkout is failing; retrying." if number % 2 else "&<>" * 6666
        found.append(
            Notice(
                f"incidents/INC-0001/timeline/{number:06d}-stakeholder-update-aaaaaa.yaml",
                "INC-0001",
                "Checkout errors",
                "SEV1",
                "contain",
                ("checkout-api",),
                "stakeholder-update",
                "2025-03-10T08:00:00Z",
                "pat",
                "internal",
                "INC-0001 internal update (investigating): Checkout errors",
                (("Severity", "SEV1"), ("Stage", "contain"), ("Reason", text)),
                text,
                {},
                "https://status.example.com/incidents/INC-0001.html",
            )
        )
    return found


def timed(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notices", type=int, default=200)
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    batch = notices(args.notices)
    print(f"{'what':<34} {'total ms':>10} {'per item ms':>12}")
    for type_, config in CONFIGS.items():
        implementation = channels.channel(type_)

        def build_and_check(implementation: channels.Channel = implementation, config: ChannelConfig = config) -> None:
            for item in batch:
                assert implementation.validate(implementation.build(item, config)) == []

        total = timed(build_and_check, args.runs)
        print(f"{type_ + ' build + validate':<34} {total:>10.1f} {total / len(batch):>12.3f}")
    process = Tracker(ROOT).process
    start = datetime(2025, 3, 10, 8, 0, tzinfo=timezone.utc)
    updates = tuple(
        Event(f"{m}.yaml", start + timedelta(minutes=m), "stakeholder-update", {"audience": "internal", "at": format_time(start)})
        for m in range(0, 300, 30)
    )
    data = {"id": "INC-0001", "title": "x", "stage": "contain", "severity": "SEV1", "priority": 1, "detected_at": format_time(start)}
    incidents = [Incident(f"INC-{n:04d}", {**data, "declared_at": format_time(start)}, updates) for n in range(args.incidents)]
    now = start + timedelta(hours=6)
    total = timed(lambda: [cadence.next_update_due(i, process, now) for i in incidents], args.runs)
    print(f"{'cadence next_update_due':<34} {total:>10.1f} {total / len(incidents):>12.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
