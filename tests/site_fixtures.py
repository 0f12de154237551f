"""Helpers for the site tests: tracker folders with records in tmp_path, built sites, a local server.

Records are made with the CLI in-process (``--no-commit``, so the tracker need not be
a git repository) or copied from this repository's sample data and ``corpus/xss``.
Stage moves past the gates are hand edits, as a reviewer-approved pull request would
make them. Every event time is fixed and in the past, so a build on any day sees the
same records.
"""

from __future__ import annotations

import contextlib
import functools
import re
import secrets
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import make_tracker
from gitutil import git, ok, t
from mimctl.model import parse_time
from mimctl.site.build import build_site
from mimctl.yamlio import atomic_write, dump_new

REPO_ROOT = Path(__file__).resolve().parents[1]
XSS_CORPUS = Path(__file__).parent / "corpus" / "xss"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# The payloads of the hostile records (see corpus/xss/README.md).
FREE_TEXT_PAYLOADS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    'Para {: onclick="alert(1)" }',
    "{onclick=alert(1)}",
    "</title><script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "<javascript:alert(1)>",
    "[ref][r]\n\n[r]: javascript:alert(1)",
)
FREE_TEXT = "\n\n".join(FREE_TEXT_PAYLOADS)
# A user's git identity, for `mimctl init` (which commits with the user's own identity).
IDENTITY = {
    "GIT_AUTHOR_NAME": "Tester",
    "GIT_AUTHOR_EMAIL": "tester@example.invalid",
    "GIT_COMMITTER_NAME": "Tester",
    "GIT_COMMITTER_EMAIL": "tester@example.invalid",
}
LINE_PAYLOAD = '[x](javascript:alert(1)) {: onclick=alert(1) } {onclick=alert(1)} " onmouseover="alert(1)'


# --- records ---------------------------------------------------------------------------


def new_tracker(root: Path, mkdocs: bool = True) -> Path:
    """A valid tracker folder; with ``mkdocs`` this repository's mkdocs.yml and guides too."""
    make_tracker(root)
    if mkdocs:
        shutil.copyfile(REPO_ROOT / "mkdocs.yml", root / "mkdocs.yml")
        shutil.copytree(REPO_ROOT / "docs", root / "docs", dirs_exist_ok=True)
    return root


def cli(root: Path, *args: str) -> str:
    """Run a record-changing mimctl command on ``root`` without committing; its stdout."""
    return ok([*args, "--repo", str(root), "--no-commit"], root).stdout


def declare(
    root: Path, title: str, service: str = "checkout-api", severity: str = "SEV1", at: str = t(0), visibility: str = "public", *extra: str
) -> str:
    """Declare an incident with the CLI; its id."""
    out = ok(
        [
            "new",
            "--title",
            title,
            "--service",
            service,
            "--impact",
            "high",
            "--urgency",
            "high",
            "--severity",
            severity,
            "--source",
            "alert",
            "--visibility",
            visibility,
            *extra,
            "--repo",
            str(root),
            "--no-commit",
            "--at",
            at,
            "--by",
            "pat",
            "--format",
            "json",
        ],
        root,
    )
    return str(out.json()["incident"])


def committed_synthetic(target: Path, incidents: int, events: int, seed: int) -> Path:
    """A synthetic tracker (bench/synth.py) committed in its own repository, where tests may commit as "t"."""
    import sys

    sys.path.insert(0, str(REPO_ROOT / "bench"))
    import synth

    root: Path = synth.generate(target, incidents, events=events, seed=seed)
    git("config", "user.name", "t", cwd=root)
    git("config", "user.email", "t@example.invalid", cwd=root)
    return root


def update(root: Path, incident_id: str, status: str, text: str, at: str, public: bool = True) -> None:
    cli(root, "update", incident_id, "--public" if public else "--internal", "--status", status, text, "--at", at, "--by", "sam")


def move(root: Path, incident_id: str, to: str, at: str) -> None:
    """Move an incident to stage ``to`` by hand: a stage event and the new ``stage:`` line."""
    folder = root / "incidents" / incident_id
    record = folder / "incident.yaml"
    lines = record.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.startswith("stage: "))
    source = lines[index].split(":", 1)[1].strip()
    lines[index] = f"stage: {to}\n"
    record.write_text("".join(lines), encoding="utf-8")
    stamp = parse_time(at).strftime("%Y%m%dT%H%M%SZ")
    (folder / "timeline" / f"{stamp}-stage-{secrets.token_hex(3)}.yaml").write_text(
        f"at: '{at}'\nkind: stage\nby: pat\nfrom: {source}\nto: {to}\nreason: Approved in review\n", encoding="utf-8"
    )


def write_known_error(
    root: Path, ke_id: str, title: str, symptoms: list[str], services: list[str], workaround: list[str] | None = None, **extra: object
) -> Path:
    """A known error record written the way the tool writes new records."""
    data: dict[str, object] = {
        "id": ke_id,
        "title": title,
        "status": "open",
        "created_at": t(60),
        "services": services,
        "symptoms": symptoms,
    }
    if workaround:
        data["workaround"] = workaround
    data.update(extra)
    path = root / "kedb" / f"{ke_id}.yaml"
    atomic_write(path, dump_new(data, "../schemas/known-error.schema.json"))
    return path


def copy_sample(root: Path, incident_ids: tuple[str, ...] = (), known_errors: tuple[str, ...] = ()) -> None:
    """Copy incidents and known errors from this repository's sample records."""
    for incident_id in incident_ids:
        shutil.copytree(REPO_ROOT / "incidents" / incident_id, root / "incidents" / incident_id)
    for ke_id in known_errors:
        shutil.copyfile(REPO_ROOT / "kedb" / f"{ke_id}.yaml", root / "kedb" / f"{ke_id}.yaml")


_ID_LINE = re.compile(r"^id: INC-[0-9]+$", re.MULTILINE)


def clone_incident(root: Path, source_id: str, new_id: str) -> None:
    """Copy an incident folder under a new id (much faster than replaying its commands)."""
    target = root / "incidents" / new_id
    shutil.copytree(root / "incidents" / source_id, target)
    record = target / "incident.yaml"
    text, count = _ID_LINE.subn(f"id: {new_id}", record.read_text(encoding="utf-8"), count=1)
    assert count == 1, f"no id line in {record}"
    record.write_text(text, encoding="utf-8")


# The sample tracker: what the build and browser tests look for.
ACTIVE_TITLE = "Card payments failing at checkout"
PRIVATE_TITLE = "Payroll export leaks into the wrong bucket"
SENSITIVE_TITLE = "Suspicious sign-ins to the admin console"
PUBLIC_UPDATE = "Some card payments fail at checkout. We are investigating."
INTERNAL_UPDATE = "Internal only: the acquirer account AC-99812 is throttled"
KE_ID = "KE-0002"
KE_TITLE = "Receipt emails show a blank total after the exchange rate sync"
KE_SYMPTOM = (
    "Receipt emails show a blank order total for orders paid in a foreign currency, starting right after the nightly exchange rate sync."
)
KE_SEARCH = "blank order total foreign currency"
# Timeline of the active incident as recorded: the scribe logs some events afterwards,
# so recording order and real-world order differ.
ACTIVE_EVENTS = [
    (t(0), "declared"),
    (t(30), "note"),
    (t(10), "note"),
    (t(20), "evidence"),
    (t(5), "stakeholder-update"),
    (t(6), "stakeholder-update"),
]


@dataclass(frozen=True)
class Sample:
    root: Path
    active: str  # SEV1, public, active, on checkout-api
    closed: str  # INC-0001 of the sample data: public, complete, with a PIR and KE-0001
    private: str  # visibility private
    sensitive: str  # public but security_sensitive


def sample_tracker(root: Path, mkdocs: bool = True) -> Sample:
    """A closed public incident with a review, an active SEV1 on checkout-api, a private and a security-sensitive one, two known errors."""
    new_tracker(root, mkdocs=mkdocs)
    copy_sample(root, ("INC-0001",), ("KE-0001",))
    active = declare(root, ACTIVE_TITLE, "checkout-api", "SEV1", t(0), "public", "--summary", "Card payments fail with HTTP 502.")
    cli(root, "note", active, "Rollback of payments-gateway 4.12 finished", "--at", t(30), "--by", "lee")
    cli(root, "note", active, "Error rate at 40% on POST /payments", "--at", t(10), "--by", "lee")
    cli(root, "evidence", active, "pool_wait_seconds p99 at 6 s since the deploy", "--at", t(20))
    update(root, active, "investigating", PUBLIC_UPDATE, t(5), public=True)
    update(root, active, "investigating", INTERNAL_UPDATE, t(6), public=False)
    private = declare(root, PRIVATE_TITLE, "checkout-api", "SEV2", t(40), "public")
    cli(root, "set", private, "visibility", "private", "--at", t(41))
    sensitive = declare(root, SENSITIVE_TITLE, "checkout-api", "SEV2", t(50), "public")
    cli(root, "set", sensitive, "security_sensitive", "true", "--json", "--at", t(51))
    write_known_error(
        root,
        KE_ID,
        KE_TITLE,
        [KE_SYMPTOM, "Support sees tickets about receipts without amounts."],
        ["checkout-api"],
        ["Re-run the exchange rate sync: `ratesync run --force`."],
        tags=["receipts", "currency"],
    )
    return Sample(root, active, "INC-0001", private, sensitive)


def xss_tracker(root: Path, mkdocs: bool = True) -> Path:
    """A tracker whose records hold XSS payloads in every text field.

    - ``corpus/xss``: a closed incident with a PIR and a known error, every free-text
      field holding ``FREE_TEXT`` and every single-line field ``LINE_PAYLOAD``;
    - the catalog's Checkout API renamed to ``LINE_PAYLOAD`` (its description to ``FREE_TEXT``);
    - an active public incident made with the CLI whose title, summary, reason, updates,
      notes, evidence, containment, hypothesis, cause and plan hold payloads.
    """
    new_tracker(root, mkdocs=mkdocs)
    shutil.copytree(XSS_CORPUS / "incidents", root / "incidents", dirs_exist_ok=True)
    shutil.copytree(XSS_CORPUS / "kedb", root / "kedb", dirs_exist_ok=True)
    catalog = root / "catalog.yaml"
    text = catalog.read_text(encoding="utf-8")
    assert "    name: Checkout API\n" in text
    hostile_name = LINE_PAYLOAD.replace("'", "''")
    text = text.replace("    name: Checkout API\n", f"    name: '{hostile_name} service'\n    description: {_yaml_block(FREE_TEXT, 6)}", 1)
    catalog.write_text(text, encoding="utf-8")
    active = declare(
        root,
        f"{LINE_PAYLOAD} active",
        "checkout-api",
        "SEV1",
        t(0),
        "public",
        "--summary",
        FREE_TEXT,
        "--major-reason",
        FREE_TEXT,
        "--segment",
        LINE_PAYLOAD,
        "--region",
        LINE_PAYLOAD,
        "--risk",
        FREE_TEXT,
        "--alert-name",
        LINE_PAYLOAD,
        "--reported-by",
        LINE_PAYLOAD,
    )
    cli(root, "note", active, FREE_TEXT, "--at", t(1), "--by", LINE_PAYLOAD)
    cli(root, "evidence", active, FREE_TEXT, "--at", t(2))
    cli(root, "containment", "add", active, "--action", FREE_TEXT, "--rollback", FREE_TEXT, "--at", t(3))
    cli(root, "hypothesis", "add", active, FREE_TEXT, "--at", t(4))
    cli(root, "cause", active, "--unknown", FREE_TEXT, "--at", t(5))
    cli(root, "plan", active, FREE_TEXT, "--at", t(6))
    update(root, active, "investigating", FREE_TEXT, t(7), public=False)
    update(root, active, "identified", FREE_TEXT, t(8), public=True)
    return root


def _yaml_block(value: str, indent: int) -> str:
    pad = " " * indent
    return "|\n" + "".join(f"{pad}{line}\n" if line else "\n" for line in value.splitlines())


# --- the built site ------------------------------------------------------------------------


def build(root: Path, output: Path, public: bool = False) -> Path:
    """``mkdocs build --strict`` of the tracker at ``root`` (its mkdocs.yml, or the starter one)."""
    return build_site(root, output, public=public, strict=True)


def html_files(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""


class ParsedPage(HTMLParser):
    """Every element of a page with its attributes; the text of script elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._script: Element | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k.lower(): v or "" for k, v in attrs})
        self.elements.append(element)
        if tag == "script":
            self._script = element

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, {k.lower(): v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.text += data


def parse_html(path: Path) -> list[Element]:
    parser = ParsedPage()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser.elements


def is_javascript_url(value: str) -> bool:
    """As a browser reads it: control characters and whitespace are ignored in the scheme."""
    cleaned = "".join(c for c in value if c > " ").lower()
    return cleaned.startswith(("javascript:", "vbscript:", "data:text/html"))


def script_findings(site: Path) -> list[str]:
    """Event-handler attributes, script URLs and injected scripts in every built page."""
    findings = []
    for path in html_files(site):
        rel = path.relative_to(site).as_posix()
        for element in parse_html(path):
            for name, value in element.attrs.items():
                if name.startswith("on"):
                    findings.append(f"{rel}: <{element.tag} {name}={value!r}>")
                if name in ("href", "src", "action", "formaction", "xlink:href", "data") and is_javascript_url(value):
                    findings.append(f"{rel}: <{element.tag} {name}={value!r}>")
            if element.tag == "script" and "alert(" in element.text:
                findings.append(f"{rel}: <script>{element.text[:80]!r}")
            if element.tag in ("iframe", "object", "embed", "svg", "img", "form", "base", "meta") and _from_record(element):
                findings.append(f"{rel}: injected <{element.tag} {element.attrs}>")
    return findings


def _from_record(element: Element) -> bool:
    return any("alert" in v or v == "x" for v in element.attrs.values())


# --- serving it --------------------------------------------------------------------------


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def counting_loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the ids of the incidents the status path loads in full (``status_path.views``), in order."""
    from mimctl.site import status_path
    from mimctl.store import Tracker

    loaded: list[str] = []
    views = status_path.views

    def counted(tracker: Tracker, ids: object, *args: object) -> object:
        ids = list(ids)  # type: ignore[call-overload]
        loaded.extend(ids)
        return views(tracker, ids, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(status_path, "views", counted)
    return loaded
