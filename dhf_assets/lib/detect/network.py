"""RetinaFace networks: retinaface-pytorch's FPN, SSH, heads and forward on a chosen backbone."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

from torch import nn

from dhf_assets.lib.runtime.torch_compat import ensure_torchvision

# retinaface-pytorch's package imports albumentations in places, which phones home on import
# unless told not to; nothing here may reach the network.
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
ensure_torchvision()  # must run before anything imports torchvision (retinaface.network does)

from retinaface.net import FPN, SSH  # noqa: E402
from retinaface.network import RetinaFace  # noqa: E402
from torchvision.models import resnet50  # noqa: E402
from torchvision.models._utils import IntermediateLayerGetter  # noqa: E402

from dhf_assets.lib.detect.mobilenet import STAGE_CHANNELS, MobileNetV1Body  # noqa: E402


@dataclass(frozen=True)
class Variant:
    """What a set of weights was trained with: priors, input colour order and normalisation."""

    backbone: str
    min_sizes: tuple[tuple[int, int], ...]  # prior sizes in input pixels, per feature level
    steps: tuple[int, ...]  # feature strides
    variance: tuple[float, float]
    bgr: bool  # channel order fed to the network
    mean: tuple[float, float, float]  # in 0..255 units, in the fed channel order
    std: tuple[float, float, float]  # in 0..255 units
    stage_channels: tuple[int, int, int]
    out_channels: int
    relu_neck: bool  # FPN/SSH trained with plain ReLU where the package would use LeakyReLU 0.1
    make_body: Callable[[], nn.Module]


def _resnet50_body() -> nn.Module:
    # weights=None: a bare ResNet-50; the RetinaFace weights file supplies every parameter, and
    # asking for ImageNet weights would try to download them.
    return IntermediateLayerGetter(resnet50(weights=None), {"layer2": 1, "layer3": 2, "layer4": 3})


VARIANTS: dict[str, Variant] = {
    # As retinaface-pytorch's predict_single.Model: RGB, albumentations' Normalize (ImageNet
    # mean/std on 0..1), priors [[16, 32], [64, 128], [256, 512]].
    "resnet50": Variant(
        backbone="resnet50",
        min_sizes=((16, 32), (64, 128), (256, 512)),
        steps=(8, 16, 32),
        variance=(0.1, 0.2),
        bgr=False,
        mean=(0.485 * 255, 0.456 * 255, 0.406 * 255),
        std=(0.229 * 255, 0.224 * 255, 0.225 * 255),
        stage_channels=(512, 1024, 2048),
        out_channels=256,
        relu_neck=False,  # out_channels 256: the package already uses slope 0 in FPN/SSH
        make_body=_resnet50_body,
    ),
    # As ../shared/weights/README.md: BGR minus (104, 117, 123), no scaling; smaller priors
    # (with the ResNet-50 ones every box comes out about 1.6 times too large).
    "mobilenet0.25": Variant(
        backbone="mobilenet0.25",
        min_sizes=((10, 20), (32, 64), (128, 256)),
        steps=(8, 16, 32),
        variance=(0.1, 0.2),
        bgr=True,
        mean=(104.0, 117.0, 123.0),
        std=(1.0, 1.0, 1.0),
        stage_channels=STAGE_CHANNELS,
        out_channels=64,
        # biubug6's FPN and SSH compute a 0.1 slope for <= 64 channels but never pass it on:
        # their activations are ReLU. The package does pass it on, so it is undone here.
        relu_neck=True,
        make_body=MobileNetV1Body,
    ),
}


class RetinaFaceNet(RetinaFace):
    """retinaface-pytorch's RetinaFace with the body passed in; forward() is the package's own.

    The parameter names (body.*, fpn.*, ssh1-3.*, ClassHead/BboxHead/LandmarkHead.*) are the
    package's, so its weights and biubug6's load unchanged.
    """

    def __init__(
        self, body: nn.Module, stage_channels: tuple[int, int, int], out_channels: int
    ) -> None:
        nn.Module.__init__(self)  # not RetinaFace.__init__: it builds (only) a ResNet-50 body
        self.body = body
        self.fpn = FPN(list(stage_channels), out_channels)
        self.ssh1 = SSH(out_channels, out_channels)
        self.ssh2 = SSH(out_channels, out_channels)
        self.ssh3 = SSH(out_channels, out_channels)
        self.ClassHead = RetinaFace._make_class_head(fpn_num=3, in_channels=out_channels)
        self.BboxHead = RetinaFace._make_bbox_head(fpn_num=3, in_channels=out_channels)
        self.LandmarkHead = RetinaFace._make_landmark_head(fpn_num=3, in_channels=out_channels)


def variant(backbone: str) -> Variant:
    if backbone not in VARIANTS:
        known = ", ".join(sorted(VARIANTS))
        raise ValueError(f"unknown RetinaFace backbone {backbone!r}; choose one of: {known}")
    return VARIANTS[backbone]


def build_network(backbone: str) -> RetinaFaceNet:
    """A RetinaFace with random weights for `backbone`; nothing is downloaded."""
    spec = variant(backbone)
    net = RetinaFaceNet(spec.make_body(), spec.stage_channels, spec.out_channels)
    if spec.relu_neck:
        for module in net.modules():
            if isinstance(module, nn.LeakyReLU):
                module.negative_slope = 0.0
    return net
