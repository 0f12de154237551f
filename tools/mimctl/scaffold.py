"""A new tracker repository: the starter process, catalog, schemas, site configuration, workflows and checker pin."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from . import __version__, versioning
from .store import CATALOG_FILE, PROCESS_FILE, TrackerError
from .yamlio import atomic_write

PACKAGE = Path(__file__).resolve().parent
STARTER = PACKAGE / "starter"
SCHEMAS = PACKAGE / "schemas"
GITHUB_TEMPLATE = STARTER / "github"
PIN_FILE = ".mimctl/requirements.txt"
PIN_COMMENT = """\
# The mimctl that judges this tracker's pull requests and runs its workflows.
# The workflows install it from the base branch, never from a pull request, so
# a pull request that changes this file is still judged by the mimctl it
# replaces (and needs the major incident managers' approval: CODEOWNERS).
# To change it, replace the line below (pip's requirements format), e.g.
#   mimctl[site]==0.2.0
#   mimctl[site] @ git+https://github.com/ORG/mimctl@COMMIT
"""

ABOUT = """# About this site

This site is built from the major-incident records in this repository: the
status page, the incident history, the known error database, post-incident
reviews and reports. Change a record with the `mimctl` command line (or by a
pull request) and the site follows.
"""
GITIGNORE = "site/\nsite-public/\n"


def _public_url(url: str) -> str | None:
    """``url`` without user name or token, if it is an http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return None
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def pin_requirement(version: str, direct_url: dict[str, Any] | None, clone: tuple[str, str] | None = None) -> str:
    """The requirements line that installs this mimctl again: its git commit when known, else its version.

    ``direct_url`` is pip's record of where it was installed from (PEP 610);
    ``clone`` the (origin URL, commit) of the local clone it was installed from.
    """
    vcs = (direct_url or {}).get("vcs_info") or {}
    url = _public_url(str((direct_url or {}).get("url", "")))
    if vcs.get("vcs") == "git" and vcs.get("commit_id") and url:
        return f"mimctl[site] @ git+{url}@{vcs['commit_id']}"
    origin = _public_url(clone[0]) if clone else None
    if clone and origin:
        return f"mimctl[site] @ git+{origin}@{clone[1]}"
    return f"mimctl[site]=={version}"


def index_pin_warning(requirement: str) -> str:
    """A warning when ``requirement`` installs mimctl by name from the package index (no commit, no hash), else ''.

    The workflows that judge pull requests run what the pin installs; a name
    on a package index is only as trustworthy as whoever holds it there.
    """
    line = requirement.strip()
    if "@" in line.split(";", 1)[0] or "--hash" in line:  # a direct reference (PEP 508) or hash-checked
        return ""
    return (
        f"the pin installs {line!r} from the package index: check that the project of that name there "
        "is this mimctl, or pin a commit (--pin 'mimctl[site] @ git+https://github.com/ORG/mimctl@COMMIT')"
    )


def running_pin() -> str:
    """The pin for the mimctl that is running (how pip installed it)."""
    from importlib import metadata

    try:
        dist = metadata.distribution("mimctl")
    except metadata.PackageNotFoundError:
        return pin_requirement(__version__, None)
    text = dist.read_text("direct_url.json")
    try:
        data = json.loads(text) if text else None
    except ValueError:
        data = None
    clone = None
    if isinstance(data, dict) and "dir_info" in data and str(data.get("url", "")).startswith("file://"):
        from . import gitrepo

        clone = gitrepo.published_commit(Path(unquote(urlsplit(str(data["url"])).path)))
    return pin_requirement(dist.version, data if isinstance(data, dict) else None, clone)


def github_files() -> dict[str, str]:
    """The workflows, CODEOWNERS and pull-request template of a new tracker: {.github/...: text}."""
    return {
        ".github/" + path.relative_to(GITHUB_TEMPLATE).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(GITHUB_TEMPLATE.rglob("*"))
        if path.is_file()
    }


SITE_URL_LINE = "# site_url: https://status.example.com/"


def starter_files(with_site: bool = True, with_github: bool = True, pin: str | None = None, site_url: str = "") -> dict[str, str]:
    """Files of a new tracker: {repository-relative path: text}; ``site_url`` is where its site is published."""
    files = {
        PROCESS_FILE: (STARTER / PROCESS_FILE).read_text(encoding="utf-8"),
        CATALOG_FILE: (STARTER / CATALOG_FILE).read_text(encoding="utf-8"),
        ".gitignore": GITIGNORE,
        PIN_FILE: PIN_COMMENT + (pin or running_pin()) + "\n",
    }
    if with_github:
        files.update(github_files())
    for schema in sorted(SCHEMAS.glob("*.schema.json")):
        files[f"schemas/{schema.name}"] = schema.read_text(encoding="utf-8")
    files[versioning.MARKER] = versioning.marker_text()
    if with_site:
        config = (STARTER / "mkdocs.yml").read_text(encoding="utf-8")
        config = config.replace("# Site configuration for a tracker repository without its own mkdocs.yml.\n", "")
        if site_url:
            start = config.index(SITE_URL_LINE)
            end = config.index("\n", start)
            config = config[:start] + f"site_url: {json.dumps(site_url)}   # feeds and the status API link here" + config[end:]
        files["mkdocs.yml"] = config + "  - About: about.md\n"
        files["docs/about.md"] = ABOUT
    return files


def create(root: Path, with_site: bool = True, with_github: bool = True, pin: str | None = None, site_url: str = "") -> list[str]:
    """Write the starter files into ``root``; refuse to touch a folder that is already a tracker."""
    files = starter_files(with_site, with_github, pin, site_url)
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
