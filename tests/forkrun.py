"""Run a mimctl command in a forked child: its own process group, bounded memory and time, killable.

Forking from the test process pays the imports once, so a command costs what
it costs a user after Python has started (tens of milliseconds), which makes
hundreds of runs affordable. The child leads its own process group, so a kill
takes its git commands with it, as a terminal's would.
"""

from __future__ import annotations

import contextlib
import io
import os
import resource
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import ruamel.yaml  # noqa: F401

from gitutil import GIT_ENV
from gitutil import run as run_in_process
from mimctl import cli
from mimctl.cli import checks, lifecycle, record, repair, site  # noqa: F401 - imported once, before the forks

MEMORY = 1 << 30


@dataclass
class Outcome:
    """How one command ended: its exit code (None: killed) and everything it printed."""

    args: list[str]
    code: int | None
    output: str
    seconds: float

    def __repr__(self) -> str:
        return f"mimctl {' '.join(self.args)!r} -> {self.code} in {self.seconds:.2f} s\n--- output ---\n{self.output[-3000:]}"


def warm(repo: Path) -> None:
    """Fill this process's caches (compiled schemas) that every forked child then inherits."""
    run_in_process(["validate"], repo)


def run(
    args: list[str],
    repo: Path,
    kill_after: float | None = None,
    timeout: float = 60.0,
    prepare: Callable[[], None] | None = None,
    user: int | None = None,
    cpu_seconds: int | None = None,
) -> Outcome:
    """``mimctl ARGS`` in ``repo``, in a forked child; SIGKILL its process group after ``kill_after`` seconds.

    ``prepare`` runs in the child first (to inject a fault); ``user`` makes the
    child run as that uid (and its group), when the tests run as root;
    ``cpu_seconds`` bounds the CPU time the command itself may use (SIGXCPU
    ends it: a bound that a loaded machine does not make flaky, as wall time would).
    """
    with tempfile.TemporaryFile() as sink:
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:  # the child: never returns into pytest
            code = 3
            try:
                os.setpgid(0, 0)
                os.dup2(sink.fileno(), 1)
                os.dup2(sink.fileno(), 2)
                sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", closefd=False), write_through=True)
                sys.stderr = io.TextIOWrapper(os.fdopen(2, "wb", closefd=False), write_through=True)
                resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
                if cpu_seconds is not None:  # a forked child's CPU time starts at zero
                    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
                os.environ.update(GIT_ENV)
                if user is not None:
                    os.setgid(user)
                    os.setuid(user)
                    os.environ["HOME"] = str(repo)
                os.chdir(repo)
                if prepare is not None:
                    prepare()
                try:
                    cli.main.main(args, prog_name="mimctl", standalone_mode=True)
                    code = 0
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
                except BaseException:  # the real entry point turns these into exit 3 too
                    traceback.print_exc()
                    code = 3
                with contextlib.suppress(Exception):
                    sys.stdout.flush()
                    sys.stderr.flush()
            finally:
                os._exit(code)
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)  # also here, so that a kill right after the fork reaches the group
        status, killed = _wait(pid, kill_after if kill_after is not None else timeout)
        seconds = time.monotonic() - started
        sink.seek(0)
        output = sink.read().decode(errors="replace")
    code = None if killed or os.WIFSIGNALED(status) else os.waitstatus_to_exitcode(status)
    return Outcome(list(args), code, output, seconds)


def _wait(pid: int, seconds: float) -> tuple[int, bool]:
    """The child's wait status, and whether its process group had to be killed after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status, False
        if time.monotonic() >= deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            _until_gone(pid)
            return status, True
        time.sleep(0.001)


def _until_gone(group: int, seconds: float = 2.0) -> None:
    """Wait until no live process of the group is left (its git commands die with it, a moment later)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(_in_group(entry, group) for entry in os.listdir("/proc") if entry.isdigit()):
            return
        time.sleep(0.002)


def _in_group(pid: str, group: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            stat = handle.read()
    except OSError:
        return False
    fields = stat[stat.rfind(")") + 2 :].split()
    return len(fields) > 2 and fields[2] == str(group) and fields[0] not in ("Z", "X")
