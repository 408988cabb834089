"""Training losses: map L1 on the user-facing encodings and a log-L1 rendering loss."""

from __future__ import annotations

import math

import torch

from .exemplars import encode_strip_maps
from .render import SVBRDF, encode_maps, render_point_light

MAP_NAMES: tuple[str, ...] = ("normal", "albedo", "roughness", "specular")


MAP_LOSSES: tuple[str, ...] = ("l1", "rmse", "rmse-strip")


def map_losses(predicted: SVBRDF, target: SVBRDF, kind: str = "l1") -> dict[str, torch.Tensor]:
    """Error of each encoded map (normal (n+1)/2, sRGB albedo/specular, roughness).

    ``l1`` pulls each pixel towards the conditional median; ``rmse`` towards the conditional mean,
    which is what an RMSE benchmark rewards where a photo leaves a map ambiguous (metal or not).
    ``rmse-strip`` is the RMSE in the strips' encoding (linear albedo and specular), the one every
    material bench scores: it weighs a metal's F0 error more, and a dielectric's less, than sRGB does.
    """
    if kind not in MAP_LOSSES:
        raise ValueError(f"unknown map loss {kind!r}; expected one of {MAP_LOSSES}")
    encode = encode_strip_maps if kind == "rmse-strip" else encode_maps
    pred, true = encode(predicted), encode(target)
    if kind == "l1":
        return {name: (pred[name] - true[name]).abs().mean() for name in MAP_NAMES}
    return {name: ((pred[name] - true[name]) ** 2).mean().add(1e-8).sqrt() for name in MAP_NAMES}


def random_lighting(batch: int, count: int, g: torch.Generator) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``count`` (light, camera) position pairs per batch item.

    Half the pairs are independent points on the upper hemisphere (diffuse-dominated views);
    the other half mirror the light about the surface normal's axis so the highlight lands on
    the sample (specular views), as in Deschaintre et al.'s rendering loss.
    """
    pairs = []
    for index in range(count):
        light = _hemisphere(batch, g) * (2.0 + 2.0 * torch.rand(batch, 1, generator=g))
        if index % 2 == 0:
            camera = _hemisphere(batch, g) * (2.0 + 2.0 * torch.rand(batch, 1, generator=g))
        else:
            shift = (torch.rand(batch, 2, generator=g) * 2 - 1) * 0.7
            light = torch.cat([light[:, :2] * 0.5 + shift, light[:, 2:]], dim=1)
            camera = torch.cat([-light[:, :2] + 2 * shift, light[:, 2:]], dim=1)
        pairs.append((light, camera))
    return pairs


def _hemisphere(batch: int, g: torch.Generator) -> torch.Tensor:
    cos_theta = 0.25 + 0.75 * torch.rand(batch, generator=g)
    phi = torch.rand(batch, generator=g) * 2 * math.pi
    sin_theta = (1 - cos_theta ** 2).sqrt()
    return torch.stack([sin_theta * phi.cos(), sin_theta * phi.sin(), cos_theta], dim=1)


def rendering_loss(predicted: SVBRDF, target: SVBRDF, lighting: list[tuple[torch.Tensor, torch.Tensor]],
                   intensity: float = 8.0) -> torch.Tensor:
    """Mean L1 between log(0.01 + radiance) of predicted and target maps over the given lighting."""
    total = predicted.normal.new_zeros(())
    for light, camera in lighting:
        a = render_point_light(predicted, light, camera, intensity)
        b = render_point_light(target, light, camera, intensity)
        total = total + (torch.log(a + 0.01) - torch.log(b + 0.01)).abs().mean()
    return total / max(len(lighting), 1)
