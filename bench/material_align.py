"""Residual misalignment of the flash/guide aligner on synthetic hand-held motion.

Procedural materials are photographed with flash and without (other lighting); the guide is
moved by a random homography (shift, rotation, scale and perspective of a few percent) and
aligned back. Reports the mean and worst residual displacement over a 5x5 grid of points
inside the frame, in pixels at ``--size``, and the rejection of unrelated pairs.

    python bench/material_align.py [--cases 12] [--size 256]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch

from texforge.server.material.align import MIN_CORRELATION, estimate_homography, warp
from texforge.server.material.procedural import generate_batch, render_capture
from texforge.server.material.render import CaptureSetup


def random_homography(g: torch.Generator, amount: float) -> torch.Tensor:
    """Shift up to ``amount`` of the frame, rotation up to 30 x amount degrees, mild perspective."""
    u = lambda: float(torch.rand((), generator=g)) * 2 - 1  # noqa: E731
    angle = math.radians(30 * amount * u())
    scale = 1 + amount * u()
    return torch.tensor([[scale * math.cos(angle), -scale * math.sin(angle), 2 * amount * u()],
                         [scale * math.sin(angle), scale * math.cos(angle), 2 * amount * u()],
                         [amount * u(), amount * u(), 1.0]], dtype=torch.float64)


def point_errors(a: torch.Tensor, b: torch.Tensor, size: int) -> torch.Tensor:
    """Displacement in pixels between two homographies over a 5x5 grid."""
    grid = torch.linspace(-0.8, 0.8, 5, dtype=torch.float64)
    yy, xx = torch.meshgrid(grid, grid, indexing="ij")
    points = torch.stack([xx.flatten(), yy.flatten(), torch.ones(25, dtype=torch.float64)])
    pa, pb = a @ points, b @ points
    return ((pa[:2] / pa[2] - pb[:2] / pb[2]) * size / 2).norm(dim=0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=12)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--amount", type=float, default=0.04)
    args = parser.parse_args()
    maps = generate_batch(args.cases, args.size, seed=2024)
    flash, guide = render_capture(maps, torch.Generator().manual_seed(7), CaptureSetup())
    g = torch.Generator().manual_seed(1)
    means, worsts, scores, unrelated, seconds = [], [], [], [], []
    for i in range(args.cases):
        truth = random_homography(g, args.amount)
        moved = warp(guide[i:i + 1], torch.linalg.inv(truth))
        started = time.perf_counter()
        estimate, score = estimate_homography(flash[i:i + 1], moved)
        seconds.append(time.perf_counter() - started)
        errors = point_errors(estimate, truth, args.size)
        means.append(float(errors.mean()))
        worsts.append(float(errors.max()))
        scores.append(score)
        unrelated.append(estimate_homography(flash[i:i + 1], guide[(i + 1) % args.cases:(i + 1) % args.cases + 1])[1])
        print(f"case {i:2d}: mean {means[-1]:.2f} px, worst {worsts[-1]:.2f} px, correlation {score:.2f}, "
              f"unrelated pair {unrelated[-1]:.2f}")
    accepted = sum(s >= MIN_CORRELATION for s in scores)
    rejected = sum(s < MIN_CORRELATION for s in unrelated)
    print(f"RESULT cases={args.cases} size={args.size} mean_px={np.mean(means):.2f} median_px={np.median(means):.2f} "
          f"worst_px={np.max(worsts):.2f} accepted={accepted}/{args.cases} unrelated_rejected={rejected}/{args.cases} "
          f"seconds={np.mean(seconds):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
