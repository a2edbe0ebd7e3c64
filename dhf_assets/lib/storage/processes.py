"""Which process owns a run or a temporary file, and whether that process is still alive.

A process is named by its host, its pid and its start time: a pid alone is reused by the system
after a reboot or a long uptime, so a live process with the recorded pid but another start time is
a different process, and the owner counts as gone.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import psutil

# Start times are compared to this precision (psutil reads them from /proc in clock ticks).
START_TIME_TOLERANCE_S = 0.5
# A temporary name carries its writer: `.<name>.dhf-<host digest>-<pid>-<start>.<random>.tmp`.
_TEMP_OWNER = re.compile(r"\.dhf-([0-9a-f]{8})-(\d+)-(\d+)\.")


@dataclass(frozen=True)
class ProcessOwner:
    """A process on a host, as recorded when it started a run or a temporary file."""

    host: str
    pid: int
    started_at: float  # seconds since the epoch

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host}"


def this_host() -> str:
    return socket.gethostname()


def host_digest(host: str) -> str:
    """A short, file-name-safe stand-in for a host name."""
    return hashlib.sha1(host.encode()).hexdigest()[:8]


def process_started_at(pid: int) -> float | None:
    """The start time of a live process, or None when no process has this pid."""
    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return None
    except psutil.AccessDenied:  # alive, owned by another user: its start time is still readable
        return psutil.Process(pid).create_time()


def current_owner() -> ProcessOwner:
    pid = os.getpid()
    return ProcessOwner(this_host(), pid, process_started_at(pid) or 0.0)


def is_alive(owner: ProcessOwner) -> bool:
    """True when the owner runs on this host and is still the same process; only for this host."""
    if owner.host != this_host():
        raise ValueError(f"{owner.describe()} is not on this host ({this_host()}): it cannot be checked here")
    started = process_started_at(owner.pid)
    return started is not None and abs(started - owner.started_at) <= START_TIME_TOLERANCE_S


def temp_prefix(name: str, owner: ProcessOwner | None = None) -> str:
    """The prefix of a temporary file or folder written next to `name` by this process."""
    owner = owner or current_owner()
    return f".{name}.dhf-{host_digest(owner.host)}-{owner.pid}-{int(owner.started_at)}."


def temp_owner_is_gone(file_name: str, include_own: bool = False) -> bool:
    """True for a dhf temporary name whose writer ran on this host and has exited (or, with
    `include_own`, is this process: called once it has stopped writing)."""
    match = _TEMP_OWNER.search(file_name)
    if not match or not file_name.startswith("."):
        return False
    digest, pid, started = match.groups()
    if digest != host_digest(this_host()):
        return False  # another machine's writer: only that machine can tell
    if include_own and int(pid) == os.getpid():
        return True
    now_started = process_started_at(int(pid))
    return now_started is None or abs(now_started - int(started)) > 1.0


def orphan_temp_paths(folder: Path, include_own: bool = False) -> Iterator[Path]:
    """Temporary files and folders under `folder` whose writer on this host is gone."""
    if not folder.exists():
        return
    for path in folder.rglob(".*"):
        if temp_owner_is_gone(path.name, include_own):
            yield path
