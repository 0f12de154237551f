"""A new tracker repository: the starter process, catalog, schemas and site configuration."""

from __future__ import annotations

from pathlib import Path

from . import versioning
from .store import CATALOG_FILE, PROCESS_FILE, TrackerError
from .yamlio import atomic_write

PACKAGE = Path(__file__).resolve().parent
STARTER = PACKAGE / "starter"
SCHEMAS = PACKAGE / "schemas"

ABOUT = """# About this site

This site is built from the major-incident records in this repository: the
status page, the incident history, the known error database, post-incident
reviews and reports. Change a record with the `mimctl` command line (or by a
pull request) and the site follows.
"""
GITIGNORE = "site/\nsite-public/\n"


def starter_files(with_site: bool = True) -> dict[str, str]:
    """Files of a new tracker: {repository-relative path: text}."""
    files = {
        PROCESS_FILE: (STARTER / PROCESS_FILE).read_text(encoding="utf-8"),
        CATALOG_FILE: (STARTER / CATALOG_FILE).read_text(encoding="utf-8"),
        ".gitignore": GITIGNORE,
    }
    for schema in sorted(SCHEMAS.glob("*.schema.json")):
        files[f"schemas/{schema.name}"] = schema.read_text(encoding="utf-8")
    files[versioning.MARKER] = versioning.marker_text()
    if with_site:
        config = (STARTER / "mkdocs.yml").read_text(encoding="utf-8")
        config = config.replace("# Site configuration for a tracker repository without its own mkdocs.yml.\n", "")
        files["mkdocs.yml"] = config + "  - About: about.md\n"
        files["docs/about.md"] = ABOUT
    return files


def create(root: Path, with_site: bool = True) -> list[str]:
    """Write the starter files into ``root``; refuse to touch a folder that is already a tracker."""
    files = starter_files(with_site)
    clashes = [path for path in files if (root / path).exists() and path != ".gitignore"]
    if clashes:
        raise TrackerError(f"{root} already holds {', '.join(sorted(clashes)[:3])}: not creating a tracker over it")
    for path, text in files.items():
        target = root / path
        if path == ".gitignore" and target.exists():
            existing = target.read_text(encoding="utf-8")
            missing = [line for line in GITIGNORE.splitlines() if line not in existing.splitlines()]
            text = existing.rstrip("\n") + "\n" + "".join(f"{line}\n" for line in missing) if missing else existing
        atomic_write(target, text)
    return sorted(files)
