"""`mimctl repair`: put the checkout back in order after an interrupted command."""

from __future__ import annotations

from pathlib import Path

import click

from .common import EXIT_FAILED, emit, format_option, repo_option


@click.command()
@click.option("--dry-run", is_flag=True, help="Say what would be done; change nothing.")
@format_option("text", "json")
@repo_option
def repair(dry_run: bool, output_format: str, repo: Path | None) -> int:
    """Undo what an interrupted mimctl command left: its half-made change, git lock files, temporary files.

    A command that is killed, or whose undo fails (a full disk), leaves a
    journal in the git directory; every other command then refuses and points
    here. repair puts back the files, folders, index and branch as they were
    before that command, or, if the command had in fact committed what it
    meant to, keeps the commit. It removes a git lock file only when every
    process of that command is provably gone, and never one that no mimctl
    command made. Exit 0 when the checkout is in order afterwards, 1 when it
    cannot be repaired (the reason is printed).

    \b
    Examples:
      mimctl repair --dry-run
      mimctl repair
    """
    from ..repair import render
    from ..repair import repair as run_repair
    from ..store import find_root

    outcome = run_repair(find_root(repo or Path.cwd()), dry_run=dry_run)
    emit(output_format, outcome.as_dict(), render(outcome, dry_run))
    return EXIT_FAILED if outcome.state == "cannot-repair" else 0
