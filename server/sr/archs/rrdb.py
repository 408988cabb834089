"""RRDBNet (ESRGAN, Wang et al. 2018): residual-in-residual dense blocks, nearest+conv upsampling.

Keys follow BasicSR's layout; ESRGAN's older layouts (`RRDB_trunk...`, `model.N...`) are
renamed on detection so plain ESRGAN/Real-ESRGAN state dicts load without spandrel. Scale 2
uses Real-ESRGAN's convention: pixel-unshuffle the input, then run the x4 body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .base import ArchFamily, StateDict, count_indexed, has_keys

_UNSHUFFLE_FOR_SCALE = {4: 1, 2: 2, 1: 4}


@dataclass(frozen=True)
class RRDBParams:
    """RRDBNet hyper-parameters (defaults: ESRGAN's 23 blocks, 64 features)."""

    features: int = 64
    blocks: int = 23
    growth: int = 32
    """Channels each dense-block convolution adds."""


class ResidualDenseBlock(nn.Module):
    """Five densely connected convs; the last maps back to `features`; residual scaled by 0.2."""

    def __init__(self, features: int, growth: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(features, growth, 3, padding=1)
        self.conv2 = nn.Conv2d(features + growth, growth, 3, padding=1)
        self.conv3 = nn.Conv2d(features + 2 * growth, growth, 3, padding=1)
        self.conv4 = nn.Conv2d(features + 3 * growth, growth, 3, padding=1)
        self.conv5 = nn.Conv2d(features + 4 * growth, features, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        stack = [x]
        for conv in (self.conv1, self.conv2, self.conv3, self.conv4):
            stack.append(F.leaky_relu(conv(torch.cat(stack, 1)), 0.2))
        return x + 0.2 * self.conv5(torch.cat(stack, 1))


class RRDB(nn.Module):
    """Three residual dense blocks inside another scaled residual."""

    def __init__(self, features: int, growth: int) -> None:
        super().__init__()
        self.rdb1 = ResidualDenseBlock(features, growth)
        self.rdb2 = ResidualDenseBlock(features, growth)
        self.rdb3 = ResidualDenseBlock(features, growth)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + 0.2 * self.rdb3(self.rdb2(self.rdb1(x)))


class RRDBNet(nn.Module):
    """ESRGAN generator."""

    def __init__(self, scale: int, params: RRDBParams) -> None:
        super().__init__()
        self.unshuffle = _UNSHUFFLE_FOR_SCALE[scale]
        f = params.features
        self.conv_first = nn.Conv2d(3 * self.unshuffle**2, f, 3, padding=1)
        self.body = nn.Sequential(*(RRDB(f, params.growth) for _ in range(params.blocks)))
        self.conv_body = nn.Conv2d(f, f, 3, padding=1)
        self.conv_up1 = nn.Conv2d(f, f, 3, padding=1)
        self.conv_up2 = nn.Conv2d(f, f, 3, padding=1)
        self.conv_hr = nn.Conv2d(f, f, 3, padding=1)
        self.conv_last = nn.Conv2d(f, 3, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.unshuffle > 1:
            x = F.pixel_unshuffle(x, self.unshuffle)
        features = self.conv_first(x)
        features = features + self.conv_body(self.body(features))
        for conv in (self.conv_up1, self.conv_up2):
            features = F.leaky_relu(conv(F.interpolate(features, scale_factor=2, mode="nearest")), 0.2)
        return self.conv_last(F.leaky_relu(self.conv_hr(features), 0.2))


_ESRGAN_RENAMES = (
    (re.compile(r"^RRDB_trunk\.(\d+)\.RDB(\d)\."), r"body.\1.rdb\2."),
    (re.compile(r"^trunk_conv\."), "conv_body."),
    (re.compile(r"^upconv1\."), "conv_up1."),
    (re.compile(r"^upconv2\."), "conv_up2."),
    (re.compile(r"^HRconv\."), "conv_hr."),
)
_OLD_ARCH_TOP = {"model.0.": "conv_first.", "model.3.": "conv_up1.", "model.6.": "conv_up2.",
                 "model.8.": "conv_hr.", "model.10.": "conv_last."}
_OLD_ARCH_BLOCK = re.compile(r"^model\.1\.sub\.(\d+)\.RDB(\d)\.conv(\d)\.0\.")
_OLD_ARCH_TRUNK = re.compile(r"^model\.1\.sub\.(\d+)\.")


def to_basicsr_keys(state_dict: StateDict) -> dict[str, torch.Tensor]:
    """Rename ESRGAN's older key layouts to BasicSR's; BasicSR dicts pass through unchanged."""
    renamed: dict[str, torch.Tensor] = {}
    for key, tensor in state_dict.items():
        renamed[_rename_key(key)] = tensor
    return renamed


def _rename_key(key: str) -> str:
    for pattern, replacement in _ESRGAN_RENAMES:
        key = pattern.sub(replacement, key)
    for old, new in _OLD_ARCH_TOP.items():
        if key.startswith(old):
            return new + key[len(old):]
    key = _OLD_ARCH_BLOCK.sub(r"body.\1.rdb\2.conv\3.", key)
    return _OLD_ARCH_TRUNK.sub("conv_body.", key)


def build(scale: int, params: RRDBParams) -> nn.Module:
    """An RRDBNet for `scale`."""
    FAMILY.check_scale(scale)
    return RRDBNet(scale, params)


def detect(state_dict: StateDict) -> bool:
    """BasicSR, ESRGAN (`RRDB_trunk`) or old-arch (`model.1.sub`) RRDBNet key layouts."""
    renamed = to_basicsr_keys(state_dict)
    return has_keys(renamed, "conv_first.weight", "body.0.rdb1.conv1.weight", "conv_body.weight",
                    "conv_up2.weight", "conv_last.weight") and "conv_up3.weight" not in renamed


def infer(state_dict: StateDict) -> tuple[int, RRDBParams]:
    """Scale from the unshuffled input channels; features, blocks, growth from shapes."""
    renamed = to_basicsr_keys(state_dict)
    first = renamed["conv_first.weight"]
    unshuffle = round((first.shape[1] // 3) ** 0.5)
    scale = {factor: scale for scale, factor in _UNSHUFFLE_FOR_SCALE.items()}[unshuffle]
    blocks = count_indexed(renamed, "body.", ".rdb1.conv1.weight")
    growth = renamed["body.0.rdb1.conv1.weight"].shape[0]
    return scale, RRDBParams(features=first.shape[0], blocks=blocks, growth=growth)


FAMILY = ArchFamily(
    name="rrdb",
    hparams_type=RRDBParams,
    build=build,
    detect=detect,
    infer=infer,
    scales=(1, 2, 4),
    supports_half=True,
    tile_margin=lambda params: 24,
    bytes_per_input_pixel=lambda params: 8192,
)
