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
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch
from material_quality import evaluate, mean_map_scores, photo_uint8, print_scores

from texforge.server.contract import JobContext, MaterialRequest
from texforge.server.material.exemplars import encode_strip_maps
from texforge.server.material.metrics import chroma, radial_profile
from texforge.server.material.models import HeuristicMaterialModel, NeuralMaterialModel
from texforge.server.material.procedural import CaptureJitter, batch_material_and_kind, printed, render_capture_with_fov
from texforge.server.material.render import SVBRDF, CaptureSetup, FlashRenderer, capture_for, srgb_to_linear
from texforge.server.weight_files import shipped_material_files

HELD_OUT_SEED = 2_000_000_011
"""Training draws materials from seed * 10_000_019 + step with seeds < 100: never this one."""
PRINTED_SEED = 2_000_000_013
"""Seed of the held-out prints (``--printed``); training's come from its own step seeds."""


def held_out_samples(count: int, size: int, metal_share: float, setup: CaptureSetup, seed: int = HELD_OUT_SEED,
                     metals: list[bool] | None = None, jitter: CaptureJitter | None = None,
                     fovs: list[float] | None = None,
                     printed_over: bool = False) -> list[tuple[torch.Tensor, dict[str, torch.Tensor]]]:
    """``count`` (flash photo (1, 3, H, W), ground truth in the strips' encoding) pairs, reproducible;
    whether each is a metal is appended to ``metals`` and its field of view to ``fovs`` when given;
    photos with ``jitter``'s capture ranges (default: training's); ``printed_over``: each material
    with a fine print (``procedural.printed``) over it."""
    samples = []
    for index in range(count):
        material, metal = batch_material_and_kind(seed, index, size, metal_share)
        if printed_over:
            material = printed(material, torch.Generator().manual_seed(PRINTED_SEED + index))
        if metals is not None:
            metals.append(metal)
        flash, _, fov = render_capture_with_fov(material, torch.Generator().manual_seed(seed + index), setup, jitter)
        if fovs is not None:
            fovs.append(float(fov[0]))
        samples.append((flash, encode_strip_maps(material)))
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=48)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--metal-share", type=float, default=0.3)
    parser.add_argument("--weights", type=Path, nargs="*", default=None, help="model files (default: the shipped networks)")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--fov", type=float, nargs=2, default=list(CaptureJitter.fov_degrees), metavar=("LOW", "HIGH"),
                        help="range of the photos' horizontal field of view, degrees (e.g. 23 23: a zoomed phone lens)")
    parser.add_argument("--gamma", type=float, nargs=2, default=list(CaptureJitter.gamma), metavar=("LOW", "HIGH"),
                        help="range of the photos' encoding gamma (1 1: linear photos, as the Deschaintre strips' input tiles)")
    parser.add_argument("--linear-photo", action="store_true",
                        help="tell the models the photos hold linear light (with --gamma 1 1)")
    parser.add_argument("--known-fov", action="store_true",
                        help="send each photo's field of view in the request, as a user who knows the lens would")
    parser.add_argument("--printed", action="store_true",
                        help="each material with a fine print over it (line screens, hatching, foil: procedural.printed)")
    parser.add_argument("--auto-exposure", action="store_true",
                        help="photos metered as a phone's auto-exposure does (CaptureJitter.auto_exposure_share), "
                             "not taken with the calibrated flash")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    setup = CaptureSetup()
    metals: list[bool] = []
    jitter = CaptureJitter(fov_degrees=(args.fov[0], args.fov[1]), gamma=(args.gamma[0], args.gamma[1]),
                           auto_exposure_share=1.0 if args.auto_exposure else 0.0)
    fovs: list[float] = []
    # one fixed gamma (e.g. 1 1: linear photos) is the guide's too, as one camera stores both photos
    guide_gamma = args.gamma[0] if args.gamma[0] == args.gamma[1] else setup.gamma
    samples = held_out_samples(args.count, args.size, args.metal_share, setup, metals=metals, jitter=jitter, fovs=fovs,
                               printed_over=args.printed)
    paths = args.weights or shipped_material_files()
    models = [NeuralMaterialModel.from_file(p) for p in paths] + [HeuristicMaterialModel()]
    per_sample: dict[str, list[dict[str, float]]] = {"mean-map": []}
    rows = {"mean-map": mean_map_scores(samples, setup, per_sample["mean-map"])}
    for model in models:
        per_sample[model.descriptor.name] = []
        rows[model.descriptor.name], _ = evaluate(model, samples, setup, 0, per_sample=per_sample[model.descriptor.name],
                                                  fovs=fovs if args.known_fov else None, guide_gamma=guide_gamma,
                                                  linear_photo=args.linear_photo)
    for name, items in per_sample.items():
        rows[name].update(kind_scores(items, metals))
    for model in models:
        rows[model.descriptor.name].update(uniform_scores(model, setup))
    print_scores(f"{args.count} held-out generated materials ({args.size} px, metal share {args.metal_share:g}, "
                 f"fov {args.fov[0]:g}-{args.fov[1]:g}{', told' if args.known_fov else ''}, "
                 f"gamma {args.gamma[0]:g}-{args.gamma[1]:g}{', told linear' if args.linear_photo else ''}"
                 f"{', auto-exposed' if args.auto_exposure else ''}{', printed over' if args.printed else ''})", rows,
                 f"materials={args.count} metals={sum(metals)}")
    print_kind_table(rows)
    return 0


UNIFORM_ALBEDO = (0.30, 0.26, 0.21)
"""Linear albedo of the uniform test surface: a warm beige paint."""


def uniform_surface(size: int, setup: CaptureSetup, fov_degrees: float) -> tuple[np.ndarray, SVBRDF]:
    """A flash photo (uint8, as a phone stores it) of a flat uniform beige dielectric, and its maps."""
    flat = torch.zeros(1, 3, size, size)
    flat[:, 2] = 1
    maps = SVBRDF(flat, torch.tensor(UNIFORM_ALBEDO).reshape(1, 3, 1, 1).expand(1, 3, size, size).clone(),
                  torch.full((1, 1, size, size), 0.5), torch.full((1, 3, size, size), 0.04))
    # the flash scaled with the distance, as a phone's auto-exposure (and every training photo) has it
    photo = FlashRenderer(capture_for(setup, fov_degrees)).photo(maps)
    return photo_uint8(photo), maps


UNIFORM_FOVS = (45.0, 60.0, 75.0)
"""Fields of view the uniform surface is photographed at (a phone's main lens is about 60-70)."""


def uniform_scores(model, setup: CaptureSetup, size: int = 256) -> dict[str, float]:  # noqa: ANN001
    """Radial albedo profile (centre ring over the whole mean; 1.0 is de-lit) and chroma error of
    the uniform surface, the worst over ``UNIFORM_FOVS`` (1-shot models only), and the centre at
    each field of view (``uniform_centre_45``...): a network that guesses an untold lens can leave
    a dip at one and a hotspot at another, which the worst alone does not show."""
    if "guide" in model.descriptor.inputs:
        return {}
    centres: dict[str, float] = {}
    edges: list[float] = []
    chromas: list[float] = []
    for fov in UNIFORM_FOVS:
        photo, truth = uniform_surface(size, setup, fov)
        albedo = torch.from_numpy(model.estimate(MaterialRequest.of(photo), JobContext())["albedo"]).permute(2, 0, 1)[None]
        albedo = srgb_to_linear(albedo)
        profile = radial_profile(albedo)
        centres[f"uniform_centre_{fov:.0f}"] = profile[0]
        edges.append(profile[-1])
        chromas.append(float((chroma(albedo) - chroma(truth.diffuse)).norm()))
    return {"uniform_centre": _farthest_from_one(centres.values()), "uniform_edge": _farthest_from_one(edges),
            "uniform_chroma": max(chromas), **centres}


def _farthest_from_one(values: Iterable[float]) -> float:
    return max(values, key=lambda v: abs(v - 1))


def kind_scores(items: list[dict[str, float]], metals: list[bool]) -> dict[str, float]:
    """Albedo and specular RMSE over metals and over dielectrics, and the dielectrics' albedo
    chroma error (a metal's near-black albedo has no colour to keep)."""
    out = {}
    for kind, wanted in (("metal", True), ("dielectric", False)):
        chosen = [item for item, metal in zip(items, metals, strict=True) if metal == wanted]
        for name in ("albedo", "specular") + (("chroma",) if not wanted else ()):
            out[f"{kind}_{name}"] = sum(item[name] for item in chosen) / max(len(chosen), 1)
    return out


def print_kind_table(rows: dict[str, dict[str, float]]) -> None:
    """Metal vs dielectric columns of every row."""
    columns = ("metal_albedo", "metal_specular", "dielectric_albedo", "dielectric_specular", "dielectric_chroma")
    print(f"{'split by kind':28s}" + "".join(f"{c:>20s}" for c in columns))
    for name, row in rows.items():
        print(f"{name:28s}" + "".join(f"{row[c]:20.4f}" for c in columns))
    uniform = ("uniform_centre", "uniform_edge", "uniform_chroma", *(f"uniform_centre_{f:.0f}" for f in UNIFORM_FOVS))
    print(f"{'uniform beige surface':28s}" + "".join(f"{c:>20s}" for c in uniform))
    for name, row in rows.items():
        if "uniform_centre" in row:
            print(f"{name:28s}" + "".join(f"{row[c]:20.4f}" for c in uniform))


if __name__ == "__main__":
    raise SystemExit(main())
