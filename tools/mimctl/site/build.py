"""Building the site with MkDocs, for `mimctl site build` and the demo."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

STARTER_CONFIG = Path(__file__).resolve().parent.parent / "starter" / "mkdocs.yml"


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


def build_site(root: Path, output: Path, public: bool = False, strict: bool = True) -> Path:
    """Build the site of the tracker at ``root`` into ``output``; the repo's mkdocs.yml if it has one."""
    try:
        from mkdocs.commands.build import build
        from mkdocs.config import load_config
        from mkdocs.exceptions import MkDocsException
    except ImportError:
        raise SiteBuildError("the site needs the 'site' extra: pip install 'mimctl[site]'") from None
    config_file = root / "mkdocs.yml"
    with tempfile.TemporaryDirectory(prefix="mimctl-docs-") as empty_docs:
        overrides: dict[str, Any] = {"site_dir": str(output.resolve()), "strict": strict}
        if not config_file.exists():
            config_file = STARTER_CONFIG
            overrides["docs_dir"] = str((root / "docs") if (root / "docs").is_dir() else Path(empty_docs))
        with _environment(MIMCTL_SITE_EDITION="public" if public else "internal", MIMCTL_REPO=str(root.resolve()), NO_MKDOCS_2_WARNING="1"):
            try:
                config = load_config(config_file=str(config_file), **overrides)
                build(config)
            except MkDocsException as exc:
                raise SiteBuildError(str(exc)) from None
            except SystemExit as exc:  # strict mode aborts with SystemExit after logging
                raise SiteBuildError(f"the site build failed ({exc})") from None
    return output
