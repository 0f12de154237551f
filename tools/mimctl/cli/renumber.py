"""`mimctl renumber`: give an incident a fresh id after an id collision."""

from __future__ import annotations

from pathlib import Path

import click

from .common import emit, format_option, repo_option, tracker


@click.command()
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="[NEW]", required=False)
@click.option("--base", help="Also avoid the ids on this revision, e.g. origin/main (fetch it first).")
@click.option("--no-commit", is_flag=True, help="Move and edit the files but do not commit.")
@format_option("text", "json")
@repo_option
def renumber(old: str, new: str | None, base: str | None, no_commit: bool, output_format: str, repo: Path | None) -> int:
    """Move incident OLD to NEW and rewrite every reference to it, in one commit.

    NEW defaults to the next id that is free both here and on --base. The
    folder is renamed, its id: field and PIR rewritten, and other incidents'
    related_incidents and known errors' incidents lists updated.

    \b
    Example (the pull-request check said INC-0042 was also created on main):
      git fetch origin main
      mimctl renumber INC-0042 --base origin/main
      git push
    """
    from ..renumber import renumber as run_renumber

    tr = tracker(repo)
    done = run_renumber(tr, old, new, base=base, commit=not no_commit)
    data = {"old": done.old, "new": done.new, "commit": done.commit, "paths": done.paths, "references": done.references}
    where = f"committed {done.commit[:10]}" if done.commit else "written, not committed"
    text = f"{done.old} is now {done.new} ({where})"
    if done.references:
        text += "\n  references updated in: " + ", ".join(done.references)
    emit(output_format, data, text)
    return 0
