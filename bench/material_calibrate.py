"""Fit the flash capture setup so that our renderer reproduces an independent renderer.

Reads Deschaintre-format strips (``sample_*.png``: flash render | normal | diffuse | roughness |
specular, 288 px tiles; maps decoded by ``exemplars.decode_strip_maps``: diffuse, roughness and
specular linear as stored), renders the maps with ``FlashRenderer`` and fits the field of view
and the flash intensity by gradient descent on the image RMSE against the flash tile, from
``--start-fov`` / ``--start-intensity``. The photo tiles' display gamma is ``--gamma`` (default
2.2, as the data README describes them), or fitted too with ``--free-gamma``. Measured
2026-12-01 (docs/material.md, "Strip conventions and calibration"): with the maps read linear,
the tiles fit best as linear renders (gamma ~1).

    python bench/material_calibrate.py --data /work/shared/data/svbrdf/synthetic_gt [--per-strip]

``--per-strip`` also fits, strip by strip at the calibrated field of view, the flash power, the
flash offset and an exponent on the roughness map (r -> r^p): where one strip wants a power or a
roughness curve far from the others, the reference renderer treats that material differently
from ours, and a network trained on our renders will misread it.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import replace
from pathlib import Path

import torch
import torch.nn.functional as F

from texforge.server.material.exemplars import decode_strip_maps, read_strip
from texforge.server.material.render import SVBRDF, CaptureSetup, FlashRenderer, render_point_light


def load_strip(path: Path) -> tuple[torch.Tensor, SVBRDF]:
    """One strip -> (photo (1, 3, H, W) in [0, 1], linear SVBRDF)."""
    photo, encoded = read_strip(path)
    return photo, decode_strip_maps(encoded)


def load_strips(folder: Path, size: int = 0) -> list[tuple[torch.Tensor, SVBRDF]]:
    """All ``sample_*.png`` strips of a folder, sorted by name, optionally area-downsampled."""
    paths = sorted(folder.glob("sample_*.png"))
    if not paths:
        raise SystemExit(f"no sample_*.png strips in {folder}")
    strips = [load_strip(p) for p in paths]
    if size <= 0:
        return strips

    def shrink(t: torch.Tensor) -> torch.Tensor:
        return F.interpolate(t, size=(size, size), mode="area")

    return [(shrink(photo), _renormalised(maps.map(shrink))) for photo, maps in strips]


def _renormalised(maps: SVBRDF) -> SVBRDF:
    return SVBRDF(F.normalize(maps.normal, dim=1), maps.diffuse, maps.roughness, maps.specular)


def rmse_for(setup: CaptureSetup, data: list[tuple[torch.Tensor, SVBRDF]]) -> float:
    """Image RMSE (8-bit photo scale [0, 1]) of our renders against the strips' renders."""
    renderer = FlashRenderer(setup)
    errors = [((renderer.photo(maps) - photo) ** 2).mean() for photo, maps in data]
    return float(torch.stack(errors).mean().sqrt())


def fit(data: list[tuple[torch.Tensor, SVBRDF]], steps: int, free_gamma: bool, start: CaptureSetup,
        fit_offsets: bool = True) -> CaptureSetup:
    """Gradient descent on (fov, log intensity, gamma; per-strip flash offsets) from ``start``."""
    half_fov = torch.tensor(math.radians(start.fov_degrees / 2), dtype=torch.float32, requires_grad=True)
    log_intensity = torch.tensor(math.log(start.light_intensity), dtype=torch.float32, requires_grad=True)
    gamma = torch.tensor(start.gamma, dtype=torch.float32, requires_grad=free_gamma)
    # the reference jitters the flash a little per sample; fit that offset per strip
    offsets = torch.zeros(len(data), 2, dtype=torch.float32, requires_grad=fit_offsets)
    free = [half_fov, log_intensity] + ([offsets] if fit_offsets else []) + ([gamma] if free_gamma else [])
    optimiser = torch.optim.Adam(free, lr=0.03)
    data64 = data
    for _ in range(steps):
        optimiser.zero_grad()
        loss = torch.zeros((), dtype=torch.float32)
        for i, (photo, maps) in enumerate(data64):
            render = _render_with(maps, half_fov, log_intensity, gamma, offsets[i])
            loss = loss + render.sub(photo).pow(2).mean()
        loss.backward()
        optimiser.step()
    LAST_OFFSETS.clear()
    LAST_OFFSETS.extend(offsets.detach().tolist())
    return CaptureSetup(fov_degrees=math.degrees(2 * float(half_fov.detach())),
                        light_intensity=math.exp(float(log_intensity.detach())), gamma=float(gamma.detach()))


LAST_OFFSETS: list[list[float]] = []


def rmse_with_offsets(setup: CaptureSetup, data: list[tuple[torch.Tensor, SVBRDF]],
                      offsets: list[list[float]]) -> float:
    """Image RMSE with the fitted per-strip flash offsets."""
    errors = []
    half = torch.tensor(math.radians(setup.fov_degrees) / 2, dtype=torch.float32)
    li = torch.tensor(math.log(setup.light_intensity), dtype=torch.float32)
    g = torch.tensor(setup.gamma, dtype=torch.float32)
    for (photo, maps), off in zip(data, offsets, strict=True):
        render = _render_with(maps, half, li, g, torch.tensor(off, dtype=torch.float32))
        errors.append((render - photo).pow(2).mean())
    return float(torch.stack(errors).mean().sqrt())


def _render_with(maps: SVBRDF, half_fov: torch.Tensor, log_intensity: torch.Tensor,
                 gamma: torch.Tensor, offset: torch.Tensor) -> torch.Tensor:
    distance = 1.0 / torch.tan(half_fov)
    camera = torch.stack([torch.zeros_like(distance), torch.zeros_like(distance), distance])[None]
    light = torch.stack([offset[0], offset[1], distance])[None]
    radiance = render_point_light(maps, light, camera, log_intensity.exp(), 2.0)
    return radiance.clamp(1e-8, 1.0) ** (1.0 / gamma)


def per_strip_fit(photo: torch.Tensor, maps: SVBRDF, setup: CaptureSetup, steps: int,
                  free_exponent: bool) -> tuple[float, float, float]:
    """(image RMSE, roughness exponent p, flash power) of one strip, fitted at ``setup``'s fov."""
    log_p = torch.zeros((), requires_grad=free_exponent)
    log_intensity = torch.tensor(math.log(setup.light_intensity), requires_grad=True)
    offset = torch.zeros(2, requires_grad=True)
    optimiser = torch.optim.Adam([log_intensity, offset] + ([log_p] if free_exponent else []), lr=0.05)
    half_fov = torch.tensor(math.radians(setup.fov_degrees) / 2)
    gamma = torch.tensor(setup.gamma)
    loss = torch.zeros(())
    for _ in range(steps):
        optimiser.zero_grad()
        curved = replace(maps, roughness=maps.roughness.clamp(1e-3, 1.0) ** log_p.exp())
        loss = (_render_with(curved, half_fov, log_intensity, gamma, offset) - photo).pow(2).mean()
        loss.backward()
        optimiser.step()
    return float(loss.detach().sqrt()), float(log_p.detach().exp()), float(log_intensity.detach().exp())


def print_per_strip(data: list[tuple[torch.Tensor, SVBRDF]], setup: CaptureSetup, steps: int) -> None:
    """One line per strip: the fit with the roughness map as given, and with a fitted exponent."""
    for index, (photo, maps) in enumerate(data):
        fixed_rmse, _, fixed_power = per_strip_fit(photo, maps, setup, steps, free_exponent=False)
        curved_rmse, exponent, curved_power = per_strip_fit(photo, maps, setup, steps, free_exponent=True)
        print(f"strip {index}: mean roughness {float(maps.roughness.mean()):.2f}; as given: rmse {fixed_rmse:.3f} "
              f"power {fixed_power:.1f}; r^{exponent:.2f}: rmse {curved_rmse:.3f} power {curved_power:.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data/svbrdf/synthetic_gt"))
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--free-gamma", action="store_true",
                        help="fit the display gamma too (it trades off against intensity and fov)")
    parser.add_argument("--gamma", type=float, default=CaptureSetup.gamma,
                        help="display gamma of the photo tiles (1: linear renders); the start value with --free-gamma")
    parser.add_argument("--size", type=int, default=144, help="fit on tiles downsampled to this size (0: full)")
    parser.add_argument("--per-strip", action="store_true",
                        help="also fit flash power and a roughness exponent per strip at the fitted fov")
    parser.add_argument("--start-fov", type=float, default=CaptureSetup.fov_degrees, help="fit from this fov")
    parser.add_argument("--start-intensity", type=float, default=CaptureSetup.light_intensity,
                        help="fit from this flash intensity")
    parser.add_argument("--no-offsets", action="store_true",
                        help="keep the flash on the camera axis for every strip (as CaptureSetup does)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = load_strips(args.data, args.size)
    start = CaptureSetup(fov_degrees=args.start_fov, light_intensity=args.start_intensity, gamma=args.gamma)
    print(f"start  fov={start.fov_degrees:.2f} intensity={start.light_intensity:.3f} "
          f"gamma={start.gamma:.3f} rmse={rmse_for(start, data):.4f}")
    fitted = fit(data, args.steps, args.free_gamma, start, fit_offsets=not args.no_offsets)
    default = CaptureSetup()
    fitted_rmse = rmse_for(fitted, data)
    print(f"fitted fov={fitted.fov_degrees:.2f} intensity={fitted.light_intensity:.3f} "
          f"gamma={fitted.gamma:.3f} rmse={fitted_rmse:.4f}")
    print("per-strip flash offsets:", [[round(v, 3) for v in o] for o in LAST_OFFSETS])
    print(f"default (shipped) rmse={rmse_for(default, data):.4f}")
    offset_rmse = rmse_with_offsets(fitted, data, LAST_OFFSETS)
    if args.per_strip:
        print_per_strip(data, fitted, 80)
    print(f"RESULT strips={len(data)} fov={fitted.fov_degrees:.2f} intensity={fitted.light_intensity:.3f} "
          f"gamma={fitted.gamma:.3f} rmse={fitted_rmse:.4f} rmse_with_flash_offsets={offset_rmse:.4f} "
          f"default_rmse={rmse_for(default, data):.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
