"""Shared pieces of the click adapters: options, the error boundary, output."""

from __future__ import annotations

import functools
import getpass
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_FAILED, EXIT_UNEXPECTED, EXIT_INTERRUPTED = 0, 1, 3, 130


class TimeParam(click.ParamType):  # type: ignore[type-arg,unused-ignore]
    """An RFC 3339 time; a missing zone means UTC. ``now`` is accepted."""

    name = "TIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        if text.lower() == "now":
            return now()
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
        except ValueError:
            self.fail(f"{value!r} is not a time like 2026-11-27T08:35:00Z", param, ctx)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        try:
            return moment.astimezone(timezone.utc).replace(microsecond=0)
        except OverflowError:  # an offset pushed it past year 1 or 9999
            self.fail(f"{value!r} is outside the years 0001 to 9999 in UTC", param, ctx)


TIME = TimeParam()


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def default_person() -> str:
    """Who is acting: $MIMCTL_USER, else the login name."""
    return os.environ.get("MIMCTL_USER") or getpass.getuser()


def repo_option(func: F) -> F:
    return click.option(
        "--repo",
        "repo",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Tracker repository (default: the nearest folder upwards holding process.yaml).",
    )(func)


def format_option(*choices: str) -> Callable[[F], F]:
    def decorate(func: F) -> F:
        return click.option(
            "--format",
            "output_format",
            type=click.Choice(choices),
            default=choices[0],
            show_default=True,
            help="Output format: text for people, json for scripts.",
        )(func)

    return decorate


@dataclass(frozen=True)
class Recording:
    """The options every recording command shares: when, who, whether to commit, output, where."""

    at: datetime
    by: str | None
    no_commit: bool
    output_format: str
    repo: Path | None

    @property
    def person(self) -> str:
        """Who did it: --by, else the default person."""
        return self.by or default_person()


def recording(func: F) -> F:
    """Add the options every command that records something shares; the command receives them as ``rec``."""

    @functools.wraps(func)
    def wrapper(*args: Any, at: datetime, by: str | None, no_commit: bool, output_format: str, repo: Path | None, **kwargs: Any) -> Any:
        return func(*args, rec=Recording(at, by, no_commit, output_format, repo), **kwargs)

    command: Any = wrapper
    for option in reversed(
        [
            click.option(
                "--at",
                "at",
                type=TIME,
                default="now",
                show_default=True,
                help="When it happened in the real world (UTC unless a zone is given).",
            ),
            click.option("--by", "by", default=None, help="Who did it (default: $MIMCTL_USER or the login name)."),
            click.option("--no-commit", is_flag=True, help="Edit the files but do not commit."),
        ]
    ):
        command = option(command)
    return format_option("text", "json")(repo_option(command))  # type: ignore[no-any-return]


def json_value(value: str, as_json: bool) -> Any:
    """VALUE as given, or parsed as JSON (a number, list or mapping) with --json."""
    if not as_json:
        return value
    try:
        return json.loads(value)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="VALUE") from None


def tracker(repo: Path | None) -> Any:
    from ..journal import interrupted
    from ..store import Tracker, find_root

    root = find_root(repo or Path.cwd())
    left = interrupted(root)
    if left:  # what is read now may be half of that change; writing commands refuse
        click.echo(f"mimctl: warning: an interrupted command ({left}) left changes here; run: mimctl repair", err=True)
    return Tracker(root)


def emit(output_format: str, data: Any, text: str) -> None:
    if output_format == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    else:
        click.echo(text)


def guarded(func: F) -> F:
    """Turn expected failures into a clear message and exit code: never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ..gitrepo import GitError
        from ..store import TrackerError
        from ..transaction import Refused

        try:
            code = func(*args, **kwargs)
        except (TrackerError, Refused) as exc:
            click.echo(f"mimctl: {exc}", err=True)
            for finding in exc.findings:
                click.echo(f"  {finding.as_text()}", err=True)
            sys.exit(EXIT_FAILED)
        except GitError as exc:
            click.echo(f"mimctl: {exc}", err=True)
            sys.exit(EXIT_FAILED)
        except KeyboardInterrupt:
            click.echo("mimctl: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        sys.exit(code or EXIT_OK)

    return wrapper  # type: ignore[return-value]
