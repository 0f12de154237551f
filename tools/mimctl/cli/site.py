"""`mimctl site`: build the published site."""

from __future__ import annotations

from pathlib import Path

import click

from ..report import terminal_safe
from .common import EXIT_FAILED, emit, format_option, guarded, repo_option, tracker


@click.group()
def site() -> None:
    """Build the status page and knowledge-base site (MkDocs Material).

    \b
    Examples:
      mimctl site build                      # internal edition into ./site
      mimctl site build --public -o public   # public status site: public updates only
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
@format_option("text", "json")
@repo_option
@guarded
def build(public: bool, output: Path, output_format: str, repo: Path | None) -> int:
    """Build the site from the records (mkdocs build --strict, with the mimctl plugin)."""
    from ..site.build import SiteBuildError, build_site

    tr = tracker(repo)
    try:
        out = build_site(tr.root, output, public=public)
    except SiteBuildError as exc:
        click.echo(terminal_safe(f"mimctl: {exc}"), err=True)
        return EXIT_FAILED
    edition = "public" if public else "internal"
    emit(output_format, {"edition": edition, "site": str(out.resolve())}, f"built the {edition} site in {out}")
    return 0
