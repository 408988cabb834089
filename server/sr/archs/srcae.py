"""SRCAE: the super-resolution convolutional auto-encoder of GameWorks Materials & Textures.

In block (5x5 conv), N Down blocks (two 3x3 convs, then a stride-2 conv that doubles the
features), N+S Up blocks (two 3x3 convs, then a stride-2 transposed conv that halves them),
Out block (features to RGB, optional clipping). The S extra Up blocks give the scale 2**S.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .base import ArchFamily, StateDict, count_indexed, has_keys


@dataclass(frozen=True)
class SRCAEParams:
    """SRCAE hyper-parameters."""

    features: int = 32
    """Channels after the In block; each Down block doubles them, each Up block halves them."""
    depth: int = 2
    """N, the number of Down blocks."""
    min_features: int = 8
    """Floor on the channel count of the extra Up blocks."""
    clip: bool = True
    """Clamp the output to [0, 1] at inference."""


def _down_block(channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(channels, channels * 2, 3, stride=2, padding=1), nn.ReLU(inplace=True),
    )


def _up_block(channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(inplace=True),
        nn.ConvTranspose2d(channels, out_channels, 3, stride=2, padding=1, output_padding=1),
        nn.ReLU(inplace=True),
    )


class SRCAE(nn.Module):
    """Conv auto-encoder whose decoder has `log2(scale)` more stages than its encoder."""

    def __init__(self, scale: int, params: SRCAEParams) -> None:
        super().__init__()
        self.scale = scale
        self.multiple = 2**params.depth
        self.clip = params.clip
        extra = scale.bit_length() - 1
        self.in_block = nn.Conv2d(3, params.features, 5, padding=2)
        channels = params.features
        downs = []
        for _ in range(params.depth):
            downs.append(_down_block(channels))
            channels *= 2
        self.down_blocks = nn.ModuleList(downs)
        ups = []
        for _ in range(params.depth + extra):
            reduced = max(channels // 2, params.min_features)
            ups.append(_up_block(channels, reduced))
            channels = reduced
        self.up_blocks = nn.ModuleList(ups)
        self.out_block = nn.Conv2d(channels, 3, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        pad_h, pad_w = -height % self.multiple, -width % self.multiple
        features = F.relu(self.in_block(F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")))
        for block in self.down_blocks:
            features = block(features)
        for block in self.up_blocks:
            features = block(features)
        out = self.out_block(features)[..., : height * self.scale, : width * self.scale]
        return out.clamp(0.0, 1.0) if self.clip and not self.training else out


def build(scale: int, params: SRCAEParams) -> nn.Module:
    """An SRCAE network for `scale`."""
    FAMILY.check_scale(scale)
    return SRCAE(scale, params)


def detect(state_dict: StateDict) -> bool:
    """SRCAE state dicts have in_block / down_blocks / up_blocks / out_block keys."""
    return has_keys(state_dict, "in_block.weight", "down_blocks.0.0.weight", "out_block.weight")


def infer(state_dict: StateDict) -> tuple[int, SRCAEParams]:
    """Scale and hyper-parameters from the number of Down and Up blocks."""
    depth = count_indexed(state_dict, "down_blocks.", ".0.weight")
    ups = count_indexed(state_dict, "up_blocks.", ".0.weight")
    features = state_dict["in_block.weight"].shape[0]
    last_up = state_dict[f"up_blocks.{ups - 1}.4.weight"]
    return 2 ** (ups - depth), SRCAEParams(features=features, depth=depth, min_features=min(last_up.shape[1], 8))


FAMILY = ArchFamily(
    name="srcae",
    hparams_type=SRCAEParams,
    build=build,
    detect=detect,
    infer=infer,
    scales=(2, 4),
    supports_half=True,
    tile_margin=lambda params: 24,
    bytes_per_input_pixel=lambda params: 4096,
)
