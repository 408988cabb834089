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
    """Strided conv stages and a 1x1 head: one logit per receptive field (about 46 px at 3 stages).

    A per-patch critic rather than one logit per image: what the sharp partner must learn is local
    texture (grain, edges), and a global pool lets a few sharp regions vouch for blurred ones.
    """

    def __init__(self, features: int = 32, stages: int = 3) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for index in range(stages):
            width = features * 2 ** min(index, 3)
            layers += _stage(channels, width)
            channels = width
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Conv2d(channels, 64, 1), nn.LeakyReLU(0.2, inplace=True),
                                        nn.Conv2d(64, 1, 1))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """N x 1 x H/2^stages x W/2^stages logits."""
        return self.classifier(self.features(image))
