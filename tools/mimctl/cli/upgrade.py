"""`mimctl upgrade`: bring a tracker's schema copies, version marker and records to this mimctl's schema version."""

from __future__ import annotations

from pathlib import Path

import click

from .common import EXIT_OK, emit, format_option, repo_option, tracker


@click.command()
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option("--no-commit", is_flag=True, help="Write the files but do not commit.")
@format_option("text", "json")
@repo_option
def upgrade(dry_run: bool, no_commit: bool, output_format: str, repo: Path | None) -> int:
    """Bring the tracker to this mimctl's schema version, in one commit for review.

    Records are always judged by the schemas of the mimctl that runs; the
    tracker's schemas/ copies serve editors. This command rewrites the copies
    that are older or differ, runs the record migrations between the
    tracker's version (.mimctl/tracker.yaml) and this mimctl's, and records
    the new version, all in one commit (trailers Schema-Version and
    Previous-Schema-Version). It refuses a tracker newer than this mimctl.

    \b
    Examples:
      mimctl upgrade --dry-run          # what would change
      mimctl upgrade                    # then open a pull request
    """
    from ..transaction import apply
    from ..versioning import plan_upgrade

    tr = tracker(repo)
    plan = plan_upgrade(tr)
    data: dict[str, object] = {
        "from": plan.source,
        "to": plan.target,
        "changes": [{"path": path, "why": why} for path, why in plan.reasons.items()],
        "migrations": plan.migrations,
        "dry_run": dry_run,
        "commit": None,
        "changed": False,
    }
    if not plan.needed:
        emit(output_format, data, f"the tracker is up to date (schema version {plan.target})")
        return EXIT_OK
    lines = [f"schema version {plan.source} -> {plan.target}:"]
    lines += [f"  {path}: {why}" for path, why in plan.reasons.items()]
    lines += [f"  migration {m}" for m in plan.migrations]
    if dry_run:
        lines.append("dry run: nothing was changed")
    else:
        applied = apply(tr, plan.change(), commit=not no_commit)
        data.update({"commit": applied.commit, "changed": applied.changed})
        lines.append(f"committed {applied.commit[:10]}" if applied.commit else "written, not committed")
    emit(output_format, data, "\n".join(lines))
    return EXIT_OK
