"""FastSR: a small LR-space residual network for CPU inference (ESPCN/FSRCNN class).

All convolutions run at the input resolution; a single pixel shuffle produces the output.
The global skip is a nearest-neighbour "anchor": the input repeated `scale**2` times and
added before the shuffle, so the network only learns the residual detail and trains fast.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .base import ArchFamily, StateDict, count_indexed, has_keys


@dataclass(frozen=True)
class FastSRParams:
    """FastSR hyper-parameters."""

    features: int = 32
    """Feature channels of every LR-space convolution."""
    blocks: int = 4
    """Residual blocks (two 3x3 convolutions each)."""


@torch.no_grad()
def _start_small(conv: nn.Conv2d) -> None:
    """Weights scaled by 0.1 and a zero bias: the layer starts as a small correction."""
    conv.weight.mul_(0.1)
    if conv.bias is not None:
        conv.bias.zero_()


class ResidualBlock(nn.Module):
    """conv-ReLU-conv with an identity skip, no normalisation."""

    def __init__(self, features: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(features, features, 3, padding=1)
        self.conv2 = nn.Conv2d(features, features, 3, padding=1)
        # Near-identity blocks: a deeper net initialised (`--init`) from a shallower one starts
        # where the shallower one ended instead of behind it.
        _start_small(self.conv2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(F.relu(self.conv1(x), inplace=True))


class FastSRNet(nn.Module):
    """LR-space residual network with a pixel-shuffle output and a nearest anchor skip."""

    def __init__(self, scale: int, params: FastSRParams) -> None:
        super().__init__()
        self.scale = scale
        f = params.features
        self.head = nn.Conv2d(3, f, 3, padding=1)
        self.body = nn.Sequential(*(ResidualBlock(f) for _ in range(params.blocks)))
        self.body_tail = nn.Conv2d(f, f, 3, padding=1)
        self.upsampler = nn.Conv2d(f, 3 * scale * scale, 3, padding=1)
        # Start close to the nearest-neighbour anchor so early training refines, not repairs.
        _start_small(self.upsampler)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.head(x)
        features = F.relu(self.body_tail(self.body(features)) + features)
        anchor = x.repeat_interleave(self.scale * self.scale, dim=1)
        return F.pixel_shuffle(self.upsampler(features) + anchor, self.scale)


def build(scale: int, params: FastSRParams) -> nn.Module:
    """A FastSR network for `scale`."""
    FAMILY.check_scale(scale)
    return FastSRNet(scale, params)


def detect(state_dict: StateDict) -> bool:
    """FastSR state dicts have head / body.N.conv1 / body_tail / upsampler keys."""
    return has_keys(state_dict, "head.weight", "body_tail.weight", "upsampler.weight")


def infer(state_dict: StateDict) -> tuple[int, FastSRParams]:
    """Scale and hyper-parameters from tensor shapes."""
    features = state_dict["head.weight"].shape[0]
    blocks = count_indexed(state_dict, "body.", ".conv1.weight")
    scale = round((state_dict["upsampler.weight"].shape[0] // 3) ** 0.5)
    return scale, FastSRParams(features=features, blocks=blocks)


FAMILY = ArchFamily(
    name="fastsr",
    hparams_type=FastSRParams,
    build=build,
    detect=detect,
    infer=infer,
    scales=(2, 3, 4),
    supports_half=True,
    # the receptive field grows with depth, but its effective (non-negligible) part much slower
    tile_margin=lambda params: max(16, params.blocks + 8),
    bytes_per_input_pixel=lambda params: 32 * params.features,
)
