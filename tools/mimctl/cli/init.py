"""`mimctl init`: start a tracker repository."""

from __future__ import annotations

from pathlib import Path

import click

from ..output import terminal_safe
from .common import emit, format_option
from .common import site_url as parse_site_url


@click.command()
@click.argument("path", type=click.Path(file_okay=False, path_type=Path), default=Path("."))
@click.option("--no-site", is_flag=True, help="Leave out mkdocs.yml and docs/ (records only).")
@click.option(
    "--site-url",
    callback=lambda ctx, param, value: parse_site_url(value),
    help="Where the site will be published, e.g. https://status.example.com/ (feeds and the status API need it).",
)
@click.option("--no-github", is_flag=True, help="Leave out .github/ (workflows, CODEOWNERS, pull-request template).")
@click.option(
    "--pin",
    metavar="REQUIREMENT",
    help="The mimctl the workflows install, as a requirements line (default: this mimctl's commit or version).",
)
@click.option("--no-commit", is_flag=True, help="Write the files but do not commit.")
@click.option(
    "--no-git-settings",
    is_flag=True,
    help="Leave the repository's git settings alone (by default init sets those a large tracker needs: feature.manyFiles, "
    "fetch.writeCommitGraph).",
)
@format_option("text", "json")
def init(
    path: Path, no_site: bool, site_url: str, no_github: bool, pin: str | None, no_commit: bool, no_git_settings: bool, output_format: str
) -> int:
    """Start a tracker repository in PATH (default: here), or turn an existing repository into one.

    Writes the starter process.yaml (the nine stages and their gates, the ITIL
    impact x urgency matrix, SEV1-SEV4, roles, escalation), an example
    catalog.yaml, the schemas, a site configuration, the GitHub workflows,
    CODEOWNERS and pull-request template (.github/), and the pin of the
    mimctl that judges pull requests (.mimctl/requirements.txt: this mimctl's
    git commit when pip knows it, else its version); makes PATH a git
    repository if it is not one, with the git settings a tracker that grows
    large needs (feature.manyFiles: index version 4 and the untracked cache;
    fetch.writeCommitGraph), unless the repository sets them itself; and
    commits. Then edit catalog.yaml to list
    your services and teams, process.yaml to fit your process, and
    .github/CODEOWNERS to name your teams.

    \b
    Examples:
      mimctl init incidents-tracker --site-url https://status.example.com/ && cd incidents-tracker
      mimctl init --no-site --no-github .        # records only, in the current repository
      mimctl init --pin 'mimctl[site]==0.2.0' tracker
    """
    from .. import gitrepo
    from ..scaffold import create, index_pin_warning, running_pin

    path.mkdir(parents=True, exist_ok=True)
    repo = gitrepo.find(path)
    if repo is not None and not no_commit:
        repo.ensure_safe()
    if pin is not None and (not pin.strip() or "\n" in pin or pin.lstrip().startswith("-")):
        raise click.BadParameter("give one requirements line, e.g. 'mimctl[site]==0.2.0'", param_hint="--pin")
    requirement = pin.strip() if pin else running_pin()
    paths = create(path, with_site=not no_site, with_github=not no_github, pin=requirement, site_url=site_url)
    commit = None
    if not no_commit:
        repo = repo or gitrepo.init(path, name=None)
        commit = repo.commit_paths([repo.relative(path / p) for p in paths], "Start a tracker repository\n\nCreated by mimctl init.\n")
    location = gitrepo.locate(path)
    settings = gitrepo.apply_settings(location.top) if location is not None and not no_git_settings else []
    warnings = [w for w in [index_pin_warning(requirement)] if w]
    pin_label = "the pin, for workflows you add" if no_github else "the workflows install"
    for warning in warnings:
        click.echo(terminal_safe(f"mimctl: warning: {warning}"), err=True)
    emit(
        output_format,
        {
            "path": str(path.resolve()),
            "files": paths,
            "commit": commit,
            "pin": requirement,
            "warnings": warnings,
            "git_settings": {s.key: s.value for s in settings},
        },
        f"tracker repository ready in {path.resolve()}"
        + (f" (committed {commit[:10]})" if commit else " (not committed)")
        + terminal_safe(f"\n{pin_label}: {requirement} (.mimctl/requirements.txt)")
        + ("\ngit settings for a large tracker: " + ", ".join(f"{s.key}={s.value}" for s in settings) if settings else "")
        + (f"\nrecommended, once the tracker is large: {gitrepo.MAINTENANCE_ADVICE}" if location is not None else "")
        + "\nnext: edit catalog.yaml (your services and teams), then: mimctl new --help"
        + ("" if site_url or no_site else "\nset site_url in mkdocs.yml to where the site will be published (feeds need absolute links)"),
    )
    return 0
