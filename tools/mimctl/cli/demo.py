"""``mimctl demo``: a sample major incident taken through every stage, in a scratch repository."""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click

from .common import EXIT_FAILED, EXIT_OK, default_person

DEMO_SITE_URL = "https://status.example.com/"  # where a real tracker's site would be published (feeds need absolute links)


def _build_site(root: Path) -> int:
    from ..site.build import SiteBuildError, build_site

    try:
        for public, folder in ((False, "site"), (True, "site-public")):
            build_site(root, root / folder, public=public, site_url=DEMO_SITE_URL)
    except SiteBuildError as exc:
        click.echo(f"site not built: {exc}")
        return EXIT_FAILED
    click.echo(f"Built the site: {root / 'site' / 'index.html'} (public edition: {root / 'site-public' / 'index.html'})")
    return EXIT_OK


@click.command()
@click.option(
    "--path",
    "path",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to create the scratch repository (default: a new temporary folder).",
)
def demo(path: Path | None) -> int:
    """Create a scratch tracker repository and take a sample SEV1 incident through all nine stages.

    Every step is what a mimctl command does (its name is shown) and a real
    commit, with times in the past. At the end the repository is validated,
    its site built (internal and public editions) and its location printed:
    look around with `git log`, `mimctl show INC-0001`, and open
    site/index.html.
    """
    from .. import demo as sample

    if path and any(path.iterdir() if path.exists() else ()):
        raise click.UsageError(f"{path} is not empty")
    root = path or Path(tempfile.mkdtemp(prefix="mimctl-demo-"))
    click.echo(f"Creating a tracker repository in {root}")
    start = (datetime.now(timezone.utc) - timedelta(days=12)).replace(microsecond=0, second=0)
    if not sample.run(root, click.echo, start, default_person()):
        return EXIT_FAILED
    code = _build_site(root)
    if code == EXIT_OK:
        click.echo(f"\nDone. The repository is at {root}\n  cd {root} && git log --oneline && mimctl show INC-0001")
    return code
