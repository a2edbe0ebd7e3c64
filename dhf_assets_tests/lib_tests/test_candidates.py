import math

import pytest

from dhf_assets.lib.detect.candidates import LANDMARK_TOLERANCE_PX, decide, detection_row
from dhf_assets.lib.detect.types import Detection, ImageDetections

CROP = (100, 120)  # width, height
INSIDE = ((30.0, 40.0), (70.0, 40.0), (50.0, 60.0), (35.0, 85.0), (65.0, 85.0))


def found(detector: str, *scores: float, landmarks=INSIDE, weights: str = "w1") -> ImageDetections:
    detections = tuple(Detection(s, (10.0, 10.0, 90.0, 110.0), landmarks) for s in sorted(scores, reverse=True))
    return ImageDetections(detector, weights, detections)


@pytest.mark.parametrize(
    "score, status",
    [(0.9, "candidate"), (0.895, "dropped"), (0.8999999, "dropped"), (0.9000001, "candidate"), (1.0, "candidate")],
)
def test_threshold_compares_full_precision(score, status):
    decision = decide({"mtcnn": found("mtcnn", score)}, CROP)
    assert decision.status == status
    assert decision.best_score == score and decision.best_detector == "mtcnn"


def test_reason_prints_three_decimals_but_never_a_misleading_round():
    assert decide({"mtcnn": found("mtcnn", 0.895)}, CROP).reason == "mtcnn(w1): best score 0.895 < 0.9"
    reason = decide({"mtcnn": found("mtcnn", 0.89996)}, CROP).reason
    assert reason == "mtcnn(w1): best score 0.89996 < 0.9"  # not "0.900 < 0.9"


@pytest.mark.parametrize(
    "mtcnn_score, retina_score, rule, status",
    [
        (0.95, 0.5, "any", "candidate"),
        (0.95, 0.5, "all", "dropped"),
        (0.95, 0.93, "all", "candidate"),
        (0.5, 0.6, "any", "dropped"),
    ],
)
def test_any_versus_all(mtcnn_score, retina_score, rule, status):
    results = {"mtcnn": found("mtcnn", mtcnn_score), "retinaface": found("retinaface", retina_score)}
    assert decide(results, CROP, rule=rule).status == status


def test_dropped_reason_names_every_refusing_detector():
    results = {
        "mtcnn": ImageDetections("mtcnn", "", ()),
        "retinaface": found("retinaface", 0.874, 0.2, weights="mobilenet0.25"),
    }
    decision = decide(results, CROP)
    assert decision.status == "dropped"
    assert decision.reason == "mtcnn: no face found; retinaface(mobilenet0.25): best score 0.874 < 0.9"
    assert decision.best_detector == "retinaface" and decision.best_score == 0.874


def test_failed_detector_is_named_and_counts_as_refusal_under_all():
    results = {"mtcnn": None, "retinaface": found("retinaface", 0.99)}
    assert decide(results, CROP, rule="any").status == "candidate"
    decision = decide(results, CROP, rule="all")
    assert decision.status == "dropped" and decision.reason == "mtcnn: detector failed on this crop"


@pytest.mark.parametrize(
    "landmarks, outside",
    [
        (((30.0, 40.0), (70.0, 40.0), (50.0, 60.0), (35.0, 125.0), (65.0, 130.0)), 2),  # mouth below the crop
        (((-5.0, 40.0), (70.0, 40.0), (50.0, 60.0), (35.0, 85.0), (65.0, 85.0)), 1),
        (((math.nan, 40.0), (70.0, 40.0), (50.0, 60.0), (35.0, 85.0), (65.0, 85.0)), 1),
    ],
)
def test_landmarks_outside_the_crop_drop_it(landmarks, outside):
    decision = decide({"retinaface": found("retinaface", 0.99, landmarks=landmarks, weights="")}, CROP)
    assert decision.status == "dropped"
    assert decision.reason == f"retinaface: landmarks outside the crop ({outside} of 5)"


def test_landmarks_within_the_tolerance_count_as_inside():
    edge = 100 + LANDMARK_TOLERANCE_PX
    landmarks = ((-LANDMARK_TOLERANCE_PX, 0.0), (edge, 0.0), (50.0, 60.0), (0.0, 120.0), (100.0, 120.0))
    assert decide({"mtcnn": found("mtcnn", 0.99, landmarks=landmarks)}, CROP).status == "candidate"


def test_candidate_reports_the_accepting_detector_even_when_another_scores_higher():
    outside = ((30.0, 40.0), (70.0, 40.0), (50.0, 60.0), (35.0, 300.0), (65.0, 85.0))
    results = {"mtcnn": found("mtcnn", 0.999, landmarks=outside), "retinaface": found("retinaface", 0.95)}
    decision = decide(results, CROP)
    assert (decision.status, decision.best_detector, decision.best_score, decision.reason) == (
        "candidate", "retinaface", 0.95, None)


def test_no_enabled_detector_is_an_error():
    with pytest.raises(ValueError, match="no detectors are enabled"):
        decide({}, CROP)


@pytest.mark.parametrize("kwargs", [{"rule": "most"}, {"threshold": 1.5}])
def test_bad_settings_are_errors(kwargs):
    with pytest.raises(ValueError):
        decide({"mtcnn": found("mtcnn", 0.99)}, CROP, **kwargs)


def test_detection_row_is_flat():
    row = detection_row("mtcnn", found("mtcnn", 0.97, 0.3))
    assert row == {
        "detector": "mtcnn", "weights_id": "w1", "failed": False, "n_faces": 2, "best_score": 0.97,
        "box": [10.0, 10.0, 90.0, 110.0], "landmarks": [30.0, 40.0, 70.0, 40.0, 50.0, 60.0, 35.0, 85.0, 65.0, 85.0],
    }
    failed = detection_row("retinaface", None)
    assert failed["failed"] is True and failed["best_score"] is None and failed["landmarks"] is None
    empty = detection_row("retinaface", ImageDetections("retinaface", "r", ()))
    assert empty["n_faces"] == 0 and empty["box"] is None
