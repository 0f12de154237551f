"""Commands that check records: validate (any time) and check (pull requests)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from .. import output as out
from .common import EXIT_FAILED, committed, format_option, repo_option, tracker


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--rev",
    metavar="REVISION",
    help="Validate the records a commit holds (read from git objects, whatever the checkout shows), e.g. HEAD.",
)
@click.option("--no-cache", is_flag=True, help="Judge every record again, ignoring results kept from earlier runs.")
@format_option("text", "json", "github")
@repo_option
def validate(paths: tuple[Path, ...], rev: str | None, no_cache: bool, output_format: str, repo: Path | None) -> int:
    """Validate records: strict YAML, schemas, and cross-record rules.

    With no PATH, the whole repository as this checkout holds it: the files
    on disk, and (in a sparse checkout) what git holds for the rest. Every
    finding is printed as path:line:col: message [field]; exit 1 if there is
    any.

    Results are kept in the git folder: a record unchanged since an earlier
    run, judged by the same mimctl and rules, is not read again (--no-cache
    reads everything). In a large checkout, finding what changed on disk
    costs as much as `git status`; --rev HEAD skips that.

    \b
    Examples:
      mimctl validate
      mimctl validate incidents/INC-0042
      mimctl validate --rev HEAD          # what the last commit holds
      mimctl validate --format github     # annotations in a GitHub workflow
    """
    from ..validate import scope_for
    from ..validate import validate as run_validate
    from ..versioning import drift

    tr = tracker(repo or (paths[0].parent if paths and paths[0].is_file() else paths[0] if paths else None))
    if rev is not None:
        tr = committed(tr, rev)
    scope = scope_for(tr, list(paths)) if paths else None
    result = run_validate(tr, scope, keep=not no_cache)
    result.findings += drift(tr)  # the tracker's schema copies and version against this mimctl's
    if output_format == "json":
        click.echo(out.findings_json(result.findings, result.files))
    elif output_format == "github":
        click.echo(out.findings_github(result.findings, result.files))
    else:
        click.echo(out.findings_text(result.findings, result.files), err=not result.ok)
    return 0 if result.ok else EXIT_FAILED


@click.command()
@click.option("--base", required=True, help="The revision the change will merge into, e.g. origin/main.")
@click.option(
    "--summary",
    "summary_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the Markdown summary here (default: $GITHUB_STEP_SUMMARY when set).",
)
@click.option(
    "--uncommitted", is_flag=True, help="Also judge uncommitted and untracked files (reads every file: slower in a large repository)."
)
@format_option("text", "json", "github")
@repo_option
def check(base: str, summary_path: Path | None, uncommitted: bool, output_format: str, repo: Path | None) -> int:
    """The pull-request check: judge the commits since BASE with BASE's rules.

    Reads the commits from git, never the checkout: a symbolic link, a
    submodule or any file under incidents/ or kedb/ that is not a record is a
    finding. The changed records are validated with BASE's process.yaml,
    catalog and schemas (and, when the change edits those, every record again
    with the new ones); records that refer to a removed one are validated too.
    Fails when a timeline file is modified or deleted, a stage change is not a
    legal transition whose gate was met at the stage change's time, a stage
    change crosses a part of the process the same change edits, or a new ID
    collides with one on BASE. Writes a Markdown summary for reviewers.

    Time is proportional to the change; --uncommitted adds what is not
    committed yet (read from the work tree).

    \b
    Examples:
      mimctl check --base origin/main --format github   # in a workflow
      mimctl check --base main --uncommitted            # before committing
    """
    from ..prcheck import as_data, run_check, stage_change_findings, summary_markdown
    from ..store import Tracker, TrackerError, find_root_at

    try:
        tr = tracker(repo)
    except TrackerError:
        root = find_root_at(repo or Path.cwd(), base)
        if root is None:
            raise
        tr = Tracker(root)  # the change deletes process.yaml: judged where the base has its tracker
    result = run_check(tr, base, worktree=uncommitted)
    markdown = summary_markdown(result)
    target = summary_path or (Path(os.environ["GITHUB_STEP_SUMMARY"]) if os.environ.get("GITHUB_STEP_SUMMARY") else None)
    if target is not None:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(markdown)
    findings = result.report.findings
    if output_format == "json":
        click.echo(out.json_text(as_data(result)))
    elif output_format == "github":
        click.echo(out.findings_github([*findings, *stage_change_findings(result)], result.report.files))
    else:
        click.echo(out.findings_text([*findings, *stage_change_findings(result)], result.report.files))
        for change in result.stage_changes:
            verdict = "ok" if change.ok else "NOT ALLOWED"
            click.echo(out.terminal_safe(f"stage change {change.incident}: {change.source} -> {change.target}: {verdict}"))
    return 0 if result.ok else EXIT_FAILED
