"""The CLI reference page, generated from the commands' own --help."""

from __future__ import annotations

import click


def _walk(command: click.Command, path: list[str]) -> list[tuple[list[str], click.Command]]:
    found = [(path, command)]
    if isinstance(command, click.Group):
        ctx = click.Context(command, info_name=path[-1])
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                found += _walk(sub, [*path, name])
    return found


def all_commands() -> list[tuple[list[str], click.Command]]:
    """Every command and subcommand of mimctl, in help order."""
    from ..cli import main

    return _walk(main, ["mimctl"])


def cli_reference() -> str:
    """A Markdown page with the --help text of every command."""
    parts = ['---\ntitle: "CLI reference"\n---\n\n# CLI reference\n\nGenerated from each command\'s `--help`.\n']
    for path, command in all_commands():
        name = " ".join(path)
        help_text = command.get_help(click.Context(command, info_name=name))
        parts.append(f"\n## `{name}`\n\n```text\n{help_text}\n```\n")
    return "".join(parts)
