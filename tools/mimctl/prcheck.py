"""The pull-request check: validation of what changed, plus the audit rules of a change.

Timeline files are only ever added; each stage change is a legal transition
whose gate is met; no new ID collides with one on the base branch. The work is
proportional to what changed, unless the rules themselves (process, catalog,
schemas) changed, in which case everything is validated again.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from . import lifecycle, rules
from .findings import Finding
from .gitrepo import GitRepo
from .report import md
from .store import CATALOG_FILE, INCIDENT_FILE, INCIDENTS_DIR, KEDB_DIR, PROCESS_FILE, TIMELINE_DIR, Tracker
from .validate import Report, Scope, validate
from .yamlio import LoadError, loads


@dataclass
class StageChange:
    incident: str
    source: str
    target: str
    reason: str
    gate: list[lifecycle.GateItem]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems and all(item.met for item in self.gate)


@dataclass
class CheckResult:
    base: str
    changed: list[tuple[str, str]]
    report: Report
    stage_changes: list[StageChange] = field(default_factory=list)
    stage_lines: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.report.ok and all(change.ok for change in self.stage_changes)


def run_check(tracker: Tracker, base: str, worktree: bool = False) -> CheckResult:
    """Judge the commits since ``base`` (and, with ``worktree``, uncommitted files too)."""
    repo = GitRepo(tracker.root)
    base_sha = repo.resolve(base)
    fork_point = repo.merge_base(base_sha)
    prefix = repo.relative(tracker.root)
    prefix = "" if prefix == "." else prefix + "/"
    changed = [(status, path[len(prefix) :]) for status, path in repo.changed_files(fork_point, worktree) if path.startswith(prefix)]
    rules_changed = any(path in (PROCESS_FILE, CATALOG_FILE) or path.startswith("schemas/") for _, path in changed)
    touched = {PurePosixPath(p).parts[1] for _, p in changed if p.startswith(f"{INCIDENTS_DIR}/") and len(PurePosixPath(p).parts) > 2}
    kedb_touched = any(p.startswith(f"{KEDB_DIR}/") for _, p in changed)
    scope = Scope() if rules_changed else Scope(frozenset(touched), kedb_touched)
    report = validate(tracker, scope)
    findings = report.findings

    for status, path in changed:
        parts = PurePosixPath(path).parts
        if len(parts) == 4 and parts[0] == INCIDENTS_DIR and parts[2] == TIMELINE_DIR and status in "MDT":
            verb = "deleted" if status == "D" else "modified"
            findings.append(
                Finding(path, 1, 1, f"timeline file {verb}: timeline events are append-only (add a new event instead)", rule="append-only")
            )

    if scope.incidents is not None:  # a scoped run: the folder names it touches still need checking
        all_ids = tracker.incident_ids()
        clashes = [i for i in all_ids if i.casefold() in {t.casefold() for t in touched}]
        findings += [f for f in rules.check_ids([f"{INCIDENTS_DIR}/{i}" for i in clashes], "incident")]
    base_incidents = {name.casefold(): name for name in repo.list_dir(base_sha, prefix + INCIDENTS_DIR)}
    fork_incidents = {name.casefold() for name in repo.list_dir(fork_point, prefix + INCIDENTS_DIR)}
    for incident_id in sorted(touched):
        new_here = incident_id.casefold() not in fork_incidents
        if new_here and incident_id.casefold() in base_incidents:
            findings.append(
                Finding(
                    f"{INCIDENTS_DIR}/{incident_id}/{INCIDENT_FILE}",
                    1,
                    1,
                    f"{incident_id} was also created on {base} ({base_incidents[incident_id.casefold()]}): "
                    "take a fresh id (rename the folder and the id: field to the next free number)",
                    "id",
                    "id-collision",
                )
            )
    base_kedb = {PurePosixPath(n).stem.casefold() for n in repo.list_dir(base_sha, prefix + KEDB_DIR)}
    fork_kedb = {PurePosixPath(n).stem.casefold() for n in repo.list_dir(fork_point, prefix + KEDB_DIR)}
    for status, path in changed:
        if status == "A" and path.startswith(f"{KEDB_DIR}/"):
            stem = PurePosixPath(path).stem.casefold()
            if stem in base_kedb and stem not in fork_kedb:
                findings.append(
                    Finding(path, 1, 1, f"{PurePosixPath(path).stem} was also created on {base}: take a fresh id", "id", "id-collision")
                )

    stage_changes = []
    for incident_id in sorted(touched):
        stage_changes += _stage_changes(tracker, repo, fork_point, incident_id, {p for s, p in changed if s == "A"}, prefix)
    report.findings = sorted(findings)
    stage_lines = {}
    for change in stage_changes:
        bundle_path = f"{INCIDENTS_DIR}/{change.incident}/{INCIDENT_FILE}"
        record = tracker.read(tracker.root / bundle_path, "incident")
        if record.document is not None:
            stage_lines[bundle_path] = record.document.position(("stage",))[0]
    return CheckResult(base, changed, report, stage_changes, stage_lines)


def _stage_changes(tracker: Tracker, repo: GitRepo, fork_point: str, incident_id: str, added: set[str], prefix: str) -> list[StageChange]:
    """Judge every stage event this change adds to the incident, in order."""
    if not (tracker.incident_dir(incident_id) / INCIDENT_FILE).exists():
        return []
    bundle = tracker.load_bundle(incident_id)
    incident = bundle.model
    if incident is None:
        return []
    old_stage = _stage_at(repo, fork_point, f"{prefix}{INCIDENTS_DIR}/{incident_id}/{INCIDENT_FILE}")
    new_events = [e for e in incident.events_of("stage") if f"{INCIDENTS_DIR}/{incident_id}/{TIMELINE_DIR}/{e.name}" in added]
    process = tracker.process
    results = []
    current = old_stage or process.stage_ids[0]
    for event in new_events:
        target = event.data["to"]
        before = dataclasses.replace(
            incident,
            data={**incident.data, "stage": current},
            events=tuple(e for e in incident.events if e.at <= event.at and e is not event),
        )
        transition = lifecycle.judge(before, process, target, event.data.get("reason"))
        results.append(
            StageChange(incident_id, current, target, event.data.get("reason", ""), list(transition.gate), list(transition.problems))
        )
        current = target
    if old_stage is not None and old_stage != incident.stage and not new_events:
        results.append(StageChange(incident_id, old_stage, incident.stage, "", [], ["stage changed without a stage event on the timeline"]))
    return results


def _stage_at(repo: GitRepo, rev: str, path: str) -> str | None:
    raw = repo.show(rev, path)
    if raw is None:
        return None
    try:
        data = loads(raw).data
    except LoadError:
        return None
    stage = data.get("stage") if isinstance(data, dict) else None
    return stage if isinstance(stage, str) else None


def stage_change_findings(result: CheckResult) -> list[Finding]:
    """A finding (at the incident's ``stage:`` line) for each stage change that is not allowed."""
    out = []
    for change in result.stage_changes:
        if change.ok:
            continue
        missing = [*change.problems, *(f"gate not met: {i.description}" for i in change.gate if not i.met)]
        path = f"{INCIDENTS_DIR}/{change.incident}/{INCIDENT_FILE}"
        line = _stage_line(result, path)
        out.append(
            Finding(
                path,
                line,
                1,
                f"stage change {change.source} -> {change.target} is not allowed: " + "; ".join(missing),
                "stage",
                "stage-change",
            )
        )
    return out


def _stage_line(result: CheckResult, path: str) -> int:
    return result.stage_lines.get(path, 1)


def summary_markdown(result: CheckResult) -> str:
    """The reviewer's summary: stage changes with their gate checklists, then findings."""
    verdict = "passed" if result.ok else "failed"
    lines = [f"## mimctl check {verdict}", "", f"{len(result.changed)} file(s) changed against `{md(result.base)}`."]
    if result.stage_changes:
        lines += ["", "### Stage changes", ""]
        for change in result.stage_changes:
            mark = "✅" if change.ok else "❌"
            lines.append(
                f"{mark} **{change.incident}**: {md(change.source)} → {md(change.target)}"
                + (f" — reason: {md(change.reason)}" if change.reason else "")
            )
            lines += [f"  - {problem}" for problem in map(md, change.problems)]
            lines += [f"  - [{'x' if item.met else ' '}] {md(item.description)}" for item in change.gate]
    errors = result.report.findings
    lines += ["", "### Findings", ""]
    if errors:
        lines += ["| file | line | problem | field |", "|---|---|---|---|"]
        lines += [f"| `{md(f.path)}` | {f.line} | {md(f.message)} | {md(f.field)} |" for f in errors]
    else:
        lines.append("No problems found.")
    return "\n".join(lines) + "\n"


def as_data(result: CheckResult) -> dict[str, Any]:
    return {
        "ok": result.ok,
        "base": result.base,
        "changed": [{"status": s, "path": p} for s, p in result.changed],
        "stage_changes": [
            {
                "incident": c.incident,
                "from": c.source,
                "to": c.target,
                "reason": c.reason,
                "ok": c.ok,
                "problems": c.problems,
                "gate": [{"item": i.name, "description": i.description, "met": i.met} for i in c.gate],
            }
            for c in result.stage_changes
        ],
        "findings": [f.as_dict() for f in result.report.findings],
    }
