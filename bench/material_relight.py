"""Relighting on real multi-view flash photos: predict from one photo, re-render the others.

The folder holds rectified flash photos of one flat sample and ``optim.json`` with each
photo's camera and light position (cm) and the sample's width ``im_size`` (cm). A model
predicts maps from photo ``--input`` through the public ``MaterialModel.estimate`` path; the
maps are rendered with every other photo's camera and light, a per-photo exposure gain is
fitted (least squares on linear values, the light's power being unknown), and the RMSE of the
display-encoded renders against the photos is reported at ``--size`` pixels, next to the same
maps made constant (each map its mean, normals flat) and, with ``--upsampled-from N``, to the
maps predicted from the photo at N px and upsampled to ``--size`` (what detail is worth). With
``--known-fov`` each model also runs with the input photo's real field of view (from its camera
height and the sample width) in the request, as a user who knows the lens would send it.

    python bench/material_relight.py --data /work/shared/data/svbrdf/multiview_yellow_box
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from material_quality import photo_uint8
from PIL import Image

from texforge.server.contract import JobContext, MaterialRequest
from texforge.server.material.models import HeuristicMaterialModel, NeuralMaterialModel
from texforge.server.material.pipeline import upsample_maps
from texforge.server.material.render import SVBRDF, decode_maps, render_point_light
from texforge.server.weight_files import shipped_material_files

GAMMA = 2.2


def load_photo(path: Path, size: int) -> torch.Tensor:
    """(1, 3, size, size) display-encoded photo in [0, 1]."""
    image = Image.open(path).convert("RGB").resize((size, size), Image.Resampling.BOX)
    return torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0).permute(2, 0, 1)[None]


def predict(model, photo: torch.Tensor, refine: int, fov_degrees: float | None = None) -> SVBRDF:  # noqa: ANN001
    """Linear maps of ``photo`` through the model's public estimate path."""
    request = MaterialRequest.of(photo_uint8(photo), size=photo.shape[-1], refine_steps=refine, fov_degrees=fov_degrees)
    maps = model.estimate(request, JobContext())

    def t(name: str) -> torch.Tensor:
        return torch.from_numpy(maps[name]).permute(2, 0, 1)[None]

    return decode_maps(t("normal"), t("albedo"), t("roughness"), t("specular"))


def constant(maps: SVBRDF) -> SVBRDF:
    """Each map replaced by its mean, normals flat: what the maps' spatial variation is worth."""
    flat = torch.zeros_like(maps.normal)
    flat[:, 2] = 1
    return SVBRDF(flat, *(t.mean(dim=(2, 3), keepdim=True).expand_as(t) for t in (maps.diffuse, maps.roughness, maps.specular)))


def relight_error(maps: SVBRDF, target: torch.Tensor, light: list[float], camera: list[float],
                  sample_size: float) -> float:
    """Display-space RMSE after fitting one exposure gain."""
    radiance = render_point_light(maps, torch.tensor(light), torch.tensor(camera), 1.0, sample_size)
    target_linear = target ** GAMMA
    gain = (radiance * target_linear).sum() / (radiance * radiance).sum().clamp_min(1e-12)
    rendered = (radiance * gain).clamp(0, 1) ** (1 / GAMMA)
    return float(((rendered - target) ** 2).mean().sqrt())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--input", type=int, default=4, help="index of the photo to predict from")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--refine", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--weights", type=Path, nargs="*", default=None, help="model files (default: shipped)")
    parser.add_argument("--upsampled-from", type=int, default=0,
                        help="also score maps predicted from the photo at N px and upsampled to --size")
    parser.add_argument("--known-fov", action="store_true",
                        help="also run every model with the input photo's real field of view in the request")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    meta = json.loads((args.data / "optim.json").read_text())
    photos = [load_photo(args.data / f"{i:02d}.png", args.size) for i in meta["idx"]]
    models = [NeuralMaterialModel.from_file(p) for p in (args.weights or shipped_material_files())]
    models = [m for m in models if "guide" not in m.descriptor.inputs] + [HeuristicMaterialModel()]
    known_fov = math.degrees(2 * math.atan(meta["im_size"] / 2 / meta["camera_pos"][args.input][2]))
    results: dict[str, float] = {}
    for model in models:
        fovs = [None, known_fov] if args.known_fov else [None]
        for fov, refine in itertools.product(fovs, sorted({0, args.refine})):
            maps = predict(model, photos[args.input], refine, fov)
            name = model.descriptor.name + (f"+refine{refine}" if refine else "") + (f"@fov{fov:.0f}" if fov else "")
            variants = {name: maps, f"{name}/constant": constant(maps)}
            if args.upsampled_from:
                small = F.interpolate(photos[args.input], size=(args.upsampled_from,) * 2, mode="area")
                variants[f"{name}/from{args.upsampled_from}"] = upsample_maps(predict(model, small, refine, fov), small,
                                                                              photos[args.input])
            for label, candidate in variants.items():
                errors = [relight_error(candidate, photos[i], meta["light_pos"][i], meta["camera_pos"][i],
                                        meta["im_size"]) for i in range(len(photos)) if i != args.input]
                results[label] = float(np.mean(errors))
                print(f"{label:36s} mean RMSE over {len(errors)} novel views: {results[label]:.4f}  "
                      f"per view: {' '.join(f'{e:.3f}' for e in errors)}", flush=True)
    fields = " ".join(f"{k.replace('+', '_').replace('@', '_').replace('/', '.')}={v:.4f}" for k, v in results.items())
    print(f"RESULT input={args.input} size={args.size} {fields}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
