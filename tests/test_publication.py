"""The public edition publishes what the publication policy allows, and nothing else.

A rich tracker (a complete incident with its review and 49 events, an active
incident made with every recording command, known errors, maintenance, a
catalog with internal services) gets a unique marker in every free-text and
single-line value that the policy does not publish: record fields, event
fields, review fields, catalog names and groups, process titles. The public
site is built with MkDocs and every file it wrote (pages, search index, API,
feeds, sitemap) is searched for them. The internal edition, built from the
same records, shows them: the markers were planted where pages can show them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from gitutil import t
from mimctl import publication
from mimctl.store import Tracker
from mimctl.validate import validate
from mimctl.yamlio import atomic_write, dump_new, load_file
from site_fixtures import build, cli, copy_sample, declare, new_tracker, update, write_known_error

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
MARKER = re.compile(r"[Zz][Qq][0-9]{4}[Xx]")
NON_PUBLIC_SERVICES = ("orders-db", "user-db", "search-index", "message-queue", "reporting")
PUBLIC_SUMMARY = "Card payments failed for two hours; the gateway pool is now sized for the evening peak."
PUBLIC_UPDATE = "Card payments fail at checkout. We are on it."


class Planter:
    """Appends a unique marker to every string a schema types as free text or a single line (or a slug, where safe)."""

    def __init__(self) -> None:
        self.count = 0
        self.planted: list[str] = []
        self._schemas: dict[str, Any] = {}

    def schema(self, kind: str) -> Any:
        if kind not in self._schemas:
            self._schemas[kind] = json.loads((SCHEMAS / f"{kind}.schema.json").read_text(encoding="utf-8"))
        return self._schemas[kind]

    def marker(self, lower: bool = False) -> str:
        self.count += 1
        value = f"zq{self.count:04d}x" if lower else f"Zq{self.count:04d}x"
        self.planted.append(value)
        return value

    def _resolve(self, root: Any, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            node = root["definitions"][node["$ref"].rsplit("/", 1)[1]]
        return node

    def _kind(self, root: Any, node: Any) -> str:
        if isinstance(node, dict) and "$ref" in node:
            return node["$ref"].rsplit("/", 1)[1]
        return ""

    def plant(self, kind: str, data: Any, keep: Any = lambda path: False, slugs: tuple[str, ...] = ()) -> Any:
        """``data`` with markers in every plantable string whose path ``keep`` does not publish."""
        root = self.schema(kind)

        def walk(value: Any, node: Any, path: tuple[Any, ...]) -> Any:
            ref = self._kind(root, node)
            node = self._resolve(root, node)
            if isinstance(node, dict) and "oneOf" in node and isinstance(value, str):
                node = next(n for n in node["oneOf"] if self._resolve(root, n).get("type") == "string")
                ref = self._kind(root, node)
                node = self._resolve(root, node)
            if isinstance(value, dict):
                props = node.get("properties", {}) if isinstance(node, dict) else {}
                extra = node.get("additionalProperties") if isinstance(node, dict) else None
                return {k: walk(v, props.get(k, extra if isinstance(extra, dict) else {}), (*path, k)) for k, v in value.items()}
            if isinstance(value, list):
                items = node.get("items", {}) if isinstance(node, dict) else {}
                return [walk(v, items, (*path, i)) for i, v in enumerate(value)]
            if isinstance(value, str) and not keep(path):
                if ref in ("text", "line", "person"):
                    return f"{value} {self.marker()}"[-190:] if ref != "text" else f"{value} {self.marker()}"
                if ref == "slug" and path and path[0] in slugs:
                    return self.marker(lower=True)
            return value

        return walk(data, root, ())

    def rewrite(self, path: Path, kind: str, keep: Any = lambda path: False, slugs: tuple[str, ...] = ()) -> None:
        document = load_file(path)
        header = path.read_text(encoding="utf-8").splitlines()[0]
        schema_ref = header.split("$schema=", 1)[1] if "$schema=" in header else None
        atomic_write(path, dump_new(self.plant(kind, document.data, keep, slugs), schema_ref))


def _rich_tracker(root: Path) -> tuple[Path, Planter]:
    new_tracker(root)
    copy_sample(root, ("INC-0001",), ("KE-0001",))
    for ke in ("KE-0001",):  # published (its reader fields), the other stays internal
        path = root / "kedb" / f"{ke}.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace("\nstatus: ", "\nvisibility: public\nstatus: ", 1), encoding="utf-8")
    pir = root / "incidents" / "INC-0001" / "pir.yaml"
    pir.write_text(pir.read_text(encoding="utf-8") + f"public_summary: {json.dumps(PUBLIC_SUMMARY)}\n", encoding="utf-8")
    active = declare(
        root,
        "Card payments failing",
        "checkout-api",
        "SEV1",
        t(0),
        "public",
        "--service",
        "orders-db",
        "--summary",
        "Card payments fail with HTTP 502.",
        "--major-reason",
        "Customers cannot pay.",
        "--segment",
        "All card customers",
        "--region",
        "eu-west-1",
        "--risk",
        "Refunds may double.",
        "--alert-name",
        "CheckoutErrorRate",
        "--reported-by",
        "support-desk",
    )
    cli(root, "note", active, "The acquirer throttles us", "--at", t(1), "--by", "lee")
    cli(root, "evidence", active, "pool_wait_seconds p99 at 6 s", "--at", t(2))
    cli(root, "containment", "add", active, "--action", "Route EU traffic to us-east", "--rollback", "Route it back", "--at", t(3))
    cli(root, "hypothesis", "add", active, "The gateway pool is too small", "--at", t(4))
    cli(root, "cause", active, "--unknown", "Still looking at the pool", "--at", t(5))
    cli(root, "plan", active, "Raise the pool size", "--at", t(6))
    cli(root, "assign", active, "incident_manager", "alex", "--at", t(7))
    cli(root, "bridge", active, "https://meet.example.com/inc", "--at", t(8))
    update(root, active, "investigating", "Internal: acquirer account AC-99812", t(9), public=False)
    update(root, active, "identified", PUBLIC_UPDATE, t(10), public=True)
    cli(root, "set", active, "known_errors", '["KE-0001"]', "--json", "--at", t(11))
    cli(
        root,
        "maintenance",
        "schedule",
        "--title",
        "Gateway upgrade",
        "--service",
        "payments-gateway",
        "--service",
        "message-queue",
        "--from",
        t(600),
        "--until",
        t(660),
        "--public",
        "Payments may be slow for a few minutes.",
        "--at",
        t(12),
        "--by",
        "lee",
    )
    cli(
        root,
        "maintenance",
        "schedule",
        "--title",
        "Queue rebalance",
        "--service",
        "message-queue",
        "--from",
        t(700),
        "--until",
        t(720),
        "Internal work.",
        "--at",
        t(13),
    )
    write_known_error(root, "KE-0009", "Internal runbook", ["Queue lag grows"], ["message-queue"], ["Restart the consumer"])

    planter = Planter()
    tracker = Tracker(root)
    catalog = tracker.catalog
    for folder in sorted((root / "incidents").iterdir()):
        data = load_file(folder / "incident.yaml").data
        published = publication.incident_published(data)
        planter.rewrite(
            folder / "incident.yaml", "incident", lambda p, pub=published: pub and p[0] in publication.PUBLISHED_INCIDENT_FIELDS
        )
        for event in sorted((folder / "timeline").glob("*.yaml")):
            shown = published and publication.event_published(load_file(event).data)
            planter.rewrite(event, "event", lambda p, s=shown: s and p[0] in publication.PUBLISHED_EVENT_TEXT_FIELDS)
        if (folder / "pir.yaml").exists():
            planter.rewrite(folder / "pir.yaml", "pir", lambda p, pub=published: pub and p[0] in publication.PUBLISHED_PIR_FIELDS)
    for path in sorted((root / "kedb").glob("*.yaml")):
        shown = publication.known_error_published(load_file(path).data)
        planter.rewrite(path, "known-error", lambda p, s=shown: s and p[0] in publication.PUBLISHED_KNOWN_ERROR_FIELDS, slugs=("tags",))
    for path in sorted((root / "maintenance").glob("*.yaml")):
        shown = publication.maintenance_published(load_file(path).data)
        planter.rewrite(path, "maintenance", lambda p, s=shown: s and (p[0] == "title" or p[-1:] == ("text",)))
    public_groups = {s.group for s in catalog.services.values() if s.public}
    catalog_data = load_file(root / "catalog.yaml").data

    def catalog_keep(path: tuple[Any, ...]) -> bool:
        if path[0] != "services":
            return False
        service = catalog_data["services"][path[1]]
        return (
            bool(service.get("public")) and path[2] in ("name", "group") or (path[2] == "group" and service.get("group") in public_groups)
        )

    planter.rewrite(root / "catalog.yaml", "catalog", catalog_keep)
    process = root / "process.yaml"
    data = load_file(process).data
    for section in ("stages", "severities", "roles", "impacts", "urgencies"):
        for item in data[section]:
            for key in ("title", "description"):
                if key in item:
                    item[key] = f"{item[key]} {planter.marker()}"
    atomic_write(process, dump_new(data, "schemas/process.schema.json"))
    return root, planter


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Planter, Path, Path]:
    root, planter = _rich_tracker(tmp_path_factory.mktemp("policy") / "tracker")
    report = validate(Tracker(root))
    assert report.findings == [], "\n".join(f.as_text() for f in report.findings)
    return root, planter, build(root, root.parent / "internal"), build(root, root.parent / "public", public=True)


def _files(site: Path) -> dict[str, str]:
    return {
        p.relative_to(site).as_posix(): p.read_text(encoding="utf-8", errors="replace")
        for p in site.rglob("*")
        if p.is_file() and p.suffix != ".gz"
    }


def test_markers_are_planted_in_every_unpublished_field(rich: tuple[Path, Planter, Path, Path]) -> None:
    root, planter, internal, _ = rich
    assert len(planter.planted) > 250, len(planter.planted)
    shown = set(MARKER.findall("\n".join(_files(internal).values())))
    # The internal edition shows most of them (not the few fields no page shows, such as alert fingerprints).
    assert len(shown) > 0.6 * len(planter.planted), (len(shown), len(planter.planted))


def test_no_unpublished_value_reaches_any_public_file(rich: tuple[Path, Planter, Path, Path]) -> None:
    _, planter, _, public = rich
    leaks = {path: sorted(set(MARKER.findall(text)))[:5] for path, text in _files(public).items() if MARKER.search(text)}
    assert not leaks, f"unpublished values in the public edition: {leaks}"


def test_the_public_edition_shows_what_is_published(rich: tuple[Path, Planter, Path, Path]) -> None:
    _, _, _, public = rich
    files = _files(public)
    active = next(path for path, text in files.items() if path.startswith("incidents/INC-0002") and path.endswith(".html"))
    page = files[active]
    assert "Card payments failing" in page and PUBLIC_UPDATE in page and "Checkout API" in page
    assert "kedb/KE-0001.html#workaround" in page and "kedb/KE-0001.html#workaround" in files["index.html"]
    assert PUBLIC_SUMMARY in files["reviews/INC-0001.html"] and "../reviews/INC-0001.html" in files["incidents/INC-0001.html"]
    assert 'href="INC-0001.html"' in files["reviews/index.html"]
    assert (public / "kedb" / "KE-0001.html").exists()
    assert not (public / "kedb" / "KE-0009.html").exists()
    maintenance = json.loads(files["api/v2/scheduled-maintenances.json"])["scheduled_maintenances"]
    assert [m["name"] for m in maintenance] == ["Gateway upgrade"]
    assert [c["id"] for c in maintenance[0]["components"]] == ["payments-gateway"]


def test_no_page_or_name_of_a_non_public_service(rich: tuple[Path, Planter, Path, Path]) -> None:
    _, _, internal, public = rich
    assert (internal / "incidents" / "service" / "orders-db.html").exists()
    content = {path: text for path, text in _files(public).items() if not path.startswith(("assets/", "search/"))}
    content["search/search_index.json"] = (public / "search" / "search_index.json").read_text(encoding="utf-8")
    for service in NON_PUBLIC_SERVICES:
        assert not (public / "incidents" / "service" / f"{service}.html").exists()
        leaks = [path for path, text in content.items() if service in text]
        assert not leaks, f"{service!r} named in {leaks}"


def test_public_pages_speak_reader_language(rich: tuple[Path, Planter, Path, Path]) -> None:
    _, _, _, public = rich
    for path, text in _files(public).items():
        if not path.endswith(".html"):
            continue
        for internal_word in (
            "mim-stages",
            "mim-sev",
            "Priority",
            "urgency",
            "SEV1",
            "SEV2",
            "Dependents",
            "Stakeholder updates",
            "Timeline (",
        ):
            assert internal_word not in text, f"{path}: {internal_word!r}"


def test_every_public_event_kind_has_its_fields_decided() -> None:
    """A kind the event registry makes public must say here which of its fields the public sees."""
    from mimctl import events

    assert set(events.public_kinds()) == set(publication.PUBLISHED_EVENT_FIELDS)
    for kind, fields in publication.PUBLISHED_EVENT_FIELDS.items():
        assert set(fields) <= {*events.kind(kind).fields, *events.COMMON_FIELDS} - {"by"}, kind
