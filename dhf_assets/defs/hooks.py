"""Progress hooks: one line per finished step, printed by `dhf build` and logged in the UI."""

import os

import dagster as dg

PROGRESS_ENV = "DHF_PROGRESS"


def _report(context: dg.HookContext, status: str) -> None:
    line = f"[dhf] {status} {context.op.name} (run {context.run_id[:8]})"
    if os.environ.get(PROGRESS_ENV) == "1":
        print(line, flush=True)
    else:
        context.log.info(line)


@dg.success_hook(name="progress_success")
def progress_success(context: dg.HookContext) -> None:
    _report(context, "done  ")


@dg.failure_hook(name="progress_failure")
def progress_failure(context: dg.HookContext) -> None:
    _report(context, "FAILED")


PROGRESS_HOOKS = {progress_success, progress_failure}
