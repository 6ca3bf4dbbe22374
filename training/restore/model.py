"""The restorer: a compact residual CNN that works at the input's resolution and
upsamples at the end with a sub-pixel convolution (ESPCN, Shi et al., CVPR 2016), with
EDSR-style residual blocks without batch normalisation (Lim et al., CVPRW 2017).

The network predicts a correction to the bilinearly upsampled input (global residual), so
an untrained network already outputs a plain upscale and training only has to learn what
the codec, the noise and the downscale took away. ×1 models have no upsampling: the
correction is added to the input.

About 34 k parameters at the defaults (24 features, 4 blocks): small enough to run at
several frames per second on two CPU cores at 960×540 → 1920×1080, large enough to
remove blocking, ringing, noise and banding together.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class ResidualBlock(nn.Module):
    def __init__(self, features: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(features, features, 3, padding=1)
        self.conv2 = nn.Conv2d(features, features, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(F.relu(self.conv1(x)))


class Restorer(nn.Module):
    """(N, 3, H, W) R'G'B' in [0, 1] → (N, 3, s·H, s·W)."""

    def __init__(self, scale: int = 2, features: int = 24, blocks: int = 4) -> None:
        super().__init__()
        self.scale = scale
        self.head = nn.Conv2d(3, features, 3, padding=1)
        self.body = nn.Sequential(*(ResidualBlock(features) for _ in range(blocks)))
        self.tail = nn.Conv2d(features, 3 * scale * scale, 3, padding=1)
        # Start from "no correction" so early training cannot make the picture worse.
        nn.init.zeros_(self.tail.weight)
        nn.init.zeros_(self.tail.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = F.relu(self.head(x))
        correction = self.tail(self.body(features) + features)
        if self.scale == 1:
            return x + correction
        base = F.interpolate(x, scale_factor=self.scale, mode="bilinear", align_corners=False)
        return base + F.pixel_shuffle(correction, self.scale)


def receptive_radius(blocks: int = 4) -> int:
    """Input pixels on each side that influence one output pixel (3×3 convs)."""
    return 1 + 2 * blocks + 1 + 1  # head, blocks, tail, bilinear base
