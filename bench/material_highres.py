"""Measure the resolution policy: working size x training-scale (context) reading x upsampling.

Held-out generated materials (``material_generated.py``'s seed range, never trained on) are
photographed at ``--photo-size`` with random capture conditions as in training; the shipped
1-shot model predicts maps at that size with every combination of working side, context side
(0: no second reading) and upsampling method. Reports RMSE per map (strips' encoding: linear
albedo and specular) and a novel-light render against the ground truth, and the time per photo. ``--data DIR`` scores the
``maps512_*.png`` map sets instead; those are training exemplars, so they suit a speed check,
not a choice between policies.

    python bench/material_highres.py [--photo-size 1024] [--count 8] [--working 128 192 256] [--context 0 128]
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import replace
from pathlib import Path

import torch
from material_generated import held_out_samples
from material_quality import evaluate

from texforge.server.material.exemplars import encode_strip_maps, load_exemplar
from texforge.server.material.imaging import normalize_channels, resize
from texforge.server.material.models import NeuralMaterialModel
from texforge.server.material.render import CaptureSetup, FlashRenderer
from texforge.server.weight_files import shipped_material_files


def exemplar_samples(folder: Path, size: int) -> list[tuple[torch.Tensor, dict[str, torch.Tensor]]]:
    """(flash photo, truth in the strips' encoding) of every ``maps512`` map set, resized to ``size``."""
    renderer, samples = FlashRenderer(CaptureSetup()), []
    for path in sorted(folder.glob("maps512_*.png")):
        maps = load_exemplar(path).map(lambda t: resize(t, (size, size)))
        truth = replace(maps, normal=normalize_channels(maps.normal))
        samples.append((renderer.photo(truth), encode_strip_maps(truth)))
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="score maps512_*.png map sets (training data)")
    parser.add_argument("--photo-size", type=int, default=1024)
    parser.add_argument("--count", type=int, default=8, help="held-out generated materials")
    parser.add_argument("--working", type=int, nargs="+", default=[128, 192, 256])
    parser.add_argument("--context", type=int, nargs="+", default=[0, 128])
    parser.add_argument("--upsampling", nargs="+", default=["bilinear"], choices=["bilinear", "guided"])
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    setup = CaptureSetup()
    if args.data is not None:
        samples = exemplar_samples(args.data, args.photo_size)
    else:
        samples = held_out_samples(args.count, args.photo_size, 0.3, setup)
    model = NeuralMaterialModel.from_file(next(p for p in shipped_material_files() if "1shot" in p.name))
    results: dict[str, float] = {}
    for working, context, method in itertools.product(args.working, args.context, args.upsampling):
        if 0 < working <= context:
            continue  # a context reading at or above the working size is no second reading
        model.working_side, model.context_side, model.upsampling = working, context, method
        totals, seconds = evaluate(model, samples, setup, 0)
        key = f"w{working}.c{context}.{method}"
        results.update({f"{key}.{k}": v for k, v in totals.items()})
        results[f"{key}.seconds"] = seconds
        mean = sum(totals.values()) / len(totals)
        print(f"{key:24s} " + " ".join(f"{k}={v:.4f}" for k, v in totals.items())
              + f"  mean={mean:.4f}  {seconds:.2f}s/photo", flush=True)
    source = "maps512" if args.data is not None else "generated"
    print(f"RESULT source={source} photos={len(samples)} size={args.photo_size} "
          + " ".join(f"{k}={v:.4f}" for k, v in results.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
