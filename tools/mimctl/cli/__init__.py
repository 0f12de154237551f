"""The ``mimctl`` command line: a lazy click group of thin adapters, and the one error boundary.

Each command lives in a submodule that is imported only when that command
runs, so ``mimctl --help`` stays fast. A command parses its options, calls a
use case (``mimctl.usecases``) and prints; the group turns what goes wrong
into messages and exit codes.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from .. import __version__

# Exit codes (kept here and in .common, which `mimctl --help` does not need to import).
EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_UNEXPECTED = 0, 1, 130, 3

# Sections of `mimctl --help`, in lifecycle order:
# command name -> (module, attribute, one-line help shown in `mimctl --help`)
SECTIONS: dict[str, dict[str, tuple[str, str, str]]] = {
    "Lifecycle": {
        "new": ("record", "new", "Declare a major incident (stage: identify)."),
        "advance": ("lifecycle", "advance", "Move an incident to its next stage once the gate is met."),
        "exempt": ("lifecycle", "exempt", "Exempt an incident recorded after the fact from live-only gate items."),
        "show": ("lifecycle", "show", "Show an incident: stage, times, next gate."),
        "list": ("lifecycle", "list_incidents", "List open incidents by stage and severity (alias: status)."),
    },
    "Identify, notify, escalate": {
        "confirm": ("record", "confirm", "Record that the incident is real, by whom and its scope."),
        "classify": ("record", "classify", "Set impact, urgency (priority follows) and severity."),
        "assign": ("record", "assign", "Assign a role or hand it over."),
        "notified": ("record", "notified", "Record a notification that was sent."),
        "escalated": ("record", "escalated", "Record an escalation that was made."),
        "ack": ("record", "ack", "Record that a responder acknowledged the incident."),
        "vendor": ("record", "vendor", "Record an escalation to a vendor or other third party."),
        "bridge": ("record", "bridge", "Record the bridge / war room link."),
        "update": ("record", "update", "Post a stakeholder update (internal or public)."),
        "note": ("record", "note", "Add a note to the timeline."),
    },
    "Contain, investigate, resolve, recover, close": {
        "containment": ("investigation", "containment", "Log containment actions and their rollback state."),
        "hypothesis": ("investigation", "hypothesis", "Record hypotheses and confirm or refute them."),
        "evidence": ("investigation", "evidence", "Record evidence examined (logs, graphs, links)."),
        "changes": ("insight", "changes", "List recent commits to the affected services' repositories before detection."),
        "impact": ("ingest", "impact", "List every service that depends on a service, with owners and paths."),
        "cause": ("record", "cause", "Record the root cause, or why it is still unknown."),
        "plan": ("record", "plan", "Record the resolution plan."),
        "resolution": ("record", "resolution", "Record the fix, its stability and its confirmation."),
        "recovery": ("record", "recovery", "Record recovery: restored, dependents validated."),
        "close": ("record", "close", "Record closure details and the problem reference."),
        "set": ("record", "set_field", "Set any incident field (validated against the schema)."),
    },
    "Review and improve": {
        "pir": ("pir", "pir", "Schedule, write, complete and invite to the post-incident review."),
        "kedb": ("ingest", "kedb", "Match incidents against known errors; add known errors from incidents."),
        "actions": ("insight", "actions", "List PIR action items across all incidents; overdue ones stand out."),
        "stats": ("insight", "stats", "Report milestones and durations (MTTA, time to mitigate, resolve, recover) by group or incident."),
    },
    "Automation": {
        "ingest": ("ingest", "ingest", "Open or update incidents from alert notifications (Alertmanager, generic)."),
        "notify": ("notify", "notify", "Send what a push added to the timelines to the routed channels."),
        "escalate": ("notify", "escalate", "Escalate unacknowledged active incidents that are due, and notify."),
    },
    "Checks, site and repository": {
        "validate": ("checks", "validate", "Validate records against schemas and rules."),
        "check": ("checks", "check", "The pull-request check against a base revision."),
        "renumber": ("renumber", "renumber", "Give an incident a fresh id (after an id collision)."),
        "repair": ("repair", "repair", "Undo what an interrupted command left (after a crash, a kill or a full disk)."),
        "site": ("site", "site", "Build the status page and knowledge-base site."),
        "maintenance": ("maintenance", "maintenance", "Schedule maintenance and post its updates (status page and API)."),
        "init": ("init", "init", "Start a tracker repository (process, catalog, schemas, site)."),
        "clone": ("checkout", "clone", "Set up a responder's sparse checkout: config, known errors, open incidents."),
        "widen": ("checkout", "widen", "Check out more incidents in a sparse checkout."),
        "upgrade": ("upgrade", "upgrade", "Bring schemas, version marker and records up to date."),
        "demo": ("demo", "demo", "Run a sample incident through all nine stages in a scratch repository."),
    },
}
COMMANDS: dict[str, tuple[str, str, str]] = {name: entry for section in SECTIONS.values() for name, entry in section.items()}


class _Context(click.Context):
    """Runs command callbacks so that a use case's ``Invalid`` reads as a usage error of the command's own option."""

    def invoke(self, callback: Any, /, *args: Any, **kwargs: Any) -> Any:
        from ..usecases import Invalid

        try:
            return super().invoke(callback, *args, **kwargs)
        except Invalid as exc:
            param = next((p for p in self.command.params if p.name == exc.param), None)
            if param is None and exc.param is None:
                raise click.UsageError(str(exc), ctx=self) from None
            raise click.BadParameter(str(exc), ctx=self, param=param, param_hint=None if param else exc.param) from None


def _adopt(command: click.Command) -> click.Command:
    """Give a command (and a group's subcommands) the context that reports use-case errors."""
    command.context_class = _Context
    for sub in command.commands.values() if isinstance(command, click.Group) else ():
        _adopt(sub)
    return command


def _expected(exc: Exception) -> tuple[str, list[str]] | None:
    """The message (and findings) for an error a user can act on; None for a bug."""
    from ..gitrepo import GitError
    from ..output import finding_line
    from ..store import TrackerError
    from ..transaction import Refused

    if isinstance(exc, (TrackerError, Refused)):
        return str(exc), [finding_line(finding) for finding in exc.findings]
    if isinstance(exc, GitError):
        return str(exc), []
    return None


class LazyGroup(click.Group):
    """The ``mimctl`` group: loads a command's module only when it runs, and is the one error boundary.

    A command returns its exit code. Expected errors (records that cannot be
    used, a refused change, a git state we will not touch, Ctrl-C) become one
    clear message and exit 1 (130 for Ctrl-C); click's own usage errors exit 2;
    anything else is a bug and escapes to ``run``.
    """

    context_class = _Context

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "status":
            cmd_name = "list"
        if cmd_name not in COMMANDS:
            return None
        module_name, attribute, _ = COMMANDS[cmd_name]
        module = importlib.import_module(f"{__name__}.{module_name}")
        command: click.Command = getattr(module, attribute)
        return _adopt(command)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        for title, commands in SECTIONS.items():
            with formatter.section(title):
                formatter.write_dl([(name, help_text) for name, (_, _, help_text) in commands.items()])

    def invoke(self, ctx: click.Context) -> Any:
        try:
            code = super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("mimctl: interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except click.ClickException:
            raise
        except Exception as exc:
            expected = _expected(exc)
            if expected is None:
                raise
            from ..output import terminal_safe

            message, details = expected
            click.echo(terminal_safe(f"mimctl: {message}"), err=True)
            for line in details:
                click.echo(f"  {line}", err=True)
            ctx.exit(EXIT_FAILED)
        ctx.exit(code if isinstance(code, int) else EXIT_OK)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="mimctl")
def main() -> None:
    """Major incident management as code.

    Incidents, known errors and post-incident reviews are YAML records in a git
    repository. mimctl records what responders do, moves incidents through the
    nine-stage lifecycle when each stage's exit gate is met, and validates
    everything. Every command that changes records commits them (one commit
    per step, with Incident: and Stage: trailers) unless --no-commit is given.

    \b
    Examples:
      mimctl demo                                   # see it all in a scratch repo
      mimctl new --title "Checkout errors" --service checkout-api \\
                 --impact high --urgency high --severity SEV1 --source alert
      mimctl show INC-0042
      mimctl advance INC-0042
      mimctl validate --format github
    """


def run() -> None:
    """Console entry point: what the group lets through is a bug, and exits 3 with a short message."""
    try:
        main()
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if os.environ.get("MIMCTL_DEBUG"):
            import traceback

            traceback.print_exc()
        from ..output import terminal_safe

        click.echo(terminal_safe(f"mimctl: unexpected error: {type(exc).__name__}: {exc} (set MIMCTL_DEBUG=1 for details)"), err=True)
        sys.exit(EXIT_UNEXPECTED)
