"""What each edition of the site may show: the one publication policy.

Two editions are built from the same records. The **internal** edition shows
every valid record in full. The **public** edition is for readers outside the
organisation (customers, the business): it shows only what a record marks for
them, in reader language, and nothing of the process behind it.

The pages, the status API, the feeds and the search index (which MkDocs makes
from the pages) all read records through the views made here, so a field that
is not in a public view cannot reach any public file. The personal-data scan
checks exactly the fields listed here as published (``PUBLISHED_*``).

What the public edition shows, and why:

- **Incidents** marked ``visibility: public`` that are not ``security_sensitive``:
  their title, regions, the public services they affect, when they started,
  were detected and declared, and their *public* stakeholder updates (the text
  a communications lead wrote for them). Stage changes are kept only as times
  (``at``/``from``/``to``), to tell readers when service was restored; never
  their reason or author. Severity, stage and priority are kept to derive what
  readers see (Investigating … Resolved, the impact, when the next update is
  due), never shown as words.
- **Services**: public ones only (``public: true`` in the catalog), by name and
  group. No pages, links or dependency lists for the others.
- **Known errors** marked ``visibility: public``: title, fix status, public
  services, symptoms and workaround. Most known errors are written for support
  engineers (commands, internal hosts), so publishing one is a reviewed choice.
- **Reviews**: only a review's ``public_summary``, the incident report written
  for readers. Everything else in a review (causes, gaps, owners) is internal.
- **Scheduled maintenance** marked ``visibility: public``: everything in it.
- No reports (response-time figures are internal) and no guides.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import replace
from typing import Any

from .model import Catalog, Event, Incident, KnownError, Service

INTERNAL, PUBLIC = "internal", "public"
EDITIONS = (INTERNAL, PUBLIC)

# incident.yaml: what a public incident shows (keys), and the keys kept only to derive its status.
PUBLISHED_INCIDENT_FIELDS = ("id", "title", "services", "regions", "started_at", "detected_at", "declared_at", "visibility")
DERIVATION_INCIDENT_FIELDS = ("stage", "severity", "priority", "completed_at")
# The fields each public event kind keeps (which kinds are public: events.KINDS). Only ``text`` is free text.
# Every published event keeps when it happened, how well that is known (``times``) and its place in recording order (``seq``).
_WHEN = ("at", "kind", "seq", "times")
PUBLISHED_EVENT_FIELDS: Mapping[str, tuple[str, ...]] = {
    "stakeholder-update": (*_WHEN, "audience", "status", "text"),
    "stage": (*_WHEN, "from", "to"),
}
PUBLISHED_EVENT_TEXT_FIELDS = ("text",)
# Known errors marked public: the fields shown.
PUBLISHED_KNOWN_ERROR_FIELDS = ("id", "title", "status", "services", "symptoms", "workaround", "created_at", "updated_at", "visibility")
# pir.yaml: the public incident report only.
PUBLISHED_PIR_FIELDS = ("incident", "public_summary")
# Sections of each edition (folders of generated pages), for the navigation and the generator.
SECTIONS: Mapping[str, tuple[str, ...]] = {
    INTERNAL: ("status", "incidents", "maintenance", "kedb", "reviews", "reports", "guides"),
    PUBLIC: ("status", "incidents", "maintenance", "kedb", "reviews"),
}


def check_edition(edition: str) -> str:
    """``edition`` if it is one; ValueError otherwise."""
    if edition not in EDITIONS:
        raise ValueError(f"edition must be internal or public, not {edition!r}")
    return edition


def shows(edition: str, section: str) -> bool:
    """Whether ``edition`` has the site section ``section`` (status, kedb, reviews, reports, guides, ...)."""
    return section in SECTIONS[check_edition(edition)]


# --- incidents ---------------------------------------------------------------------


def incident_published(data: Mapping[str, Any]) -> bool:
    """Shown on the public edition: marked public and not security-sensitive."""
    return data.get("visibility") == PUBLIC and data.get("security_sensitive") is not True


def event_published(data: Mapping[str, Any]) -> bool:
    """A timeline event of a published incident that the public edition keeps (the event-kind registry says which)."""
    from . import events

    return events.is_public(data)


def event_fields(kind: str) -> tuple[str, ...]:
    """The fields a published event of ``kind`` keeps: the times only, unless this policy says more."""
    return PUBLISHED_EVENT_FIELDS.get(kind, _WHEN)


def incident_view(
    incident: Incident, catalog: Catalog, edition: str, published_known_errors: Container[str] = frozenset()
) -> Incident | None:
    """The incident as ``edition`` may show it, or None when that edition leaves it out.

    ``published_known_errors``: ids of the known errors the edition shows; a public
    incident keeps its links to those only.
    """
    if check_edition(edition) == INTERNAL:
        return incident
    if not incident_published(incident.data):
        return None
    keep = (*PUBLISHED_INCIDENT_FIELDS, *DERIVATION_INCIDENT_FIELDS)
    data: dict[str, Any] = {k: incident.data[k] for k in keep if k in incident.data}
    data["services"] = [s for s in incident.services if service_published(catalog, s)]
    data["known_errors"] = [k for k in incident.data.get("known_errors", []) if k in published_known_errors]
    if incident.data.get("retrospective"):
        data["retrospective"] = True  # recorded after the fact (no update cadence); its reason stays internal
    events = tuple(
        Event(e.name, e.at, e.kind, {k: v for k, v in e.data.items() if k in event_fields(e.kind)})
        for e in incident.events
        if event_published(e.data)
    )
    pir = None
    if incident.pir and incident.pir.get("public_summary"):
        pir = {k: incident.pir[k] for k in PUBLISHED_PIR_FIELDS if k in incident.pir}
    return Incident(incident.id, data, events, pir)


# --- services ----------------------------------------------------------------------


def service_published(catalog: Catalog, service_id: str) -> bool:
    service = catalog.services.get(service_id)
    return service is not None and service.public


def services(catalog: Catalog, edition: str) -> list[Service]:
    """The catalog services ``edition`` shows, in catalog order."""
    public = check_edition(edition) == PUBLIC
    return [s for s in catalog.services.values() if s.public or not public]


def catalog_view(catalog: Catalog, edition: str) -> Catalog:
    """The catalog as ``edition`` may show it: public services without owners, dependencies or descriptions."""
    if check_edition(edition) == INTERNAL:
        return catalog
    shown = {
        s.id: replace(s, owner="", depends_on=tuple(d for d in s.depends_on if service_published(catalog, d)), repositories=())
        for s in services(catalog, edition)
    }
    return Catalog(shown, {})


# --- known errors, reviews ------------------------------------------------------------


def known_error_published(data: Mapping[str, Any]) -> bool:
    return data.get("visibility") == PUBLIC


def known_error_view(known_error: KnownError, catalog: Catalog, edition: str) -> KnownError | None:
    """The known error as ``edition`` may show it, or None."""
    if check_edition(edition) == INTERNAL:
        return known_error
    if not known_error_published(known_error.data):
        return None
    data = {k: known_error.data[k] for k in PUBLISHED_KNOWN_ERROR_FIELDS if k in known_error.data}
    data["services"] = [s for s in data.get("services", []) if service_published(catalog, s)]
    return KnownError(known_error.id, data)


# --- scheduled maintenance ------------------------------------------------------------


def maintenance_published(data: Mapping[str, Any]) -> bool:
    return data.get("visibility") == PUBLIC
