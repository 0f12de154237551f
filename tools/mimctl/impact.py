"""What else breaks when a service breaks: its dependents in the service catalog, with the path."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from .model import Catalog


@dataclass(frozen=True)
class Dependent:
    """A service that depends on the broken one; ``path`` runs from it down to the broken one."""

    id: str
    name: str
    owner: str
    owner_name: str
    contact: str
    tier: int
    path: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "owner": self.owner,
            "owner_name": self.owner_name,
            "contact": self.contact,
            "tier": self.tier,
            "depth": len(self.path) - 1,
            "path": list(self.path),
        }


def dependents(catalog: Catalog, service_id: str) -> list[Dependent]:
    """Every service depending on ``service_id`` directly or transitively, nearest first (cycle-safe)."""
    reverse: dict[str, list[str]] = {}
    for service in catalog.services.values():
        for dep in service.depends_on:
            reverse.setdefault(dep, []).append(service.id)
    towards: dict[str, str] = {}  # dependent -> the next service on its shortest path to service_id
    queue = deque([service_id])
    while queue:
        current = queue.popleft()
        for parent in sorted(reverse.get(current, ())):
            if parent != service_id and parent not in towards:
                towards[parent] = current
                queue.append(parent)
    found = []
    for dependent_id, _ in towards.items():
        path = [dependent_id]
        while path[-1] != service_id:
            path.append(towards[path[-1]])
        service = catalog.services[dependent_id]
        team = catalog.teams.get(service.owner, {})
        found.append(
            Dependent(
                service.id,
                service.name,
                service.owner,
                str(team.get("name", service.owner)),
                str(team.get("contact", "")),
                service.tier,
                tuple(path),
            )
        )
    return sorted(found, key=lambda d: (len(d.path), d.tier, d.id))
