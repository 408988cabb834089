"""Relief finer than a pixel (``server/material/emboss.py``): which working-size maps render an
embossed material's supersampled photos, and what the shipped 1-shot model reads from them.

For each held-out material of ``material_relight.py --generated N --embossed`` (the same captures:
a 3 x 3 flash grid, metered, 20-30 degree lens, photos area-averaged from 4 x as many facets),
``emboss.working_size_maps`` is scored with each ``--gains`` value of the Toksvig gain: the RMSE of
its renders against all nine photos (the relight protocol's exposure fit). Gain 0 is the plain
average of the facets' maps, the labels a generator without supersampling would give. Then the
default model's roughness reading of the centre photo is set against each gain's label.

    PYTHONPATH=bench python bench/material_emboss.py --count 16
"""

from __future__ import annotations

import argparse
import statistics

import torch
from material_relight import (
    CENTRE_VIEW,
    generated_material,
    novel_view_errors,
    photographed_capture,
    predict,
)

from texforge.server.material.emboss import SUPERSAMPLE, TOKSVIG_GAIN, working_size_maps
from texforge.server.material.models import NeuralMaterialModel
from texforge.server.weight_files import shipped_material_files

NO_VIEW = -1
"""``novel_view_errors`` skips the view the maps came from; labels come from none, so every view counts."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=16, help="held-out embossed materials")
    parser.add_argument("--size", type=int, default=256, help="working size of the photos and maps")
    parser.add_argument("--gains", type=float, nargs="+", default=[0.0, 0.5, 1.0, 2.0, 4.0])
    parser.add_argument("--metal-share", type=float, default=0.3)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    model = NeuralMaterialModel.from_file(shipped_material_files()[0])
    relight = {gain: [] for gain in args.gains}
    label_roughness = {gain: [] for gain in args.gains}
    read_roughness = []
    for index in range(args.count):
        fine, supersample = generated_material(index, args.size, args.metal_share, embossed_over=True)
        capture = photographed_capture(index, fine, supersample)
        for gain in args.gains:
            labels = working_size_maps(fine, supersample, gain)
            relight[gain].append(statistics.mean(novel_view_errors(labels, capture, NO_VIEW)))
            label_roughness[gain].append(float(labels.roughness.mean()))
        read_roughness.append(float(predict(model, capture.photos[CENTRE_VIEW], 0).roughness.mean()))
        print(f"material {index}: read roughness {read_roughness[-1]:.3f}; labels "
              + " ".join(f"gain {g:g}: {label_roughness[g][-1]:.3f} relight {relight[g][-1]:.4f}" for g in args.gains),
              flush=True)
    print(f"{args.count} held-out embossed materials, {args.size} px, facets {SUPERSAMPLE}x{SUPERSAMPLE} per pixel; "
          f"shipped gain {TOKSVIG_GAIN:g}")
    print(f"{'gain':>6s} {'labels relight all 9 views':>28s} {'label roughness':>16s}")
    for gain in args.gains:
        print(f"{gain:6g} {statistics.mean(relight[gain]):28.4f} {statistics.mean(label_roughness[gain]):16.3f}")
    print(f"{model.descriptor.name} reads roughness {statistics.mean(read_roughness):.3f} from the centre photos")
    best = min(args.gains, key=lambda gain: statistics.mean(relight[gain]))
    fields = " ".join(f"relight_gain{g:g}={statistics.mean(relight[g]):.4f}" for g in args.gains)
    print(f"RESULT count={args.count} best_gain={best:g} {fields} "
          f"read_roughness={statistics.mean(read_roughness):.3f} "
          f"label_roughness_best={statistics.mean(label_roughness[best]):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
