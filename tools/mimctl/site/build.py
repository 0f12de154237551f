"""Building the site with MkDocs, for `mimctl site build` and the demo."""

from __future__ import annotations

import contextlib
import json
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
# What the status path writes over a full build (and their search entries); of the rest, only pages of records no longer shown go.
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
    build in ``output`` it replaces just those files and their search entries,
    and takes off the pages of records the edition no longer shows; the rest
    stays as the last full build left it. ``site_url``
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
        written: set[str] = set()
        for path in sorted(fresh.rglob("*")):
            rel = PurePosixPath(path.relative_to(fresh).as_posix())
            if path.is_file() and str(rel).startswith(STATUS_PATH_FILES):
                target = output / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
                written.add(str(rel))
        gone = _withdrawn(root, output, written, public, rev)
        # The search entries first: a run killed in between leaves pages, which the next run finds and takes off again.
        _merge_search(fresh, output, gone)
        for page in gone:
            (output / page).unlink(missing_ok=True)
        if gone and warn is not None:
            warn(
                f"taken off the site, no longer shown in this edition: {', '.join(sorted(gone))} "
                "(the index pages list them until the next full build)"
            )
    return output


def _record_pages(output: Path) -> set[str]:
    """The pages of single records in a built site (``incidents/INC-0002.html``, ``kedb/KE-0001.html`` ...), as site paths."""
    from .layout import RECORD_PAGE_FOLDERS

    found = set()
    for folder, pattern in RECORD_PAGE_FOLDERS:
        with contextlib.suppress(OSError), os.scandir(output / folder) as entries:
            found |= {f"{folder}/{e.name}" for e in entries if e.name.endswith(".html") and pattern.match(e.name[: -len(".html")])}
    return found


def _withdrawn(root: Path, output: Path, written: set[str], public: bool, rev: str) -> set[str]:
    """The pages of the full build under ``output`` whose records this edition no longer shows."""
    from ..store import Tracker, committed_source
    from .status_path import withdrawn

    pages = _record_pages(output) - written
    if not pages:
        return set()
    tracker = Tracker(root, committed_source(root, rev)) if rev else Tracker(root)
    try:
        return withdrawn(tracker, "public" if public else "internal", pages)
    finally:
        tracker.close()


SEARCH_INDEX = "search/search_index.json"


def _merge_search(fresh: Path, output: Path, gone: set[str]) -> None:
    """The full build's search index with the status path's entries for the pages it wrote, and none for the pages taken off."""
    from ..yamlio import atomic_write

    target = output / SEARCH_INDEX
    fresh_docs: dict[str, list[Any]] = {}
    try:
        for doc in json.loads((fresh / SEARCH_INDEX).read_text(encoding="utf-8"))["docs"]:
            fresh_docs.setdefault(str(doc["location"]).partition("#")[0], []).append(doc)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        fresh_docs = {}  # the status path built no search index (the search plugin is off): only take entries off
    if not fresh_docs and not gone:
        return
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
        docs: list[Any] = []
        placed: set[str] = set()
        for doc in data["docs"]:
            page = str(doc["location"]).partition("#")[0]
            if page in fresh_docs:
                if page not in placed:  # the status path's entries, in the place the full build gave the page
                    docs += fresh_docs[page]
                    placed.add(page)
            elif page not in gone:
                docs.append(doc)
        data["docs"] = [*docs, *(d for page, page_docs in fresh_docs.items() if page not in placed for d in page_docs)]
    except FileNotFoundError:
        return
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        target.unlink(missing_ok=True)  # not an index this code can lay over: none rather than one holding pages taken off
        return
    atomic_write(target, json.dumps(data, separators=(",", ":")))
