"""The proposal search, configured from the environment (and overridable in run config)."""

from pathlib import Path
from typing import Literal

import dagster as dg

from dhf_assets.lib.detect.registry import (
    PROPOSAL_DETECTORS,
    DetectorSetup,
    load_proposal_detectors,
    parse_detector_names,
)
from dhf_assets.lib.proposals.merge import STYLE_VERSION, STYLES, BoxStyle
from dhf_assets.lib.proposals.tiles import TileGrid
from dhf_assets.lib.runtime.settings import Settings
from dhf_assets.lib.storage.files import file_sha256

DEFAULT = Settings.from_env({})  # class defaults; the definitions pass the environment's settings


class ProposalsResource(dg.ConfigurableResource):
    """Which murals are searched for faces, by which detectors, down to which face size, in which box style."""

    scope: Literal["unannotated", "all"] = DEFAULT.proposals_scope  # type: ignore[assignment]
    detectors: str = DEFAULT.proposal_detectors
    yunet_model: str = DEFAULT.yunet_model
    min_face_px: int = DEFAULT.proposal_min_face_px
    box_style: Literal["head", "tight"] = DEFAULT.proposal_box_style  # type: ignore[assignment]
    device: str = DEFAULT.device

    @classmethod
    def from_settings(cls, settings: Settings) -> "ProposalsResource":
        return cls(scope=settings.proposals_scope, detectors=settings.proposal_detectors,  # type: ignore[arg-type]
                   yunet_model=settings.yunet_model, min_face_px=settings.proposal_min_face_px,
                   box_style=settings.proposal_box_style, device=settings.device)  # type: ignore[arg-type]

    def names(self) -> tuple[str, ...]:
        """`auto`: YuNet alone when its model file is set (4x faster than MTCNN, as good in bench/proposals.py),
        else MTCNN (and YuNet reported off); otherwise the listed detectors."""
        if self.detectors.strip().lower() == "auto":
            return ("yunet",) if self.yunet_model else ("mtcnn", "yunet")
        return parse_detector_names(self.detectors, PROPOSAL_DETECTORS)

    def setup(self) -> DetectorSetup:
        """The detectors, built once per process and configuration; YuNet is off without its model file."""
        return load_proposal_detectors(self.names(), self.yunet_model, self.device)

    def grid(self) -> TileGrid:
        return TileGrid(min_face_px=self.min_face_px)

    def style(self) -> dict[str, BoxStyle]:
        return STYLES[self.box_style]

    def version(self) -> str:
        """What changes the proposals (besides the murals and their boxes), for the skip fingerprint."""
        model = Path(self.yunet_model) if self.yunet_model else None
        model_id = file_sha256(model)[:12] if model and model.is_file() else "none"
        style = STYLE_VERSION if self.box_style == "head" else "tight"
        return "|".join(["proposals-v1", self.scope, ",".join(self.names()), model_id, self.grid().version, style])

