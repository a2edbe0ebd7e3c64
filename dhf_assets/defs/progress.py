"""Progress of `dhf build`: one line per finished step, printed by a run logger, not stored as events.

A success/failure hook per step would do the same but stores two more events per step in the run's
event log (HOOK_COMPLETED, HOOK_SKIPPED: ~9 ms each in SQLite, a quarter of a cave run's events).
The logger sees the step events Dagster logs anyway and is configured only by `dhf build`'s runs
(`runner.BUILD_RUN_CONFIG`); runs from the UI, the sensors or the daemon show their steps in the UI.
"""

import logging

import dagster as dg

PROGRESS_LOGGER = "dhf_progress"
_MARKS = {"STEP_SUCCESS": "done  ", "STEP_FAILURE": "FAILED"}


class _StepLines(logging.Handler):
    def __init__(self, run_id: str | None):
        super().__init__()
        self.run = (run_id or "?")[:8]

    def emit(self, record: logging.LogRecord) -> None:
        try:
            event = getattr(record, "dagster_event", None)
            mark = _MARKS.get(getattr(event, "event_type_value", ""))
            if mark:
                print(f"[dhf] {mark} {event.step_key} (run {self.run})", flush=True)
        except Exception:  # a progress line must never fail a step
            self.handleError(record)


@dg.logger(description="Print `[dhf] done <step>` / `[dhf] FAILED <step>` as each step ends (dhf build).")
def progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    logger = logging.Logger(PROGRESS_LOGGER, level=logging.DEBUG)
    logger.addHandler(_StepLines(init_context.run_id))
    return logger


@dg.definitions
def loggers() -> dg.Definitions:
    # Naming any logger replaces Dagster's default set, so the console logger is named here too.
    return dg.Definitions(loggers={"console": dg.colored_console_logger, PROGRESS_LOGGER: progress_logger})
