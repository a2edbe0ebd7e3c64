"""Building the configured detectors once per process, and saying plainly which are off and why."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from .types import FaceDetector, WeightsMissingError

KNOWN_DETECTORS = ("mtcnn", "retinaface")
PROPOSAL_DETECTORS = ("mtcnn", "yunet")  # whole-mural proposals (lib/proposals)


@dataclass(frozen=True)
class DetectorSetup:
    detectors: tuple[FaceDetector, ...]
    off: dict[str, str]  # detector name -> why it is not running

    @property
    def summary(self) -> str:
        running = ", ".join(f"{d.name} ({d.weights_id})" for d in self.detectors) or "none"
        off = "; ".join(f"{name} off: {why}" for name, why in self.off.items())
        return f"running: {running}" + (f"; {off}" if off else "")


def parse_detector_names(text: str, known: tuple[str, ...] = KNOWN_DETECTORS) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(n.strip().lower() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown detector(s) {', '.join(unknown)} (known: {', '.join(known)})")
    return names


@functools.lru_cache(maxsize=4)
def load_detectors(names: tuple[str, ...], backbone: str, weights: str, device: str, batch_size: int) -> DetectorSetup:
    """The enabled detectors, models loaded once per process for a given configuration.

    RetinaFace without a weights file is off (its weights cannot ship with dhf); the reason says
    what to set. MTCNN's weights ship inside facenet-pytorch.
    """
    detectors: list[FaceDetector] = []
    off: dict[str, str] = {}
    if "mtcnn" in names:
        from .mtcnn import build_mtcnn

        detectors.append(build_mtcnn(device=device, batch_size=batch_size))
    if "retinaface" in names:
        if not weights:
            off["retinaface"] = "no weights: set DHF_RETINAFACE_WEIGHTS to a local weights file (see README)"
        else:
            from .retinaface import build_retinaface

            try:
                detectors.append(build_retinaface(backbone, weights, device=device, batch_size=batch_size))
            except WeightsMissingError as exc:
                off["retinaface"] = str(exc)
    return DetectorSetup(tuple(detectors), off)


@functools.lru_cache(maxsize=4)
def load_proposal_detectors(names: tuple[str, ...], yunet_model: str, device: str) -> DetectorSetup:
    """The detectors that search whole murals, loaded once per process and configuration.

    YuNet without a model file is off (it cannot ship with dhf); the reason says what to set.
    """
    detectors: list[FaceDetector] = []
    off: dict[str, str] = {}
    if "mtcnn" in names:
        from .mtcnn import build_mtcnn

        detectors.append(build_mtcnn(device=device, batch_size=1))
    if "yunet" in names:
        from .yunet import MODEL_HELP, build_yunet

        if not yunet_model:
            off["yunet"] = f"no model file: {MODEL_HELP}"
        else:
            try:
                detectors.append(build_yunet(yunet_model))
            except WeightsMissingError as exc:
                off["yunet"] = str(exc)
    return DetectorSetup(tuple(detectors), off)
