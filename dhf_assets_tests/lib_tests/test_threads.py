"""Torch threads per stage (DHF_TORCH_THREADS) and per `dhf build --jobs` process."""

import pytest

from dhf_assets.lib.runtime.threads import limited_torch_threads, torch_threads
from dhf_assets.parallel import threads_per_job


@pytest.mark.parametrize(("jobs", "cores", "threads"), [(1, 2, 2), (2, 2, 1), (3, 2, 1), (2, 16, 8), (4, 1, 1)])
def test_threads_per_job_share_the_cores(jobs: int, cores: int, threads: int) -> None:
    assert threads_per_job(jobs, cores) == threads


def test_threads_per_job_refuses_zero_jobs() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        threads_per_job(0, 2)


@pytest.mark.parametrize(("value", "expected"), [("", 1), ("1", 1), ("3", 3), (" 2 ", 2)])
def test_torch_threads_setting(monkeypatch, value: str, expected: int) -> None:
    monkeypatch.setenv("DHF_TORCH_THREADS", value)
    assert torch_threads() == expected


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_a_bad_torch_threads_setting_is_a_clear_error(monkeypatch, value: str) -> None:
    monkeypatch.setenv("DHF_TORCH_THREADS", value)
    with pytest.raises(ValueError, match="DHF_TORCH_THREADS"):
        torch_threads()


def test_limited_torch_threads_restores_the_previous_count(monkeypatch) -> None:
    import torch

    before = torch.get_num_threads()
    monkeypatch.setenv("DHF_TORCH_THREADS", "1")
    with limited_torch_threads() as threads:
        assert threads == 1 and torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
