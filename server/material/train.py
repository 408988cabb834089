"""Train a material network on procedural SVBRDFs: ``texforge train material ...``.

Every step draws a fresh batch of procedural materials and photos from ``(seed, step)``, so
a run is reproducible and ``--resume`` continues exactly where the last checkpoint stopped
(optimiser and trained weights in ``FILE.state.safetensors``; see
``texforge.server.training.checkpoint``). With ``--ema DECAY`` the saved and validated weights
are an exponential moving average of the trained ones. Validation runs on held-out generated
materials (another seed range) and, with ``--val DIR``, on Deschaintre-format strips.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import nn

from ..training.cards import training_card
from ..training.config import RunConfig, add_run_arguments
from ..training.loop import configure_torch, run_loop, start
from ..training.precision import forward_fp32
from ..training.state import TrainingState
from .emboss import SUPERSAMPLE, embossed, working_size_maps
from .exemplars import decode_strip_maps, encode_strip_maps, load_exemplar, random_exemplar_crop, read_strip
from .losses import MAP_LOSSES, map_losses, random_lighting, rendering_loss
from .network import MaterialNet, NetworkConfig, half_fov_tangent, load_grown_state
from .procedural import (
    AUTO_EXPOSURE_MEAN,
    METAL_SHARE,
    CaptureJitter,
    batch_material,
    generate_batch,
    plain_material,
    printed,
    render_capture_with_fov,
)
from .render import SVBRDF, CaptureSetup
from .weights import TRAINING_CROP_SIZE, load_model, save_model

logger = logging.getLogger(__name__)

VALIDATION_SEED = 1_000_000_007
"""Seed of the held-out generated materials; training seeds never reach it."""

FOV_TOLD_SHARE = 0.75
"""Share of training photos whose field of view a ``fov_input`` or ``view_input`` network is told; the others
teach it to estimate without one, as for a photo without EXIF when the user gives none."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``texforge train material``."""
    # warm-up 0 and a floor of 0.05 keep the schedule of the shipped models' runs: cosine, floored at 5 %
    add_run_arguments(parser, steps=2000, lr=2e-4, batch=4, crop=TRAINING_CROP_SIZE, warmup=0, min_lr_ratio=0.05,
                      val_every=200, log_every=50)
    parser.add_argument("--shots", type=int, choices=(1, 2), default=1, help="1: flash; 2: flash + guide")
    parser.add_argument("--map-loss", choices=MAP_LOSSES, default="l1",
                        help="per-map loss: l1 (median), rmse (mean; what RMSE benchmarks reward) or rmse-strip "
                             "(rmse of linear albedo and specular, the encoding the benches score)")
    parser.add_argument("--exemplars", type=Path, nargs="+", default=[],
                        help="map-set images (last 4 square tiles: normal, diffuse, roughness, specular) to mix in")
    parser.add_argument("--exemplar-fraction", type=float, default=0.5,
                        help="share of each batch drawn from --exemplars instead of the procedural generator")
    parser.add_argument("--metal-share", type=float, default=METAL_SHARE,
                        help="probability that a procedural material is a metal")
    parser.add_argument("--plain-share", type=float, default=0.0,
                        help="share of each batch drawn as nearly uniform surfaces (procedural.plain_material)")
    parser.add_argument("--print-share", type=float, default=0.0,
                        help="share of batch items that get a fine print (procedural.printed: line screens, "
                             "hatching, foil) over their albedo")
    parser.add_argument("--emboss-share", type=float, default=0.0,
                        help="share of batches embossed with relief finer than a pixel and photographed "
                             f"supersampled ({SUPERSAMPLE}x{SUPERSAMPLE} facets a pixel; emboss.py), their roughness "
                             "labels widened by the facets' slopes (Toksvig)")
    parser.add_argument("--val", type=Path, default=None, help="folder of Deschaintre sample_*.png strips")
    parser.add_argument("--render-weight", type=float, default=1.0, help="weight of the rendering loss")
    parser.add_argument("--renders", type=int, default=4, help="random renders per step in the rendering loss")
    parser.add_argument("--base-channels", type=int, default=16, help="channels of the first U-Net stage")
    parser.add_argument("--max-channels", type=int, default=128, help="channel cap of the deeper stages")
    parser.add_argument("--depth", type=int, default=5, help="U-Net stages")
    parser.add_argument("--global-dim", type=int, default=64, help="width of the global-feature track")
    parser.add_argument("--photo-skip", action="store_true", help="the output head also sees the input photos")
    parser.add_argument("--fov-input", action="store_true",
                        help=f"the network also reads the photo's field of view when known "
                             f"(told for {FOV_TOLD_SHARE * 100:.0f}%% of training photos)")
    parser.add_argument("--view-input", action="store_true",
                        help=f"the network's stem also reads each pixel's view direction when the field of view is "
                             f"known (told for {FOV_TOLD_SHARE * 100:.0f}%% of training photos)")
    parser.add_argument("--view-lr-scale", type=float, default=1.0,
                        help="learning rate of the view-direction input over the rest's (a new input grown into "
                             "a trained net starts at zero and moves slowly at a fine-tune's rate)")
    parser.add_argument("--exposure", type=float, nargs=2, default=list(CaptureJitter.exposure),
                        metavar=("LOW", "HIGH"), help="range of the training photos' exposure")
    parser.add_argument("--fov", type=float, nargs=2, default=list(CaptureJitter.fov_degrees),
                        metavar=("LOW", "HIGH"), help="range of the training photos' horizontal field of view, degrees")
    parser.add_argument("--linear-share", type=float, default=CaptureJitter.linear_share,
                        help="share of batches whose photos are stored linear (gamma 1), as the Deschaintre strips' "
                             "input tiles are; the others are display-encoded")
    parser.add_argument("--auto-exposure-share", type=float, default=CaptureJitter.auto_exposure_share,
                        help="share of photos auto-exposed (their mean brightness metered to a random level) instead "
                             "of taken with the calibrated flash and --exposure")
    parser.add_argument("--roughness-curve", type=float, nargs=2, default=list(CaptureJitter.roughness_curve),
                        metavar=("LOW", "HIGH"),
                        help="range of p: photos rendered with roughness r^p, labels keep r (1 1: off)")
    parser.add_argument("--device", default="cpu", help="accepted for old command lines; training runs on the CPU")


@dataclass(frozen=True)
class MaterialTrainConfig:
    """Everything ``texforge train material`` was asked for, checked once."""

    run: RunConfig
    shots: int
    """1: flash photo; 2: flash + guide."""
    network: NetworkConfig
    map_loss: str
    exemplars: tuple[Path, ...]
    exemplar_fraction: float
    metal_share: float
    plain_share: float
    """Share of batch items that are nearly uniform surfaces."""
    print_share: float
    """Share of batch items with a fine print over their albedo."""
    emboss_share: float
    """Share of batches with relief finer than a pixel, photographed supersampled."""
    val: Path | None
    """Folder of Deschaintre strips to validate on (1-shot only)."""
    render_weight: float
    renders: int
    jitter: CaptureJitter
    """Capture ranges of the training photos."""
    view_lr_scale: float
    """Learning rate of the ``view_input`` stem over the rest's."""
    device: str

    @classmethod
    def from_namespace(cls, args: argparse.Namespace) -> MaterialTrainConfig:
        """The config of a namespace parsed with ``add_arguments``'s options; ValueError names a bad option."""
        network = NetworkConfig(in_channels=3 * args.shots, base_channels=args.base_channels,
                                max_channels=args.max_channels, depth=args.depth, global_dim=args.global_dim,
                                photo_skip=int(args.photo_skip), fov_input=int(args.fov_input),
                                view_input=int(args.view_input))
        if args.view_lr_scale <= 0:
            raise ValueError(f"--view-lr-scale must be positive, got {args.view_lr_scale:g}")
        for option in ("plain_share", "print_share", "emboss_share"):
            if not 0.0 <= getattr(args, option) <= 1.0:
                raise ValueError(f"--{option.replace('_', '-')} must lie in [0, 1], got {getattr(args, option):g}")
        return cls(RunConfig.from_namespace(args), args.shots, network, args.map_loss, tuple(args.exemplars),
                   args.exemplar_fraction, args.metal_share, args.plain_share, args.print_share,
                   args.emboss_share, args.val, args.render_weight, args.renders, capture_jitter(args),
                   args.view_lr_scale, args.device)


class TrainingBatch(NamedTuple):
    """One step's network input and target."""

    photos: torch.Tensor
    maps: SVBRDF
    tangents: torch.Tensor
    """``(B,)`` ``half_fov_tangent`` of each photo as the network is told it (0: not told)."""


def training_batch(config: MaterialTrainConfig, step: int, setup: CaptureSetup,
                   exemplars: list[SVBRDF] | None = None) -> TrainingBatch:
    """Network input and target maps of one step; depends only on (seed, step), the exemplars and
    the capture ranges."""
    seed = config.run.seed * 10_000_019 + step
    g = torch.Generator().manual_seed(seed)
    if exemplars:
        maps = _mixed_batch(config, seed, exemplars, g)
    else:
        maps = generate_batch(config.run.batch, config.run.crop, seed, config.metal_share)
    if config.plain_share > 0:
        maps = _with_plain_items(config, seed, maps)
    if config.print_share > 0:
        maps = _with_printed_items(config, seed, maps)
    photographed, supersample = maps, 1
    if config.emboss_share > 0 and _drawn(config.emboss_share, torch.Generator().manual_seed(seed * 41 + 23)):
        photographed, supersample = embossed(maps, torch.Generator().manual_seed(seed * 43 + 29)), SUPERSAMPLE
        maps = working_size_maps(photographed, supersample)
    flash, guide, fov = render_capture_with_fov(photographed, g, setup, config.jitter, supersample,
                                                guide=config.shots == 2)
    photos = flash if guide is None else torch.cat([flash, guide], dim=1)
    return TrainingBatch(photos, maps, told_tangents(fov, photos, torch.Generator().manual_seed(seed * 13 + 5)))


def _drawn(share: float, g: torch.Generator) -> bool:
    return float(torch.rand((), generator=g)) < share


def told_tangents(fov_degrees: torch.Tensor, photos: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """``half_fov_tangent`` of each photo, 0 for the ones (1 - ``FOV_TOLD_SHARE``) left untold;
    drawn from a generator of their own, so the photos are those of a run without the input."""
    told = torch.rand(fov_degrees.shape[0], generator=g) < FOV_TOLD_SHARE
    tangents = batch_tangents(fov_degrees, photos)
    return torch.where(told, tangents, torch.zeros_like(tangents))


def batch_tangents(fov_degrees: torch.Tensor, photos: torch.Tensor) -> torch.Tensor:
    """``half_fov_tangent`` of each photo of a batch ``(B, C, H, W)`` from its horizontal field of view ``(B,)``."""
    h, w = photos.shape[2:]
    return torch.tensor([half_fov_tangent(float(f), h, w) for f in fov_degrees])


def capture_jitter(args: argparse.Namespace) -> CaptureJitter:
    """The training photos' capture ranges, as the command line sets them."""
    fov = _checked_range(args.fov, "--fov")
    if fov[1] >= 180:
        raise ValueError(f"--fov needs HIGH < 180 degrees, got {fov[1]:g}")
    for option, share in (("--linear-share", args.linear_share), ("--auto-exposure-share", args.auto_exposure_share)):
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"{option} must lie in [0, 1], got {share:g}")
    return CaptureJitter(fov_degrees=fov, exposure=_checked_range(args.exposure, "--exposure"),
                         linear_share=args.linear_share, auto_exposure_share=args.auto_exposure_share,
                         roughness_curve=_checked_range(args.roughness_curve, "--roughness-curve"))


def _checked_range(values: list[float], option: str) -> tuple[float, float]:
    low, high = float(values[0]), float(values[1])
    if not 0 < low <= high:
        raise ValueError(f"{option} needs 0 < LOW <= HIGH, got {low:g} {high:g}")
    return low, high


def _mixed_batch(config: MaterialTrainConfig, seed: int, exemplars: list[SVBRDF], g: torch.Generator) -> SVBRDF:
    """Each item an augmented exemplar crop with probability ``--exemplar-fraction``, else the
    procedural material ``generate_batch`` would have put there (only those are generated)."""
    items = []
    for index in range(config.run.batch):
        if float(torch.rand((), generator=g)) < config.exemplar_fraction:
            exemplar = exemplars[int(torch.randint(len(exemplars), (), generator=g))]
            items.append(random_exemplar_crop(exemplar, config.run.crop, g))
        else:
            items.append(batch_material(seed, index, config.run.crop, config.metal_share))
    return SVBRDF.from_stacked(torch.cat([item.stacked() for item in items], dim=0))


def _with_plain_items(config: MaterialTrainConfig, seed: int, maps: SVBRDF) -> SVBRDF:
    """``maps`` with each item replaced by a plain surface with probability ``--plain-share``."""
    g = torch.Generator().manual_seed(seed * 31 + 17)
    return _with_items_replaced(maps, config.plain_share, g,
                                lambda _: plain_material(config.run.crop, g, config.metal_share))


def _with_printed_items(config: MaterialTrainConfig, seed: int, maps: SVBRDF) -> SVBRDF:
    """``maps`` with each item printed over (``procedural.printed``) with probability ``--print-share``."""
    g = torch.Generator().manual_seed(seed * 37 + 11)
    return _with_items_replaced(maps, config.print_share, g, lambda item: printed(item, g))


def _with_items_replaced(maps: SVBRDF, share: float, g: torch.Generator,
                         replacement: Callable[[SVBRDF], SVBRDF]) -> SVBRDF:
    """``maps`` with each item swapped for ``replacement(item)`` with probability ``share``.

    ``g`` is a generator of the caller's own, so the other items are those of a run without it.
    """
    stacked = maps.stacked().clone()
    for index in range(stacked.shape[0]):
        if _drawn(share, g):
            stacked[index:index + 1] = replacement(SVBRDF.from_stacked(stacked[index:index + 1])).stacked()
    return SVBRDF.from_stacked(stacked)


def training_loss(net: MaterialNet, batch: TrainingBatch, config: MaterialTrainConfig,
                  step: int) -> tuple[torch.Tensor, dict[str, float]]:
    """Sum of the per-map losses and the weighted rendering loss (forward pass in bf16 with ``--bf16``)."""
    photos, maps = batch.photos, batch.maps
    predicted = forward_fp32(partial(net, tangents=batch.tangents), photos, config.run.bf16)
    per_map = map_losses(predicted, maps, config.map_loss)
    g = torch.Generator().manual_seed(config.run.seed * 7919 + step)
    render = rendering_loss(predicted, maps, random_lighting(photos.shape[0], config.renders, g))
    total = sum(per_map.values()) + config.render_weight * render
    logs = {name: float(v.detach()) for name, v in per_map.items()}
    logs["render"] = float(render.detach())
    return total, logs


@torch.no_grad()
def validate_generated(net: MaterialNet, shots: int, setup: CaptureSetup, count: int = 16,
                       size: int = 128) -> dict[str, float]:
    """Per-map RMSE (``map_rmse``) and flash re-render RMSE on held-out generated materials (a
    ``fov_input`` or ``view_input`` network is told every photo's field of view)."""
    net.eval()
    maps = generate_batch(count, size, VALIDATION_SEED)
    flash, guide, fov = render_capture_with_fov(maps, torch.Generator().manual_seed(VALIDATION_SEED), setup,
                                                guide=shots == 2)
    photos = flash if guide is None else torch.cat([flash, guide], dim=1)
    predicted = net(photos, batch_tangents(fov, photos))
    net.train()
    return map_rmse(predicted, maps, setup)


def map_rmse(predicted: SVBRDF, target: SVBRDF, setup: CaptureSetup) -> dict[str, float]:
    """RMSE of each map in the strips' encoding (linear albedo and specular, as the benches score
    them) and of the re-rendered flash photo (novel light at 30 degrees)."""
    from .render import FlashRenderer, expose, render_point_light

    pred, true = encode_strip_maps(predicted), encode_strip_maps(target)
    scores = {name: float(((pred[name] - true[name]) ** 2).mean().sqrt())
              for name in ("normal", "albedo", "roughness", "specular")}
    camera = FlashRenderer(setup).flash_position(1)[0]
    light = torch.tensor([setup.camera_distance * 0.5, 0.3, setup.camera_distance * 0.87])
    a = expose(render_point_light(predicted, light, camera, setup.light_intensity), 1.0, setup.gamma)
    b = expose(render_point_light(target, light, camera, setup.light_intensity), 1.0, setup.gamma)
    scores["render"] = float(((a - b) ** 2).mean().sqrt())
    return scores


@torch.no_grad()
def validate_strips(net: MaterialNet, folder: Path, setup: CaptureSetup) -> dict[str, float]:
    """Per-map RMSE on Deschaintre strips (1-shot input only: the strips have no guide photo)."""
    net.eval()
    totals: dict[str, float] = {}
    paths = sorted(folder.glob("sample_*.png"))
    for path in paths:
        photo, encoded = read_strip(path)
        target = decode_strip_maps(encoded)
        photos = photo if net.config.in_channels == 3 else torch.cat([photo, photo], dim=1)
        for name, value in map_rmse(net(photos), target, setup).items():
            totals[name] = totals.get(name, 0.0) + value / len(paths)
    net.train()
    return totals


def run(args: argparse.Namespace) -> int:
    """Train according to ``args`` (see ``add_arguments``); returns a process exit code."""
    config = MaterialTrainConfig.from_namespace(args)  # first, so that bad options are refused at once
    config = replace(config, run=configure_torch(config.run))
    setup = CaptureSetup()
    net = MaterialNet(config.network)
    state = TrainingState(net, torch.optim.Adam(parameter_groups(net, config.view_lr_scale), lr=config.run.lr))
    carried = start(config.run, state, _read_weights, _adopt_grown)
    exemplars = [load_exemplar(path) for path in config.exemplars]
    net.train()
    step = partial(_step, config, state, setup, exemplars)
    run_loop(config.run, state, step, partial(_publish, config, state, setup, carried))
    return 0


def parameter_groups(net: MaterialNet, view_lr_scale: float) -> list[dict[str, Any]]:
    """Adam's parameter groups: the view-direction stem (if any) at ``view_lr_scale`` times the rate."""
    view = list(net.view_stem.parameters()) if net.config.view_input else []
    rest = [p for p in net.parameters() if all(p is not v for v in view)]
    return [{"params": rest}] + ([{"params": view, "lr_scale": view_lr_scale}] if view else [])


def _read_weights(path: Path) -> tuple[nn.Module, Mapping[str, Any]]:
    net, _capture, card = load_model(path)
    return net, card


def _material_net(module: nn.Module) -> MaterialNet:
    """``module`` as the MaterialNet it is: the training toolkit hands networks around as nn.Module."""
    if not isinstance(module, MaterialNet):
        raise TypeError(f"expected a MaterialNet, got {type(module).__name__}")
    return module


def _adopt_grown(net: nn.Module, source: nn.Module) -> None:
    load_grown_state(_material_net(net), _material_net(source))


def _step(config: MaterialTrainConfig, state: TrainingState, setup: CaptureSetup, exemplars: list[SVBRDF],
          step: int) -> dict[str, float]:
    loss, logs = training_loss(_material_net(state.network), training_batch(config, step, setup, exemplars), config, step)
    state.optimiser.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(state.network.parameters(), 1.0)
    state.optimiser.step()
    return logs


def _publish(config: MaterialTrainConfig, state: TrainingState, setup: CaptureSetup, carried: list[dict[str, Any]],
             net: nn.Module, losses: Mapping[str, float]) -> None:
    """Validate ``net`` (a ``MaterialNet``) and write it with its card to --out."""
    material_net = _material_net(net)
    scores = {"generated": validate_generated(material_net, config.shots, setup)}
    if config.val is not None and config.shots == 1:
        scores["strips"] = validate_strips(material_net, config.val, setup)
    fields = {
        "data": _data_description(config),
        "shots": config.shots,
        "crop_size": config.run.crop,
        "map_loss": config.map_loss,
        "validation": {k: {n: round(v, 4) for n, v in s.items()} for k, s in scores.items()},
        "train_loss": {k: round(v, 4) for k, v in losses.items()},
    }
    save_model(config.run.out, material_net, setup, training_card(config.run, state.step, state.elapsed, fields, carried))
    logger.info("step %d (%.0fs) val %s", state.step, state.elapsed, fields["validation"])


def _data_description(config: MaterialTrainConfig) -> str:
    run, jitter = config.run, config.jitter
    data = (f"procedural generator (texforge.server.material.procedural), seed {run.seed}, "
            f"{run.crop}px crops, batch {run.batch}, metal share {config.metal_share:g}")
    if config.plain_share:
        data += f", {config.plain_share:.0%} plain surfaces"
    if config.print_share:
        data += f", {config.print_share:.0%} printed over (line screens, hatching, foil)"
    if config.emboss_share:
        data += (f", {config.emboss_share:.0%} of batches embossed finer than a pixel and photographed "
                 f"supersampled ({SUPERSAMPLE}x{SUPERSAMPLE}), Toksvig roughness labels")
    data += (f"; photos at fov {jitter.fov_degrees[0]:g}-{jitter.fov_degrees[1]:g} degrees, "
             f"exposure {jitter.exposure[0]:g}-{jitter.exposure[1]:g}, "
             f"roughness curve r^p with p {jitter.roughness_curve[0]:g}-{jitter.roughness_curve[1]:g}"
             + (f", {jitter.linear_share * 100:g} % of them stored linear (gamma 1)" if jitter.linear_share else "")
             + (f", {jitter.auto_exposure_share * 100:g} % auto-exposed (mean linear {AUTO_EXPOSURE_MEAN[0]:g}-"
                f"{AUTO_EXPOSURE_MEAN[1]:g})" if jitter.auto_exposure_share else ""))
    if config.network.fov_input or config.network.view_input:
        data += f"; the network told the field of view of {FOV_TOLD_SHARE:.0%} of the photos"
    if config.network.view_input:
        data += f" as per-pixel view directions (learning rate x{config.view_lr_scale:g})"
    if config.exemplars:
        data += (f"; {config.exemplar_fraction:.0%} augmented crops of exemplar map sets "
                 + ", ".join(path.name for path in config.exemplars))
    return data


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m texforge.server.material.train``."""
    parser = argparse.ArgumentParser(prog="texforge train material", description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
