"""Incident pages, incident indexes and the status home page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from ..model import Incident, format_time
from ..report import md
from ..status import duration
from . import layout
from .data import SiteData
from .safe import block, rich, text, url

STATUS_LABEL = {
    "operational": "Operational",
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
}


def _when(value: object) -> str:
    return f'<time datetime="{text(value)}">{text(str(value).replace("T", " ").replace("Z", " UTC"))}</time>' if value else "—"


def _link(page: str, target: str, label: str) -> str:
    return f'<a href="{text(layout.href(page, target))}">{text(label)}</a>'


def _severity(site: SiteData, severity_id: str) -> str:
    severity = site.process.severity(severity_id)
    colour = severity.colour if severity else "#888888"
    title = severity.title if severity else ""
    return f'<span class="mim-sev" style="--mim-sev:{text(colour)}" title="{text(title)}">{text(severity_id)}</span>'


def _rows(rows: Iterable[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th>{text(k)}</th><td>{v}</td></tr>" for k, v in rows if v)
    return f'<table class="mim-facts"><tbody>{body}</tbody></table>'


def incident_table(site: SiteData, page: str, incidents: Iterable[Incident]) -> str:
    """A table of incidents, newest first, linking to their pages."""
    rows = []
    for inc in sorted(incidents, key=lambda i: i.data["detected_at"], reverse=True):
        services = ", ".join(_link(page, layout.service_incidents_page(s), s) for s in inc.services)
        rows.append(
            f"<tr><td>{_link(page, layout.incident_page(inc.id), inc.id)}</td><td>{text(inc.title)}</td>"
            f"<td>{_severity(site, inc.severity)}</td><td>{text(inc.stage)}</td><td>{services}</td>"
            f"<td>{_when(inc.data['detected_at'])}</td></tr>"
        )
    if not rows:
        return "<p>No incidents.</p>"
    head = "<tr><th>Incident</th><th>Title</th><th>Severity</th><th>Stage</th><th>Services</th><th>Detected</th></tr>"
    return f'<table class="mim-incidents"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


# --- the status home page ---------------------------------------------------------


def home_page(site: SiteData) -> str:
    from .statusapi import component_statuses, overall

    page = "index.md"
    indicator, description = overall(site)
    statuses = component_statuses(site)
    services = [s for s in site.catalog.services.values() if s.public or not site.public]
    cells = "".join(
        f'<li class="mim-component mim-{text(statuses.get(s.id, "operational"))}"><span>{text(s.name)}</span>'
        f"<strong>{text(STATUS_LABEL.get(statuses.get(s.id, 'operational'), 'Operational'))}</strong></li>"
        for s in sorted(services, key=lambda s: (s.group, s.name))
    )
    active = []
    for inc in site.active_incidents():
        updates = inc.updates("public" if site.public else None)
        latest = updates[-1] if updates else None
        latest_html = (
            f'<p class="mim-update"><strong>{text(latest.data["status"].capitalize())}</strong> — {_when(latest.data["at"])}</p>{rich(latest.text)}'
            if latest
            else "<p>No update yet.</p>"
        )
        active.append(
            f'<article class="mim-active">{_severity(site, inc.severity)} <strong>{_link(page, layout.incident_page(inc.id), inc.id)}</strong> '
            f"{text(inc.title)}<p>Affected: {text(', '.join(inc.services))}</p>{latest_html}</article>"
        )
    recent = [i for i in site.incidents if not site.is_active(i)]
    recent.sort(key=lambda i: i.data["detected_at"], reverse=True)
    parts = [
        layout.front_matter("Service status", hide=["navigation", "toc"]),
        "# Service status\n",
        block(f'<p class="mim-overall mim-indicator-{text(indicator)}">{text(description)}</p>', "mim-status"),
        "## Services\n",
        block(f'<ul class="mim-components">{cells}</ul>'),
        "## Active incidents\n",
        block("".join(active) or "<p>No active incidents.</p>"),
        "## Recent history\n",
        block(incident_table(site, page, recent[:10])),
        f"[All incidents](incidents/index.md) · [Status API](api/v2/summary.json) · [Atom feed](history.atom) · [RSS feed](history.rss)\n\n"
        f"Updated {format_time(site.now)}.\n",
    ]
    return "".join(parts)


# --- indexes ---------------------------------------------------------------------------


def index_pages(site: SiteData) -> dict[str, str]:
    """The incident index and its filter pages by year, severity and service."""
    by_year: dict[str, list[Incident]] = defaultdict(list)
    by_severity: dict[str, list[Incident]] = defaultdict(list)
    by_service: dict[str, list[Incident]] = defaultdict(list)
    for inc in site.incidents:
        by_year[inc.data["detected_at"][:4]].append(inc)
        by_severity[inc.severity].append(inc)
        for service in inc.services:
            by_service[service].append(inc)
    pages: dict[str, str] = {}
    index = "incidents/index.md"

    def filters(page: str) -> str:
        def group(label: str, keys: Iterable[str], target: str) -> str:
            links = " ".join(_link(page, f"incidents/{target}/{layout.slug(k)}.md", k) for k in keys)
            return f"<p><strong>{text(label)}:</strong> {links}</p>"

        return block(
            group("Year", sorted(by_year, reverse=True), "year")
            + group("Severity", sorted(by_severity, key=site.severity_rank), "severity")
            + group("Service", sorted(by_service), "service"),
            "mim-filters",
        )

    active = site.active_incidents()
    pages[index] = (
        layout.front_matter("Incidents")
        + "# Incidents\n"
        + filters(index)
        + f"## Active ({len(active)})\n"
        + block(incident_table(site, index, active))
        + f"## All incidents ({len(site.incidents)})\n"
        + block(incident_table(site, index, site.incidents))
    )
    for label, groups, folder in (("Year", by_year, "year"), ("Severity", by_severity, "severity"), ("Service", by_service, "service")):
        for key, incidents in groups.items():
            page = f"incidents/{folder}/{layout.slug(key)}.md"
            title = f"Incidents — {label.lower()} {key}"
            extra = ""
            if folder == "service" and key in site.catalog.services:
                entry = site.catalog.services[key]
                dependents = site.catalog.dependents(key)
                extra = block(
                    f"<p>{text(entry.name)} — owner {text(entry.owner)}, tier {entry.tier}.</p>"
                    + (f"<p>Depended on by: {text(', '.join(dependents))}</p>" if dependents else ""),
                )
            pages[page] = (
                layout.front_matter(title)
                + f"# {label}: {text(key)}\n"
                + extra
                + filters(page)
                + block(incident_table(site, page, incidents))
            )
    return pages


# --- one incident ------------------------------------------------------------------------


def _stage_progress(site: SiteData, inc: Incident) -> str:
    visits = inc.stage_history(site.process.stage_ids[0])
    spent: dict[str, float] = defaultdict(float)
    for visit in visits:
        spent[visit.stage] += ((visit.left or site.now) - visit.entered).total_seconds()
    order = site.process.stage_ids
    current = order.index(inc.stage) if inc.stage in order else -1
    items = []
    for index, stage in enumerate(site.process.stages):
        state = "done" if index < current else "current" if index == current else "todo"
        time_spent = duration(spent[stage.id]) if stage.id in spent and not stage.final else ""
        items.append(f'<li class="mim-stage mim-{state}"><span>{text(stage.title)}</span> <small>{text(time_spent)}</small></li>')
    return f'<ol class="mim-stages">{"".join(items)}</ol>'


_EVENT_FIELDS = (
    "text",
    "action",
    "rollback",
    "role",
    "person",
    "previous",
    "channel",
    "url",
    "state",
    "status",
    "audience",
    "from",
    "to",
    "reason",
    "field",
    "action_id",
    "hypothesis_id",
    "id",
)


def _event(inc: Incident, event_data: dict[str, object]) -> str:
    bits = []
    for key in _EVENT_FIELDS:
        value = event_data.get(key)
        if value in (None, "", []):
            continue
        if key == "text":
            continue
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        bits.append(f'<span class="mim-k">{text(key)}</span> {text(value)}')
    evidence = event_data.get("evidence")
    body = rich(event_data.get("text"))
    if isinstance(evidence, list) and evidence:
        body += "<ul>" + "".join(f"<li>{rich(e)}</li>" for e in evidence) + "</ul>"
    return " · ".join(bits) + body


def _section(title: str, html: str) -> list[str]:
    return [f"## {title}\n", block(html)] if html else []


def _classification(site: SiteData, page: str, inc: Incident) -> list[str]:
    d = inc.data
    detection = d.get("detection") or {}
    alert = detection.get("alert") or {}
    users = d.get("impacted_users") or {}
    services = ", ".join(_link(page, layout.service_incidents_page(s), s) for s in inc.services)
    at_risk = sorted({dep for s in inc.services for dep in site.catalog.dependents(s)} - set(inc.services))
    detected_by = (detection.get("source"), alert.get("name"), detection.get("reported_by"))
    rows = [
        ("Severity", _severity(site, inc.severity)),
        ("Priority", f"P{text(d['priority'])} (impact {text(d['impact'])}, urgency {text(d['urgency'])})"),
        ("Stage", text(inc.stage)),
        ("Why major", rich(d.get("major_reason"))),
        ("Affected services", services),
        ("Dependents at risk", text(", ".join(at_risk))),
        ("Impacted users", text(" — ".join(str(v) for v in (users.get("count"), users.get("segment")) if v is not None))),
        ("Regions", text(", ".join(d.get("regions", [])))),
        ("Risks", "".join(rich(r) for r in d.get("risks", []))),
        ("Detected by", text(" / ".join(str(v) for v in detected_by if v))),
        ("Started", _when(d.get("started_at"))),
        ("Detected", _when(d.get("detected_at"))),
        ("Declared", _when(d.get("declared_at"))),
        ("Validated by", text((d.get("validation") or {}).get("confirmed_by", ""))),
        ("Scope", rich((d.get("validation") or {}).get("scope"))),
    ]
    return _section("Classification", _rows(rows))


def _people(site: SiteData, inc: Incident) -> list[str]:
    d = inc.data
    roles = d.get("roles") or {}
    rows = [(site.process.roles.get(r, r), text(p)) for r, p in roles.items()] + [("MIRT", text(", ".join(d.get("mirt", []))))]
    bridge = url((d.get("bridge") or {}).get("url"))
    link = f'<p>Bridge: <a href="{bridge}" rel="noopener noreferrer nofollow">{text(bridge)}</a></p>' if bridge else ""
    return _section("People", _rows(rows) + link) if roles or d.get("mirt") or bridge else []


def _updates(inc: Incident) -> list[str]:
    items = "".join(
        f"<li><strong>{text(u.data['status'].capitalize())}</strong> <em>{text(u.data['audience'])}</em> "
        f"{_when(u.data['at'])}{rich(u.text)}</li>"
        for u in reversed(inc.updates())
    )
    return _section("Stakeholder updates", f'<ul class="mim-updates">{items}</ul>' if items else "")


def _containment(inc: Incident) -> list[str]:
    rows = "".join(
        f"<tr><td>{text(a.id)}</td><td>{rich(a.action)}</td><td>{rich(a.rollback)}</td><td>{text(a.state)}</td>"
        f"<td>{_when(format_time(a.at))}</td></tr>"
        for a in inc.containment()
    )
    head = "<tr><th>Id</th><th>Action</th><th>Rollback</th><th>State</th><th>When</th></tr>"
    table = f"<table><thead>{head}</thead><tbody>{rows}</tbody></table>" if rows else ""
    reason = inc.data.get("containment_not_possible")
    return _section("Containment", table + (f"<p>Containment not possible:</p>{rich(reason)}" if reason else ""))


def _investigation(inc: Incident) -> list[str]:
    d = inc.data
    items = "".join(
        f"<li><strong>{text(h.id)}</strong> [{text(h.state)}] {rich(h.text)}"
        + ("<ul>" + "".join(f"<li>{rich(e)}</li>" for e in h.evidence) + "</ul>" if h.evidence else "")
        + "</li>"
        for h in inc.hypotheses()
    )
    cause = d.get("cause") or {}
    html = f"<ul>{items}</ul>" if items else ""
    if cause:
        html += f"<p><strong>Cause ({text(cause.get('status'))}):</strong></p>{rich(cause.get('summary') or cause.get('unknown_reason'))}"
    if d.get("resolution_plan"):
        html += f"<p><strong>Resolution plan:</strong></p>{rich(d['resolution_plan'])}"
    return _section("Investigation", html)


# (section title, incident field, ((label, field, how to show it), ...)): when, rich or text
_OUTCOMES: tuple[tuple[str, str, tuple[tuple[str, str, str], ...]], ...] = (
    (
        "Resolution",
        "resolution",
        (
            ("Summary", "summary", "rich"),
            ("Change", "change_ref", "text"),
            ("Validated in", "validated_in", "text"),
            ("Implemented", "implemented_at", "when"),
            ("By", "implemented_by", "text"),
            ("Stable since", "stable_since", "when"),
            ("Confirmed by", "confirmed_by", "text"),
            ("Confirmed", "confirmed_at", "when"),
        ),
    ),
    (
        "Recovery",
        "recovery",
        (
            ("Summary", "summary", "rich"),
            ("Restored", "restored_at", "when"),
            ("Dependents validated", "dependents_validated_at", "when"),
            ("By", "dependents_validated_by", "text"),
            ("Monitoring until", "monitoring_until", "when"),
        ),
    ),
    (
        "Closure",
        "closure",
        (
            ("Summary", "summary", "rich"),
            ("Closed", "closed_at", "when"),
            ("By", "closed_by", "text"),
            ("Problem", "problem_ref", "text"),
            ("No problem record because", "no_problem_reason", "rich"),
        ),
    ),
)
_SHOW = {"when": _when, "rich": rich, "text": text}


def _outcomes(inc: Incident) -> list[str]:
    parts: list[str] = []
    for title, key, fields in _OUTCOMES:
        section = inc.data.get(key) or {}
        rows = [(label, _SHOW[how](section[field])) for label, field, how in fields if section.get(field) not in (None, "")]
        parts += _section(title, _rows(rows) if rows else "")
    return parts


def _links(site: SiteData, page: str, inc: Incident) -> list[str]:
    d = inc.data
    links = []
    if inc.pir is not None:
        links.append(f"<li>Post-incident review: {_link(page, layout.review_page(inc.id), 'read the review')}</li>")
    elif (d.get("pir") or {}).get("scheduled_at"):
        links.append(f"<li>Post-incident review scheduled for {_when(d['pir']['scheduled_at'])}</li>")
    for ke in d.get("known_errors", []):
        known = site.known_error(ke)
        if known is not None:
            links.append(f"<li>Known error {_link(page, layout.known_error_page(ke), ke)}: {text(known.title)}</li>")
    for other in d.get("related_incidents", []):
        if site.incident(other) is not None:
            links.append(f"<li>Related: {_link(page, layout.incident_page(other), other)}</li>")
    return _section("Links", f"<ul>{''.join(links)}</ul>" if links else "")


def _timeline(inc: Incident) -> list[str]:
    items = "".join(
        f'<li class="mim-event mim-{text(e.kind)}">{_when(e.data["at"])} <strong>{text(e.kind)}</strong>'
        f"{' by ' + text(e.data['by']) if e.data.get('by') else ''}<div>{_event(inc, e.data)}</div></li>"
        for e in inc.events
    )
    return [f"## Timeline ({len(inc.events)} events)\n", block(f'<ol class="mim-timeline">{items}</ol>')]


def incident_page(site: SiteData, inc: Incident) -> str:
    """One incident: classification, progress, people, updates, containment, investigation, outcome, timeline."""
    page = layout.incident_page(inc.id)
    parts = [
        layout.front_matter(f"{inc.id}: {inc.title}"),
        f"# {inc.id}: {md(inc.title)}\n",
        block(rich(inc.data.get("summary")) or "<p></p>", "mim-head"),
        block(_stage_progress(site, inc), "mim-progress"),
        *_classification(site, page, inc),
        *_people(site, inc),
        *_updates(inc),
        *_containment(inc),
        *_investigation(inc),
        *_outcomes(inc),
        *_links(site, page, inc),
        *_timeline(inc),
    ]
    return "".join(parts)


def incident_pages(site: SiteData) -> dict[str, str]:
    pages = {layout.incident_page(inc.id): incident_page(site, inc) for inc in site.incidents}
    pages.update(index_pages(site))
    pages["index.md"] = home_page(site)
    return pages
