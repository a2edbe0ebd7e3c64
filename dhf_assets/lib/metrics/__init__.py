"""Quality metrics of the paper's Tables 2 and 3, free of Dagster.

* `fidelity`: PSNR, SSIM, LPIPS of the processed face against its original crop (Table 2).
* `indicators`: ESI, SNR, ED, Entropy, HFC of one image on a fixed grid (Table 3); the
  formulas and parameters are documented in that module's docstring.
* `lpips`: piq's LPIPS loaded offline from `$TORCH_HOME/hub/checkpoints/`.
* `row`: one table row per (original, processed) pair, with the reason for every NULL.
torch and piq are imported only when a fidelity metric is computed.
"""

from dhf_assets.lib.metrics.fidelity import (
    PSNR_CAP_DB,
    Fidelity,
    aligned_pair,
    content_box_for_padding,
    fidelity_metrics,
)
from dhf_assets.lib.metrics.indicators import Indicators, grey_on_grid, indicators, indicators_from_grey
from dhf_assets.lib.metrics.lpips import LpipsScorer, LpipsUnavailable, load_lpips, lpips_weight_urls
from dhf_assets.lib.metrics.row import QualityRow, band, quality_row, quality_rows

__all__ = [
    "PSNR_CAP_DB",
    "Fidelity",
    "Indicators",
    "LpipsScorer",
    "LpipsUnavailable",
    "QualityRow",
    "aligned_pair",
    "band",
    "content_box_for_padding",
    "fidelity_metrics",
    "grey_on_grid",
    "indicators",
    "indicators_from_grey",
    "load_lpips",
    "lpips_weight_urls",
    "quality_row",
    "quality_rows",
]
