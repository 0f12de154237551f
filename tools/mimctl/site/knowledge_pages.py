"""Known Error Database pages and post-incident review pages."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from ..model import Incident, KnownError, get_path, parse_time
from ..timing import from_note
from . import layout
from .data import SiteData
from .parts import link as _link
from .parts import names, table, when_known
from .parts import rows as _rows
from .parts import when as _when
from .safe import block, heading, rich, text

FIX_STATUS = {"open": "Open", "fix-in-progress": "Fix in progress", "fixed": "Fixed", "wont-fix": "Won't fix", "retired": "Retired"}


def _ke_table(site: SiteData, page: str, items: list[KnownError]) -> str:
    body = [
        [
            _link(page, layout.known_error_page(k.id), k.id),
            text(k.title),
            text(FIX_STATUS.get(k.data["status"], k.data["status"])),
            text(names(site, k.data["services"])),
        ]
        for k in sorted(items, key=lambda k: k.id)
    ]
    if not body:
        return "<p>No known errors.</p>"
    return table(["Known error", "Title", "Fix status", "Services"], body)


def known_error_page(site: SiteData, ke: KnownError) -> str:
    page = layout.known_error_page(ke.id)
    d = ke.data
    symptoms = "".join(f"<li>{rich(s)}</li>" for s in d["symptoms"])
    steps = "".join(f"<li>{rich(s)}</li>" for s in d.get("workaround", []))
    fix = d.get("fix") or {}
    incidents = [i for i in d.get("incidents", []) if site.incident(i) is not None]
    incidents += [i.id for i in site.incidents if ke.id in i.data.get("known_errors", []) and i.id not in incidents]
    tags = " ".join(_link(page, f"kedb/tag/{layout.slug(t)}.md", t) for t in d.get("tags", []))
    services = ", ".join(_link(page, f"kedb/service/{layout.slug(s)}.md", site.service_name(s)) for s in d["services"])
    parts = [
        layout.front_matter(f"{ke.id}: {ke.title}"),
        block(heading(1, f"{ke.id}: {ke.title}", layout.slug(ke.id))),
        block(
            _rows(
                [
                    ("Fix status", text(FIX_STATUS.get(d["status"], d["status"]))),
                    ("Services", services),
                    ("Tags", tags),
                    ("Problem", text(d.get("problem_ref", ""))),
                    ("Fix", rich(fix.get("summary")) + (f"<p>Change {text(fix['change_ref'])}</p>" if fix.get("change_ref") else "")),
                    ("Fix due", text(fix.get("due", ""))),
                    ("Updated", _when(d.get("updated_at") or d.get("created_at"))),
                ]
            )
        ),
        "## Symptoms\n",
        block(f"<ul>{symptoms}</ul>"),
        "## Workaround\n",
        block(f"<ol>{steps}</ol>" if steps else "<p>No workaround known.</p>"),
    ]
    if d.get("root_cause"):
        parts += ["## Root cause\n", block(rich(d["root_cause"]))]
    if incidents:
        items = "".join(f"<li>{_link(page, layout.incident_page(i), i)}: {text(site.incident(i).title)}</li>" for i in incidents)  # type: ignore[union-attr]
        parts += ["## Incidents\n", block(f"<ul>{items}</ul>")]
    return "".join(parts)


def kedb_pages(site: SiteData) -> dict[str, str]:
    pages = {layout.known_error_page(k.id): known_error_page(site, k) for k in site.known_errors}
    by_service: dict[str, list[KnownError]] = defaultdict(list)
    by_tag: dict[str, list[KnownError]] = defaultdict(list)
    for ke in site.known_errors:
        for service in ke.data["services"]:
            by_service[service].append(ke)
        for tag in ke.data.get("tags", []):
            by_tag[tag].append(ke)
    index = "kedb/index.md"

    def nav(page: str) -> str:
        services = " ".join(_link(page, f"kedb/service/{layout.slug(s)}.md", site.service_name(s)) for s in sorted(by_service))
        tags = " ".join(_link(page, f"kedb/tag/{layout.slug(t)}.md", t) for t in sorted(by_tag))
        return block(f"<p><strong>By service:</strong> {services}</p><p><strong>By tag:</strong> {tags}</p>", "mim-filters")

    pages[index] = (
        layout.front_matter("Known errors")
        + "# Known errors\n\nKnown errors with their symptoms and workarounds. Use search to find one by a symptom.\n"
        + nav(index)
        + block(_ke_table(site, index, list(site.known_errors)))
    )
    for label, groups, folder in (("Service", by_service, "service"), ("Tag", by_tag, "tag")):
        for key, items in groups.items():
            page = f"kedb/{folder}/{layout.slug(key)}.md"
            shown = site.service_name(key) if folder == "service" else key
            pages[page] = (
                layout.front_matter(f"Known errors — {label.lower()} {shown}")
                + block(heading(1, f"{label}: {shown}", layout.slug(f"{folder}-{key}")))
                + nav(page)
                + block(_ke_table(site, page, items))
            )
    return pages


# --- reviews -------------------------------------------------------------------------------


def _overdue(action: dict[str, str], today: date) -> bool:
    return action.get("status") not in ("done", "dropped") and action.get("due", "9999-12-31") < today.isoformat()


def public_review_page(site: SiteData, inc: Incident) -> str:
    """The incident report for readers: the review's public summary only."""
    page = layout.review_page(inc.id)
    facts = site.state.incident(inc.id)
    return (
        layout.front_matter(f"Incident report: {inc.title}")
        + block(
            heading(1, f"Incident report: {inc.title}", layout.slug(inc.id))
            + f"<p>{_link(page, layout.incident_page(inc.id), 'The incident and its updates')} · started {when_known(facts.started_known)}</p>",
            "mim-head",
        )
        + block(rich((inc.pir or {}).get("public_summary")))
    )


def review_page(site: SiteData, inc: Incident) -> str:
    page = layout.review_page(inc.id)
    pir = inc.pir or {}
    today = site.now.date()

    def items(key: str) -> str:
        values = pir.get(key) or []
        return f"<ul>{''.join(f'<li>{rich(v)}</li>' for v in values)}</ul>" if values else ""

    meeting = pir.get("meeting") or {}
    parts = [
        layout.front_matter(f"Review of {inc.id}: {inc.title}"),
        block(
            heading(1, f"Review of {inc.id}", layout.slug(inc.id))
            + f'<p class="mim-title">{text(inc.title)}</p><p>Incident: {_link(page, layout.incident_page(inc.id), inc.id)} · status {text(pir.get("status", "draft"))}</p>'
            + _rows([("Held", _held(inc)), ("Attendees", text(", ".join(meeting.get("attendees", []))))]),
            "mim-head",
        ),
    ]
    for title, key in (
        ("Summary", "summary"),
        ("Impact", "impact"),
        ("Timeline review", "timeline_review"),
        ("Actions taken", "actions_review"),
        ("Communication", "communication_review"),
    ):
        if pir.get(key):
            parts += [f"## {title}\n", block(rich(pir[key]))]
    for title, key in (
        ("Root causes", "root_causes"),
        ("Contributing factors", "contributing_factors"),
        ("What went well", "what_went_well"),
        ("Process gaps", "process_gaps"),
        ("Improvements", "improvements"),
    ):
        if pir.get(key):
            parts += [f"## {title}\n", block(items(key))]
    kes = [k for k in pir.get("known_errors", []) if site.known_error(k) is not None]
    if kes or pir.get("no_known_error_reason"):
        inner = "".join(f"<li>{_link(page, layout.known_error_page(k), k)}: {text(site.known_error(k).title)}</li>" for k in kes)  # type: ignore[union-attr]
        parts += ["## Known errors\n", block((f"<ul>{inner}</ul>" if inner else "") + rich(pir.get("no_known_error_reason")))]
    actions = pir.get("actions") or []
    if actions:
        parts += ["## Action items\n", block(_actions_table(actions, today))]
    return "".join(parts)


def _actions_table(actions: list[dict[str, str]], today: date, page: str = "", incident: dict[int, str] | None = None) -> str:
    rows = "".join(
        f'<tr class="{"mim-overdue" if _overdue(a, today) else ""}"><td>{text(a["id"])}</td>{incident.get(id(a), "") if incident else ""}<td>{text(a["title"])}</td>'
        f"<td>{text(a['owner'])}</td><td>{text(a['due'])}{' <strong>overdue</strong>' if _overdue(a, today) else ''}</td><td>{text(a['status'])}</td></tr>"
        for a in actions
    )
    extra = "<th>Incident</th>" if incident else ""
    return f"<table><thead><tr><th>Id</th>{extra}<th>Action</th><th>Owner</th><th>Due</th><th>Status</th></tr></thead><tbody>{rows}</tbody></table>"


def public_review_pages(site: SiteData) -> dict[str, str]:
    """The public edition's incident reports (reviews with a public summary) and their index."""
    reviewed = sorted((i for i in site.incidents if i.pir is not None), key=lambda i: i.data["detected_at"], reverse=True)
    pages = {layout.review_page(i.id): public_review_page(site, i) for i in reviewed}
    index = "reviews/index.md"
    body = [[_link(index, layout.review_page(i.id), i.title), when_known(site.state.incident(i.id).started_known)] for i in reviewed]
    pages[index] = (
        layout.front_matter("Incident reports")
        + "# Incident reports\n\nWhat happened and what is being done so it does not happen again.\n"
        + block(table(["Incident", "Started"], body) if body else "<p>No incident reports yet.</p>")
    )
    return pages


def review_pages(site: SiteData) -> dict[str, str]:
    if site.public:
        return public_review_pages(site)
    reviewed = [i for i in site.incidents if i.pir is not None]
    pages = {layout.review_page(i.id): review_page(site, i) for i in reviewed}
    index = "reviews/index.md"
    today = site.now.date()
    by_owner: dict[str, list[dict[str, str]]] = defaultdict(list)
    incident_cell: dict[int, str] = {}
    for inc in reviewed:
        for action in (inc.pir or {}).get("actions", []):
            if action.get("status") not in ("done", "dropped"):
                by_owner[action["owner"]].append(action)
                incident_cell[id(action)] = f"<td>{_link(index, layout.incident_page(inc.id), inc.id)}</td>"
    overview = []
    for owner in sorted(by_owner):
        actions = sorted(by_owner[owner], key=lambda a: a["due"])
        late = sum(1 for a in actions if _overdue(a, today))
        overview.append(
            f"<h3>{text(owner)} — {len(actions)} open, {late} overdue</h3>{_actions_table(actions, today, index, incident_cell)}"
        )
    rows = "".join(
        f"<tr><td>{_link(index, layout.review_page(i.id), i.id)}</td><td>{text(i.title)}</td><td>{text((i.pir or {}).get('status', 'draft'))}</td>"
        f"<td>{len((i.pir or {}).get('actions', []))}</td></tr>"
        for i in sorted(reviewed, key=lambda i: i.data["detected_at"], reverse=True)
    )
    pages[index] = (
        layout.front_matter("Post-incident reviews")
        + "# Post-incident reviews\n\n## Open actions by owner\n"
        + block("".join(overview) or "<p>No open actions.</p>")
        + "## Reviews\n"
        + block(
            f"<table><thead><tr><th>Incident</th><th>Title</th><th>Status</th><th>Actions</th></tr></thead><tbody>{rows}</tbody></table>"
            if rows
            else "<p>No reviews yet.</p>"
        )
    )
    return pages


def _held(inc: Incident) -> str:
    """When the review meeting was held, as known (pir.yaml's ``times.meeting.held_at``)."""
    held = get_path(inc.pir or {}, "meeting.held_at")
    if not isinstance(held, str):
        return ""
    return when_known(from_note(parse_time(held), get_path(inc.pir or {}, "times.meeting.held_at")))
