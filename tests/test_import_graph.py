"""The package's import graph and calls, read with ``ast``: one home for each boundary.

- click only in the command line (``cli/``; the CLI reference page documents it);
- yaml only in ``yamlio``, ruamel only in ``yamledit`` (the YAML boundary's editing
  half); jsonschema only in ``schema_check``; GitPython (and running git) only in
  ``gitrepo``;
- no raw YAML read outside the YAML boundary, ``store`` and ``sources``: everything
  else reads records through the store (strict load, schema, model);
- process.yaml parsed into the model in one place (``store``): everyone else asks
  ``Tracker.process``; only validation (its findings) and the notifier (the
  line of a problem in its section) read the file again, for line numbers;
- one commit path: record changes (and the notification ledger) are committed by
  ``transaction`` (``renumber``, which moves a folder, through its
  ``write_and_commit``); only a new tracker's first commit (``init``, the demo)
  commits otherwise.

Each rule is also tried on a module written to break it, so a rule that can
never fail would show.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import mimctl

PACKAGE = Path(mimctl.__file__).resolve().parent
YAML_READERS = {"loads", "load_file", "load_bytes"}
READS = {"read", "read_rule", *YAML_READERS}  # what parses a file (copying its text, as init does, is no parse)


@dataclass(frozen=True)
class Module:
    name: str  # mimctl.x.y
    path: str  # relative to the package, e.g. cli/record.py
    tree: ast.Module

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(Path(self.path).with_suffix("").parts)


def module(path: Path, text: str | None = None) -> Module:
    rel = path.relative_to(PACKAGE).as_posix()
    parts = list(Path(rel).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return Module(".".join(["mimctl", *parts]), rel, ast.parse(text if text is not None else path.read_text(encoding="utf-8")))


def modules() -> list[Module]:
    return [module(path) for path in sorted(PACKAGE.rglob("*.py"))]


def _from(found: Module, node: ast.ImportFrom) -> str:
    package = found.name.split(".") if found.path.endswith("__init__.py") else found.name.split(".")[:-1]
    base = package[: len(package) - node.level + 1] if node.level else []
    return ".".join([*base, *(node.module.split(".") if node.module else [])])


def imports(found: Module) -> list[tuple[str, list[str]]]:
    """(module, names) of every import, at any depth (lazy ones too), relative imports resolved to ``mimctl.…``."""
    out = []
    for node in ast.walk(found.tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            out.append((_from(found, node), [alias.name for alias in node.names]))
    return out


def imported(found: Module, *roots: str) -> list[str]:
    """The imports of ``found`` from any of the libraries ``roots`` (or their submodules)."""
    return [name for name, _ in imports(found) if any(name == root or name.startswith(root + ".") for root in roots)]


def calls(found: Module) -> Iterator[tuple[str, ast.Call]]:
    """Every call with the dotted name it is made by, imported names resolved (``lb(...)`` -> ``mimctl.yamlio.load_bytes``)."""
    local: dict[str, str] = {}
    for node in ast.walk(found.tree):
        if isinstance(node, ast.ImportFrom):
            local.update({alias.asname or alias.name: f"{_from(found, node)}.{alias.name}" for alias in node.names})
        elif isinstance(node, ast.Import):
            local.update({alias.asname: alias.name for alias in node.names if alias.asname})
    for node in ast.walk(found.tree):
        if isinstance(node, ast.Call):
            parts: list[str] = []
            target: ast.expr = node.func
            while isinstance(target, ast.Attribute):
                parts.insert(0, target.attr)
                target = target.value
            if isinstance(target, ast.Name):
                parts.insert(0, local.get(target.id, target.id))
            yield ".".join(parts), node


def mentions_process_file(node: ast.AST) -> bool:
    return any(
        (isinstance(n, ast.Name) and n.id == "PROCESS_FILE") or (isinstance(n, ast.Constant) and n.value == "process.yaml")
        for n in ast.walk(node)
    )


# --- the rules, each a function of one module: what it breaks ---------------------------------------


def click_outside_the_command_line(found: Module) -> list[str]:
    if found.parts[0] == "cli" or found.path == "site/cli_reference.py":
        return []
    return imported(found, "click")


def boundary_libraries(found: Module) -> list[str]:
    homes = {"yamlio.py": ("yaml",), "yamledit.py": ("ruamel",), "schema_check.py": ("jsonschema", "jsonschema_rs"), "gitrepo.py": ("git",)}
    out = []
    for home, libraries in homes.items():
        if found.path != home:
            out += imported(found, *libraries)
    if found.path != "gitrepo.py":
        out += [n for n, _ in imports(found) if n == "subprocess"]  # running git is gitrepo's
    return out


def raw_yaml_reads(found: Module) -> list[str]:
    if found.path in ("yamlio.py", "yamledit.py", "store.py", "sources.py"):
        return []
    return [name for name, _ in calls(found) if name.startswith("mimctl.yamlio.") and name.rsplit(".", 1)[1] in YAML_READERS]


def process_parses(found: Module) -> list[str]:
    if found.path == "store.py":
        return []
    out = [name for name, _ in calls(found) if name.endswith("Process.from_data")]
    if found.path not in ("validate.py", "notifications.py"):  # line numbers of their findings about the file
        out += [name for name, call in calls(found) if name.rsplit(".", 1)[-1] in READS and mentions_process_file(call)]
    return out


def commits_elsewhere(found: Module) -> list[str]:
    allowed = {
        "stage_and_commit": ("transaction.py",),
        "write_and_commit": ("transaction.py", "renumber.py"),
        "commit_paths": ("cli/init.py", "demo.py"),  # a new tracker's first commit: nothing to journal or validate yet
    }
    out = []
    for name, _ in calls(found):
        last = name.rsplit(".", 1)[-1]
        if last in allowed and found.path not in allowed[last] and found.path != "gitrepo.py":
            out.append(name)
    return out


RULES = [click_outside_the_command_line, boundary_libraries, raw_yaml_reads, process_parses, commits_elsewhere]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
def test_every_module_keeps_the_rule(rule: object) -> None:
    assert callable(rule)
    broken = {m.path: found for m in modules() if (found := rule(m))}
    assert broken == {}


BREAKERS = {
    "commits_elsewhere": ("notifications.py", "def f(repo):\n    return repo.commit_paths(['x'], 'm')\n"),
    "click_outside_the_command_line": ("views.py", "import click\n"),
    "boundary_libraries": ("lifecycle.py", "def f():\n    from ruamel.yaml import YAML\n    import subprocess\n"),
    "raw_yaml_reads": ("ingest.py", "from .yamlio import load_bytes as lb\ndef f(s):\n    return lb(s.read('x'))\n"),
    "process_parses": (
        "escalation.py",
        "from .model import Process\nfrom .store import PROCESS_FILE\n"
        "def f(t):\n    return Process.from_data(t.read(t.root / PROCESS_FILE, 'process').document.data)\n",
    ),
}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
def test_each_rule_finds_a_module_written_to_break_it(rule: object) -> None:
    assert callable(rule)
    path, text = BREAKERS[rule.__name__]
    assert rule(module(PACKAGE / path, text)), f"{rule.__name__} misses a breach"


def test_the_graph_is_read_whole() -> None:
    found = {m.path for m in modules()}
    assert {"cli/__init__.py", "yamlio.py", "store.py", "usecases/records.py", "site/plugin.py"} <= found
    resolved = dict(imports(module(PACKAGE / "usecases" / "records.py")))
    assert "mimctl.store" in resolved and "mimctl.yamlio" in resolved, "relative imports resolve to mimctl.…"
