"""Responder checkouts: a partial, sparse clone holding what a responder works on, widened when a command needs more.

A tracker grows for as long as the organisation exists. A responder needs
its configuration (process, catalog, schemas), the known errors, scheduled
maintenance and the open incidents on disk; the rest of the history stays in
git's objects, where mimctl reads it when a command needs it (checkout.py),
and a partial clone fetches it from the remote on demand. A command that
writes to an incident that is not checked out checks it out first, and says
so; ``mimctl widen`` does it by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import gitrepo
from .checkout import Checkout
from .heads import open_incidents
from .store import INCIDENTS_DIR, Tracker, TrackerError, find_root

# Folders a responder's checkout always holds (the top-level files come with every cone).
ALWAYS = ("schemas", "kedb", "maintenance", ".mimctl")


@dataclass
class Cloned:
    """What ``clone`` set up."""

    path: Path
    folders: list[str]  # the cone: folders checked out with everything in them
    open_incidents: list[str]
    incidents: int  # in the whole history
    settings: list[gitrepo.Setting] = field(default_factory=list)
    fetched: int = 0


def clone(url: str, dest: Path, branch: str | None = None, incidents: Sequence[str] = (), with_open: bool = True) -> Cloned:
    """Clone ``url`` into ``dest`` as a responder's checkout: blobless, sparse, holding the config, KEDB and open incidents."""
    if dest.exists() and any(dest.iterdir()):
        raise TrackerError(f"{dest} exists and is not empty: give a new folder to clone into")
    gitrepo.clone_sparse(url, dest, branch)
    settings = gitrepo.apply_settings(dest)
    try:
        root = find_root(dest)
    except TrackerError:
        raise TrackerError(
            f"{url} has no process.yaml at its top: not a tracker repository (mimctl clone sets up trackers kept at a repository's top)"
        ) from None
    tracker = Tracker(root)
    source = tracker.source
    assert isinstance(source, Checkout)
    wanted = sorted({tracker.resolve_incident_id(i) for i in incidents})
    opened = open_incidents(tracker) if with_open else []
    chosen = sorted({*wanted, *opened})
    present = {e.name for e in source.listing("") or []}
    folders = [f for f in ALWAYS if f in present] + [f"{INCIDENTS_DIR}/{i}" for i in chosen]
    gitrepo.sparse_set(source.location.top, [source.prefix + f for f in folders])
    gitrepo.write_commit_graph(source.location.top)
    total = len(tracker.incident_ids())
    fetched = source.fetched
    tracker.close()
    return Cloned(dest, folders, opened, total, settings, fetched)


def widen(tracker: Tracker, incident_ids: Sequence[str], with_open: bool = False) -> list[str]:
    """Check out these incidents (and, ``with_open``, every open one) in a sparse checkout; the folders added."""
    source = tracker.source
    if not isinstance(source, Checkout) or not source.sparse:
        raise TrackerError("this checkout is not sparse: it holds every incident already")
    ids = {tracker.resolve_incident_id(i) for i in incident_ids}
    if with_open:
        ids |= set(open_incidents(tracker))
    added = source.add([f"{INCIDENTS_DIR}/{i}" for i in sorted(ids)])
    source.widened.clear()  # the caller reports them
    return added
