"""EDSR (Lim et al. 2017), baseline configuration: residual blocks without batch norm,
residual scaling, pixel-shuffle upsampler."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .base import ArchFamily, StateDict, count_indexed, has_keys

_RGB_MEAN = (0.4488, 0.4371, 0.4040)


@dataclass(frozen=True)
class EDSRParams:
    """EDSR hyper-parameters (defaults: the paper's baseline model)."""

    features: int = 64
    blocks: int = 16
    residual_scale: float = 1.0
    """Multiplier on each block's residual; the paper uses 0.1 for wide models."""


class ScaledResidualBlock(nn.Module):
    """conv-ReLU-conv, scaled, plus identity."""

    def __init__(self, features: int, residual_scale: float) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(features, features, 3, padding=1)
        self.conv2 = nn.Conv2d(features, features, 3, padding=1)
        self.residual_scale = residual_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.residual_scale * self.conv2(F.relu(self.conv1(x)))


def _upsampler_stages(scale: int) -> list[int]:
    """Pixel-shuffle factors: 2 and 4 as stages of 2, 3 as one stage."""
    if scale == 3:
        return [3]
    return [2] * int(math.log2(scale))


class EDSR(nn.Module):
    """EDSR: head, residual body with a long skip, pixel-shuffle upsampler, tail."""

    rgb_mean: torch.Tensor
    """Buffer (not saved): the mean RGB subtracted before the head and added back after the tail."""

    def __init__(self, scale: int, params: EDSRParams) -> None:
        super().__init__()
        f = params.features
        self.register_buffer("rgb_mean", torch.tensor(_RGB_MEAN).view(1, 3, 1, 1), persistent=False)
        self.head = nn.Conv2d(3, f, 3, padding=1)
        self.body = nn.Sequential(
            *(ScaledResidualBlock(f, params.residual_scale) for _ in range(params.blocks))
        )
        self.body_tail = nn.Conv2d(f, f, 3, padding=1)
        self.shuffle_factors = _upsampler_stages(scale)
        self.upsampler = nn.ModuleList(
            nn.Conv2d(f, f * factor * factor, 3, padding=1) for factor in self.shuffle_factors
        )
        self.tail = nn.Conv2d(f, 3, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.head(x - self.rgb_mean)
        features = features + self.body_tail(self.body(features))
        for conv, factor in zip(self.upsampler, self.shuffle_factors, strict=True):
            features = F.pixel_shuffle(conv(features), factor)
        return self.tail(features) + self.rgb_mean


def build(scale: int, params: EDSRParams) -> nn.Module:
    """An EDSR network for `scale`."""
    FAMILY.check_scale(scale)
    return EDSR(scale, params)


def detect(state_dict: StateDict) -> bool:
    """EDSR state dicts have head / body_tail / upsampler.0 / tail keys."""
    return has_keys(state_dict, "head.weight", "body_tail.weight", "upsampler.0.weight", "tail.weight")


def infer(state_dict: StateDict) -> tuple[int, EDSRParams]:
    """Scale and hyper-parameters from tensor shapes (residual scale is not recoverable)."""
    features = state_dict["head.weight"].shape[0]
    blocks = count_indexed(state_dict, "body.", ".conv1.weight")
    stages = count_indexed(state_dict, "upsampler.", ".weight")
    first_factor = round((state_dict["upsampler.0.weight"].shape[0] // features) ** 0.5)
    scale = first_factor**stages
    return scale, EDSRParams(features=features, blocks=blocks)


FAMILY = ArchFamily(
    name="edsr",
    hparams_type=EDSRParams,
    build=build,
    detect=detect,
    infer=infer,
    scales=(2, 3, 4),
    supports_half=True,
    tile_margin=lambda params: 24,
    bytes_per_input_pixel=lambda params: 2048,
)
