"""Who started a command, and whether any process of it still runs (for mimctl repair).

A command records its owner (pid, start time, boot, host) in its journal and
passes its transaction id to every git process it starts. Later, "gone" has
to be proven before anything it may still be writing is touched.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from .gitrepo import TRANSACTION_ENV


@dataclass(frozen=True)
class Owner:
    """The process that wrote a journal: enough to tell, later, that it and its git commands are gone."""

    pid: int
    start: str  # the process's start time in clock ticks since boot (/proc), "" where unknown
    boot: str  # this boot's id (/proc), "" where unknown
    host: str

    @staticmethod
    def me() -> Owner:
        return Owner(os.getpid(), _start_time(os.getpid()), _boot_id(), socket.gethostname())

    def describe(self) -> str:
        return f"process {self.pid} on {self.host}"


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


def _start_time(pid: int) -> str:
    stat = _read(f"/proc/{pid}/stat")
    # the command name (field 2) is in parentheses and may hold spaces: count from its end
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else ""


def _boot_id() -> str:
    return _read("/proc/sys/kernel/random/boot_id").strip()


def still_running(owner: Owner, transaction: str) -> str:
    """'' when provably no process of ``owner``'s command is left; else which one may be.

    Proof: the machine was rebooted since; or the process is gone (or its pid
    now belongs to a process started later) and no process carries the
    command's transaction id in its environment (every git command and hook it
    started does). Where that cannot be checked (another host, no /proc, a
    process of another user), it is not proven.
    """
    if owner.host != socket.gethostname():
        return f"it was started on {owner.host}; run mimctl repair there"
    boot = _boot_id()
    if owner.boot and boot and owner.boot != boot:
        return ""
    if _alive(owner.pid) and (not owner.start or _start_time(owner.pid) == owner.start):
        return f"{owner.describe()} is still running"
    if not os.path.isdir("/proc"):
        return "this system has no /proc to tell whether its git commands are gone"
    marker = f"{TRANSACTION_ENV}={transaction}".encode()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry.name}/environ", "rb") as handle:
                environment = handle.read()
        except OSError:  # gone meanwhile, or another user's (which this command cannot have started)
            continue
        if marker in environment.split(b"\0"):
            return f"process {entry.name}, started by it, is still running"
    return ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
