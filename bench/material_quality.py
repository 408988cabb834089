"""Material quality on Deschaintre-format strips with ground truth, models side by side.

For every ``sample_*.png`` strip (flash render | normal | diffuse | roughness | specular) each
model predicts maps from the flash tile through the public ``MaterialModel.estimate`` path;
we report RMSE per map in the strips' own encoding (``exemplars.encode_strip_maps``: normal
(n+1)/2; albedo, roughness and specular linear; the models' sRGB-encoded albedo and specular
are decoded to linear first) and the RMSE of a re-rendered photo under a novel light (flash
camera, light moved 40 degrees off-axis) with the default capture setup. Baselines:
``heuristic`` and ``mean-map`` (each map replaced by its mean over the evaluated set). 2-shot
models get a guide photo rendered from the ground-truth maps by our renderer (ambient + two soft
lights, fixed seed), since the strips have none, and stored as the flash tiles are (linear,
``STRIP_TILE_GAMMA``: one camera stores both photos alike); it is pixel-aligned, so it is passed
with ``guide_aligned``. The flash tile is given to the models as stored, with ``linear_photo`` set
(the tiles hold linear light, ``STRIP_TILE_GAMMA``); ``--untold`` leaves it unset, as a client
that does not know would.

    python bench/material_quality.py --data /work/shared/data/svbrdf/synthetic_gt [--refine 50]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from texforge.server.contract import JobContext, MaterialRequest
from texforge.server.material.exemplars import STRIP_MAPS, decode_strip_maps, encode_strip_maps, read_strip
from texforge.server.material.metrics import chroma
from texforge.server.material.models import HeuristicMaterialModel, NeuralMaterialModel
from texforge.server.material.procedural import _guide_radiance
from texforge.server.material.render import SVBRDF, CaptureSetup, decode_maps, expose, render_point_light
from texforge.server.weight_files import shipped_material_files

MAPS = STRIP_MAPS
"""The scored maps; every table keys them in the strips' encoding."""
SCORES = (*MAPS, "render", "chroma")
"""What ``scores`` reports: per-map RMSE, the novel-light render RMSE, the albedo's chroma error."""
STRIP_TILE_GAMMA = 1.0
"""Encoding gamma of the strips' flash tiles as measured: they fit linear renders, not display-encoded
ones (``bench/material_calibrate.py``, docs/material.md "Strip conventions and calibration")."""


def load_strip(path: Path) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """(flash photo (1, 3, H, W), ground-truth maps (1, C, H, W) in the strips' encoding) of one strip."""
    return read_strip(path)


def to_svbrdf(encoded: dict[str, torch.Tensor]) -> SVBRDF:
    """Maps in the strips' encoding -> linear SVBRDF."""
    return decode_strip_maps(encoded)


def novel_light_photo(maps: SVBRDF, setup: CaptureSetup) -> torch.Tensor:
    """Photo with the camera at the flash position and the light 40 degrees off-axis."""
    d = setup.camera_distance
    camera = torch.tensor([0.0, 0.0, d])
    light = torch.tensor([d * 0.55, d * 0.35, d * 0.77])
    return expose(render_point_light(maps, light, camera, setup.light_intensity, setup.sample_size), 1.0, setup.gamma)


def arrays_to_encoded(maps: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """Model output arrays (H, W, C; the contract's encoding: sRGB albedo and specular) -> tensors
    (1, C, H, W) in the strips' encoding (linear albedo and specular), as the ground truth."""
    t = {name: torch.from_numpy(maps[name]).permute(2, 0, 1)[None] for name in MAPS}
    return encode_strip_maps(decode_maps(t["normal"], t["albedo"], t["roughness"], t["specular"]))


def photo_uint8(photo: torch.Tensor) -> np.ndarray:
    """A ``(1, 3, H, W)`` photo in [0, 1] as the H x W x 3 uint8 array a phone would store."""
    return (photo[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)


def guide_for(truth: SVBRDF, gamma: float) -> np.ndarray:
    """A synthetic no-flash guide photo of the ground-truth maps, encoded with ``gamma``."""
    radiance = _guide_radiance(truth, torch.Generator().manual_seed(0))
    return expose(radiance, 1.0, gamma)[0].permute(1, 2, 0).numpy()


def scores(predicted: dict[str, torch.Tensor], truth: dict[str, torch.Tensor], setup: CaptureSetup) -> dict[str, float]:
    """Per-map RMSE, novel-light render RMSE and the albedo chroma error (distance of the mean
    chromaticities, linear)."""
    out = {name: float(((predicted[name] - truth[name]) ** 2).mean().sqrt()) for name in MAPS}
    out["chroma"] = float((chroma(predicted["albedo"]) - chroma(truth["albedo"])).norm())
    a = novel_light_photo(to_svbrdf(predicted), setup)
    b = novel_light_photo(to_svbrdf(truth), setup)
    out["render"] = float(((a - b) ** 2).mean().sqrt())
    return out


def evaluate(model, strips, setup: CaptureSetup, refine: int,  # noqa: ANN001
             per_strip: bool = False, per_sample: list[dict[str, float]] | None = None,
             fovs: list[float] | None = None, guide_gamma: float | None = None,
             linear_photo: bool = False) -> tuple[dict[str, float], float]:
    """Mean scores over strips and seconds per strip (each strip's scores printed if `per_strip`,
    appended to ``per_sample`` when given); ``fovs``: each photo's field of view, sent in the
    request as a user who knows the lens would (default: none sent); ``guide_gamma``: the 2-shot
    guide's encoding (default: the capture setup's); ``linear_photo``: tell the model the photos hold
    linear light."""
    totals = {name: 0.0 for name in SCORES}
    started = time.perf_counter()
    for index, (photo, truth) in enumerate(strips):
        flash = photo_uint8(photo)
        guide = (guide_for(to_svbrdf(truth), setup.gamma if guide_gamma is None else guide_gamma)
                 if "guide" in model.descriptor.inputs else None)
        # the synthetic guide is pixel-aligned by construction (alignment: bench/material_align.py)
        request = MaterialRequest.of(flash, guide=guide, size=photo.shape[-1], refine_steps=refine,
                                     guide_aligned=guide is not None, fov_degrees=fovs[index] if fovs else None,
                                     linear_photo=linear_photo)
        predicted = arrays_to_encoded(model.estimate(request, JobContext()))
        strip_scores = scores(predicted, truth, setup)
        if per_sample is not None:
            per_sample.append(strip_scores)
        if per_strip:
            print(f"  {model.descriptor.name} strip {index}: "
                  + " ".join(f"{k}={v:.3f}" for k, v in strip_scores.items()))
        for name, value in strip_scores.items():
            totals[name] += value / len(strips)
    return totals, (time.perf_counter() - started) / len(strips)


def mean_map_scores(strips, setup: CaptureSetup, per_sample: list[dict[str, float]] | None = None) -> dict[str, float]:  # noqa: ANN001
    """Scores of the baseline predicting every map's mean over the evaluated set."""
    means = {name: torch.stack([t[name].mean(dim=(2, 3)) for _, t in strips]).mean(0) for name in MAPS}
    totals = {name: 0.0 for name in SCORES}
    for _, truth in strips:
        predicted = {name: means[name][:, :, None, None].expand_as(truth[name]) for name in MAPS}
        row = scores(predicted, truth, setup)
        if per_sample is not None:
            per_sample.append(row)
        for name, value in row.items():
            totals[name] += value / len(strips)
    return totals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--refine", type=int, default=0, help="also evaluate with N refinement steps")
    parser.add_argument("--weights", type=Path, nargs="*", default=None, help="model files (default: shipped)")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--per-strip", action="store_true", help="print every strip's scores too")
    parser.add_argument("--guide-gamma", type=float, default=STRIP_TILE_GAMMA,
                        help="encoding of the 2-shot models' synthetic guide (default: as the flash tiles are stored)")
    parser.add_argument("--untold", action="store_true",
                        help="do not tell the models that the tiles hold linear light (linear_photo)")
    parser.add_argument("--single-view", action="store_true",
                        help="also score each network on the photo alone, without the 8-symmetry self-ensemble")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    strips = [load_strip(p) for p in sorted(args.data.glob("sample_*.png"))]
    if not strips:
        raise SystemExit(f"no sample_*.png strips in {args.data}")
    setup = CaptureSetup()
    rows: dict[str, dict[str, float]] = {"mean-map": mean_map_scores(strips, setup)}
    models = [NeuralMaterialModel.from_file(p) for p in (args.weights or shipped_material_files())]
    if args.single_view:
        models += [NeuralMaterialModel(m.net, m.capture, m.descriptor.card, f"{m.descriptor.name}/1view",
                                       symmetries=(0,)) for m in list(models)]
    models.append(HeuristicMaterialModel())
    told = {"guide_gamma": args.guide_gamma, "linear_photo": not args.untold}
    for model in models:
        rows[model.descriptor.name], seconds = evaluate(model, strips, setup, 0, args.per_strip, **told)
        if args.refine > 0:
            rows[f"{model.descriptor.name}+refine{args.refine}"], _ = evaluate(model, strips, setup, args.refine, **told)
    print_scores(f"{len(strips)} strips", rows, f"strips={len(strips)}")
    return 0


def print_scores(title: str, rows: dict[str, dict[str, float]], result_prefix: str) -> None:
    """The side-by-side table and the ``RESULT`` line."""
    print(f"{title}; RMSE of maps in the strips' encoding (linear albedo, specular) and of a novel-light render")
    print(f"{'model':28s}" + "".join(f"{name:>11s}" for name in (*MAPS, "render")))
    for name, row in rows.items():
        print(f"{name:28s}" + "".join(f"{row[k]:11.5f}" for k in (*MAPS, "render")))
    print(f"RESULT {result_prefix} {result_fields(rows)}")


def result_fields(rows: dict[str, dict[str, float]], columns: tuple[str, ...] | None = None) -> str:
    """``ROW.COLUMN=VALUE`` fields of a material bench's ``RESULT`` line (every column unless ``columns``
    names some), to 5 decimals: models and settings can differ by less than 1e-4."""
    return " ".join(f"{name.replace('+', '_')}.{k}={row[k]:.5f}" for name, row in rows.items()
                    for k in (columns or tuple(row)))


if __name__ == "__main__":
    raise SystemExit(main())
