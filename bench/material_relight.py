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

One real capture is an acceptance test, not selection data. ``--generated N`` scores the same
protocol on N held-out procedural materials instead (the selection data for it): each is
photographed with our renderer from a 3 x 3 grid of collocated camera and flash positions over
the sample, as such captures are shot (lateral offsets about 0.4 sample widths, a narrow lens
of 20-30 degrees, heights jittered by 10 %), predicted from the centre photo and re-rendered at
the other eight.

    python bench/material_relight.py --data /work/shared/data/svbrdf/multiview_yellow_box
    python bench/material_relight.py --generated 24
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from material_quality import photo_uint8
from PIL import Image

from texforge.server.contract import JobContext, MaterialRequest
from texforge.server.material.closure import exposure_gain
from texforge.server.material.emboss import SUPERSAMPLE, embossed
from texforge.server.material.models import HeuristicMaterialModel, NeuralMaterialModel
from texforge.server.material.pipeline import upsample_maps
from texforge.server.material.procedural import batch_material_and_kind, printed
from texforge.server.material.render import (
    CLIPPED,
    SVBRDF,
    CaptureSetup,
    decode_maps,
    expose,
    metered_exposure,
    render_point_light,
)
from texforge.server.weight_files import shipped_material_files

GAMMA = 2.2
CENTRE_VIEW = 4
"""Index of the middle photo of a 3 x 3 capture grid (yellow_box's too): the one predicted from."""
GENERATED_SEED = 2_000_000_101
"""Held out: training draws materials from seeds < 100."""
PRINTED_SEED = 2_000_000_103
"""Seed of the prints over the generated captures' materials (``--printed``)."""
EMBOSSED_SEED = 2_000_000_107
"""Seed of the embossings of the generated captures' materials (``--embossed``)."""
GRID_OFFSET = 0.4
"""Lateral camera offset of the outer grid positions, in sample widths."""
GENERATED_FOV = (20.0, 30.0)
GENERATED_NOISE = 0.01
MID_GREY = 0.18
"""Linear mean the generated photos are exposed to."""


@dataclass(frozen=True)
class CaptureError:
    """What a hand-held phone capture gets wrong, in sample widths and degrees (``--capture-error``).

    A phone's flash sits about 1 cm beside its lens (0.1 widths of a 10 cm sample), the same way
    for every photo; a multi-view capture's camera positions come from a pose fit, good to a few
    millimetres; a sheet of paper or fabric is never quite flat. The photos are taken with the
    true geometry, the maps are relit with the nominal one (flash at the lens, fitted positions,
    a flat sample), as the real capture's ``optim.json`` is used.
    """

    flash_offset: float = 0.1
    position_sd: float = 0.03
    tilt_degrees: float = 2.0

    def tilted(self, normal: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        """Normals of the sample rotated by ``tilt_degrees`` about a random in-plane axis."""
        angle = math.radians(self.tilt_degrees)
        azimuth = float(torch.rand(1, generator=g)) * 2 * math.pi
        axis = torch.tensor([math.cos(azimuth), math.sin(azimuth), 0.0])
        k = torch.tensor([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
        rotation = torch.eye(3) + math.sin(angle) * k + (1 - math.cos(angle)) * (k @ k)
        return torch.einsum("ij,bjhw->bihw", rotation, normal)

    def flash_beside_lens(self, width: float, g: torch.Generator) -> torch.Tensor:
        """The flash's fixed offset from the lens, in a random in-plane direction."""
        azimuth = float(torch.rand(1, generator=g)) * 2 * math.pi
        return torch.tensor([math.cos(azimuth), math.sin(azimuth), 0.0]) * self.flash_offset * width

    def fitted(self, position: list[float], width: float, g: torch.Generator) -> list[float]:
        """A camera position as a pose fit reports it."""
        return [float(v) for v in torch.tensor(position) + torch.randn(3, generator=g) * self.position_sd * width]


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
    """Display-space RMSE after fitting one exposure gain on the photo's unclipped pixels (a
    clipped highlight says only "at least this bright": fitted as a value, it drags the gain of a
    perfect estimate off by up to 0.13 RMSE on generated captures)."""
    radiance = render_point_light(maps, torch.tensor(light), torch.tensor(camera), 1.0, sample_size)
    gain = exposure_gain(radiance, target ** GAMMA, (target < CLIPPED).to(radiance.dtype))  # per channel
    rendered = (radiance * gain).clamp(0, 1) ** (1 / GAMMA)
    return float(((rendered - target) ** 2).mean().sqrt())


@dataclass(frozen=True)
class Capture:
    """Display-encoded photos of one sample and each photo's collocated camera/flash position."""

    photos: list[torch.Tensor]
    positions: list[list[float]]
    sample_size: float


def real_capture(folder: Path, size: int) -> Capture:
    """The photos and ``optim.json`` geometry of a real multi-view capture."""
    meta = json.loads((folder / "optim.json").read_text())
    if meta["camera_pos"] != meta["light_pos"]:
        raise SystemExit("material_relight: this bench expects the flash at the camera (camera_pos == light_pos)")
    photos = [load_photo(folder / f"{i:02d}.png", size) for i in meta["idx"]]
    return Capture(photos, meta["camera_pos"], meta["im_size"])


def generated_material(index: int, size: int, metal_share: float, printed_over: bool = False,
                       embossed_over: bool = False) -> tuple[SVBRDF, int]:
    """Held-out material ``index`` as photographed, and how many times the photos' size it is
    (``embossed_over``: ``emboss.SUPERSAMPLE``, with relief finer than a photo pixel)."""
    material, _ = batch_material_and_kind(GENERATED_SEED, index, size, metal_share)
    if printed_over:
        material = printed(material, torch.Generator().manual_seed(PRINTED_SEED + index))
    if embossed_over:
        return embossed(material, torch.Generator().manual_seed(EMBOSSED_SEED + index)), SUPERSAMPLE
    return material, 1


def generated_capture(index: int, size: int, metal_share: float, error: CaptureError | None = None,
                      printed_over: bool = False, embossed_over: bool = False) -> Capture:
    """Held-out material ``index`` photographed from a jittered 3 x 3 grid of flash positions,
    with ``error`` between how the photos were taken and the geometry the capture reports;
    ``printed_over``: with a fine print (``procedural.printed``) over the material;
    ``embossed_over``: with relief finer than a pixel, photographed supersampled (``emboss``)."""
    material, supersample = generated_material(index, size, metal_share, printed_over, embossed_over)
    return photographed_capture(index, material, supersample, error)


def photographed_capture(index: int, material: SVBRDF, supersample: int = 1,
                         error: CaptureError | None = None) -> Capture:
    """``generated_capture``'s photos of ``material`` (``supersample`` x the photos' size), already generated."""
    g = torch.Generator().manual_seed(GENERATED_SEED + index)
    error_g = torch.Generator().manual_seed(GENERATED_SEED + 7919 * (index + 1))  # the error-free draws stay as they were
    width = CaptureSetup().sample_size
    fov = GENERATED_FOV[0] + (GENERATED_FOV[1] - GENERATED_FOV[0]) * float(torch.rand(1, generator=g))
    height = 0.5 * width / math.tan(math.radians(fov) / 2)
    positions = []
    for row, col in itertools.product((1, 0, -1), (-1, 0, 1)):
        jitter = (torch.rand(3, generator=g) * 2 - 1) * torch.tensor([0.05 * width, 0.05 * width, 0.1 * height])
        positions.append([col * GRID_OFFSET * width + float(jitter[0]), row * GRID_OFFSET * width + float(jitter[1]),
                          height + float(jitter[2])])
    photographed = material
    flash = torch.zeros(3)
    reported = positions
    if error:
        photographed = SVBRDF(error.tilted(material.normal, error_g), material.diffuse, material.roughness,
                              material.specular)
        flash = error.flash_beside_lens(width, error_g)
        reported = [error.fitted(position, width, error_g) for position in positions]
    photos = []
    for position in positions:
        camera = torch.tensor(position)
        radiance = F.avg_pool2d(render_point_light(photographed, camera + flash, camera, 1.0, width), supersample)
        photos.append(expose(radiance, metered_exposure(radiance, MID_GREY), GAMMA, GENERATED_NOISE, g))
    return Capture(photos, reported, width)


def novel_view_errors(maps: SVBRDF, capture: Capture, input_index: int) -> list[float]:
    """``relight_error`` of ``maps`` at every view of ``capture`` but the one they were predicted from."""
    return [relight_error(maps, photo, position, position, capture.sample_size)
            for i, (photo, position) in enumerate(zip(capture.photos, capture.positions, strict=True)) if i != input_index]


def known_fov_of(capture: Capture, index: int) -> float:
    """Horizontal field of view of a rectified photo that the sample fills, from the camera height."""
    return math.degrees(2 * math.atan(capture.sample_size / 2 / capture.positions[index][2]))


def score_capture(models: list, capture: Capture, args: argparse.Namespace,  # noqa: ANN001
                  verbose: bool) -> dict[str, float]:
    """Mean relight RMSE over the novel views per model variant."""
    results: dict[str, float] = {}
    source = capture.photos[args.input]
    for model in models:
        fovs = [None, known_fov_of(capture, args.input)] if args.known_fov else [None]
        for fov, refine in itertools.product(fovs, sorted({0, args.refine})):
            maps = predict(model, source, refine, fov)
            told = "" if not fov else "@known-fov" if args.generated else f"@fov{fov:.0f}"  # generated: one per material
            name = model.descriptor.name + (f"+refine{refine}" if refine else "") + told
            variants = {name: maps, f"{name}/constant": constant(maps)}
            if args.upsampled_from:
                small = F.interpolate(source, size=(args.upsampled_from,) * 2, mode="area")
                variants[f"{name}/from{args.upsampled_from}"] = upsample_maps(predict(model, small, refine, fov), small,
                                                                              source)
            for label, candidate in variants.items():
                errors = novel_view_errors(candidate, capture, args.input)
                results[label] = float(np.mean(errors))
                if verbose:
                    print(f"{label:36s} mean RMSE over {len(errors)} novel views: {results[label]:.4f}  "
                          f"per view: {' '.join(f'{e:.3f}' for e in errors)}", flush=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", type=Path, help="a real capture: NN.png photos and optim.json")
    source.add_argument("--generated", type=int, default=0, metavar="N",
                        help="N held-out procedural materials photographed as such a capture (selection data)")
    parser.add_argument("--metal-share", type=float, default=0.3, help="with --generated")
    parser.add_argument("--capture-error", action="store_true",
                        help="with --generated: photos taken with a phone's flash offset, pose-fit error and a "
                             "tilted sample, relit with the nominal geometry (CaptureError)")
    parser.add_argument("--printed", action="store_true",
                        help="with --generated: a fine print (line screens, hatching, foil) over each material")
    parser.add_argument("--embossed", action="store_true",
                        help="with --generated: relief finer than a pixel on each material, photographed supersampled "
                             "(a proxy for embossed papers such as yellow_box's)")
    parser.add_argument("--input", type=int, default=CENTRE_VIEW, help="index of the photo to predict from")
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
    models = [NeuralMaterialModel.from_file(p) for p in (args.weights or shipped_material_files())]
    models = [m for m in models if "guide" not in m.descriptor.inputs] + [HeuristicMaterialModel()]
    error = CaptureError() if args.capture_error else None
    if args.data:
        results = score_capture(models, real_capture(args.data, args.size), args, verbose=True)
    else:
        per_material = [score_capture(models, generated_capture(i, args.size, args.metal_share, error, args.printed,
                                                        args.embossed),
                                      args, verbose=False)
                        for i in range(args.generated)]
        results = {k: float(np.mean([r[k] for r in per_material])) for k in per_material[0]}
        print(f"{args.generated} held-out generated materials, 3 x 3 flash grid, fov {GENERATED_FOV[0]:g}-"
              f"{GENERATED_FOV[1]:g}, {args.size} px, input {args.input}"
              + (f", {error}" if error else "") + (", printed over" if args.printed else "") + (", embossed" if args.embossed else ""))
        for label, value in results.items():
            spread = np.std([r[label] for r in per_material]) / math.sqrt(len(per_material))
            print(f"{label:36s} mean RMSE over 8 novel views: {value:.4f}  (+- {spread:.4f} s.e. over materials)")
    fields = " ".join(f"{k.replace('+', '_').replace('@', '_').replace('/', '.')}={v:.4f}" for k, v in results.items())
    print(f"RESULT input={args.input} size={args.size} {fields}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
