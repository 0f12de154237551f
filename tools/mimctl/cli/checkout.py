"""`mimctl clone` and `mimctl widen`: a responder's sparse checkout of a large tracker."""

from __future__ import annotations

from pathlib import Path

import click

from .common import emit, format_option, repo_option, tracker


@click.command()
@click.argument("url")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path), required=False)
@click.option("--branch", help="The branch to check out (default: the remote's default branch).")
@click.option("--incident", "incidents", multiple=True, metavar="ID", help="Also check out this incident (repeatable).")
@click.option("--no-open", is_flag=True, help="Do not check out the open incidents (only the configuration and the KEDB).")
@format_option("text", "json")
def clone(url: str, path: Path | None, branch: str | None, incidents: tuple[str, ...], no_open: bool, output_format: str) -> int:
    """Set up a responder's checkout of the tracker at URL, in PATH (default: the repository's name).

    A partial clone (file contents are fetched when needed) with a sparse
    checkout holding process.yaml, catalog.yaml, the schemas, the known
    errors, scheduled maintenance and the open incidents: small and fast
    however long the history is. Every mimctl command still sees every
    incident (ids, listings and references come from git), reads one that is
    not checked out from git objects and says so, and checks an incident out
    before writing to it. Also sets the git settings a large tracker should
    use (see mimctl's scaling guide).

    \b
    Examples:
      mimctl clone https://github.com/ORG/incidents.git
      mimctl clone git@github.com:ORG/incidents.git tracker --incident INC-0042
    """
    from ..gitrepo import MAINTENANCE_ADVICE
    from ..sparse import clone as run_clone

    dest = path or Path(url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].removesuffix(".git") or "tracker")
    done = run_clone(url, dest, branch=branch, incidents=incidents, with_open=not no_open)
    data = {
        "path": str(done.path.resolve()),
        "checked_out": done.folders,
        "open_incidents": done.open_incidents,
        "incidents": done.incidents,
        "git_settings": {s.key: s.value for s in done.settings},
        "fetched_objects": done.fetched,
    }
    lines = [
        f"responder checkout ready in {done.path}: {len(done.open_incidents)} open of {done.incidents:,} incidents checked out, "
        "with the configuration, schemas, known errors and maintenance",
        "other incidents are read from git when a command needs them, and checked out when one writes to them "
        "(mimctl widen ID checks one out now)",
    ]
    if done.settings:
        lines.append("git settings: " + ", ".join(f"{s.key}={s.value}" for s in done.settings))
    lines.append(f"recommended: {MAINTENANCE_ADVICE}")
    emit(output_format, data, "\n".join(lines))
    return 0


@click.command()
@click.argument("incident_ids", nargs=-1, metavar="[ID]...")
@click.option("--open", "with_open", is_flag=True, help="Also every open incident (those declared since the checkout was made).")
@format_option("text", "json")
@repo_option
def widen(incident_ids: tuple[str, ...], with_open: bool, output_format: str, repo: Path | None) -> int:
    """Check out more incidents in a sparse checkout (made by mimctl clone).

    Commands check out an incident themselves before they write to it; this
    is for reading and editing by hand.

    \b
    Examples:
      mimctl widen INC-0042 INC-0043
      mimctl widen --open
    """
    from ..sparse import widen as run_widen

    if not incident_ids and not with_open:
        raise click.UsageError("give incident IDs, or --open")
    tr = tracker(repo)
    added = run_widen(tr, incident_ids, with_open=with_open)
    text = "checked out: " + ", ".join(added) if added else "already checked out: nothing to add"
    emit(output_format, {"checked_out": added}, text)
    return 0
