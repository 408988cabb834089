"""Material quality on held-out procedural materials, models side by side (blind model selection).

``bench/material_quality.py`` scores the Deschaintre strips, which are the issue's acceptance
test: choosing between training runs by those numbers would tune on the test set. This bench
scores the same way (public ``MaterialModel.estimate`` path, self-ensemble included; map RMSE
in the strips' encoding, linear albedo and specular, and a novel-light render) on materials
from the procedural generator at a seed range that no training run draws from, each
photographed with random capture conditions (field of view, flash offset, exposure, white
balance, gamma, noise) as in training. Exemplar crops are not
included: those maps are training data. 2-shot models get the same synthetic guide photo as in
``material_quality.py`` (rendered from the ground truth by our guide renderer).

    python bench/material_generated.py --count 48 [--weights A.safetensors B.safetensors]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from material_quality import evaluate, mean_map_scores, print_scores

from texforge.server.material.exemplars import encode_strip_maps
from texforge.server.material.models import HeuristicMaterialModel, NeuralMaterialModel
from texforge.server.material.procedural import batch_material, render_capture
from texforge.server.material.render import CaptureSetup
from texforge.server.weight_files import shipped_material_files

HELD_OUT_SEED = 2_000_000_011
"""Training draws materials from seed * 10_000_019 + step with seeds < 100: never this one."""


def held_out_samples(count: int, size: int, metal_share: float,
                     setup: CaptureSetup) -> list[tuple[torch.Tensor, dict[str, torch.Tensor]]]:
    """``count`` (flash photo (1, 3, H, W), ground truth in the strips' encoding) pairs, reproducible."""
    samples = []
    for index in range(count):
        material = batch_material(HELD_OUT_SEED, index, size, metal_share)
        flash, _ = render_capture(material, torch.Generator().manual_seed(HELD_OUT_SEED + index), setup)
        samples.append((flash, encode_strip_maps(material)))
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=48)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--metal-share", type=float, default=0.3)
    parser.add_argument("--weights", type=Path, nargs="*", default=None, help="model files (default: the shipped networks)")
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    setup = CaptureSetup()
    samples = held_out_samples(args.count, args.size, args.metal_share, setup)
    paths = args.weights or shipped_material_files()
    models = [NeuralMaterialModel.from_file(p) for p in paths] + [HeuristicMaterialModel()]
    rows = {"mean-map": mean_map_scores(samples, setup)}
    for model in models:
        rows[model.descriptor.name], _ = evaluate(model, samples, setup, 0)
    print_scores(f"{args.count} held-out generated materials ({args.size} px, metal share {args.metal_share:g})",
                 rows, f"materials={args.count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
