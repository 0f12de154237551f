"""Incident pages and the incident indexes (the status home is in ``status_page``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from ..model import Incident, format_time
from ..views import duration
from . import layout
from .data import SiteData
from .parts import (
    IMPACT_LABEL,
    component_status,
    lasted,
    link,
    names,
    retrospective_badge,
    rows,
    severity,
    status_badge,
    table,
    when,
    when_known,
)
from .safe import block, heading, rich, text, url

# Kept for other modules' imports.
_when, _link, _rows = when, link, rows


def _services(site: SiteData, page: str, service_ids: Iterable[str]) -> str:
    return ", ".join(link(page, layout.service_incidents_page(s), site.service_name(s)) for s in service_ids)


def incident_table(site: SiteData, page: str, incidents: Iterable[Incident]) -> str:
    """A table of incidents, newest first, linking to their pages: status, impact, services, start and duration."""
    state = site.state
    body = []
    for inc in sorted(incidents, key=lambda i: (i.data["detected_at"], i.id), reverse=True):
        facts = state.incident(inc.id)
        ongoing = " so far" if facts.restored is None and facts.impairing else ""
        row = [
            link(page, layout.incident_page(inc.id), inc.id),
            text(inc.title) + retrospective_badge(inc),
            status_badge(facts.status),
            severity(site, inc.severity) if not site.public else text(IMPACT_LABEL.get(facts.impact, facts.impact)),
            _services(site, page, facts.components),
            when_known(facts.started_known),
            text(lasted(facts.seconds(site.now)) + ongoing),
        ]
        if not site.public:
            row.insert(4, text(inc.stage))
        body.append(row)
    if not body:
        return "<p>No incidents.</p>"
    head = ["Incident", "Title", "Status", "Severity" if not site.public else "Impact", "Services", "Started", "Duration"]
    if not site.public:
        head.insert(4, "Stage")
    return table(head, body, "mim-incidents")


# --- indexes ---------------------------------------------------------------------------


def index_pages(site: SiteData) -> dict[str, str]:
    """The incident index and its filter pages by year, severity (internal edition) and service."""
    by_year: dict[str, list[Incident]] = defaultdict(list)
    by_severity: dict[str, list[Incident]] = defaultdict(list)
    by_service: dict[str, list[Incident]] = defaultdict(list)
    for inc in site.incidents:
        by_year[inc.data["detected_at"][:4]].append(inc)
        if not site.public:
            by_severity[inc.severity].append(inc)
        for service in site.state.incident(inc.id).components:
            by_service[service].append(inc)
    pages: dict[str, str] = {}
    index = "incidents/index.md"

    def filters(page: str) -> str:
        def group(label: str, keys: Iterable[str], target: str, shown: dict[str, str] | None = None) -> str:
            links = " ".join(link(page, f"incidents/{target}/{layout.slug(k)}.md", (shown or {}).get(k, k)) for k in keys)
            return f"<p><strong>{text(label)}:</strong> {links}</p>" if links else ""

        service_names = {s: site.service_name(s) for s in by_service}
        return block(
            group("Year", sorted(by_year, reverse=True), "year")
            + group("Severity", sorted(by_severity, key=site.severity_rank), "severity")
            + group("Service", sorted(by_service, key=lambda s: service_names[s].casefold()), "service", service_names),
            "mim-filters",
        )

    active = [i for i in site.incidents if site.state.incident(i.id).unresolved]
    pages[index] = (
        layout.front_matter("Incidents")
        + "# Incidents\n"
        + filters(index)
        + f"## Unresolved ({len(active)})\n"
        + block(incident_table(site, index, active))
        + f"## All incidents ({len(site.incidents)})\n"
        + block(incident_table(site, index, site.incidents))
    )
    for label, groups, folder in (("Year", by_year, "year"), ("Severity", by_severity, "severity"), ("Service", by_service, "service")):
        for key, incidents in groups.items():
            page = f"incidents/{folder}/{layout.slug(key)}.md"
            shown = site.service_name(key) if folder == "service" else key
            extra = ""
            if folder == "service" and key in site.catalog.services and not site.public:
                entry = site.catalog.services[key]
                dependents = site.catalog.dependents(key)
                extra = block(
                    f"<p>{text(entry.name)} — owner {text(entry.owner)}, tier {entry.tier}.</p>"
                    + (f"<p>Depended on by: {text(names(site, dependents))}</p>" if dependents else ""),
                )
            pages[page] = (
                layout.front_matter(f"Incidents — {label.lower()} {shown}")
                + block(heading(1, f"{label}: {shown}", layout.slug(f"{folder}-{key}")))
                + extra
                + filters(page)
                + block(incident_table(site, page, incidents))
            )
    return pages


# --- what happened, in the right tense ------------------------------------------------------


def summary_sentence(site: SiteData, inc: Incident) -> str:
    """One sentence on what the incident does or did to service: present tense while ongoing, past once over."""
    facts = site.state.incident(inc.id)
    affected = names(site, facts.components) or "some services"
    started = when_known(facts.started_known)
    spent = lasted(facts.seconds(site.now))
    if facts.impairing:
        return f"<p>{status_badge(facts.status)} This incident is affecting {text(affected)} since {started} ({text(spent)} so far).</p>"
    restored = when_known(facts.restored_known) if facts.restored else "—"
    over = "Resolved" if facts.status == "resolved" else "Service restored"
    ended = f" {over} at {restored}." if facts.restored else ""
    return f"<p>{status_badge(facts.status)} This incident affected {text(affected)} from {started} for {text(spent)}.{ended}</p>"


def _components_now(site: SiteData, inc: Incident) -> str:
    facts = site.state.incident(inc.id)
    if not facts.components:
        return ""
    items = "".join(
        f"<li>{text(site.service_name(s))} {component_status(site.state.components.get(s, 'operational'))}</li>" for s in facts.components
    )
    return f'<ul class="mim-affected">{items}</ul>'


def _reader_updates(site: SiteData, inc: Incident) -> str:
    """The updates readers were given, newest first (with any the stages implied).

    An incident recorded after the fact shows only the updates on record (a published status post, say):
    the ones the stages imply were never posted while it happened, and the page says so."""
    facts = site.state.incident(inc.id)
    retrospective = bool(inc.data.get("retrospective"))
    items = "".join(
        f"<li>{status_badge(u.status)} {when_known(u.known) if u.known else when(format_time(u.at))}"
        f"{rich(u.text) if u.recorded else f'<p>{text(u.text)}</p>'}</li>"
        for u in reversed(facts.updates)
        if u.recorded or not retrospective
    )
    return f'<ul class="mim-updates">{items}</ul>' if items else ""


def _known_error_links(site: SiteData, page: str, inc: Incident) -> str:
    found = []
    for ke_id in known_errors_of(site, inc):
        known = site.known_error(ke_id)
        if known is not None:
            target = layout.href(page, layout.known_error_page(ke_id)) + "#workaround"
            found.append(f'<li>Known error <a href="{text(target)}">{text(ke_id)}</a>: {text(known.title)}</li>')
    return f"<ul>{''.join(found)}</ul>" if found else ""


def known_errors_of(site: SiteData, inc: Incident) -> list[str]:
    """Known errors linked to the incident (by the incident or by the known error), as the edition shows them."""
    found = [k for k in inc.data.get("known_errors", []) if site.known_error(k) is not None]
    found += [k.id for k in site.known_errors if inc.id in k.data.get("incidents", []) and k.id not in found]
    return found


def public_incident_page(site: SiteData, inc: Incident) -> str:
    """One incident as the public sees it: what is affected, the updates, the known error and report."""
    page = layout.incident_page(inc.id)
    regions = ", ".join(inc.data.get("regions", []))
    parts = [
        layout.front_matter(f"{inc.id}: {inc.title}"),
        block(
            heading(1, f"{inc.title}", layout.slug(inc.id))
            + summary_sentence(site, inc)
            + _retrospective_note(inc)
            + _components_now(site, inc),
            "mim-head",
        ),
    ]
    if regions:
        parts.append(block(f"<p>Regions: {text(regions)}</p>"))
    due = site.state.next_update(inc)
    next_line = f'<p class="mim-next">Next update by {when(format_time(due))}</p>' if due else ""
    updates = next_line + _reader_updates(site, inc)
    parts += ["## Updates\n", block(updates)] if updates else []
    kes = _known_error_links(site, page, inc)
    if kes:
        parts += ["## Workaround\n", block(kes)]
    if inc.pir is not None:
        parts += ["## Incident report\n", block(f"<p>{link(page, layout.review_page(inc.id), 'Read the incident report')}</p>")]
    parts.append(block(f"<p>Incident {text(inc.id)}.</p>", "mim-foot"))
    return "".join(parts)


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
    over = not site.state.incident(inc.id).impairing
    detection = d.get("detection") or {}
    alert = detection.get("alert") or {}
    users = d.get("impacted_users") or {}
    at_risk = sorted({dep for s in inc.services for dep in site.catalog.dependents(s)} - set(inc.services))
    detected_by = (detection.get("source"), alert.get("name"), detection.get("reported_by"))
    items = [
        ("Severity", severity(site, inc.severity)),
        ("Priority", f"P{text(d['priority'])} (impact {text(d['impact'])}, urgency {text(d['urgency'])})"),
        ("Stage", text(inc.stage)),
        ("Why major", rich(d.get("major_reason"))),
        ("Affected services", _services(site, page, inc.services)),
        ("Dependents that were at risk" if over else "Dependents at risk", text(names(site, at_risk))),
        ("Impacted", text(_impacted(users))),
        ("Data loss", _data_loss(d.get("data_loss"))),
        ("Regions", text(", ".join(d.get("regions", [])))),
        ("Risks", "".join(rich(r) for r in d.get("risks", []))),
        ("Detected by", text(" / ".join(str(v) for v in detected_by if v))),
        ("Started", when_known(inc.time("started_at"))),
        ("Detected", when_known(inc.time("detected_at"))),
        ("Declared", when_known(inc.time("declared_at"))),
        ("Validated by", text((d.get("validation") or {}).get("confirmed_by", ""))),
        ("Scope", rich((d.get("validation") or {}).get("scope"))),
    ]
    return _section("Classification", rows(items))


def _people(site: SiteData, inc: Incident) -> list[str]:
    d = inc.data
    roles = d.get("roles") or {}
    people = [(site.process.roles.get(r, r), text(p)) for r, p in roles.items()] + [("MIRT", text(", ".join(d.get("mirt", []))))]
    bridge = url((d.get("bridge") or {}).get("url"))
    bridge_link = f'<p>Bridge: <a href="{bridge}" rel="noopener noreferrer nofollow">{text(bridge)}</a></p>' if bridge else ""
    return _section("People", _rows(people) + bridge_link) if roles or d.get("mirt") or bridge else []


def _updates(inc: Incident) -> list[str]:
    items = "".join(
        f"<li><strong>{text(u.data['status'].capitalize())}</strong> <em>{text(u.data['audience'])}</em> "
        f"{_when(u.data['at'])}{rich(u.text)}</li>"
        for u in reversed(inc.updates())
    )
    return _section("Stakeholder updates", f'<ul class="mim-updates">{items}</ul>' if items else "")


def _impacted(users: dict[str, object]) -> str:
    counts = [
        f"{users[k]} {label}"
        for k, label in (("count", "users"), ("customers", "customers"), ("devices", "devices"))
        if users.get(k) is not None
    ]
    return " — ".join([", ".join(counts), str(users["segment"])] if users.get("segment") else [", ".join(counts)]).strip(" —")


def _data_loss(loss: object) -> str:
    if not isinstance(loss, dict):
        return ""
    if not loss.get("occurred"):
        return "None"
    records = f"<p>{text(loss['records'])} records lost.</p>" if loss.get("records") is not None else ""
    return (rich(loss.get("summary")) or "<p>Yes.</p>") + records


def _retrospective_note(inc: Incident) -> str:
    """For readers: this incident was recorded after the fact (the reason and sources stay internal)."""
    if not inc.data.get("retrospective"):
        return ""
    return '<p class="mim-retro-note">This incident was recorded after the fact: no updates were posted here while it happened.</p>'


def _retrospective(inc: Incident) -> list[str]:
    retro = inc.data.get("retrospective")
    if not isinstance(retro, dict):
        return []
    sources = "".join(
        f'<li><a href="{url(s)}" rel="noopener noreferrer nofollow">{text(s)}</a></li>' for s in retro.get("sources", ()) if url(s)
    )
    exemptions = "".join(f"<li><code>{text(item)}</code>: {rich(reason)}</li>" for item, reason in (retro.get("exemptions") or {}).items())
    html = f"<p><strong>Recorded after the fact.</strong></p>{rich(retro.get('reason'))}"
    html += f"<p>Sources:</p><ul>{sources}</ul>" if sources else ""
    html += f"<p>Exempt from gate items a live response would have met:</p><ul>{exemptions}</ul>" if exemptions else ""
    return _section("Recorded after the fact", html)


def _milestones(site: SiteData, inc: Incident) -> list[str]:
    timeline = site.timeline(inc)
    marks = [
        (m.title, when_known(timeline.reached[m.id].known) if m.id in timeline.reached else "—") for m in timeline.definitions.milestones
    ]
    figures = []
    for d in timeline.definitions.durations:
        measured = timeline.durations[d.id]
        if measured.seconds is None:
            shown = "unknown (a time it needs is unknown)" if measured.unknown else "—"
        elif measured.approximate:
            bounds = f" (between {duration(measured.low)} and {duration(measured.high)})" if measured.low is not None else ""
            shown = f"about {duration(measured.seconds)}{bounds}"
        else:
            shown = duration(measured.seconds)
        figures.append((d.title, text(shown)))
    return _section("Milestones", rows(marks) + rows(figures))


def _containment(inc: Incident) -> list[str]:
    known = {e.data.get("id"): e.known for e in inc.events_of("containment")}
    rows = "".join(
        f"<tr><td>{text(a.id)}</td><td>{rich(a.action)}</td>"
        f"<td>{rich(a.rollback) if a.rollback else '<em>irreversible</em>' + rich(a.irreversible)}</td><td>{text(a.state)}</td>"
        f"<td>{when_known(known.get(a.id))}</td></tr>"
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
            ("Service restored", "service_restored_at", "when"),
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
            ("Problem", "problem_ref", "list"),
            ("No problem record because", "no_problem_reason", "rich"),
        ),
    ),
)


def _list(value: object) -> str:
    return text(", ".join(str(v) for v in value) if isinstance(value, list) else value)


_SHOW = {"when": _when, "rich": rich, "text": text, "list": _list}


def _outcomes(inc: Incident) -> list[str]:
    parts: list[str] = []
    for title, key, fields in _OUTCOMES:
        section = inc.data.get(key) or {}
        rows = [
            (label, when_known(inc.time(f"{key}.{field}")) if how == "when" else _SHOW[how](section[field]))
            for label, field, how in fields
            if section.get(field) not in (None, "")
        ]
        parts += _section(title, _rows(rows) if rows else "")
    return parts


def _links(site: SiteData, page: str, inc: Incident) -> list[str]:
    d = inc.data
    links = []
    if inc.pir is not None:
        links.append(f"<li>Post-incident review: {_link(page, layout.review_page(inc.id), 'read the review')}</li>")
    elif (d.get("pir") or {}).get("scheduled_at"):
        links.append(f"<li>Post-incident review scheduled for {when_known(inc.time('pir.scheduled_at'))}</li>")
    for ke in known_errors_of(site, inc):
        known = site.known_error(ke)
        if known is not None:
            target = text(layout.href(page, layout.known_error_page(ke)) + "#workaround")
            links.append(
                f'<li>Known error {_link(page, layout.known_error_page(ke), ke)}: {text(known.title)} (<a href="{target}">workaround</a>)</li>'
            )
    for other in d.get("related_incidents", []):
        if site.incident(other) is not None:
            links.append(f"<li>Related: {_link(page, layout.incident_page(other), other)}</li>")
    return _section("Links", f"<ul>{''.join(links)}</ul>" if links else "")


def _timeline(inc: Incident) -> list[str]:
    items = "".join(
        f'<li class="mim-event mim-{text(e.kind)}">{when_known(e.known)} <strong>{text(e.kind)}</strong>'
        f"{' by ' + text(e.data['by']) if e.data.get('by') else ''}<div>{_event(inc, e.data)}</div></li>"
        for e in inc.events
    )
    return [f"## Timeline ({len(inc.events)} events)\n", block(f'<ol class="mim-timeline">{items}</ol>')]


def incident_page(site: SiteData, inc: Incident) -> str:
    """One incident: classification, progress, people, updates, containment, investigation, outcome, timeline."""
    page = layout.incident_page(inc.id)
    parts = [
        layout.front_matter(f"{inc.id}: {inc.title}"),
        block(
            heading(1, f"{inc.id}: {inc.title}", layout.slug(inc.id))
            + summary_sentence(site, inc)
            + (f"<p>{retrospective_badge(inc).strip()}</p>" if inc.data.get("retrospective") else "")
            + rich(inc.data.get("summary")),
            "mim-head",
        ),
        block(_stage_progress(site, inc), "mim-progress"),
        *_retrospective(inc),
        *_milestones(site, inc),
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


def incident_pages(site: SiteData, incidents: Iterable[Incident] | None = None) -> dict[str, str]:
    """The pages of ``incidents`` (default: all of the edition's), each as its edition shows it."""
    render = public_incident_page if site.public else incident_page
    return {layout.incident_page(inc.id): render(site, inc) for inc in (site.paged() if incidents is None else incidents)}
