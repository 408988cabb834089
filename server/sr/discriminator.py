"""A VGG-style patch discriminator for the relativistic adversarial fine-tune (ESRGAN)."""

from __future__ import annotations

import torch
from torch import nn


def _stage(in_channels: int, out_channels: int) -> list[nn.Module]:
    return [
        nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(out_channels, out_channels, 4, stride=2, padding=1), nn.LeakyReLU(0.2, inplace=True),
    ]


class Discriminator(nn.Module):
    """Strided conv stages, global average pooling, one logit per image."""

    def __init__(self, features: int = 32, stages: int = 4) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for index in range(stages):
            width = features * 2 ** min(index, 3)
            layers += _stage(channels, width)
            channels = width
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Linear(channels, 64), nn.LeakyReLU(0.2, inplace=True), nn.Linear(64, 1))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(image).mean(dim=(2, 3)))
