"""The status home: what is broken now first, then every component with its 90-day history.

Laid out as readers of Statuspage, cState and Upptime pages expect: the
overall banner; the components affected right now (by name, with the incident
behind each); the current incidents with their latest update and the
workaround of a matching known error and when the next update is due (the
communication cadence); maintenance in progress and upcoming;
then every component under its catalog group with a 90-day history bar made
of plain HTML (no script); and the last incidents with their duration.
"""

from __future__ import annotations

from ..model import format_time
from . import layout
from .data import SiteData
from .incident_pages import incident_table, known_errors_of
from .parts import IMPACT_LABEL, STATUS_LABEL, component_status, lasted, link, names, status_badge, when, when_known
from .safe import block, rich, text
from .state import HISTORY_DAYS, IncidentState

PAGE = "index.md"
RECENT = 10


def _affected_now(site: SiteData) -> str:
    """The components not operational now, worst first, each with what affects it."""
    statuses = site.state.components
    order = ("major_outage", "partial_outage", "degraded_performance", "under_maintenance")
    hit = sorted(
        (s for s, status in statuses.items() if status != "operational"), key=lambda s: (order.index(statuses[s]), site.service_name(s))
    )
    if not hit:
        return ""
    items = []
    for service_id in hit:
        causes = [st.incident for st in site.state.unresolved() if st.impairing and service_id in st.components]
        why = ", ".join(link(PAGE, layout.incident_page(i.id), i.title) for i in causes)
        if not causes:
            works = [m.maintenance for m in site.state.maintenances if m.underway and service_id in m.components]
            why = ", ".join(link(PAGE, layout.maintenance_page(m.id), m.title) for m in works)
        items.append(
            f'<li class="mim-component mim-{text(statuses[service_id])}"><span>{text(site.service_name(service_id))}</span>'
            f"{component_status(statuses[service_id])}<small>{why}</small></li>"
        )
    return block(f'<h2 id="affected-now">Affected now</h2><ul class="mim-components mim-affected-now">{"".join(items)}</ul>', "mim-now")


def _latest(site: SiteData, facts: IncidentState) -> str:
    update = facts.latest
    body = rich(update.text) if update.recorded else f"<p>{text(update.text)}</p>"
    due = site.state.next_update(facts.incident)  # process.yaml's communication cadence
    next_line = f'<p class="mim-next">Next update by {when(format_time(due))}</p>' if due else ""
    return f'<div class="mim-update"><p>{status_badge(update.status)} {when(format_time(update.at))}</p>{body}{next_line}</div>'


def _current(site: SiteData) -> str:
    articles = []
    for facts in site.state.unresolved():
        inc = facts.incident
        affected = names(site, facts.components)
        workaround = ""
        for ke_id in known_errors_of(site, inc):
            known = site.known_error(ke_id)
            if known is not None:
                target = text(layout.href(PAGE, layout.known_error_page(ke_id)) + "#workaround")
                workaround += f'<p class="mim-workaround">Workaround: <a href="{target}">{text(known.title)}</a></p>'
        since = "Since" if facts.impairing else "Started"
        articles.append(
            f'<article class="mim-active mim-impact-{text(facts.impact)}"><h3>{link(PAGE, layout.incident_page(inc.id), inc.title)}</h3>'
            f"<p>{text(IMPACT_LABEL.get(facts.impact, facts.impact))}"
            + (f" · affecting {text(affected)}" if affected and facts.impairing else f" · {text(affected)}" if affected else "")
            + f" · {since} {when_known(facts.started_known)} ({text(lasted(facts.seconds(site.now)))})"
            + f" · {text(inc.id)}</p>{_latest(site, facts)}{workaround}</article>"
        )
    if not articles:
        return ""
    return block(f'<h2 id="current-incidents">Current incidents</h2>{"".join(articles)}', "mim-current")


def _maintenance(site: SiteData) -> str:
    items = []
    underway = [m for m in site.state.maintenances if m.underway]
    upcoming = sorted((m for m in site.state.maintenances if m.status == "scheduled"), key=lambda m: m.maintenance.scheduled_for)
    for state in [*underway, *upcoming]:
        record = state.maintenance
        update = record.updates[-1]
        items.append(
            f'<article class="mim-maintenance"><h3>{link(PAGE, layout.maintenance_page(record.id), record.title)}</h3>'
            f"<p>{status_badge(record.status)} {when(format_time(record.scheduled_for))} – {when(format_time(record.scheduled_until))}"
            + (f" · {text(names(site, state.components))}" if state.components else "")
            + f"</p>{rich(update.text)}</article>"
        )
    if not items:
        return ""
    return block(f'<h2 id="scheduled-maintenance">Scheduled maintenance</h2>{"".join(items)}', "mim-maintenances")


def _bar(site: SiteData, service_id: str) -> str:
    days = site.state.history(service_id)
    cells = []
    for day, status, why in days:
        if status == "operational":
            cells.append("<i></i>")
        else:
            tip = f"{day.isoformat()}: {STATUS_LABEL[status]} ({', '.join(why)})"
            cells.append(f'<i class="mim-{text(status)}" title="{text(tip)}"></i>')
    worst_days = sum(1 for _, status, _ in days if status not in ("operational", "under_maintenance"))
    label = f"{HISTORY_DAYS} days: {worst_days} with an incident"
    uptime = site.state.uptime(service_id)
    return (
        f'<div class="mim-bar" role="img" aria-label="{text(label)}">{"".join(cells)}</div>'
        f'<p class="mim-bar-legend"><span>{HISTORY_DAYS} days ago</span><span>{uptime * 100:.2f} % uptime</span><span>Today</span></p>'
    )


def _components(site: SiteData) -> str:
    statuses = site.state.components
    groups: dict[str, list[str]] = {}
    for service in site.catalog.services.values():
        groups.setdefault(service.group, []).append(service.id)
    parts = []
    for group, members in sorted(groups.items(), key=lambda item: item[0] == ""):  # catalog order, ungrouped last
        rows = "".join(
            f'<li class="mim-component mim-{text(statuses[s])}"><span>{text(site.service_name(s))}</span>{component_status(statuses[s])}'
            f"{_bar(site, s)}</li>"
            for s in members
        )
        title = group or ("Other services" if len(groups) > 1 else "Services")
        parts.append(f'<section class="mim-group"><h3>{text(title)}</h3><ul class="mim-components">{rows}</ul></section>')
    return block('<h2 id="components">Components</h2>' + "".join(parts), "mim-all")


def home_page(site: SiteData) -> str:
    """The status home page (``index.md``)."""
    state = site.state
    recent = [s.incident for s in state.incidents.values() if not s.unresolved]
    recent.sort(key=lambda i: (i.data["detected_at"], i.id), reverse=True)
    count = len(state.unresolved())
    banner = f'<p class="mim-overall mim-indicator-{text(state.indicator)}">{text(state.description)}</p>'
    if count:
        banner += f"<p>{count} unresolved incident{'s' if count != 1 else ''}.</p>"
    sections = [
        ("incidents/index.md", "All incidents"),
        *([("kedb/index.md", "Known errors")] if site.shows("kedb") else []),
        *([("reviews/index.md", "Reviews")] if site.shows("reviews") else []),
        *([("maintenance/index.md", "Maintenance")] if site.shows("maintenance") else []),
    ]
    links = " · ".join(link(PAGE, target, label) for target, label in sections)
    files = " · ".join(
        f'<a href="{text(path)}">{text(label)}</a>'
        for path, label in (("api/v2/summary.json", "Status API"), ("history.atom", "Atom feed"), ("history.rss", "RSS feed"))
    )
    parts = [
        layout.front_matter("Service status", hide=["toc"]),
        "# Service status\n",
        block(banner, "mim-status"),
        _affected_now(site),
        _current(site),
        _maintenance(site),
        _components(site),
        "## Past incidents\n",
        block(incident_table(site, PAGE, recent[:RECENT])),
        block(f"<p>{links}</p><p>{files}</p><p>Updated {when(format_time(site.now))}.</p>", "mim-foot"),
    ]
    return "".join(part for part in parts if part)
