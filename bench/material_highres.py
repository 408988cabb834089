"""Measure the high-resolution policy: working resolution x upsampling method.

Renders a flash photo from each ground-truth ``maps512_*.png`` (normal | diffuse | roughness |
specular, 512 px tiles) with the default capture, optionally enlarged to ``--photo-size``,
and predicts maps at that size with the 1-shot model running at several working
resolutions, upsampled either bilinearly (the shipped policy) or with the guided filter.
Reports map RMSE against the ground truth (resized to the photo size) and the time per photo.

    python bench/material_highres.py --data /work/shared/data/svbrdf/synthetic_gt
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from texforge.server.context import JobContext
from texforge.server.material.models import NeuralMaterialModel, shipped_weight_files
from texforge.server.material.render import SVBRDF, CaptureSetup, FlashRenderer, decode_maps, encode_maps
from texforge.server.registry import MaterialRequest

MAPS = ("normal", "albedo", "roughness", "specular")


def load_maps(path: Path, size: int) -> SVBRDF:
    """Ground truth of one ``maps512`` strip, resized to ``size``."""
    image = torch.from_numpy(np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0)
    tile = image.shape[0]
    tiles = [F.interpolate(image[:, i * tile:(i + 1) * tile].permute(2, 0, 1)[None], size=(size, size),
                           mode="bilinear", antialias=True) for i in range(4)]
    return decode_maps(tiles[0], tiles[1], tiles[2][:, :1], tiles[3])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--photo-size", type=int, default=1024)
    parser.add_argument("--working", type=int, nargs="+", default=[128, 256, 512])
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    paths = sorted(args.data.glob("maps512_*.png"))
    model = NeuralMaterialModel.from_file(next(p for p in shipped_weight_files() if "1shot" in p.name))
    renderer = FlashRenderer(CaptureSetup())
    cases = []
    for path in paths:
        truth = load_maps(path, args.photo_size)
        photo = renderer.photo(truth)
        cases.append(((photo[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8), encode_maps(truth)))
    results: dict[str, float] = {}
    for working in args.working:
        for method in ("guided", "bilinear"):
            model.upsampling = method
            model.working_side = working
            errors, started = {name: 0.0 for name in MAPS}, time.perf_counter()
            for flash, truth in cases:
                maps = model.estimate(MaterialRequest(flash=flash), JobContext())
                for name in MAPS:
                    predicted = torch.from_numpy(maps[name]).permute(2, 0, 1)[None]
                    errors[name] += float(((predicted - truth[name]) ** 2).mean().sqrt()) / len(cases)
            seconds = (time.perf_counter() - started) / len(cases)
            key = f"w{working}.{method}"
            results.update({f"{key}.{k}": v for k, v in errors.items()})
            results[f"{key}.seconds"] = seconds
            print(f"{key:16s} " + " ".join(f"{k}={v:.4f}" for k, v in errors.items()) + f"  {seconds:.2f}s/photo")
    print(f"RESULT photos={len(cases)} size={args.photo_size} " + " ".join(f"{k}={v:.4f}" for k, v in results.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
