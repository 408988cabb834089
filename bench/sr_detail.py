"""The detail slider: what blending the PSNR model towards its sharp (GAN) partner does.

    python bench/sr_detail.py --data DIR [DIR ...] [--model fast-x4] [--sharp PATH] [--steps 0 0.5 1]

For each detail value, over the images of each folder (HR cropped to a multiple of the scale, LR
by antialiased bicubic reduce): PSNR-Y gain over bicubic; `hf`: high-frequency energy (mean
squared Laplacian of Y) of the output over the HR image's (1 = as much fine detail as the truth;
bicubic and PSNR models sit well below); `move`: mean absolute difference from the detail-0
output (levels), which must grow with detail. On a flat-colour test card (`metrics.flat_colour_card`):
`halo`, the 99th percentile deviation from the flat colours beside edges (levels), next to
bicubic's. Ends with one `RESULT` line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from _runtime import parse_with_runtime

from texforge.server.contract import JobContext, UpscaleRequest
from texforge.server.sr.data import list_images, load_rgb
from texforge.server.sr.metrics import (
    bicubic_downscale,
    bicubic_upscale,
    crop_to_multiple,
    flat_colour_card,
    halo_levels,
    high_frequency_energy,
    psnr_y,
)
from texforge.server.sr.upscaler import NeuralUpscaler
from texforge.server.weight_files import model_path, sharp_partner_path


def upscale(model: NeuralUpscaler, lr: np.ndarray, scale: int, detail: float) -> np.ndarray:
    return model.upscale(UpscaleRequest.of(lr, scale=scale, detail=detail), JobContext())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", required=True, type=Path, help="folders of HR images")
    parser.add_argument("--model", default="fast-x4", help="shipped model name (its PSNR weights)")
    parser.add_argument("--sharp", type=Path, default=None, help="sharp partner weights (default: the shipped one)")
    parser.add_argument("--steps", nargs="+", type=float, default=[0.0, 0.25, 0.5, 0.75, 1.0])
    args = parse_with_runtime(parser, precision="bf16")
    model = NeuralUpscaler.from_file(model_path(args.model), args.model, precision=args.precision,
                                     sharp_path=args.sharp or sharp_partner_path(args.model))
    scale = model.loaded.scale
    result: dict[str, float] = {}
    print(f"{'folder':<14} {'detail':>6} {'gain_db':>8} {'hf':>6} {'move':>6}")
    for folder in args.data:
        images = [crop_to_multiple(load_rgb(path), scale) for path in list_images([str(folder)])]
        lows = [bicubic_downscale(hr, scale) for hr in images]
        bicubics = [bicubic_upscale(lr, scale) for lr in lows]
        bicubic_psnr = [psnr_y(b, hr, scale) for b, hr in zip(bicubics, images, strict=True)]
        truth_hf = [high_frequency_energy(hr) for hr in images]
        bicubic_hf = np.mean([high_frequency_energy(b) / t for b, t in zip(bicubics, truth_hf, strict=True)])
        print(f"{folder.name:<14} {'bicub':>6} {0.0:8.3f} {bicubic_hf:6.3f} {'':>6}")
        base = [upscale(model, lr, scale, 0.0) for lr in lows]
        for detail in args.steps:
            outputs = base if detail == 0 else [upscale(model, lr, scale, detail) for lr in lows]
            gain = np.mean([psnr_y(out, hr, scale) - reference
                            for out, hr, reference in zip(outputs, images, bicubic_psnr, strict=True)])
            hf = np.mean([high_frequency_energy(out) / t for out, t in zip(outputs, truth_hf, strict=True)])
            move = np.mean([np.abs(out.astype(float) - b.astype(float)).mean() for out, b in zip(outputs, base, strict=True)])
            print(f"{folder.name:<14} {detail:6.2f} {gain:8.3f} {hf:6.3f} {move:6.3f}")
            result[f"{folder.name}_gain_{detail:g}"] = float(gain)
            result[f"{folder.name}_hf_{detail:g}"] = float(hf)
    lr, card, flat = flat_colour_card(scale=scale)
    halos = {detail: halo_levels(upscale(model, lr, scale, detail), card, flat) for detail in args.steps}
    halos_bicubic = halo_levels(bicubic_upscale(lr, scale), card, flat)
    print("flat card halo (levels): bicubic %.2f, " % halos_bicubic + ", ".join(f"detail {d:g} {h:.2f}" for d, h in halos.items()))
    result.update({f"halo_{d:g}": h for d, h in halos.items()}, halo_bicubic=halos_bicubic)
    print("RESULT " + " ".join(f"{key}={value:.4f}" for key, value in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
