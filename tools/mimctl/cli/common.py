"""Shared pieces of the click adapters: options, the tracker, applying a change and printing the outcome.

Expected errors are turned into messages and exit codes once, by the command
group (``cli/__init__.py``), not by each command.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..formatting import now as now  # commands take the clock from here
from ..formatting import parse_moment
from ..timing import Known, Unknown
from ..timing import parse as parse_known
from . import EXIT_FAILED as EXIT_FAILED  # exit codes are defined with the error boundary
from . import EXIT_INTERRUPTED as EXIT_INTERRUPTED
from . import EXIT_OK as EXIT_OK
from . import EXIT_UNEXPECTED as EXIT_UNEXPECTED

if TYPE_CHECKING:
    from ..store import Tracker
    from ..transaction import Change

F = TypeVar("F", bound=Callable[..., Any])

EXIT_USAGE = 2  # click's, for usage errors


class TimeParam(click.ParamType):  # type: ignore[type-arg,unused-ignore]
    """An RFC 3339 time; a missing zone means UTC. ``now`` is accepted."""

    name = "TIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return parse_moment(str(value))
        except OverflowError:  # an offset pushed it past year 1 or 9999
            self.fail(f"{value!r} is outside the years 0001 to 9999 in UTC", param, ctx)
        except ValueError:
            self.fail(f"{value!r} is not a time like 2026-11-27T08:35:00Z", param, ctx)


TIME = TimeParam()


class KnownTimeParam(click.ParamType):  # type: ignore[type-arg,unused-ignore]
    """A time as it is known: ``2026-11-27`` (the day), ``2026-11-27T08:30Z`` (the minute), with seconds (exact),
    ``~…`` or ``about …`` (approximate), ``…±15m`` (within a margin), ``now`` or ``unknown``."""

    name = "TIME"

    def __init__(self, allow_unknown: bool = True) -> None:
        self.allow_unknown = allow_unknown

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Known | Unknown:
        if isinstance(value, (Known, Unknown)):
            return value
        if isinstance(value, datetime):
            return Known(value)
        try:
            found = parse_known(str(value))
        except OverflowError:  # an offset pushed it past year 1 or 9999
            self.fail(f"{value!r} is outside the years 0001 to 9999 in UTC", param, ctx)
        except ValueError:
            self.fail(
                f"{value!r} is not a time like 2026-11-27T08:35:00Z, 2026-11-27T08:35Z, 2026-11-27, '~2026-11-27T08:35Z' or unknown",
                param,
                ctx,
            )
        if isinstance(found, Unknown) and not self.allow_unknown:
            self.fail("this time must be known (the day, at least)", param, ctx)
        return found


KNOWN_TIME = KnownTimeParam()
KNOWN_TIME_ONLY = KnownTimeParam(allow_unknown=False)
INCIDENT = click.argument("incident_id", metavar="ID")


def default_person() -> str:
    """Who is acting: $MIMCTL_USER, else the login name."""
    import getpass

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
class Writing:
    """The options of every command that writes records: whether to commit, the output format, the tracker."""

    no_commit: bool
    output_format: str
    repo: Path | None


@dataclass(frozen=True)
class Recording(Writing):
    """The options of every command that records an event: also when it happened (as known) and who did it."""

    when: Known | Unknown
    by: str | None

    @property
    def at(self) -> datetime:
        """When it happened, for commands that need a known time (``--at unknown`` is a usage error for them)."""
        if isinstance(self.when, Unknown):
            raise click.BadParameter("this command needs a time: 'unknown' places an event on an incident's timeline", param_hint="--at")
        return self.when.at

    @property
    def person(self) -> str:
        """Who did it: --by, else the default person."""
        return self.by or default_person()


_NO_COMMIT = click.option("--no-commit", is_flag=True, help="Edit the files but do not commit.")


def recording(func: F) -> F:
    """Add the options every command that records something shares; the command receives them as ``rec``."""

    @functools.wraps(func)
    def wrapper(
        *args: Any, at: Known | Unknown, by: str | None, no_commit: bool, output_format: str, repo: Path | None, **kwargs: Any
    ) -> Any:
        return func(*args, rec=Recording(no_commit, output_format, repo, at, by), **kwargs)

    command: Any = wrapper
    for option in reversed(
        [
            click.option(
                "--at",
                "at",
                type=KNOWN_TIME,
                default="now",
                show_default=True,
                help=(
                    "When it happened in the real world (UTC unless a zone is given), as known: "
                    "2026-11-27T08:35:10Z, 2026-11-27T08:35Z (the minute), 2026-11-27 (the day), "
                    "'~2026-11-27T08:35Z' (about), '2026-11-27T08:35Z±15m', or unknown."
                ),
            ),
            click.option("--by", "by", default=None, help="Who did it (default: $MIMCTL_USER or the login name)."),
            _NO_COMMIT,
        ]
    ):
        command = option(command)
    return format_option("text", "json")(repo_option(command))  # type: ignore[no-any-return]


def site_url(value: str | None, option: str = "--site-url") -> str:
    """An http(s) URL ending in /, or a usage error naming ``option`` ('' when not given)."""
    if not value:
        return ""
    text = value.strip()
    if not text.lower().startswith(("https://", "http://")) or any(c in text for c in "\"'<> \t\n`#?"):
        raise click.BadParameter(f"{value!r} is not an http(s) URL like https://status.example.com/", param_hint=option)
    return text if text.endswith("/") else text + "/"


def field_value(json_help: str) -> Callable[[F], F]:
    """The FIELD and VALUE arguments and ``--json`` of a command that sets one field."""

    def decorate(func: F) -> F:
        func = click.option("--json", "as_json", is_flag=True, help=json_help)(func)
        return click.argument("field")(click.argument("value")(func))

    return decorate


def json_value(value: str, as_json: bool) -> Any:
    """VALUE as given, or parsed as JSON (a number, list or mapping) with --json."""
    if not as_json:
        return value
    try:
        return json.loads(value)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="VALUE") from None


def tracker(repo: Path | None) -> Tracker:
    """The tracker at --repo, else the nearest one at or above the current folder.

    When the command ends, it says (on stderr) which records it read from git
    objects because a sparse checkout leaves them out, and what it fetched or
    checked out.
    """
    from ..journal import interrupted
    from ..store import Tracker, find_root

    root = find_root(repo or Path.cwd())
    left = interrupted(root)
    if left:  # what is read now may be half of that change; writing commands refuse
        click.echo(f"mimctl: warning: an interrupted command ({left}) left changes here; run: mimctl repair", err=True)
    found = Tracker(root)
    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(lambda: _say_where(found))
    return found


def committed(tr: Tracker, rev: str) -> Tracker:
    """The tracker as commit ``rev`` holds it (records and rules from git objects, never the checkout)."""
    from ..store import Tracker, committed_source

    found = Tracker(tr.root, committed_source(tr.root, rev))
    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(found.close)
    return found


def _say_where(tr: Tracker) -> None:
    """At the end of a command: where its records came from (see ``tracker``); then the git readers it opened are closed."""
    from ..checkout import notes
    from ..output import terminal_safe

    for note in notes(tr.source):
        click.echo(f"note: {terminal_safe(note)}", err=True)
    tr.close()


def emit(output_format: str, data: Any, text: str) -> None:
    """Print a command's result; record text in it never reaches the terminal raw (report.terminal_safe)."""
    from ..output import json_text, terminal_safe

    click.echo(json_text(data) if output_format == "json" else terminal_safe(text))


def apply_change(tr: Tracker, change: Change, out: Writing) -> int:
    """Validate, write and (unless --no-commit) commit ``change``; print what happened."""
    from ..transaction import apply

    applied = apply(tr, change, commit=not out.no_commit)
    data = {"incident": change.incident_id, "changed": applied.changed, "commit": applied.commit, "paths": applied.paths, **change.summary}
    if not applied.changed:
        text = f"{change.incident_id}: nothing to change"
    else:
        where = f"committed {applied.commit[:10]}" if applied.commit else "written, not committed"
        text = f"{change.subject} ({where})"
        for key, value in change.summary.items():
            if key not in ("id",) and value not in (None, [], ""):
                text += f"\n  {key.replace('_', ' ')}: {', '.join(value) if isinstance(value, list) else value}"
    emit(out.output_format, data, text)
    return EXIT_OK


def record_with(rec: Recording, incident_id: str, use_case: Callable[..., Change], *args: Any, **kwargs: Any) -> int:
    """Run a use case on incident ID with the command's --at (an unknown time placed on its timeline) and --by,
    then apply its change and print it."""
    from ..usecases.records import load_incident, place

    tr = tracker(rec.repo)
    incident = load_incident(tr, incident_id)
    change = use_case(tr, incident, *args, at=place(rec.when, incident), by=rec.person, **kwargs)
    return apply_change(tr, change, rec)
