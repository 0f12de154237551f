"""``mimctl demo``: a sample major incident taken through every stage by the CLI itself."""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import click

from .common import EXIT_FAILED, guarded

DEMO_SITE_URL = "https://status.example.com/"  # where a real tracker's site would be published (feeds need absolute links)


def _script(start: datetime) -> list[tuple[str, list[str]]]:
    """The demo's steps: (what a person reads, the mimctl arguments). ``{C}``/``{H}`` are filled in."""

    def t(minutes: int) -> str:
        return (start + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")

    i = "INC-0001"
    return [
        (
            "Declare the incident (stage: identify)",
            [
                "new",
                "--title",
                "Card payments failing at checkout",
                "--service",
                "checkout-api",
                "--impact",
                "high",
                "--urgency",
                "high",
                "--severity",
                "SEV1",
                "--source",
                "alert",
                "--alert-name",
                "CheckoutErrorRate",
                "--started",
                t(-7),
                "--visibility",
                "public",
                "--at",
                t(0),
                "--by",
                "pat",
            ],
        ),
        ("Confirm it is real", ["confirm", i, "--scope", "All card payments in EU and US fail with HTTP 502", "--at", t(2), "--by", "pat"]),
        (
            "Classify",
            [
                "classify",
                i,
                "--impact",
                "high",
                "--urgency",
                "high",
                "--reason",
                "Customers cannot pay; revenue loss",
                "--users",
                "48000",
                "--segment",
                "All paying customers",
                "--summary",
                "Checkout returns errors for card payments.",
                "--at",
                t(3),
            ],
        ),
        ("Advance to notify", ["advance", i, "--at", t(4)]),
        ("Assign the incident manager", ["assign", i, "incident_manager", "alex", "--at", t(5)]),
        ("Notify the MIRT", ["notified", i, "--to", "@payments", "--to", "@sre", "--channel", "pager", "--mirt", "--at", t(6)]),
        ("Open the bridge", ["bridge", i, "https://meet.example.com/inc-0001", "--at", t(6)]),
        (
            "First public update",
            ["update", i, "--public", "--status", "investigating", "Some card payments are failing. We are investigating.", "--at", t(8)],
        ),
        ("Advance to contain", ["advance", i, "--at", t(9)]),
        (
            "Log a containment action",
            [
                "containment",
                "add",
                i,
                "--action",
                "Routed card traffic to the secondary gateway",
                "--rollback",
                "Route card traffic back to the primary gateway",
                "--at",
                t(15),
            ],
        ),
        ("Advance to investigate", ["advance", i, "--at", t(20)]),
        ("Record a hypothesis", ["hypothesis", "add", i, "TLS certificate on the primary gateway expired", "--at", t(25)]),
        (
            "Confirm it",
            ["hypothesis", "set", i, "{H}", "confirmed", "--evidence", "Handshake errors from 08:00Z in gateway logs", "--at", t(32)],
        ),
        (
            "Record the cause",
            ["cause", i, "--confirmed", "The primary gateway's TLS certificate expired; renewal job had failed silently", "--at", t(33)],
        ),
        ("Record the plan", ["plan", i, "Renew the certificate, verify in staging, switch traffic back", "--at", t(34)]),
        ("Advance to resolve", ["advance", i, "--at", t(35)]),
        (
            "Implement the fix",
            [
                "resolution",
                i,
                "--implemented",
                "CHG-2041",
                "--summary",
                "Certificate renewed and deployed",
                "--validated-in",
                "staging",
                "--at",
                t(50),
            ],
        ),
        ("Observe stability", ["resolution", i, "--stable", "--at", t(80)]),
        ("Confirm with users", ["resolution", i, "--confirmed-by", "service-desk", "--at", t(85)]),
        ("Advance to recover", ["advance", i, "--at", t(86)]),
        ("Roll back the containment", ["containment", "set", i, "{C}", "rolled-back", "--at", t(90)]),
        (
            "Validate dependents",
            ["recovery", i, "--summary", "Traffic back on the primary gateway", "--restored", "--dependents-validated", "--at", t(100)],
        ),
        (
            "Communicate recovery",
            ["update", i, "--public", "--status", "monitoring", "Payments work again. We are monitoring.", "--at", t(105)],
        ),
        ("Advance to close", ["advance", i, "--at", t(110)]),
        (
            "Record closure",
            ["close", i, "--summary", "Expired certificate replaced; service restored", "--problem", "PRB-311", "--at", t(180)],
        ),
        ("Communicate closure", ["update", i, "--public", "--status", "resolved", "This incident is resolved.", "--at", t(181)]),
        ("Schedule the review", ["pir", "schedule", i, "--when", t(60 * 48), "--attendee", "alex", "--attendee", "pat", "--at", t(182)]),
        ("Advance to review", ["advance", i, "--at", t(183)]),
        ("Write the review", ["pir", "new", i]),
        ("Root causes", ["pir", "set", i, "root_causes", '["Certificate renewal job failed without alerting"]', "--json"]),
        ("Known-error decision", ["pir", "set", i, "no_known_error_reason", "A one-off failure; the fix removes it"]),
        (
            "Action item",
            [
                "pir",
                "action",
                "add",
                i,
                "--title",
                "Alert on certificate expiry 14 days ahead",
                "--owner",
                "sam",
                "--due",
                (start + timedelta(days=14)).strftime("%Y-%m-%d"),
                "--kind",
                "detect",
            ],
        ),
        ("Hold the review", ["pir", "complete", i, "--held", t(60 * 48), "--attendee", "alex", "--attendee", "pat"]),
        ("Advance to improve", ["advance", i, "--at", t(60 * 49)]),
        ("Finish the action item", ["pir", "action", "set", i, "A1", "done"]),
        ("Complete the incident", ["advance", i, "--at", t(60 * 24 * 10)]),
    ]


def run_demo(root: Path, echo: Any) -> int:
    """Build a tracker at ``root``, replay the script, validate, build the site; returns an exit code."""
    from .. import gitrepo
    from ..scaffold import create
    from . import invoke

    root.mkdir(parents=True, exist_ok=True)
    paths = create(root, with_site=False)
    repo = gitrepo.init(root)
    repo.commit_paths(paths, "Start a tracker repository\n")
    start = (datetime.now(timezone.utc) - timedelta(days=12)).replace(microsecond=0, second=0)
    ids: dict[str, str] = {}
    for step, (what, args) in enumerate(_script(start), 1):
        args = [a.replace("{C}", ids.get("C", "")).replace("{H}", ids.get("H", "")) for a in args]
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            code = invoke([*args, "--repo", str(root), "--format", "json"])
        if code != 0:
            echo(f"step {step} failed: mimctl {' '.join(args)}\n{buffer.getvalue()}")
            return EXIT_FAILED
        result = json.loads(buffer.getvalue() or "{}")
        ids.setdefault("C", result.get("action_id", "")) if result.get("action_id") else None
        ids.setdefault("H", result.get("hypothesis_id", "")) if result.get("hypothesis_id") else None
        commit = (result.get("commit") or "")[:8]
        echo(
            f"{step:>2}. {what:<32} mimctl {args[0]}{' ' + args[1] if args[0] in ('containment', 'hypothesis', 'pir') else ''}  [{commit}]"
        )
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = invoke(["validate", "--repo", str(root)])
    echo(buffer.getvalue().strip() or "validate: see above")
    if code != 0:
        return int(code)
    return _build_site(root, echo)


def _build_site(root: Path, echo: Any) -> int:
    from ..site.build import SiteBuildError, build_site

    try:
        for public, folder in ((False, "site"), (True, "site-public")):
            build_site(root, root / folder, public=public, site_url=DEMO_SITE_URL)
    except SiteBuildError as exc:
        echo(f"site not built: {exc}")
        return EXIT_FAILED
    echo(f"Built the site: {root / 'site' / 'index.html'} (public edition: {root / 'site-public' / 'index.html'})")
    return 0


@click.command()
@click.option(
    "--path",
    "path",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to create the scratch repository (default: a new temporary folder).",
)
@guarded
def demo(path: Path | None) -> int:
    """Create a scratch tracker repository and take a sample SEV1 incident through all nine stages.

    Every step is a real mimctl command and a real commit, with times in the
    past. At the end the repository is validated, its site built (internal and
    public editions) and its location printed: look around with `git log`,
    `mimctl show INC-0001`, and open site/index.html.
    """
    root = path or Path(tempfile.mkdtemp(prefix="mimctl-demo-"))
    if path and any(path.iterdir() if path.exists() else ()):
        raise click.UsageError(f"{path} is not empty")
    click.echo(f"Creating a tracker repository in {root}")
    code = run_demo(root, click.echo)
    if code == 0:
        click.echo(f"\nDone. The repository is at {root}\n  cd {root} && git log --oneline && mimctl show INC-0001")
    return code
