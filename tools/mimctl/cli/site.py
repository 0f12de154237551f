"""`mimctl site`: build the published site."""

from __future__ import annotations

from pathlib import Path

import click

from ..output import terminal_safe
from .common import EXIT_FAILED, emit, format_option, repo_option, site_url, tracker


@click.group()
def site() -> None:
    """Build the status page and knowledge-base site (MkDocs Material).

    \b
    Examples:
      mimctl site build                      # internal edition into ./site
      mimctl site build --public -o public   # public status site: public updates only
      mimctl site build --public --status-only -o public   # refresh the status pages of a built site fast
    """


@site.command("build")
@click.option("--public", is_flag=True, help="The public edition: public incidents and updates only, no internal detail.")
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("site"),
    show_default=True,
    help="Where to write the site.",
)
@click.option(
    "--status-only",
    is_flag=True,
    help="Only the status path: status home, status API, feeds, active and recent incidents' pages, maintenance "
    "(fast, whatever the history). Over a full build in --output it replaces just those files.",
)
@click.option(
    "--rev",
    metavar="REVISION",
    help="Build from the records a commit holds (git objects; what a deploy publishes), not the files on disk, e.g. HEAD.",
)
@click.option(
    "--site-url",
    "url",
    metavar="URL",
    callback=lambda ctx, param, value: site_url(value),
    help="Where the site is published (overrides mkdocs.yml's site_url; feeds and the status API link to it).",
)
@format_option("text", "json")
@repo_option
def build(public: bool, output: Path, status_only: bool, rev: str | None, url: str, output_format: str, repo: Path | None) -> int:
    """Build the site from the records (mkdocs build --strict, with the mimctl plugin).

    By default from the records as this checkout holds them (uncommitted
    edits too); with --rev from a commit, which costs no look at the files on
    disk: in a large checkout that is what keeps the status path fast.

    \b
    Examples:
      mimctl site build --public -o public --site-url https://status.example.com/
      mimctl site build --public --status-only --rev HEAD -o public   # the status path, from the last commit
      mimctl site build --format json        # where it went, and any warnings
    """
    from ..site.build import SiteBuildError, build_site

    tr = tracker(repo)
    if rev is not None:
        from ..store import committed_source

        rev = committed_source(tr.root, rev).rev  # resolved once: an unknown revision stops here, with its message
    warnings: list[str] = []
    try:
        out = build_site(tr.root, output, public=public, status_only=status_only, warn=warnings.append, site_url=url, rev=rev or "")
    except SiteBuildError as exc:
        click.echo(terminal_safe(f"mimctl: {exc}"), err=True)
        return EXIT_FAILED
    for warning in warnings:
        click.echo(f"mimctl: warning: {warning}", err=True)
    edition = "public" if public else "internal"
    what = "status path of the " if status_only else ""
    data = {"edition": edition, "site": str(out.resolve()), "status_only": status_only, "warnings": warnings}
    emit(output_format, data, f"built the {what}{edition} site in {out}")
    return 0
