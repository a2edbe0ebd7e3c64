"""A hook for the crash tests: stop a build at a named point so that a SIGKILL lands exactly there."""

from __future__ import annotations

import os
import time

# `DHF_TEST_HOLD=<point>=<marker file>`: the process that reaches <point> (`tx:<table>` inside the DuckDB
# transaction that replaces <table>, `slot:<step>` while the step holds its pool slot, `check:<name>` when an
# asset check starts) writes its pid into the marker file and waits there until it is killed. Only once per
# marker file: a rerun with the same setting goes on normally. Unset in every real run.
HOLD_ENV = "DHF_TEST_HOLD"


def hold_if_asked(point: str) -> None:
    """Wait forever at `point` when the crash tests asked for it (see HOLD_ENV)."""
    wanted, _, marker = os.environ.get(HOLD_ENV, "").partition("=")
    if not wanted or wanted != point:
        return
    try:
        with open(marker, "x") as handle:
            handle.write(str(os.getpid()))
    except FileExistsError:
        return
    while True:
        time.sleep(1)
