"""Shared fixtures: where ../shared is, and a private environment per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(os.environ.get("DHF_SHARED_DIR", REPO_ROOT.parent / "shared"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
# Sensors and the schedule start on in a user's instance; a test starts the ones it needs explicitly.
os.environ.setdefault("DHF_AUTOMATION_DEFAULT", "stopped")


def shared_path(*parts: str) -> Path:
    """A path under ../shared; fails under DHF_REQUIRE_SHARED=1 when missing, else skips."""
    path = SHARED_DIR.joinpath(*parts)
    if not path.exists():
        message = f"{path} is missing (tests read ../shared/ beside the checkout)"
        if os.environ.get("DHF_REQUIRE_SHARED") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def shared():
    """Call `shared("testdata", "faces", "ivan.jpg")` to get a file of ../shared."""
    return shared_path



@pytest.fixture(autouse=True)
def _no_leftover_defs_state_storage():
    """Each test starts and ends without a DagsterInstance in Dagster's context-global state storage.

    Entering a DagsterInstance (instance_for_test, or an evaluation context built from an instance
    ref) sets a context variable that DagsterInstance.dispose() never resets; a later definitions
    load in this process would then meet a disposed instance ("undefined DagsterInstance weakref").
    """
    from dagster._core.storage.defs_state import base

    base._current_storage.set(None)
    yield
    base._current_storage.set(None)
