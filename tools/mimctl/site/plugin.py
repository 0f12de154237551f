"""The MkDocs plugin: a thin adapter that adds the generated pages to a build.

Configure it in mkdocs.yml::

    plugins:
      - search
      - mimctl:
          edition: internal      # or public; MIMCTL_SITE_EDITION overrides it
          repo: .                # the tracker repository (default: next to mkdocs.yml)

``MIMCTL_SITE_REV=COMMIT`` reads the records a commit holds (git objects)
instead of the files on disk. ``MIMCTL_SITE_SCOPE=status`` builds the status path only (``mimctl site build
--status-only``): the status home, the status API, the feeds and the pages of
the active and recent incidents; navigation entries to the other sections
become plain links to the pages a full build made.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

from mkdocs.config import config_options
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files

STYLESHEET = "assets/mimctl.css"
_PLACEHOLDER = re.compile(r"<!--mimctl-block-([0-9]+)-->")
# The public edition's navigation: its sections only (see publication.SECTIONS).
PUBLIC_NAV = [
    {"Status": "index.md"},
    {"Incidents": "incidents/index.md"},
    {"Maintenance": "maintenance/index.md"},
    {"Known errors": "kedb/index.md"},
    {"Incident reports": "reviews/index.md"},
]
STATUS_PATH_PAGES = ("index.md", "maintenance/index.md")
log = logging.getLogger("mkdocs.plugins.mimctl")


class MimctlConfig(Config):
    edition = config_options.Choice(("internal", "public"), default="internal")
    repo = config_options.Optional(config_options.Type(str))
    base_url = config_options.Type(str, default="")


class MimctlPlugin(BasePlugin[MimctlConfig]):
    """Generates the status page, incidents, KEDB, reviews, reports and the status API."""

    def __init__(self) -> None:
        self._generated: set[str] = set()
        self._stash: dict[str, list[str]] = {}
        self._process: Any = None  # the tracker's process, for the guides' tables

    def _edition(self) -> str:
        edition = os.environ.get("MIMCTL_SITE_EDITION") or self.config.edition
        if edition not in ("internal", "public"):
            raise PluginError(f"mimctl: edition must be internal or public, not {edition!r}")
        return edition

    def _status_only(self) -> bool:
        return os.environ.get("MIMCTL_SITE_SCOPE") == "status"

    def _root(self, config: Any) -> Path:
        base = Path(config.config_file_path).parent if config.config_file_path else Path.cwd()
        return (base / (os.environ.get("MIMCTL_REPO") or self.config.repo or ".")).resolve()

    def on_config(self, config: Any) -> Any:
        if STYLESHEET not in config.extra_css:
            config.extra_css.append(STYLESHEET)
        if self._edition() == "public":
            config.nav = PUBLIC_NAV
            config.site_name = f"{config.site_name} (public)" if "public" not in config.site_name.lower() else config.site_name
        if self._status_only() and config.nav:
            config.nav = _links_beyond_status(config.nav)
            # Those pages exist in the full build this one is laid over, not in this build.
            config.validation.nav.not_found = logging.DEBUG
        if not (self.config.base_url or config.site_url):
            log.info("mimctl: site_url is not set in mkdocs.yml: feed and API links are relative (feed readers need absolute ones)")
        return config

    def on_files(self, files: Files, config: Any) -> Files:
        from ..store import Tracker, TrackerError, committed_source
        from .cli_reference import cli_reference
        from .data import collect
        from .generate import generate

        edition = self._edition()
        try:
            root = self._root(config)
            rev = os.environ.get("MIMCTL_SITE_REV", "")
            tracker = Tracker(root, committed_source(root, rev)) if rev else Tracker(root)
            site_url = self.config.base_url or (config.site_url or "")
            try:
                if self._status_only():
                    from .status_path import collect_status

                    site = collect_status(tracker, edition, site_url=site_url)
                else:
                    site = collect(tracker, edition, site_url=site_url)
            finally:
                tracker.close()
            generated = generate(site)
            self._process = tracker.process
        except TrackerError as exc:
            details = "; ".join(f.as_text() for f in exc.findings)
            raise PluginError(f"mimctl: {exc}{': ' + details if details else ''}") from None
        if edition == "internal" and site.complete:
            generated["cli.md"] = cli_reference()
        else:
            # The public edition and the status path carry generated pages only: no guides.
            for file in list(files):
                if file.is_documentation_page():
                    files.remove(file)
        generated[STYLESHEET] = (Path(__file__).parent / "mimctl.css").read_text(encoding="utf-8")
        self._generated = {path for path in generated if path.endswith(".md")}
        self._stash = {}
        for path, content in generated.items():
            existing = files.get_file_from_path(path)
            if existing is not None:
                files.remove(existing)
            files.append(File.generated(config, path, content=content))
        return files

    def on_page_markdown(self, markdown: str, page: Any, config: Any, files: Any) -> str:
        # Generated pages are mostly raw HTML blocks (see safe.block). Python-Markdown
        # would re-parse every tag of them; stash them, and put them back afterwards.
        if page.file.src_uri not in self._generated:
            from .guides import fill  # the guides' tables made from the registries

            try:
                return fill(markdown, self._process)
            except ValueError as exc:
                raise PluginError(f"mimctl: {page.file.src_uri}: {exc}") from None
        # Record text lives only in these blocks, so no Markdown extension (attr_list,
        # md_in_html, pymdownx.snippets, critic, ...) ever reads it.
        stash: list[str] = []
        chunks = markdown.split("\n\n")
        for index, chunk in enumerate(chunks):
            block = chunk.strip("\n")
            if block.startswith("<div") and block.endswith("</div>"):
                chunks[index] = f"<!--mimctl-block-{len(stash)}-->"
                stash.append(block)
        self._stash[page.file.src_uri] = stash
        return "\n\n".join(chunks)

    def on_page_content(self, html: str, page: Any, config: Any, files: Any) -> str:
        stash = self._stash.pop(page.file.src_uri, None)
        if not stash:
            return html
        return _PLACEHOLDER.sub(lambda m: stash[int(m.group(1))], html)

    def on_serve(self, server: Any, config: Any, builder: Any) -> Any:  # pragma: no cover - mkdocs serve
        root = self._root(config)
        for name in ("incidents", "kedb", "maintenance", "process.yaml", "catalog.yaml"):
            if (root / name).exists():
                server.watch(str(root / name))
        return server


def _links_beyond_status(nav: list[Any]) -> list[Any]:
    """The navigation with every page the status path does not build turned into a link to the full build's page."""

    def convert(item: Any) -> Any:
        if isinstance(item, dict):
            return {key: convert(value) for key, value in item.items()}
        if isinstance(item, list):
            return [convert(value) for value in item]
        if isinstance(item, str) and item.endswith(".md") and item not in STATUS_PATH_PAGES:
            return item[:-3] + ".html"
        return item

    converted: list[Any] = convert(nav)
    return converted
