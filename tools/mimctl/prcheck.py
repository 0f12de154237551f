"""The pull-request check: the change's records judged by the base's rules, plus the audit rules of a change.

What is judged is what git holds: the trees of the base and of the pull
request's commits (``ls-tree``/``cat-file``), never the checkout, so a link,
a submodule or an unexpected file is a finding and never followed. The judge
is the base: its process.yaml, catalog and schemas decide whether the
change's records are valid and its stage changes allowed. A change to the
rules is judged too (every record again, under the new rules), and a stage
change across a part of the process that the same pull request changes
fails: the process change lands first.

Timeline files are only ever added; each stage change is a legal transition
whose gate was met at its time; no new id collides with one on the base;
records that refer to a removed one are judged again. The work is
proportional to what changed, unless the rules changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from . import gates, lifecycle
from .findings import Finding
from .gitrepo import GitError, TreeReader
from .layout import INCIDENT_ID, MAINTENANCE
from .model import ABSENT, OWN_TIMES, PIR_RECORD, UNKNOWN, Event, Incident, Process, event_settings, get_path
from .output import md
from .sources import FOLDER, GitTree, Source, WorkTree
from .store import (
    CATALOG_FILE,
    INCIDENT_FILE,
    INCIDENTS_DIR,
    KEDB_DIR,
    PIR_FILE,
    PROCESS_FILE,
    SCHEMAS_DIR,
    TIMELINE_DIR,
    Tracker,
    TrackerError,
)
from .validate import Scope, ValidationResult, validate

RULE_FILES = (PROCESS_FILE, CATALOG_FILE)
MAINTENANCE_DIR, MAINTENANCE_KIND = MAINTENANCE.name, "maintenance"
# What else decides a verdict or sends messages: reviewers should know when a pull request touches it.
JUDGING_PREFIXES = (".github/", ".mimctl/", "tools/", "pyproject.toml", "setup.py", "setup.cfg", "requirements", "mkdocs.yml")


@dataclass
class StageChange:
    incident: str
    source: str
    target: str
    reason: str
    gate: list[lifecycle.GateItem]
    problems: list[str]
    at: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems and all(item.holds for item in self.gate)


@dataclass
class CheckResult:
    base: str
    changed: list[tuple[str, str]]
    report: ValidationResult
    stage_changes: list[StageChange] = field(default_factory=list)
    stage_lines: dict[str, int] = field(default_factory=dict)
    rules_changed: list[tuple[str, str]] = field(default_factory=list)
    judging_changed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.report.ok and all(change.ok for change in self.stage_changes)


def is_rule(path: str) -> bool:
    return path in RULE_FILES or path.startswith(f"{SCHEMAS_DIR}/")


def run_check(tracker: Tracker, base: str, worktree: bool = False) -> CheckResult:
    """Judge the commits since ``base`` (and, with ``worktree``, uncommitted files too) with ``base``'s rules."""
    repo = TreeReader.of(tracker.root)
    base_sha = repo.resolve(base)
    head_sha = repo.resolve("HEAD")
    fork_point = repo.merge_base(base_sha, head_sha)
    prefix = tracker.root.resolve().relative_to(repo.root.resolve()).as_posix()
    prefix = "" if prefix == "." else prefix + "/"
    changed = [(s, p[len(prefix) :]) for s, p in repo.changed_files(fork_point, worktree, head_sha) if p.startswith(prefix)]
    base_tree = GitTree(repo.root, base_sha, prefix)
    fork_tree = GitTree(repo.root, fork_point, prefix)
    head: Source = WorkTree(tracker.root) if worktree else GitTree(repo.root, head_sha, prefix)
    judged = Tracker(tracker.root, head, rules=base_tree)
    try:
        return _judge(judged, base, changed, base_tree, fork_tree, head)
    finally:
        for source in (base_tree, fork_tree, head):
            source.close()


def _judge(judged: Tracker, base: str, changed: list[tuple[str, str]], base_tree: GitTree, fork_tree: GitTree, head: Source) -> CheckResult:
    rules_changed = [(s, p) for s, p in changed if is_rule(p)]
    judging = [(s, p) for s, p in changed if not is_rule(p) and p.startswith(JUDGING_PREFIXES)]
    touched = {PurePosixPath(p).parts[1] for _, p in changed if p.startswith(f"{INCIDENTS_DIR}/") and len(PurePosixPath(p).parts) >= 2}
    kedb_changed = [(s, p) for s, p in changed if p.startswith(f"{KEDB_DIR}/")]

    # Records that refer to a removed incident or known error are judged again.
    removed = {name for name in touched if head.entry(f"{INCIDENTS_DIR}/{name}") is None and INCIDENT_ID.match(name)}
    removed |= {PurePosixPath(p).stem for s, p in kedb_changed if s == "D" and len(PurePosixPath(p).parts) == 2}
    referrers = _referrers(head, removed) if removed and isinstance(head, GitTree) else set()
    scope_incidents = touched | {PurePosixPath(p).parts[1] for p in referrers if p.startswith(f"{INCIDENTS_DIR}/")}
    ke_files = {p for _, p in kedb_changed} | {p for p in referrers if p.startswith(f"{KEDB_DIR}/")}
    maintenance_changed = any(p.startswith(f"{MAINTENANCE_DIR}/") for _, p in changed)
    scope = Scope(frozenset(scope_incidents), bool(ke_files), known_error_files=frozenset(ke_files), maintenance=maintenance_changed)
    report = validate(judged, scope)
    findings = list(report.findings)
    if rules_changed:  # the result must also hold under the rules it brings
        after = validate(Tracker(judged.root, head))
        findings += [f for f in after.findings if f not in findings]
        report.files = max(report.files, after.files)

    findings += _append_only(changed)
    findings += _maintenance_updates_kept(judged, changed, fork_tree)
    findings += _id_collisions(base, changed, touched, base_tree, fork_tree, head)

    stage_changes: list[StageChange] = []
    try:
        process: Process | None = judged.process
    except TrackerError:  # an unusable base process is already a finding of the validation above
        process = None
    if process is not None:
        head_process = _process_of(Tracker(judged.root, head)) if rules_changed else process
        added = {p for s, p in changed if s == "A"}
        for incident_id in sorted(touched):
            stage_changes += _stage_changes(judged, fork_tree, incident_id, added, process, head_process)
    report.findings = sorted(set(findings))
    stage_lines = {}
    for change in stage_changes:
        path = f"{INCIDENTS_DIR}/{change.incident}/{INCIDENT_FILE}"
        record = judged.read(judged.root / path, "incident")
        if record.document is not None:
            stage_lines[path] = record.document.position(("stage",))[0]
    return CheckResult(base, changed, report, stage_changes, stage_lines, rules_changed, judging)


def _process_of(tracker: Tracker) -> Process | None:
    try:
        return tracker.process
    except TrackerError:  # the pull request's own process is invalid: a finding already
        return None


def _referrers(head: GitTree, ids: set[str]) -> set[str]:
    """Record files in the pull request's tree that mention any of ``ids`` (git grep over the tree)."""
    paths = [f"{head.prefix}{INCIDENTS_DIR}/", f"{head.prefix}{KEDB_DIR}/"]
    found = head.reader.grep(head.rev, sorted(ids), paths)
    return {p[len(head.prefix) :] for p in found if p.startswith(head.prefix)}


def _append_only(changed: list[tuple[str, str]]) -> list[Finding]:
    out = []
    for status, path in changed:
        parts = PurePosixPath(path).parts
        if len(parts) >= 4 and parts[0] == INCIDENTS_DIR and parts[2] == TIMELINE_DIR and status in "MDT":
            verb = "deleted" if status == "D" else "modified"
            out.append(
                Finding(path, 1, 1, f"timeline file {verb}: timeline events are append-only (add a new event instead)", rule="append-only")
            )
    return out


def _id_collisions(
    base: str, changed: list[tuple[str, str]], touched: set[str], base_tree: GitTree, fork_tree: GitTree, head: Source
) -> list[Finding]:
    """New incident folders and known errors whose id was also taken on the base meanwhile."""
    out = []
    taken = _taken_since(fork_tree, base_tree, INCIDENTS_DIR)
    if taken is not None and not taken & {name.casefold() for name in touched}:
        touched = set()  # no name the change touches was added on the base since the fork: no collision
        on_base: dict[str, str] = {}
        at_fork: set[str] = set()
    else:
        on_base = {e.name.casefold(): e.name for e in base_tree.listing(INCIDENTS_DIR) or []}
        at_fork = {e.name.casefold() for e in fork_tree.listing(INCIDENTS_DIR) or []}
    for name in sorted(touched):
        folded = name.casefold()
        if folded not in at_fork and folded in on_base and head.entry(f"{INCIDENTS_DIR}/{name}") is not None:
            out.append(
                Finding(
                    f"{INCIDENTS_DIR}/{name}/{INCIDENT_FILE}",
                    1,
                    1,
                    f"{name} was also created on {base} ({on_base[folded]}): "
                    "take a fresh id (rename the folder and the id: field to the next free number)",
                    "id",
                    "id-collision",
                )
            )
    for folder in (KEDB_DIR, MAINTENANCE_DIR):  # records that are one file each
        base_ids = {PurePosixPath(e.name).stem.casefold() for e in base_tree.listing(folder) or []}
        fork_ids = {PurePosixPath(e.name).stem.casefold() for e in fork_tree.listing(folder) or []}
        for status, path in changed:
            if status == "A" and path.startswith(f"{folder}/"):
                stem = PurePosixPath(path).stem.casefold()
                if stem in base_ids and stem not in fork_ids:
                    message = f"{PurePosixPath(path).stem} was also created on {base}: take a fresh id"
                    out.append(Finding(path, 1, 1, message, "id", "id-collision"))
    return out


def _taken_since(fork_tree: GitTree, base_tree: GitTree, folder: str) -> set[str] | None:
    """The names (case-folded) in ``folder`` that the base changed since the fork, by one tree-to-tree diff; None when git cannot tell.

    A name the base holds and the fork does not (in any case) is one of
    them, so a change touching none of them cannot collide with the base:
    the two listings of a folder of 100,000 incidents are then not needed.
    """
    before, after = fork_tree.entry(folder), base_tree.entry(folder)
    if before is None or after is None or not before.ref or not after.ref:
        return None
    try:
        changed = base_tree.reader.tree_changes(before.ref, after.ref)
    except GitError:
        return None
    return {path.split("/", 1)[0].casefold() for path in changed}


def _maintenance_updates_kept(judged: Tracker, changed: list[tuple[str, str]], fork_tree: GitTree) -> list[Finding]:
    """A maintenance record's updates are what readers were told: later ones are added, earlier ones never changed or removed."""
    out = []
    for status, path in changed:
        if status != "M" or not path.startswith(f"{MAINTENANCE_DIR}/"):
            continue
        before = _read_data(judged, fork_tree, path, MAINTENANCE_KIND)
        record = judged.read(judged.root / path, MAINTENANCE_KIND)
        after = record.document.data if record.document is not None else None
        if not isinstance(before, dict) or not isinstance(after, dict):
            continue  # a broken version is a finding of the validation
        old, new = list(before.get("updates") or ()), list(after.get("updates") or ())
        for index, update in enumerate(old):
            if index < len(new) and new[index] == update:
                continue
            assert record.document is not None
            where: tuple[str | int, ...] = ("updates", index) if index < len(new) else ("updates",)
            line, column = record.document.position(where)
            verb = "changed" if index < len(new) else "removed"
            message = f"update {index + 1} of the maintenance was {verb}: updates are append-only (readers were told it; add a new update instead)"
            out.append(Finding(path, line, column, message, f"updates[{index}]", "append-only"))
            break
    return out


def _read_data(tracker: Tracker, source: Source, path: str, kind: str) -> Any:
    """The data of the record at ``path`` in ``source`` (an older tree); None when it is missing or broken: simply no old version."""
    document = tracker.read(tracker.root / path, kind, source).document
    return document.data if document is not None else None


def _stage_changes(
    judged: Tracker, fork_tree: GitTree, incident_id: str, added: set[str], process: Process, head_process: Process | None
) -> list[StageChange]:
    """Judge every stage event this change adds to the incident, in time order, as of its time."""
    folder = judged.source.entry(f"{INCIDENTS_DIR}/{incident_id}")
    if folder is None or folder.kind != FOLDER or not INCIDENT_ID.match(incident_id):
        return []
    incident = judged.load_bundle(incident_id).model
    if incident is None:
        timeline = f"{INCIDENTS_DIR}/{incident_id}/{TIMELINE_DIR}/"
        if any(p.startswith(timeline) and "-stage-" in PurePosixPath(p).name for p in added):
            return [StageChange(incident_id, "?", "?", "", [], ["not judged: the incident's records are invalid (see the findings)"])]
        return []
    old = _read_data(judged, fork_tree, f"{INCIDENTS_DIR}/{incident_id}/{INCIDENT_FILE}", "incident")
    old_stage = old.get("stage") if isinstance(old, dict) and isinstance(old.get("stage"), str) else None
    timeline = f"{INCIDENTS_DIR}/{incident_id}/{TIMELINE_DIR}/"
    new_events = [e for e in incident.events if timeline + e.name in added]
    old_pir = _read_data(judged, fork_tree, f"{INCIDENTS_DIR}/{incident_id}/{PIR_FILE}", "pir")
    untimed = _untimed(incident, old if isinstance(old, dict) else {}, old_pir, new_events)
    results = []
    current = old_stage or process.stage_ids[0]
    entered = max((e.at for e in incident.events_of("stage") if e not in new_events), default=None)
    for event in (e for e in new_events if e.kind == "stage"):
        target = event.data["to"]
        reason = event.data.get("reason")
        before = replace(incident, data={**incident.data, "stage": current})
        transition = lifecycle.judge(before, process, target, reason, at=event.at, untimed=untimed, event=event, entered_at=entered)
        problems = list(transition.problems) + _exempt_as_recorded(event, transition)
        if transition.exempt and isinstance(old, dict) and not old.get("retrospective"):
            problems.append(
                "this pull request makes the incident one recorded after the fact (retrospective) and moves it on its exemptions: "
                "land the retrospective record on its own first (reviewed), then move the incident"
            )
        if head_process is not None and head_process is not process:
            problems += _crosses_change(process, head_process, current, target)
        results.append(StageChange(incident_id, current, target, reason or "", list(transition.gate), problems, event.data["at"]))
        current, entered = target, event.at
    if old_stage is not None and old_stage != incident.stage and not any(e.kind == "stage" for e in new_events):
        results.append(StageChange(incident_id, old_stage, incident.stage, "", [], ["stage changed without a stage event on the timeline"]))
    return results


def _untimed(incident: Incident, old: dict[str, Any], old_pir: Any, new_events: list[Event]) -> dict[str, tuple[datetime, Any]]:
    """Fields the pull request changed in incident.yaml (and pir.yaml) that no event it adds records, nor a time of their own.

    Such a hand edit has no time on record; it counts from the newest event
    the pull request adds, so it cannot support a stage change dated earlier.
    """
    if not new_events:
        return {}
    newest = max(e.at for e in new_events)
    recorded = [s for e in new_events for s in event_settings(e)]
    dated = {path for paths in OWN_TIMES.values() for path in paths}
    out: dict[str, tuple[datetime, Any]] = {}
    for path, value in incident.walk_fields():
        if path.split(".")[0] in ("stage", "completed_at") or path in dated:
            continue
        before = get_path(old, path)
        if before == value:
            continue
        if any(_records(s.path, s.value, path, value) for s in recorded):
            continue
        out[path] = (newest, before)
    if incident.pir is not None and incident.pir != old_pir and get_path(incident.pir, "meeting.held_at") in (ABSENT, None):
        out[PIR_RECORD] = (newest, old_pir if isinstance(old_pir, dict) else ABSENT)
    return out


def _records(setting_path: str, setting_value: Any, path: str, value: Any) -> bool:
    """Whether a setting accounts for ``path`` holding ``value`` (an old event's unrecorded value accounts for its fields)."""
    if path == setting_path:
        return setting_value is UNKNOWN or setting_value == value
    if path.startswith(setting_path + "."):
        if setting_value is UNKNOWN:
            return True
        return bool(get_path({"v": setting_value}, "v" + path[len(setting_path) :]) == value)
    return False


def _exempt_as_recorded(event: Event, transition: lifecycle.Transition) -> list[str]:
    """A stage event records exactly the gate items its move was exempt from (a hand-written one too)."""
    recorded = event.data.get("exempt") or {}
    granted = transition.exempt
    if not transition.allowed or recorded == granted:
        return []
    if not granted:
        return [f"the stage event records exemptions ({', '.join(recorded)}) that its gate does not grant: remove exempt:"]
    return [f"the stage event must record the items it is exempt from: exempt: {granted}"]


def _crosses_change(base: Process, head: Process, source: str, target: str) -> list[str]:
    """Why a move from ``source`` to ``target`` crosses a part of the process the same pull request changes."""
    changes = []
    old, new = base.stage(source), head.stage(source)
    if (
        old is None
        or new is None
        or old.gate != new.gate
        or any(gates.definition(base, name) != gates.definition(head, name) for name in old.gate)
    ):
        changes.append(f"the exit gate of {source!r}")
    ids_old, ids_new = base.stage_ids, head.stage_ids
    if target in ids_old and target in ids_new and source in ids_old and source in ids_new:
        span = sorted((ids_old.index(source), ids_old.index(target)))
        span_new = sorted((ids_new.index(source), ids_new.index(target)))
        if ids_old[span[0] : span[1] + 1] != ids_new[span_new[0] : span_new[1] + 1]:
            changes.append(f"the stages from {source!r} to {target!r}")
    elif target not in ids_new or source not in ids_new:
        changes.append(f"the stages from {source!r} to {target!r}")
    if base.reopen.get(source, ()) != head.reopen.get(source, ()):
        changes.append(f"the moves back from {source!r}")
    if not changes:
        return []
    return [
        f"this pull request also changes {' and '.join(changes)} in {PROCESS_FILE}: "
        "land the process change on its own first (reviewed by the major incident managers), then move the incident"
    ]


def stage_change_findings(result: CheckResult) -> list[Finding]:
    """A finding (at the incident's ``stage:`` line) for each stage change that is not allowed."""
    out = []
    for change in result.stage_changes:
        if change.ok:
            continue
        missing = [
            *change.problems,
            *(f"gate not met: {i.description}" + (f" ({i.note})" if i.note else "") for i in change.gate if not i.holds),
        ]
        path = f"{INCIDENTS_DIR}/{change.incident}/{INCIDENT_FILE}"
        out.append(
            Finding(
                path,
                result.stage_lines.get(path, 1),
                1,
                f"stage change {change.source} -> {change.target}"
                + (f" at {change.at}" if change.at else "")
                + " is not allowed: "
                + "; ".join(missing),
                "stage",
                "stage-change",
            )
        )
    return out


def summary_markdown(result: CheckResult) -> str:
    """The reviewer's summary: rule changes first, then stage changes with their gate checklists, then findings."""
    verdict = "passed" if result.ok else "failed"
    lines = [f"## mimctl check {verdict}", "", f"{len(result.changed)} file(s) changed against `{md(result.base)}`."]
    if result.rules_changed:
        lines += ["", "### Process, catalog and schema changes", ""]
        lines += [f"- {_verb(s)} `{md(p)}`" for s, p in result.rules_changed]
        lines += [
            "",
            "These change how every record is judged: they need the major incident managers' approval. "
            f"This pull request's records and stage changes were judged by the rules of `{md(result.base)}`, "
            "and every record again by the changed rules.",
        ]
    if result.judging_changed:
        lines += ["", "### Changes to what checks, publishes or sends", ""]
        lines += [f"- {_verb(s)} `{md(p)}`" for s, p in result.judging_changed]
        lines += ["", "They take effect once merged; this check ran the checker that the base pins."]
    if result.stage_changes:
        lines += ["", "### Stage changes", ""]
        for change in result.stage_changes:
            mark = "✅" if change.ok else "❌"
            lines.append(
                f"{mark} **{change.incident}**: {md(change.source)} → {md(change.target)}"
                + (f" at {md(change.at)}" if change.at else "")
                + (f" — reason: {md(change.reason)}" if change.reason else "")
            )
            lines += [f"  - {problem}" for problem in map(md, change.problems)]
            lines += [
                f"  - [{'x' if item.holds else ' '}] {md(item.description)}"
                + (f" — exempt: {md(item.exempt)}" if item.exempt else "")
                + (f" — {md(item.note)}" if item.note else "")
                for item in change.gate
            ]
    errors = result.report.findings
    lines += ["", "### Findings", ""]
    if errors:
        lines += ["| file | line | problem | field |", "|---|---|---|---|"]
        lines += [f"| `{md(f.path)}` | {f.line} | {md(f.message)} | {md(f.field)} |" for f in errors]
    else:
        lines.append("No problems found.")
    return "\n".join(lines) + "\n"


def _verb(status: str) -> str:
    return {"A": "added", "D": "deleted", "M": "changed", "T": "changed type of"}.get(status, "changed")


def as_data(result: CheckResult) -> dict[str, Any]:
    return {
        "ok": result.ok,
        "base": result.base,
        "changed": [{"status": s, "path": p} for s, p in result.changed],
        "rules_changed": [{"status": s, "path": p} for s, p in result.rules_changed],
        "judging_changed": [{"status": s, "path": p} for s, p in result.judging_changed],
        "stage_changes": [
            {
                "incident": c.incident,
                "from": c.source,
                "to": c.target,
                "at": c.at,
                "reason": c.reason,
                "ok": c.ok,
                "problems": c.problems,
                "gate": [
                    {"item": i.name, "description": i.description, "met": i.met, "note": i.note, "status": i.status, "exempt": i.exempt}
                    for i in c.gate
                ],
            }
            for c in result.stage_changes
        ],
        "findings": [f.as_dict() for f in result.report.findings],
    }
