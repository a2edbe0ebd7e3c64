"""The face detectors, configured from the environment (and overridable in run config)."""

from pathlib import Path

import dagster as dg

from dhf_assets.lib.detect.registry import DetectorSetup, load_detectors, parse_detector_names
from dhf_assets.lib.detect.scoring import CROP_SEARCH_VERSION
from dhf_assets.lib.runtime.settings import Settings, current_settings
from dhf_assets.lib.storage.files import file_sha256

DEFAULT = Settings.from_env({})  # class defaults; the definitions pass the environment's settings


class DetectorsResource(dg.ConfigurableResource):
    """Which detectors score crops (MTCNN, RetinaFace), their weights, device and batch size."""

    detectors: str = DEFAULT.detectors
    retinaface_backbone: str = DEFAULT.retinaface_backbone
    retinaface_weights: str = DEFAULT.retinaface_weights
    device: str = DEFAULT.device
    batch_size: int = DEFAULT.detect_batch

    @classmethod
    def from_settings(cls, settings: Settings) -> "DetectorsResource":
        return cls(detectors=settings.detectors, retinaface_backbone=settings.retinaface_backbone,
                   retinaface_weights=settings.retinaface_weights, device=settings.device,
                   batch_size=settings.detect_batch)

    def setup(self) -> DetectorSetup:
        """The detectors, built once per process and configuration."""
        names = parse_detector_names(self.detectors)
        return load_detectors(names, self.retinaface_backbone, self.retinaface_weights, self.device, self.batch_size)


def candidates_code_version() -> str:
    """What changes candidate results (detectors, weights, crop search, threshold, rule), as a code version.

    Changing any of them in the environment makes `face_candidates` stale in the UI.
    """
    settings = current_settings()
    weights = settings.retinaface_weights
    weights_id = "none"
    if weights and Path(weights).is_file():
        weights_id = file_sha256(Path(weights))[:12]
    parts = ["candidates-v1", CROP_SEARCH_VERSION, settings.detectors, settings.retinaface_backbone,
             weights_id, settings.value("DHF_CANDIDATE_THRESHOLD"), settings.candidate_rule]
    return "|".join(parts)
