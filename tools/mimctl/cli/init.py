"""`mimctl init`: start a tracker repository."""

from __future__ import annotations

from pathlib import Path

import click

from .common import emit, format_option


def _site_url(value: str | None) -> str:
    """An http(s) URL ending in /, or a usage error."""
    if not value:
        return ""
    text = value.strip()
    if not text.lower().startswith(("https://", "http://")) or any(c in text for c in "\"'<> \t\n`#?"):
        raise click.BadParameter(f"{value!r} is not an http(s) URL like https://status.example.com/", param_hint="--site-url")
    return text if text.endswith("/") else text + "/"


@click.command()
@click.argument("path", type=click.Path(file_okay=False, path_type=Path), default=Path("."))
@click.option("--no-site", is_flag=True, help="Leave out mkdocs.yml and docs/ (records only).")
@click.option(
    "--site-url",
    callback=lambda ctx, param, value: _site_url(value),
    help="Where the site will be published, e.g. https://status.example.com/ (feeds and the status API need it).",
)
@click.option("--no-github", is_flag=True, help="Leave out .github/ (workflows, CODEOWNERS, pull-request template).")
@click.option(
    "--pin",
    metavar="REQUIREMENT",
    help="The mimctl the workflows install, as a requirements line (default: this mimctl's commit or version).",
)
@click.option("--no-commit", is_flag=True, help="Write the files but do not commit.")
@format_option("text", "json")
def init(path: Path, no_site: bool, site_url: str, no_github: bool, pin: str | None, no_commit: bool, output_format: str) -> int:
    """Start a tracker repository in PATH (default: here), or turn an existing repository into one.

    Writes the starter process.yaml (the nine stages and their gates, the ITIL
    impact x urgency matrix, SEV1-SEV4, roles, escalation), an example
    catalog.yaml, the schemas, a site configuration, the GitHub workflows,
    CODEOWNERS and pull-request template (.github/), and the pin of the
    mimctl that judges pull requests (.mimctl/requirements.txt: this mimctl's
    git commit when pip knows it, else its version); makes PATH a git
    repository if it is not one; and commits. Then edit catalog.yaml to list
    your services and teams, process.yaml to fit your process, and
    .github/CODEOWNERS to name your teams.

    \b
    Examples:
      mimctl init incidents-tracker --site-url https://status.example.com/ && cd incidents-tracker
      mimctl init --no-site --no-github .        # records only, in the current repository
      mimctl init --pin 'mimctl[site]==0.2.0' tracker
    """
    from .. import gitrepo
    from ..scaffold import create

    path.mkdir(parents=True, exist_ok=True)
    repo = gitrepo.find(path)
    if repo is not None and not no_commit:
        repo.ensure_safe()
    if pin is not None and (not pin.strip() or "\n" in pin or pin.lstrip().startswith("-")):
        raise click.BadParameter("give one requirements line, e.g. 'mimctl[site]==0.2.0'", param_hint="--pin")
    paths = create(path, with_site=not no_site, with_github=not no_github, pin=pin.strip() if pin else None, site_url=site_url)
    commit = None
    if not no_commit:
        repo = repo or gitrepo.init(path, name=None)
        commit = repo.commit_paths([repo.relative(path / p) for p in paths], "Start a tracker repository\n\nCreated by mimctl init.\n")
    emit(
        output_format,
        {"path": str(path.resolve()), "files": paths, "commit": commit},
        f"tracker repository ready in {path.resolve()}"
        + (f" (committed {commit[:10]})" if commit else " (not committed)")
        + "\nnext: edit catalog.yaml (your services and teams), then: mimctl new --help"
        + ("" if site_url or no_site else "\nset site_url in mkdocs.yml to where the site will be published (feeds need absolute links)"),
    )
    return 0
