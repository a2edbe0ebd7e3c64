"""One row of the quality table: Table 2 fidelity plus Table 3 indicators for a face pair.

Indicators of the processed image are taken on its content box (the padding added to make
the crop square would otherwise count as flat area), so "low" and "high" describe the same
face; both are measured on the fixed grid of `indicators.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

from PIL import Image

from dhf_assets.lib.metrics.fidelity import Box, aligned_pair, fidelity_metrics
from dhf_assets.lib.metrics.indicators import INDICATOR_NAMES, indicators
from dhf_assets.lib.metrics.lpips import TOO_SMALL_REASON, LpipsScorer

BAND_LOW = "~512"
BAND_HIGH = "512~"


class QualityRow(TypedDict):
    psnr: float | None
    ssim: float | None
    lpips: float | None
    esi_low: float | None
    esi_high: float | None
    snr_low: float | None
    snr_high: float | None
    ed_low: float | None
    ed_high: float | None
    entropy_low: float | None
    entropy_high: float | None
    hfc_low: float | None
    hfc_high: float | None
    band: str
    null_reasons: dict[str, str]


def band(width: int, height: int) -> str:
    """Resolution band of Table 2, from the original crop's size."""
    return BAND_LOW if max(width, height) <= 512 else BAND_HIGH


def _content(processed: Image.Image, content_box: Box | None) -> Image.Image:
    if content_box is None:
        return processed
    return processed.crop(tuple(round(v) for v in content_box))


def quality_row(
    original: Image.Image,
    processed: Image.Image,
    lpips: LpipsScorer | None = None,
    content_box: Box | None = None,
) -> QualityRow:
    """All metrics for one (original crop, processed image) pair; NULLs carry a reason."""
    fidelity = fidelity_metrics(original, processed, lpips, content_box)
    low = indicators(original)
    high = indicators(_content(processed, content_box))
    reasons = dict(fidelity["null_reasons"])
    values: dict[str, object] = {k: fidelity[k] for k in ("psnr", "ssim", "lpips")}
    for name in INDICATOR_NAMES:  # esi_low, esi_high, snr_low, ...: the column order of Table 3
        for suffix, result in (("low", low), ("high", high)):
            values[f"{name}_{suffix}"] = result[name]
            if name in result["null_reasons"]:
                reasons[f"{name}_{suffix}"] = result["null_reasons"][name]
    values["band"] = band(original.width, original.height)
    values["null_reasons"] = reasons
    return QualityRow(**values)  # type: ignore[typeddict-item]


def quality_rows(
    pairs: Sequence[tuple[Image.Image, Image.Image, Box | None]],
    lpips: LpipsScorer | None = None,
) -> list[QualityRow]:
    """`quality_row` for many pairs, with LPIPS scored in batches (same values, fewer calls)."""
    rows = [quality_row(original, processed, None, box) for original, processed, box in pairs]
    if lpips is None:
        return rows
    usable = [i for i, row in enumerate(rows) if row["psnr"] is not None]
    scores = lpips.score_batch([aligned_pair(*pairs[i]) for i in usable])
    for i, score in zip(usable, scores):
        rows[i]["lpips"] = score
        rows[i]["null_reasons"].pop("lpips", None)
        if score is None:
            rows[i]["null_reasons"]["lpips"] = TOO_SMALL_REASON
    return rows
