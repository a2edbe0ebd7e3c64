"""MobileNetV1 x0.25, the backbone of the 1 MB RetinaFace (biubug6/Face-Detector-1MB-with-landmark).

retinaface-pytorch has only a ResNet-50 body; this one is written so that its parameter names and
shapes are exactly those under `body.` in `mobilenet0.25_Final.pth`: three Sequential stages of
retinaface-pytorch's own `conv_bn`/`conv_dw` blocks. biubug6's blocks use plain ReLU (not the
LeakyReLU 0.1 of the original Pytorch_Retinaface), so the blocks get negative slope 0.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from retinaface.net import conv_bn, conv_dw
from torch import nn

_LEAKY = 0.0  # LeakyReLU(0) is ReLU, as the weights were trained

# (in, out, stride) of each depthwise-separable block. Strides put stage1/2/3 at 8/16/32, the
# strides the RetinaFace priors are laid out for.
_STAGE1 = ((8, 16, 1), (16, 32, 2), (32, 32, 1), (32, 64, 2), (64, 64, 1))
_STAGE2 = ((64, 128, 2),) + ((128, 128, 1),) * 5
_STAGE3 = ((128, 256, 2), (256, 256, 1))

# Channels of the three returned feature maps, for the FPN.
STAGE_CHANNELS = (64, 128, 256)


def _blocks(spec: tuple[tuple[int, int, int], ...]) -> list[nn.Module]:
    return [conv_dw(cin, cout, stride, leaky=_LEAKY) for cin, cout, stride in spec]


class MobileNetV1Body(nn.Module):
    """Returns the stage1, stage2, stage3 feature maps, in that order, as the FPN expects."""

    def __init__(self) -> None:
        super().__init__()
        self.stage1 = nn.Sequential(conv_bn(3, 8, stride=2, leaky=_LEAKY), *_blocks(_STAGE1))
        self.stage2 = nn.Sequential(*_blocks(_STAGE2))
        self.stage3 = nn.Sequential(*_blocks(_STAGE3))

    def forward(self, x: torch.Tensor) -> "OrderedDict[str, torch.Tensor]":
        stage1 = self.stage1(x)
        stage2 = self.stage2(stage1)
        stage3 = self.stage3(stage2)
        # The FPN reads `list(x.values())`: the order, not the names, matters.
        return OrderedDict((("stage1", stage1), ("stage2", stage2), ("stage3", stage3)))
