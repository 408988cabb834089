"""Test-time refinement: adjust predicted maps until their flash render matches the photo.

The maps are re-parameterised without constraints (normal slopes, logits of the sRGB albedo,
specular and of roughness) and optimised with Adam on the log-L1 difference between the
rendered and the photographed flash image under the estimated capture setup. Optionally an
unknown exposure (one gain per colour channel) is optimised along. Two priors keep the maps
plausible: an L1 pull towards the network's prediction and a total-variation smoothness term.
Clipped (saturated) photo pixels carry no information and are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..contract import JobContext
from .render import SVBRDF, CaptureSetup, FlashRenderer, linear_and_valid, linear_to_srgb, srgb_to_linear


@dataclass(frozen=True)
class RefineSettings:
    """Weights and step size of the refinement."""

    learning_rate: float = 0.03
    prior_weight: float = 0.3
    normal_prior_weight: float = 3.0
    """Normals can explain almost any shading difference, so they are held closer."""
    smooth_weight: float = 0.05
    fit_exposure: bool = False
    """Also fit a per-channel gain; off by default because albedo and exposure are then
    ambiguous and the gain would absorb corrections the maps should make."""


def _logit(x: torch.Tensor) -> torch.Tensor:
    x = x.clamp(1e-4, 1 - 1e-4)
    return torch.log(x / (1 - x))


def _parameters(svbrdf: SVBRDF) -> dict[str, torch.Tensor]:
    n = svbrdf.normal
    return {
        "slopes": (n[:, :2] / n[:, 2:3].clamp_min(0.05)).detach().contiguous(),
        "diffuse": _logit(linear_to_srgb(svbrdf.diffuse)).detach().clone(),
        "roughness": _logit(svbrdf.roughness).detach().clone(),
        "specular": _logit(linear_to_srgb(svbrdf.specular)).detach().clone(),
    }


def _maps(params: dict[str, torch.Tensor]) -> SVBRDF:
    slopes = params["slopes"]
    normal = F.normalize(torch.cat([slopes, torch.ones_like(slopes[:, :1])], dim=1), dim=1)
    return SVBRDF(normal, srgb_to_linear(torch.sigmoid(params["diffuse"])),
                  torch.sigmoid(params["roughness"]).clamp_min(0.02),
                  srgb_to_linear(torch.sigmoid(params["specular"])))


def total_variation(x: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference between neighbouring pixels."""
    return (x[:, :, 1:] - x[:, :, :-1]).abs().mean() + (x[:, :, :, 1:] - x[:, :, :, :-1]).abs().mean()


def photo_log_error(rendered: torch.Tensor, photo_linear: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Masked mean L1 of log(0.01 + x) between linear images."""
    diff = (torch.log(rendered + 0.01) - torch.log(photo_linear + 0.01)).abs() * valid
    return diff.sum() / valid.sum().clamp_min(1.0) / rendered.shape[1]


def _prior(params: dict[str, torch.Tensor], initial: dict[str, torch.Tensor],
           settings: RefineSettings) -> torch.Tensor:
    """L1 pull of every parameter map towards the prediction."""
    total = settings.normal_prior_weight * (params["slopes"] - initial["slopes"]).abs().mean()
    for name in ("diffuse", "roughness", "specular"):
        total = total + settings.prior_weight * (params[name] - initial[name]).abs().mean()
    return total


def refine_svbrdf(svbrdf: SVBRDF, photo: torch.Tensor, setup: CaptureSetup, steps: int,
                  context: JobContext | None = None, settings: RefineSettings | None = None) -> SVBRDF:
    """Refine ``svbrdf`` (linear maps) against the display-encoded flash ``photo`` (1, 3, H, W)."""
    if steps <= 0:
        return svbrdf
    settings = settings or RefineSettings()
    context = context or JobContext()
    renderer = FlashRenderer(setup)
    photo_linear, valid = linear_and_valid(photo, setup.gamma)
    initial = _parameters(svbrdf)
    params = {name: t.clone().requires_grad_(True) for name, t in initial.items()}
    gain = torch.zeros(1, 3, 1, 1, requires_grad=settings.fit_exposure)
    if settings.fit_exposure:
        with torch.no_grad():
            start = renderer.radiance(svbrdf)
            gain += torch.log((photo_linear * valid).sum((2, 3), keepdim=True)
                              / (start * valid).sum((2, 3), keepdim=True).clamp_min(1e-6)).clamp(-3, 3)
    trainable = [*params.values()] + ([gain] if settings.fit_exposure else [])
    optimiser = torch.optim.Adam(trainable, lr=settings.learning_rate)
    for step in range(steps):
        optimiser.zero_grad()
        maps = _maps(params)
        loss = photo_log_error(renderer.radiance(maps) * gain.exp(), photo_linear, valid)
        loss = loss + _prior(params, initial, settings)
        loss = loss + settings.smooth_weight * sum(total_variation(params[k]) for k in params)
        loss.backward()
        optimiser.step()
        context.progress(step + 1, steps, "refine")
    with torch.no_grad():
        return _maps(params)
