"""The restorer: a compact residual CNN that works on 2×2 pixel blocks (a space-to-depth
"pixel unshuffle" of the input, as in ESPCN's sub-pixel layout run backwards) and rebuilds
the output with a sub-pixel convolution (ESPCN, Shi et al., CVPR 2016), with EDSR-style
residual blocks without batch normalisation (Lim et al., CVPRW 2017).

Working on 2×2 blocks quarters the pixels every convolution visits and doubles each
layer's reach: at the defaults (32 features, 3 blocks, about 70 k parameters) an output
pixel sees ±19 input pixels — more than two 8×8 coding blocks, which deblocking needs —
for about 18 k multiply-adds per input pixel, a third of a full-resolution network of
the same depth.

The network predicts a correction to the bicubically upsampled input (global residual), so
an untrained network already outputs a plain upscale, and training only has to learn what
the codec, the noise and the downscale took away. ×1 models add the correction to the
input. Inputs need even height and width (the 2×2 blocks).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

#: Side of the pixel blocks the body works on.
BLOCK = 2


class ResidualBlock(nn.Module):
    def __init__(self, features: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(features, features, 3, padding=1)
        self.conv2 = nn.Conv2d(features, features, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(F.relu(self.conv1(x)))


class Restorer(nn.Module):
    """(N, 3, H, W) R'G'B' in [0, 1], H and W even → (N, 3, s·H, s·W)."""

    def __init__(self, scale: int = 2, features: int = 32, blocks: int = 3) -> None:
        super().__init__()
        self.scale = scale
        self.head = nn.Conv2d(3 * BLOCK * BLOCK, features, 3, padding=1)
        self.body = nn.Sequential(*(ResidualBlock(features) for _ in range(blocks)))
        out_block = BLOCK * scale
        self.tail = nn.Conv2d(features, 3 * out_block * out_block, 3, padding=1)
        # Start from "no correction" so early training cannot make the picture worse.
        nn.init.zeros_(self.tail.weight)
        nn.init.zeros_(self.tail.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = F.relu(self.head(F.pixel_unshuffle(x, BLOCK)))
        correction = F.pixel_shuffle(self.tail(self.body(features) + features), BLOCK * self.scale)
        if self.scale == 1:
            return x + correction
        base = F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False)
        return base + correction


def receptive_radius(blocks: int = 3) -> int:
    """Input pixels on each side that influence one output pixel: every 3×3 convolution
    reaches one block (two pixels) further; one more for the block phase and two for the
    bicubic base."""
    convolutions = 1 + 2 * blocks + 1  # head, blocks, tail
    return BLOCK * convolutions + 3
