"""The face detectors, configured from the environment (and overridable in run config)."""

from pathlib import Path

import dagster as dg

from dhf_assets.lib.detect.registry import DetectorSetup, load_detectors, parse_detector_names
from dhf_assets.lib.files import file_sha256
from dhf_assets.lib.scoring import CROP_SEARCH_VERSION
from dhf_assets.lib.settings import path_or_empty, setting


class DetectorsResource(dg.ConfigurableResource):
    """Which detectors score crops (MTCNN, RetinaFace), their weights, device and batch size."""

    detectors: str = setting("DHF_DETECTORS")
    retinaface_backbone: str = setting("DHF_RETINAFACE_BACKBONE")
    retinaface_weights: str = path_or_empty("DHF_RETINAFACE_WEIGHTS")
    device: str = setting("DHF_DEVICE")
    batch_size: int = int(setting("DHF_DETECT_BATCH"))

    def setup(self) -> DetectorSetup:
        """The detectors, built once per process and configuration."""
        names = parse_detector_names(self.detectors)
        return load_detectors(names, self.retinaface_backbone, self.retinaface_weights, self.device, self.batch_size)


def candidates_code_version() -> str:
    """What changes candidate results (detectors, weights, crop search, threshold, rule), as a code version.

    Changing any of them in the environment makes `face_candidates` stale in the UI.
    """
    weights = path_or_empty("DHF_RETINAFACE_WEIGHTS")
    weights_id = "none"
    if weights and Path(weights).is_file():
        weights_id = file_sha256(Path(weights))[:12]
    parts = ["candidates-v1", CROP_SEARCH_VERSION, setting("DHF_DETECTORS"), setting("DHF_RETINAFACE_BACKBONE"),
             weights_id, setting("DHF_CANDIDATE_THRESHOLD"), setting("DHF_CANDIDATE_RULE")]
    return "|".join(parts)
