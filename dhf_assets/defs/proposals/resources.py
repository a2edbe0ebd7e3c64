"""The proposal search, configured from the environment (and overridable in run config)."""

import hashlib
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
from dhf_assets.lib.settings import path_or_empty, setting


class ProposalsResource(dg.ConfigurableResource):
    """Which murals are searched for faces, by which detectors, down to which face size, in which box style."""

    scope: Literal["unannotated", "all"] = setting("DHF_PROPOSALS_SCOPE")  # type: ignore[assignment]
    detectors: str = setting("DHF_PROPOSAL_DETECTORS")
    yunet_model: str = path_or_empty("DHF_YUNET_MODEL")
    min_face_px: int = int(setting("DHF_PROPOSAL_MIN_FACE_PX"))
    box_style: Literal["head", "tight"] = setting("DHF_PROPOSAL_BOX_STYLE")  # type: ignore[assignment]
    device: str = setting("DHF_DEVICE")

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
        model_id = hashlib.sha256(model.read_bytes()).hexdigest()[:12] if model and model.is_file() else "none"
        style = STYLE_VERSION if self.box_style == "head" else "tight"
        return "|".join(["proposals-v1", self.scope, ",".join(self.names()), model_id, self.grid().version, style])


@dg.definitions
def proposals_resources() -> dg.Definitions:
    return dg.Definitions(resources={"proposer": ProposalsResource()})
