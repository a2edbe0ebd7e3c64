"""Concurrency pool slots claimed by the step itself: the wait is logged, bounded and interruptible.

Dagster 1.13 claims an op's `pool` slot in the executor before the step starts; while it waits it
spins without sleeping, logs nothing about who holds the slot, never gives up and ignores SIGTERM
(the executor only raises interrupts inside step code). dhf's pool steps therefore claim their slot
inside the step, through the same instance storage and the same limits (`concurrency.pools` in
dagster.yaml, `dagster instance concurrency set gpu 2`), so the UI's pool page shows the same holders.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator

import dagster as dg
from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext

from dhf_assets.lib.runtime.settings import current_settings
from dhf_assets.lib.runtime.test_hold import hold_if_asked

POLL_S = 1.0


def holders_message(instance: dg.DagsterInstance, pool: str, waiting_for_s: float) -> str:
    """Who holds the pool's slots and since when, as one line."""
    info = instance.event_log_storage.get_concurrency_info(pool)
    since = {(p.run_id, p.step_key): p.assigned_timestamp for p in info.pending_steps}
    now = datetime.now(timezone.utc)
    holders = []
    for slot in info.claimed_slots:
        run = instance.get_run_by_id(slot.run_id)
        partition = run.tags.get("dagster/partition") if run else None
        what = (run.job_name + (f" {partition}" if partition else "")) if run else "?"
        status = run.status.value if run else "unknown run"
        assigned = since.get((slot.run_id, slot.step_key))
        when = f" since {assigned:%Y-%m-%d %H:%M:%S} UTC ({(now - assigned).total_seconds():.0f} s)" if assigned else ""
        holders.append(f"run {slot.run_id[:8]} ({what}, {status}) step {slot.step_key}{when}")
    held = "; ".join(holders) or "no holder recorded (the slot limit may be 0)"
    return (f"waited {waiting_for_s:.0f} s for a slot of pool {pool!r} (limit {info.limit}): held by {held}. "
            f"`dhf build` frees the slots of dead runs on this host; the daemon's run monitoring does it for its runs.")


@contextmanager
def pool_slot(context: dg.AssetExecutionContext, pool: str) -> Iterator[None]:
    """Hold one slot of `pool` for the body; wait for it with a log line every DHF_POOL_WAIT_LOG_S
    seconds naming the holders, and fail the step after DHF_POOL_WAIT_TIMEOUT_S seconds."""
    instance = context.instance
    if not instance.event_log_storage.supports_global_concurrency_limits:
        yield
        return
    step_key = context.op_execution_context.get_step_execution_context().step.key
    settings = current_settings()
    log_every_s, timeout_s = settings.pool_wait_log_s, settings.pool_wait_timeout_s
    with InstanceConcurrencyContext(instance, context.run) as slots:  # frees a pending claim on any exit
        started, last_logged = time.monotonic(), None
        while not slots.claim(pool, step_key):
            waited = time.monotonic() - started
            if waited >= timeout_s:
                raise dg.Failure(description=f"gave up after DHF_POOL_WAIT_TIMEOUT_S={timeout_s:.0f}: "
                                 + holders_message(instance, pool, waited))
            if last_logged is None or time.monotonic() - last_logged >= log_every_s:
                context.log.warning(holders_message(instance, pool, waited))
                last_logged = time.monotonic()
            time.sleep(POLL_S)  # step code: SIGTERM/SIGINT interrupt this sleep at once
        try:
            hold_if_asked(f"slot:{step_key}")
            yield
        finally:
            slots.free_step(step_key)
