"""Gloss fit: scale the estimated roughness until the maps' flash render looks like the photo.

A network reads a surface's glossiness off the shape of the flash highlight it has learned from
procedural GGX renders. A real highlight is shaped otherwise (embossed foil, paper, lacquer: a
narrow glint on the relief inside a broad sheen), and the network can read it several times
glossier than the photo itself shows: rendered under the photo's own flash, its maps put a
narrow, strong hotspot where the photo's is broad, and every other light relights them wrongly.
The photo is the one witness at inference time, so one multiplier of the roughness map is chosen
from a log grid to make the flash render match it best: display-encoded squared error over the
unclipped pixels, after the exposure gain (the flash power and the camera's metering are unknown).
One number keeps the network's spatial reading (which parts are glossier) and cannot invent
structure; the albedo, specular and normals are left alone. Measured on held-out generated data
(``bench/material_gloss.py``) it relights better but reads calibrated photos' roughness worse, so
it is off (``NO_GLOSS_FIT``); ``docs/material.md`` ("Gloss fit") has the numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch

from .closure import exposure_gain
from .render import SVBRDF, CaptureSetup, FlashRenderer, linear_and_valid

ROUGHNESS_FLOOR = 0.02
"""Smallest roughness the scaled map may hold (a mirror has no visible highlight to fit)."""


@dataclass(frozen=True)
class GlossFit:
    """Roughness multipliers tried: ``steps`` log-spaced from ``low`` to ``high`` (1.0 always among
    them); ``steps`` 0 turns the fit off. The multiplier applied is the best one over ``reference``
    (what the fit picks on typical photos of a correct estimate), raised to ``strength``."""

    low: float
    high: float
    steps: int
    reference: float = 1.0
    strength: float = 1.0

    @property
    def off(self) -> bool:
        """True when the roughness is left as estimated."""
        return self.steps == 0

    def multipliers(self) -> list[float]:
        """The grid, ascending, with 1.0 (the network's own reading) in it."""
        if self.steps <= 1:
            return [1.0]
        span = math.log(self.high / self.low)
        grid = {round(self.low * math.exp(span * i / (self.steps - 1)), 6) for i in range(self.steps)}
        return sorted(grid | {1.0})


NO_GLOSS_FIT = GlossFit(low=1.0, high=1.0, steps=0)
"""What every model ships with: measured on held-out generated data (``bench/material_gloss.py``,
material-1shot stage 12), every setting that relit better cost the calibrated photos' roughness
and render more than the rule allowed (docs/material.md, "Gloss fit")."""


def scaled_roughness(svbrdf: SVBRDF, multiplier: float) -> SVBRDF:
    """``svbrdf`` with its roughness map times ``multiplier``, kept in [ROUGHNESS_FLOOR, 1]."""
    return replace(svbrdf, roughness=(svbrdf.roughness * multiplier).clamp(ROUGHNESS_FLOOR, 1.0))


def display_error(svbrdf: SVBRDF, photo: torch.Tensor, photo_linear: torch.Tensor, valid: torch.Tensor,
                  capture: CaptureSetup) -> float:
    """Mean squared display-encoded difference between the photo (``photo_linear``, ``valid``: its
    linear light and unclipped pixels) and the maps' flash render, exposure gain fitted."""
    radiance = FlashRenderer(capture).radiance(svbrdf)
    gain = exposure_gain(radiance, photo_linear, valid)
    rendered = (radiance * gain).clamp(0, 1) ** (1 / capture.gamma)
    weight = valid.expand_as(rendered)
    return float((((rendered - photo) ** 2) * weight).sum() / weight.sum().clamp_min(1))


def best_multiplier(svbrdf: SVBRDF, photo: torch.Tensor, capture: CaptureSetup, fit: GlossFit) -> float:
    """The grid's roughness multiplier whose render matches ``photo`` best (1.0 when off)."""
    candidates = fit.multipliers()
    if len(candidates) == 1:
        return candidates[0]
    photo_linear, valid = linear_and_valid(photo, capture.gamma)
    errors = [display_error(scaled_roughness(svbrdf, m), photo, photo_linear, valid, capture) for m in candidates]
    return candidates[min(range(len(candidates)), key=errors.__getitem__)]


def fit_gloss(svbrdf: SVBRDF, photo: torch.Tensor, capture: CaptureSetup, fit: GlossFit) -> SVBRDF:
    """``svbrdf`` (working size, linear) with its roughness scaled to explain the display-encoded
    flash ``photo`` (1, 3, h, w) under ``capture``."""
    if fit.off:
        return svbrdf
    applied = (best_multiplier(svbrdf, photo, capture, fit) / fit.reference) ** fit.strength
    return scaled_roughness(svbrdf, applied)
