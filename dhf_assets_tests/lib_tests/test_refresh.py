"""decide_refresh: one refresh after every cave run in flight has finished, never while caves still run."""

import pytest

from dhf_assets.lib.storage.refresh import FinishedCaveRun, RefreshState, decide_refresh

RUNS = [FinishedCaveRun("r2", "MG220", 20.0), FinishedCaveRun("r1", "MG045", 10.0),
        FinishedCaveRun("r3", "MG045", 30.0)]


def state(**changes) -> RefreshState:
    values = dict(active_cave_runs=[], backfills_in_progress=0, refresh_in_progress=False, last_refresh_start=5.0,
                  cave_runs_since=RUNS, archive_observed_at=0.0, archive_inputs_built_at=0.0)
    return RefreshState(**{**values, **changes})


@pytest.mark.parametrize(("changes", "scope", "reason"), [
    ({}, "full", "3 successful cave run(s) since the last refresh: MG045, MG220"),
    ({"active_cave_runs": ["YL025", "MG045"]}, None, "waiting for 2 cave run(s) to finish: MG045, YL025"),
    ({"backfills_in_progress": 1}, None, "waiting for 1 backfill(s) to finish"),
    ({"refresh_in_progress": True}, None, "a refresh is already queued or running"),
    ({"cave_runs_since": []}, None, "every cave run is already reflected in the SQL models, reports and exports"),
    ({"cave_runs_since": [], "archive_observed_at": 9.0, "archive_inputs_built_at": 8.0}, "archive",
     "the archive changed since archive_inputs was built"),
    ({"archive_observed_at": 9.0}, "full", "3 successful cave run(s) since the last refresh: MG045, MG220"),
])
def test_decide_refresh(changes, scope, reason):
    decision = decide_refresh(state(**changes))
    assert (decision.scope, decision.reason) == (scope, reason)


def test_the_run_key_names_the_last_cave_run_so_a_tick_never_repeats_a_refresh():
    assert decide_refresh(state()).run_key == "refresh:r3"
    assert decide_refresh(state(cave_runs_since=RUNS[:2])).run_key == "refresh:r2"
