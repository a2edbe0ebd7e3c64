"""A crash never leaves dhf stuck: runs name their process, dead ones are failed and their slots freed,
and SIGINT/SIGTERM stop `dhf build` cleanly.

`dhf build` runs its jobs in its own process (execute_in_process), so nothing else notices when that
process is killed: its run stays STARTED and keeps its pool slots. Every run it starts therefore
carries the host, pid and start time of its process (run tags), and the next `dhf build` on the host
fails the runs whose process is gone and frees their slots. Runs of other hosts, and runs launched by
the daemon, belong to the daemon's run monitoring (dagster.yaml, dhf_assets/launcher.py).
"""

from __future__ import annotations

import _thread
import functools
import signal
import socket
import sys
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable

import dagster as dg
from dagster._core.utils import make_new_run_id

from dhf_assets.lib.runtime.settings import Paths
from dhf_assets.lib.storage.files import remove_orphan_temp_files
from dhf_assets.lib.storage.processes import ProcessOwner, current_owner, is_alive, this_host

HOST_TAG, PID_TAG, STARTED_TAG = "dhf/host", "dhf/pid", "dhf/pid_started_at"
UNFINISHED = [dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED,
              dg.DagsterRunStatus.CANCELING]
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def owner_tags(owner: ProcessOwner | None = None) -> dict[str, str]:
    owner = owner or current_owner()
    return {HOST_TAG: owner.host, PID_TAG: str(owner.pid), STARTED_TAG: f"{owner.started_at:.2f}"}


def run_owner(run: dg.DagsterRun) -> ProcessOwner | None:
    """The process recorded in the run's tags, or None for runs not started by `dhf` (the daemon's)."""
    try:
        return ProcessOwner(run.tags[HOST_TAG], int(run.tags[PID_TAG]), float(run.tags[STARTED_TAG]))
    except (KeyError, ValueError):
        return None


def claimed_slots(instance: dg.DagsterInstance) -> dict[str, list[str]]:
    """run id -> the `pool:step` slots it holds, over every pool."""
    storage = instance.event_log_storage
    held: dict[str, list[str]] = defaultdict(list)
    if not storage.supports_global_concurrency_limits:
        return held
    for pool, info in storage.get_concurrency_infos(sorted(storage.get_concurrency_keys())).items():
        for slot in info.claimed_slots:
            held[slot.run_id].append(f"{pool}:{slot.step_key}")
    return held


def _label(run: dg.DagsterRun) -> str:
    partition = run.tags.get("dagster/partition")
    return f"run {run.run_id[:8]} ({run.job_name}{' ' + partition if partition else ''})"


def recover_dead_runs(instance: dg.DagsterInstance, echo: Callable[..., None] = print) -> list[str]:
    """Fail this host's unfinished runs whose process is gone, free their slots and those of finished
    runs; one line per run. Returns the ids of the runs marked failed."""
    held = claimed_slots(instance)
    failed = []
    for run in instance.get_runs(dg.RunsFilter(statuses=UNFINISHED)):
        owner = run_owner(run)
        if owner is None or owner.host != this_host() or is_alive(owner):
            continue
        reason = (f"the process that ran it ({owner.describe()}) is gone: killed, out of memory or the machine "
                  f"stopped. Marked failed by `dhf build` (pid {current_owner().pid}) before starting.")
        instance.report_run_failed(run, message=reason)
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        slots = held.pop(run.run_id, [])
        echo(f"[dhf] {_label(run)} was left {run.status.value} by {owner.describe()}, which is gone: "
             f"marked failed, {len(slots)} pool slot(s) freed{' (' + ', '.join(slots) + ')' if slots else ''}")
        failed.append(run.run_id)
    for run_id, slots in held.items():  # finished (or deleted) runs never need their slots again
        run = instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            instance.event_log_storage.free_concurrency_slots_for_run(run_id)
            echo(f"[dhf] {_label(run) if run else 'run ' + run_id[:8]} had finished but still held "
                 f"{', '.join(slots)}: freed")
    removed = remove_orphan_temp_files(Paths.from_env().output)
    if removed:
        echo(f"[dhf] removed {len(removed)} temporary file(s) left by killed writers under {Paths.from_env().output}")
    return failed


@dataclass
class _Stop:
    """The signal that stopped this build, the run it stopped and the runs the build started."""

    signum: int | None = None
    stopped_run_id: str | None = None
    run_ids: list[str] = field(default_factory=list)


_active = _Stop()


def new_run(extra_tags: dict[str, str] | None = None) -> dict[str, object]:
    """`execute_in_process` keywords for a run of this process: its id (known to the signal watcher)
    and the owner tags (plus `extra_tags`); refuses to start one once a stop was requested."""
    if _active.signum is not None:
        raise KeyboardInterrupt
    run_id = make_new_run_id()
    _active.run_ids.append(run_id)
    return {"run_id": run_id, "tags": {**owner_tags(), **(extra_tags or {})}}


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _watch(instance: dg.DagsterInstance, wakeups: socket.socket, done: threading.Event) -> None:
    """Read the signals the main thread receives; on SIGINT/SIGTERM mark the current run CANCELING and
    keep interrupting the main thread until the build has returned.

    While a run executes, Dagster's executor owns the SIGINT/SIGTERM handlers and raises them inside
    step code only; a run it sees interrupted while CANCELING ends CANCELED. Python swallows an
    exception raised by a signal handler that happens to run inside a garbage-collector callback
    (common while torch imports), so one interrupt is not enough: it is repeated every second.
    """
    while data := wakeups.recv(1):
        signum = data[0]
        if signum not in STOP_SIGNALS:
            continue
        _active.signum = signum
        if _active.run_ids:
            _active.stopped_run_id = _active.run_ids[-1]
            run = instance.get_run_by_id(_active.stopped_run_id)
            if run is not None and not run.is_finished:
                instance.report_run_canceling(run,
                                              message=f"dhf build received {signal.Signals(signum).name}: stopping")
        while True:
            _thread.interrupt_main(signal.SIGINT)
            if done.wait(1.0):
                return


def _ignore_stop_signals() -> None:
    """From here on the build is over: a late interrupt from the watcher changes nothing."""
    while True:
        try:
            for signum in STOP_SIGNALS:
                signal.signal(signum, signal.SIG_IGN)
            return
        except KeyboardInterrupt:
            continue


def _clean_up_after_stop(instance: dg.DagsterInstance, echo: Callable[..., None]) -> None:
    for run_id in _active.run_ids:
        run = instance.get_run_by_id(run_id)
        interrupted = run_id == _active.stopped_run_id and run is not None and run.status == dg.DagsterRunStatus.FAILURE
        if run is not None and (not run.is_finished or interrupted):
            instance.report_run_canceled(run, message="dhf build was stopped by a signal")
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
    remove_orphan_temp_files(Paths.from_env().output, include_own=True)
    name = signal.Signals(_active.signum).name if _active.signum else "an interrupt"
    stopped = _active.stopped_run_id[:8] if _active.stopped_run_id else "-"
    echo(f"[dhf] stopped by {name}: run {stopped} canceled, pool slots freed, temporary files removed", file=sys.stderr)


def stoppable(build: Callable[..., int]) -> Callable[..., int]:
    """Run `build` so that SIGINT/SIGTERM cancel its current run, free its slots, remove its temporary
    files and return 128 + the signal number."""

    @functools.wraps(build)
    def wrapper(*args, echo: Callable[..., None] = print, **kwargs) -> int:
        from dhf_assets.runner import instance as dhf_instance

        global _active
        if threading.current_thread() is not threading.main_thread():
            return build(*args, echo=echo, **kwargs)
        inst = dhf_instance()
        _active = _Stop()
        reader, writer = socket.socketpair()
        writer.setblocking(False)
        handlers = {signum: signal.signal(signum, _raise_interrupt) for signum in STOP_SIGNALS}
        previous_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        done = threading.Event()
        watcher = threading.Thread(target=_watch, args=(inst, reader, done), name="dhf-stop-signals", daemon=True)
        watcher.start()
        status = 130
        try:
            status = build(*args, echo=echo, **kwargs)
        except KeyboardInterrupt:
            pass
        finally:
            _ignore_stop_signals()
            done.set()
            signal.set_wakeup_fd(previous_fd)
            writer.close()  # ends the watcher's recv
            watcher.join(timeout=10)
            reader.close()
            for signum, handler in handlers.items():
                signal.signal(signum, handler)
        if _active.signum is not None or status == 130:
            _clean_up_after_stop(inst, echo)
            return 128 + (_active.signum or signal.SIGINT)
        return status

    return wrapper
