"""The candidate rule: which face crops go to expert review, and why the others do not.

A detector *accepts* a crop when its best detection scores at least `threshold` and all five
landmarks of that detection lie inside the crop. Scores are compared at full precision (0.895
is below 0.9); reasons print them with three decimals only for reading.

Landmarks may sit up to LANDMARK_TOLERANCE_PX outside the crop edge and still count as inside:
detectors regress landmarks as real numbers, and a point a pixel past the border of a tight crop
is rounding noise, not a face that is cut off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Mapping

from dhf_assets.lib.detect.types import Detection, ImageDetections

LANDMARK_TOLERANCE_PX: float = 2.0
EXPECTED_LANDMARKS: int = 5

Rule = Literal["any", "all"]
Status = Literal["candidate", "dropped"]


@dataclass(frozen=True)
class Decision:
    status: Status
    reason: str | None  # set for every dropped crop: each detector and why it did not accept
    best_score: float | None  # highest best score, preferring detectors that accepted
    best_detector: str | None


def _label(name: str, result: ImageDetections | None) -> str:
    # The weights are named in reasons because the same detector with other weights scores differently.
    if result is not None and result.weights_id:
        return f"{name}({result.weights_id})"
    return name


def _best(result: ImageDetections) -> Detection | None:
    # Do not trust the sort order blindly; a NaN score can never be a best detection.
    finite = [d for d in result.detections if math.isfinite(d.score)]
    return max(finite, key=lambda d: d.score) if finite else None


def _landmarks_outside(detection: Detection, crop_size: tuple[int, int]) -> int:
    width, height = crop_size
    tol = LANDMARK_TOLERANCE_PX
    outside = 0
    for x, y in detection.landmarks:
        inside = (
            math.isfinite(x) and math.isfinite(y)
            and -tol <= x <= width + tol and -tol <= y <= height + tol
        )
        outside += 0 if inside else 1
    return outside


def _score_text(score: float, threshold: float) -> str:
    # Three decimals read well, but 0.89996 must not print as "0.900 < 0.9": then show it all.
    text = f"{score:.3f}"
    return text if float(text) < threshold else repr(score)


def refusal(result: ImageDetections | None, crop_size: tuple[int, int], threshold: float) -> str | None:
    """Why this detector does not accept the crop, or None when it accepts."""
    if result is None:
        return "detector failed on this crop"
    best = _best(result)
    if best is None:
        return "no face found"
    if not best.score >= threshold:
        return f"best score {_score_text(best.score, threshold)} < {threshold:g}"
    if len(best.landmarks) != EXPECTED_LANDMARKS:
        return f"expected {EXPECTED_LANDMARKS} landmarks, got {len(best.landmarks)}"
    outside = _landmarks_outside(best, crop_size)
    if outside:
        return f"landmarks outside the crop ({outside} of {EXPECTED_LANDMARKS})"
    return None


def decide(
    results: Mapping[str, ImageDetections | None],
    crop_size: tuple[int, int],
    threshold: float = 0.9,
    rule: Rule = "any",
) -> Decision:
    """Apply the rule to one crop; `results` maps each enabled detector to its result (None = failed)."""
    if not results:
        raise ValueError(
            "no detectors are enabled: enable at least one of mtcnn / retinaface to decide candidates"
        )
    if rule not in ("any", "all"):
        raise ValueError(f"unknown candidate rule {rule!r} (expected 'any' or 'all')")
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold {threshold!r} must be between 0 and 1")
    refusals = {name: refusal(result, crop_size, threshold) for name, result in results.items()}
    accepted = [name for name, why in refusals.items() if why is None]
    ok = bool(accepted) if rule == "any" else len(accepted) == len(results)

    # Report the strongest accepting detector; for a dropped crop, the closest miss.
    pool = accepted or list(results)
    best_score: float | None = None
    best_detector: str | None = None
    for name in pool:  # in enabled order, so ties resolve deterministically
        result = results[name]
        best = _best(result) if result is not None else None
        if best is not None and (best_score is None or best.score > best_score):
            best_score, best_detector = best.score, name

    if ok:
        return Decision("candidate", None, best_score, best_detector)
    reason = "; ".join(
        f"{_label(name, results[name])}: {why}" for name, why in refusals.items() if why is not None
    )
    return Decision("dropped", reason, best_score, best_detector)


def detection_row(name: str, result: ImageDetections | None) -> dict[str, object]:
    """One flat table row for one detector on one crop (None values when it failed or found nothing)."""
    best = _best(result) if result is not None else None
    landmarks: list[float] | None = None
    if best is not None:
        landmarks = [float(v) for point in best.landmarks for v in point]
    return {
        "detector": name,
        "weights_id": result.weights_id if result is not None else None,
        "failed": result is None,
        "n_faces": len(result.detections) if result is not None else None,
        "best_score": float(best.score) if best is not None else None,
        "box": [float(v) for v in best.box] if best is not None else None,  # x1, y1, x2, y2
        "landmarks": landmarks,  # x, y of left eye, right eye, nose, mouth left, mouth right
    }
