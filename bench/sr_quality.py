"""Super-resolution quality: PSNR/SSIM-Y of a model against the bicubic reference, per image.

    python bench/sr_quality.py --data /path/to/val/urban100 --scale 4 --model fast-x4 [--jpeg 75]

Several `--data` folders are pooled: the means are per image over all of them (`--data val/*`).

Convention: HR cropped to a multiple of the scale, LR by antialiased bicubic downscale (PIL),
PSNR/SSIM on BT.601 Y with `scale` pixels shaved per border. The bicubic column is PIL's
bicubic enlargement (MATLAB-like, the usual reference). With `--jpeg Q` the LR image is saved as
a JPEG of quality Q (4:2:0) first, the way most artists' textures arrive, and both the model and
bicubic enlarge that JPEG; the `blocks` columns are the strength of the 8x8 block grid in the
output (`metrics.block_edge_strength`, 1 = invisible) and `block_ratio` the model's over
bicubic's (below 1: the model removes the grid instead of sharpening it). Ends with one `RESULT` line.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from _runtime import parse_with_runtime

from texforge.server.contract import JobContext, UpscaleRequest
from texforge.server.sr.data import list_images, load_rgb
from texforge.server.sr.degrade import jpeg_roundtrip
from texforge.server.sr.metrics import (
    bicubic_downscale,
    bicubic_upscale,
    block_edge_strength,
    crop_to_multiple,
    psnr_y,
    ssim_y,
)
from texforge.server.weight_files import load_upscaler


def evaluate(args: argparse.Namespace) -> dict[str, float]:
    upscaler = load_upscaler(args.model, args.device, precision=args.precision)
    rows = []
    started = time.perf_counter()
    print(f"{'image':<28} {'psnr_y':>8} {'ssim_y':>7} {'bic_psnr':>8} {'bic_ssim':>8} {'blocks':>7} {'bic_blk':>7}")
    for path in list_images(args.data):
        hr = crop_to_multiple(load_rgb(path), args.scale)
        lr = bicubic_downscale(hr, args.scale)
        if args.jpeg:
            lr = jpeg_roundtrip(lr, args.jpeg)
        sr = upscaler.upscale(UpscaleRequest.of(lr, scale=args.scale), JobContext(device=args.device))
        bicubic = bicubic_upscale(lr, args.scale)
        grid = 8 * args.scale
        row = (psnr_y(sr, hr, args.scale), ssim_y(sr, hr, args.scale),
               psnr_y(bicubic, hr, args.scale), ssim_y(bicubic, hr, args.scale),
               block_edge_strength(sr, grid), block_edge_strength(bicubic, grid))
        rows.append(row)
        print(f"{path.name:<28} {row[0]:8.3f} {row[1]:7.4f} {row[2]:8.3f} {row[3]:8.4f} {row[4]:7.3f} {row[5]:7.3f}")
    mean = np.mean(np.array(rows), axis=0)
    print(f"{'mean':<28} {mean[0]:8.3f} {mean[1]:7.4f} {mean[2]:8.3f} {mean[3]:8.4f} {mean[4]:7.3f} {mean[5]:7.3f}")
    return {"images": len(rows), "jpeg": args.jpeg or 0, "psnr_y": mean[0], "ssim_y": mean[1],
            "bicubic_psnr_y": mean[2], "bicubic_ssim_y": mean[3], "gain_db": mean[0] - mean[2],
            "blocks": mean[4], "bicubic_blocks": mean[5], "block_ratio": mean[4] / mean[5],
            "seconds": time.perf_counter() - started}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, nargs="+", help="folders of HR images (pooled: per-image means over all)")
    parser.add_argument("--scale", type=int, choices=(2, 3, 4), required=True)
    parser.add_argument("--model", default="bicubic", help="bicubic, a shipped model name, or a weights file")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--jpeg", type=int, default=0, metavar="Q", help="save the LR image as JPEG quality Q first")
    args = parse_with_runtime(parser)
    result = evaluate(args)
    fields = " ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in result.items())
    print(f"RESULT model={args.model} scale={args.scale} {fields}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
