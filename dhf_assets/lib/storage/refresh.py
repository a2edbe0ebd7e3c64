"""When the global assets (SQL models, reports, exports) must follow the caves: a pure decision.

The inputs are facts read from the Dagster instance by the refresh sensor; the output says whether to
refresh now, what, and why (the reason is shown in the UI as a run tag and in the tick's log).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

Scope = Literal["full", "archive"]
# Run tag on a cave run whose launcher (`dhf build`) brings the global assets up to date itself.
GLOBAL_REFRESH_TAG = "dhf/global_refresh"
INLINE = "inline"


@dataclass(frozen=True)
class FinishedCaveRun:
    run_id: str
    cave_id: str
    end_time: float


@dataclass(frozen=True)
class RefreshState:
    """What the instance says now."""

    active_cave_runs: Sequence[str]  # caves with a cave run queued, starting or running
    backfills_in_progress: int
    refresh_in_progress: bool
    last_refresh_start: float  # start of the latest finished refresh (dhf build's marts_job counts); 0: never
    cave_runs_since: Sequence[FinishedCaveRun]  # successful cave runs that ended after last_refresh_start
    archive_observed_at: float  # latest observation of the archive; 0: never
    archive_inputs_built_at: float  # latest materialization of archive_inputs; 0: never


@dataclass(frozen=True)
class RefreshDecision:
    scope: Scope | None  # None: nothing to do now
    reason: str
    run_key: str = ""


def decide_refresh(state: RefreshState) -> RefreshDecision:
    """Refresh once every cave run in flight has finished; never while caves or a refresh still run."""
    if state.refresh_in_progress:
        return RefreshDecision(None, "a refresh is already queued or running")
    if state.backfills_in_progress:
        return RefreshDecision(None, f"waiting for {state.backfills_in_progress} backfill(s) to finish")
    if state.active_cave_runs:
        caves = ", ".join(sorted(set(state.active_cave_runs)))
        return RefreshDecision(None, f"waiting for {len(state.active_cave_runs)} cave run(s) to finish: {caves}")
    if state.cave_runs_since:
        runs = sorted(state.cave_runs_since, key=lambda r: (r.end_time, r.run_id))
        caves = ", ".join(sorted({r.cave_id for r in runs}))
        return RefreshDecision(
            "full",
            f"{len(runs)} successful cave run(s) since the last refresh: {caves}",
            f"refresh:{runs[-1].run_id}",
        )
    if state.archive_observed_at > state.archive_inputs_built_at:
        return RefreshDecision("archive", "the archive changed since archive_inputs was built",
                               f"archive:{state.archive_observed_at:.6f}")
    return RefreshDecision(None, "every cave run is already reflected in the SQL models, reports and exports")
