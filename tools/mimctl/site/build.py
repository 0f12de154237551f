"""Building the site with MkDocs, for `mimctl site build` and the demo."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any

STARTER_CONFIG = Path(__file__).resolve().parent.parent / "starter" / "mkdocs.yml"
NO_SITE_URL = (
    "site_url is not set in mkdocs.yml: the feeds and the status API carry relative links, which feed readers "
    "and the W3C feed validator refuse; set it to where the site is published (site_url: https://status.example.com/)"
)
# What the status path writes over a full build: everything else (search index, KEDB, reports) stays.
STATUS_PATH_FILES = ("index.html", "api/", "history.atom", "history.rss", "incidents/INC-", "maintenance/", "assets/")


class SiteBuildError(Exception):
    """MkDocs could not build the site."""


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    old = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def build_site(
    root: Path,
    output: Path,
    public: bool = False,
    strict: bool = True,
    status_only: bool = False,
    warn: Callable[[str], None] | None = None,
    site_url: str = "",
    rev: str = "",
) -> Path:
    """Build the site of the tracker at ``root`` into ``output``; the repo's mkdocs.yml if it has one.

    ``status_only``: the status path only (status home, status API, feeds, the
    pages of active and recent incidents, maintenance). Over an existing full
    build in ``output`` it replaces just those files, so the rest of the site
    (and its search index) stays as the last full build left it. ``site_url``
    overrides mkdocs.yml's. ``rev``: read the records a commit holds (git
    objects) rather than the files on disk.
    """
    if status_only:
        return _status_path(root, output, public, strict, warn, site_url, rev)
    try:
        from mkdocs.commands.build import build
        from mkdocs.config import load_config
        from mkdocs.exceptions import MkDocsException
    except ImportError:
        raise SiteBuildError("the site needs the 'site' extra: pip install 'mimctl[site]'") from None
    config_file = root / "mkdocs.yml"
    with tempfile.TemporaryDirectory(prefix="mimctl-docs-") as empty_docs:
        overrides: dict[str, Any] = {"site_dir": str(output.resolve()), "strict": strict}
        if site_url:
            overrides["site_url"] = site_url
        if not config_file.exists():
            config_file = STARTER_CONFIG
            overrides["docs_dir"] = str((root / "docs") if (root / "docs").is_dir() else Path(empty_docs))
        scope = os.environ.get("MIMCTL_SITE_SCOPE", "")
        with _environment(
            MIMCTL_SITE_EDITION="public" if public else "internal",
            MIMCTL_REPO=str(root.resolve()),
            NO_MKDOCS_2_WARNING="1",
            MIMCTL_SITE_SCOPE=scope,
            MIMCTL_SITE_REV=rev,
        ):
            try:
                config = load_config(config_file=str(config_file), **overrides)
                if warn is not None and not config.site_url:
                    warn(NO_SITE_URL)
                build(config)
            except MkDocsException as exc:
                raise SiteBuildError(str(exc)) from None
            except SystemExit as exc:  # strict mode aborts with SystemExit after logging
                raise SiteBuildError(f"the site build failed ({exc})") from None
    return output


def _status_path(root: Path, output: Path, public: bool, strict: bool, warn: Callable[[str], None] | None, site_url: str, rev: str) -> Path:
    with tempfile.TemporaryDirectory(prefix="mimctl-status-") as scratch:
        fresh = Path(scratch) / "site"
        with _environment(MIMCTL_SITE_SCOPE="status"):
            build_site(root, fresh, public=public, strict=strict, warn=warn, site_url=site_url, rev=rev)
        if not (output / "index.html").is_file():
            if output.exists():
                shutil.rmtree(output)
            shutil.copytree(fresh, output)
            return output
        for path in sorted(fresh.rglob("*")):
            rel = PurePosixPath(path.relative_to(fresh).as_posix())
            if path.is_file() and str(rel).startswith(STATUS_PATH_FILES):
                target = output / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
    return output
