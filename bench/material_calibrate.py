"""Fit the flash capture setup so that our renderer reproduces an independent renderer.

Reads Deschaintre-format strips (``sample_*.png``: flash render | normal | diffuse | roughness |
specular, 288 px tiles), renders the maps with ``FlashRenderer`` and fits the field of view,
the flash intensity and the display gamma by gradient descent on the image RMSE.

    python bench/material_calibrate.py --data /work/shared/data/svbrdf/synthetic_gt
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from texforge.server.material.render import SVBRDF, CaptureSetup, FlashRenderer, decode_maps, render_point_light


def load_strip(path: Path) -> tuple[torch.Tensor, SVBRDF]:
    """One strip -> (photo (1, 3, H, W) in [0, 1], linear SVBRDF)."""
    image = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0
    tile = image.shape[0]
    tiles = [torch.from_numpy(image[:, i * tile:(i + 1) * tile]).permute(2, 0, 1)[None] for i in range(5)]
    photo, normal, diffuse, roughness, specular = tiles
    return photo, decode_maps(normal, diffuse, roughness[:, :1], specular)


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


def fit(data: list[tuple[torch.Tensor, SVBRDF]], steps: int, free_gamma: bool) -> CaptureSetup:
    """Gradient descent on (fov, log intensity, gamma) from the Deschaintre-like start."""
    start = CaptureSetup()
    half_fov = torch.tensor(math.radians(start.fov_degrees / 2), dtype=torch.float32, requires_grad=True)
    log_intensity = torch.tensor(math.log(start.light_intensity), dtype=torch.float32, requires_grad=True)
    gamma = torch.tensor(start.gamma, dtype=torch.float32, requires_grad=free_gamma)
    # the reference jitters the flash a little per sample; fit that offset per strip
    offsets = torch.zeros(len(data), 2, dtype=torch.float32, requires_grad=True)
    optimiser = torch.optim.Adam([half_fov, log_intensity, offsets] + ([gamma] if free_gamma else []), lr=0.03)
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
    for (photo, maps), off in zip(data, offsets):
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data/svbrdf/synthetic_gt"))
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--free-gamma", action="store_true",
                        help="fit the display gamma too (it trades off against intensity and fov)")
    parser.add_argument("--size", type=int, default=144, help="fit on tiles downsampled to this size (0: full)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = load_strips(args.data, args.size)
    start = CaptureSetup(fov_degrees=45.0, light_intensity=3.0, gamma=2.2)
    print(f"start  fov={start.fov_degrees:.2f} intensity={start.light_intensity:.3f} "
          f"gamma={start.gamma:.3f} rmse={rmse_for(start, data):.4f}")
    fitted = fit(data, args.steps, args.free_gamma)
    default = CaptureSetup()
    fitted_rmse = rmse_for(fitted, data)
    print(f"fitted fov={fitted.fov_degrees:.2f} intensity={fitted.light_intensity:.3f} "
          f"gamma={fitted.gamma:.3f} rmse={fitted_rmse:.4f}")
    print("per-strip flash offsets:", [[round(v, 3) for v in o] for o in LAST_OFFSETS])
    print(f"default (shipped) rmse={rmse_for(default, data):.4f}")
    offset_rmse = rmse_with_offsets(fitted, data, LAST_OFFSETS)
    print(f"RESULT strips={len(data)} fov={fitted.fov_degrees:.2f} intensity={fitted.light_intensity:.3f} "
          f"gamma={fitted.gamma:.3f} rmse={fitted_rmse:.4f} rmse_with_flash_offsets={offset_rmse:.4f} "
          f"default_rmse={rmse_for(default, data):.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
