"""Full-resolution detail from the photo (``server/material/detail.py``): fit its gains, measure them.

``--fit`` fits the gains by least squares on *tuning* materials of the procedural generator
(a seed range of their own), photographed at ``--size`` like in training: for every map, the
part of the ground truth above the working size, against the photo's band as ``detail.py``
hands it on (for each ``--floors`` x ``--smoothing``, each pair's gains scored as ``fitF/S``).
``--match-energy`` adds the albedo gain at which the estimates' fine-detail share on the tuning
materials equals the truths' (``matchF/S``; least squares under-details). The bench then scores
plain upsampling against the shipped gains (and the fitted ones, with ``--fit``; only those with
``--only-fitted``) on the *held-out* materials of ``material_generated.py`` through the public
``estimate`` path: per-map RMSE at full resolution (the strips' encoding), novel-light render
RMSE, and the fine-detail energy (share above 1/8 of Nyquist) of predicted vs true albedo and
normals. ``--real DIR`` adds real photos (no ground
truth): how much of the photo's fine-detail energy share the albedo keeps (median, and the lowest
among photos of 1024 px and more), and the albedo's border band.

    python bench/material_detail.py [--fit] [--size 1024] [--count 8] [--real /work/shared/data/svbrdf/real_flash]
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np
import torch
from material_generated import held_out_samples
from material_quality import arrays_to_encoded, photo_uint8, scores, to_svbrdf
from PIL import Image

from texforge.server.contract import JobContext, MaterialRequest
from texforge.server.material.detail import (
    BAND_FLOOR,
    BAND_SMOOTHING,
    NO_DETAIL,
    PHOTO_DETAIL,
    DetailGains,
    detailed_albedo,
    height_slopes,
    photo_band,
)
from texforge.server.material.imaging import fit_longer_side, luminance
from texforge.server.material.metrics import border_band, high_band_fraction
from texforge.server.material.models import NeuralMaterialModel
from texforge.server.material.render import CaptureSetup
from texforge.server.material.scales import low_pass
from texforge.server.weight_files import shipped_material_files

TUNING_SEED = 3_000_000_019
"""Materials the gains are fitted on: neither a training seed nor the held-out one."""


def fit_gains(samples, working_side: int, floor: float, smoothing: float) -> tuple[DetailGains, dict[str, float]]:  # noqa: ANN001
    """Least-squares gains over ``samples`` (photo, truth in the strips' encoding), and the share of
    each map's missing band they explain.

    Network-free: the estimate stands in as the truth's own low band at the working size, since
    no estimate at that size holds anything finer; what is fitted is how much of the truth's band
    above it the photo's band predicts.
    """
    pairs: dict[str, list[tuple[torch.Tensor, torch.Tensor]]] = {
        name: [] for name in ("albedo", "specular", "roughness", "normal")}
    for photo, encoded in samples:
        truth = to_svbrdf(encoded)
        work = fit_longer_side(photo.shape[2], photo.shape[3], working_side)

        def missing(t: torch.Tensor, work: tuple[int, int] = work) -> torch.Tensor:
            return t - low_pass(t, work)

        band = photo_band(photo, work, floor, smoothing)
        band_y = luminance(band)
        dx, dy = height_slopes(band_y)
        pairs["albedo"].append((missing(truth.diffuse), low_pass(truth.diffuse, work) * band))
        pairs["specular"].append((missing(truth.specular), low_pass(truth.specular, work) * band_y))
        pairs["roughness"].append((missing(truth.roughness), band_y))
        pairs["normal"].append((missing(truth.normal[:, :2]),
                                torch.cat([-dx, -dy], dim=1) * low_pass(truth.normal[:, 2:3], work)))
    gains, explained = {}, {}
    for name, items in pairs.items():
        gain = sum(float((m * x).sum()) for m, x in items) / max(sum(float((x * x).sum()) for _, x in items), 1e-12)
        before = sum(float((m * m).sum()) for m, _ in items)
        after = sum(float(((m - gain * x) ** 2).sum()) for m, x in items)
        gains[name], explained[name] = gain, 1 - (after / max(before, 1e-12)) ** 0.5
    return DetailGains(**gains, floor=floor, smoothing=smoothing), explained


def energy_matching_albedo_gain(model: NeuralMaterialModel, samples, floor: float, smoothing: float) -> float:  # noqa: ANN001
    """The albedo gain at which the estimates' mean fine-detail share equals the truths' over
    ``samples`` (least squares under-details: it shrinks the band towards the mean).

    Each sample is estimated once without detail; the band is then added with
    ``detail.detailed_albedo``, as the pipeline does, so the bisection needs no further network runs.
    """
    plains, bands, target = [], [], 0.0
    model.detail = NO_DETAIL
    for photo, truth in samples:
        request = MaterialRequest.of(photo_uint8(photo), size=photo.shape[-1])
        plains.append(arrays_to_encoded(model.estimate(request, JobContext()))["albedo"])
        bands.append(photo_band(photo, fit_longer_side(photo.shape[2], photo.shape[3], model.working_side),
                                floor, smoothing))
        target += high_band_fraction(truth["albedo"]) / len(samples)

    def share(gain: float) -> float:
        detailed = (detailed_albedo(a, b, gain) for a, b in zip(plains, bands, strict=True))
        return sum(high_band_fraction(d) for d in detailed) / len(plains)

    low, high = 0.0, 8.0
    for _ in range(14):
        middle = (low + high) / 2
        low, high = (middle, high) if share(middle) < target else (low, middle)
    return (low + high) / 2


def score_gains(model: NeuralMaterialModel, gains: DetailGains, samples, setup: CaptureSetup) -> dict[str, float]:  # noqa: ANN001
    """Mean RMSEs and fine-detail energy shares over ``samples`` with ``gains``."""
    model.detail = gains
    totals: dict[str, float] = {}
    for photo, truth in samples:
        request = MaterialRequest.of(photo_uint8(photo), size=photo.shape[-1])
        predicted = arrays_to_encoded(model.estimate(request, JobContext()))
        row = scores(predicted, truth, setup)
        row["albedo_hf"] = high_band_fraction(predicted["albedo"])
        row["albedo_hf_true"] = high_band_fraction(truth["albedo"])
        row["normal_hf"] = high_band_fraction(predicted["normal"][:, :2].norm(dim=1, keepdim=True))
        row["normal_hf_true"] = high_band_fraction(truth["normal"][:, :2].norm(dim=1, keepdim=True))
        for name, value in row.items():
            totals[name] = totals.get(name, 0.0) + value / len(samples)
    return totals


def score_real(model: NeuralMaterialModel, gains: DetailGains, folder: Path) -> dict[str, float]:
    """Over real photos: the median share of fine-detail energy kept by the albedo (its share over
    the photo's), the lowest such ratio among photos of 1024 px and more, and the albedo's border band."""
    model.detail = gains
    ratios, large, borders = [], [], []
    for path in sorted(folder.glob("*.png")):
        photo = np.asarray(Image.open(path).convert("RGB"))
        maps = model.estimate(MaterialRequest.of(photo), JobContext())
        albedo = torch.from_numpy(maps["albedo"]).permute(2, 0, 1)[None]
        ratio = high_band_fraction(albedo) / high_band_fraction(torch.from_numpy(photo / 255.0).permute(2, 0, 1)[None].float())
        ratios.append(ratio)
        if max(photo.shape[:2]) >= 1024:
            large.append(ratio)
        borders.append(border_band(albedo))
    return {"hf_kept_median": float(np.median(ratios)), "hf_kept_1024_min": min(large, default=float("nan")),
            "border_band_min": min(borders), "border_band_max": max(borders), "photos": len(borders),
            "photos_1024": len(large)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", action="store_true", help="fit the gains on tuning materials first")
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--count", type=int, default=8, help="held-out materials scored")
    parser.add_argument("--fit-count", type=int, default=24, help="tuning materials fitted on")
    parser.add_argument("--only-fitted", action="store_true", help="with --fit: score the fitted gains only")
    parser.add_argument("--floors", type=float, nargs="+", default=[BAND_FLOOR], help="band floors to fit with")
    parser.add_argument("--smoothing", type=float, nargs="+", default=[BAND_SMOOTHING], help="band sigmas to fit with")
    parser.add_argument("--match-energy", action="store_true",
                        help="with --fit: also score the albedo gain that matches the truths' fine-detail share")
    parser.add_argument("--metal-share", type=float, default=0.3)
    parser.add_argument("--weights", type=Path, default=None, help="1-shot model file (default: shipped)")
    parser.add_argument("--real", type=Path, default=None, help="folder of real flash photos")
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    setup = CaptureSetup()
    path = args.weights or next(p for p in shipped_material_files() if "1shot" in p.name)
    model = NeuralMaterialModel.from_file(path)
    candidates = {} if args.fit and args.only_fitted else {"plain": NO_DETAIL, "shipped": PHOTO_DETAIL}
    if args.fit:
        tuning = held_out_samples(args.fit_count, args.size, args.metal_share, setup, seed=TUNING_SEED)
        for floor, smoothing in itertools.product(args.floors, args.smoothing):
            fitted, explained = fit_gains(tuning, model.working_side, floor, smoothing)
            print(f"fit floor={floor:g} smoothing={smoothing:g}: "
                  + " ".join(f"{k}={getattr(fitted, k):.4f} (explains {v:.1%})" for k, v in explained.items()), flush=True)
            candidates[f"fit{floor:g}/{smoothing:g}"] = fitted
            if args.match_energy:
                gain = energy_matching_albedo_gain(model, tuning, floor, smoothing)
                print(f"energy-matching albedo gain floor={floor:g} smoothing={smoothing:g}: {gain:.4f}", flush=True)
                candidates[f"match{floor:g}/{smoothing:g}"] = DetailGains(
                    gain, 0.0, 0.0, fitted.normal, floor=floor, smoothing=smoothing)
    held_out = held_out_samples(args.count, args.size, args.metal_share, setup)
    results: dict[str, float] = {}
    for name, gains in candidates.items():
        row = score_gains(model, gains, held_out, setup)
        if args.real is not None:
            row.update({f"real_{k}": v for k, v in score_real(model, gains, args.real).items()})
        print(f"{name:10s} " + " ".join(f"{k}={v:.4f}" for k, v in row.items()), flush=True)
        results.update({f"{name}.{k}": v for k, v in row.items()})
    print(f"RESULT size={args.size} count={args.count} "
          + " ".join(f"{k}={v:.4f}" for k, v in results.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
