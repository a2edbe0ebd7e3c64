"""How many CPU threads torch uses while a stage scores or measures crops (`DHF_TORCH_THREADS`).

Crops are small: an MTCNN pyramid starts at 40 px, RetinaFace sees 256 px, SSIM runs on a 350 px
crop, so intra-op threads have little to split. On a shared 2-core machine they cost far more than
they give: measured with both detectors on paper-size crops, 2 threads spent 10-30x the CPU time
of 1 thread (threads spinning while they wait for each other), so the default is 1. Parallelism
comes from caves built at once instead (`dhf build --jobs N`, which gives each process cores / N).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from dhf_assets.lib.runtime.settings import current_settings


def torch_threads() -> int:
    """The configured torch thread count (at least 1); a clear error for a bad value."""
    threads = current_settings().torch_threads  # a SettingError (a ValueError) names a non-number
    if threads < 1:
        raise ValueError(f"DHF_TORCH_THREADS must be a whole number of at least 1, got {threads!r}")
    return threads


@contextlib.contextmanager
def limited_torch_threads() -> Iterator[int]:
    """Run the body with `torch_threads()` intra-op threads, then restore the previous count."""
    import torch

    wanted, previous = torch_threads(), torch.get_num_threads()
    if wanted != previous:
        torch.set_num_threads(wanted)
    try:
        yield wanted
    finally:
        if torch.get_num_threads() != previous:
            torch.set_num_threads(previous)
