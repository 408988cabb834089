"""Train a material network on procedural SVBRDFs: ``texforge train material ...``.

Every step draws a fresh batch of procedural materials and photos from ``(seed, step)``, so
a run is reproducible and ``--resume`` continues exactly where a checkpoint stopped. The
optimiser state lives next to the weights in ``FILE.state.safetensors`` (tensors only).
With ``--ema DECAY`` the saved and validated weights are an exponential moving average of the
trained ones (Polyak averaging), which stay in the state file so that a resume continues both.
Validation runs on held-out generated materials (another seed range) and, with ``--val DIR``,
on Deschaintre-format strips.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import math
import platform
import time
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from .exemplars import load_exemplar, maps_from_tiles, random_exemplar_crop, read_tiles
from .losses import MAP_LOSSES, map_losses, random_lighting, rendering_loss
from .network import MaterialNet, NetworkConfig, load_grown_state
from .procedural import METAL_SHARE, CaptureJitter, batch_material, generate_batch, render_capture
from .render import SVBRDF, CaptureSetup, encode_maps
from .weights import TRAINING_CROP_SIZE, load_model, save_model

logger = logging.getLogger(__name__)

VALIDATION_SEED = 1_000_000_007
"""Seed of the held-out generated materials; training seeds never reach it."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``texforge train material``."""
    parser.add_argument("--shots", type=int, choices=(1, 2), default=1, help="1: flash; 2: flash + guide")
    parser.add_argument("--steps", type=int, default=2000, help="total optimisation steps")
    parser.add_argument("--out", type=Path, required=True, help="output FILE.safetensors")
    parser.add_argument("--resume", action="store_true", help="continue from --out and its .state file")
    parser.add_argument("--init", type=Path, default=None,
                        help="start from these weights (same architecture), with a fresh optimiser and schedule")
    parser.add_argument("--map-loss", choices=MAP_LOSSES, default="l1",
                        help="per-map loss: l1 (median) or rmse (mean; what RMSE benchmarks reward)")
    parser.add_argument("--exemplars", type=Path, nargs="+", default=[],
                        help="map-set images (last 4 square tiles: normal, diffuse, roughness, specular) to mix in")
    parser.add_argument("--exemplar-fraction", type=float, default=0.5,
                        help="share of each batch drawn from --exemplars instead of the procedural generator")
    parser.add_argument("--metal-share", type=float, default=METAL_SHARE,
                        help="probability that a procedural material is a metal")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch default)")
    parser.add_argument("--val-every", type=int, default=200, help="validate and checkpoint every N steps")
    parser.add_argument("--val", type=Path, default=None, help="folder of Deschaintre sample_*.png strips")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--size", type=int, default=TRAINING_CROP_SIZE, help="training crop size in pixels")
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--render-weight", type=float, default=1.0)
    parser.add_argument("--renders", type=int, default=4, help="random renders per step in the rendering loss")
    parser.add_argument("--base-channels", type=int, default=16)
    parser.add_argument("--max-channels", type=int, default=128)
    parser.add_argument("--depth", type=int, default=5)
    parser.add_argument("--global-dim", type=int, default=64)
    parser.add_argument("--photo-skip", action="store_true", help="the output head also sees the input photos")
    parser.add_argument("--ema", type=float, default=0.0,
                        help="save an exponential moving average of the weights with this decay (0: off; e.g. 0.999)")
    parser.add_argument("--max-minutes", type=float, default=0.0, help="stop (and save) after this wall time")
    parser.add_argument("--exposure", type=float, nargs=2, default=list(CaptureJitter.exposure),
                        metavar=("LOW", "HIGH"), help="range of the training photos' exposure")
    parser.add_argument("--roughness-curve", type=float, nargs=2, default=list(CaptureJitter.roughness_curve),
                        metavar=("LOW", "HIGH"),
                        help="range of p: photos rendered with roughness r^p, labels keep r (1 1: off)")
    parser.add_argument("--device", default="cpu")


def _state_path(out: Path) -> Path:
    return out.with_name(out.name.replace(".safetensors", "") + ".state.safetensors")


def _network_config(args: argparse.Namespace) -> NetworkConfig:
    return NetworkConfig(in_channels=3 * args.shots, base_channels=args.base_channels,
                         max_channels=args.max_channels, depth=args.depth, global_dim=args.global_dim,
                         photo_skip=int(args.photo_skip))


def training_batch(args: argparse.Namespace, step: int, setup: CaptureSetup,
                   exemplars: list[SVBRDF] | None = None,
                   jitter: CaptureJitter | None = None) -> tuple[torch.Tensor, SVBRDF]:
    """Network input and target maps of one step; depends only on (seed, step), the exemplars and
    the capture ranges (`jitter`, read from `args` when not given)."""
    seed = args.seed * 10_000_019 + step
    g = torch.Generator().manual_seed(seed)
    if exemplars:
        maps = _mixed_batch(args, seed, exemplars, g)
    else:
        maps = generate_batch(args.batch, args.size, seed, args.metal_share)
    flash, guide = render_capture(maps, g, setup, jitter or capture_jitter(args))
    photos = flash if args.shots == 1 else torch.cat([flash, guide], dim=1)
    return photos, maps


def capture_jitter(args: argparse.Namespace) -> CaptureJitter:
    """The training photos' capture ranges, as the command line sets them."""
    return CaptureJitter(exposure=_checked_range(args.exposure, "--exposure"),
                         roughness_curve=_checked_range(args.roughness_curve, "--roughness-curve"))


def _checked_range(values: list[float], option: str) -> tuple[float, float]:
    low, high = float(values[0]), float(values[1])
    if not 0 < low <= high:
        raise ValueError(f"{option} needs 0 < LOW <= HIGH, got {low:g} {high:g}")
    return low, high


def _mixed_batch(args: argparse.Namespace, seed: int, exemplars: list[SVBRDF], g: torch.Generator) -> SVBRDF:
    """Each item an augmented exemplar crop with probability ``--exemplar-fraction``, else the
    procedural material ``generate_batch`` would have put there (only those are generated)."""
    items = []
    for index in range(args.batch):
        if float(torch.rand((), generator=g)) < args.exemplar_fraction:
            exemplar = exemplars[int(torch.randint(len(exemplars), (), generator=g))]
            items.append(random_exemplar_crop(exemplar, args.size, g))
        else:
            items.append(batch_material(seed, index, args.size, args.metal_share))
    return SVBRDF.from_stacked(torch.cat([item.stacked() for item in items], dim=0))


def training_loss(net: MaterialNet, photos: torch.Tensor, maps: SVBRDF, args: argparse.Namespace,
                  step: int) -> tuple[torch.Tensor, dict[str, float]]:
    """Sum of map L1 losses and the weighted rendering loss."""
    predicted = net(photos)
    per_map = map_losses(predicted, maps, args.map_loss)
    g = torch.Generator().manual_seed(args.seed * 7919 + step)
    render = rendering_loss(predicted, maps, random_lighting(photos.shape[0], args.renders, g))
    total = sum(per_map.values()) + args.render_weight * render
    logs = {name: float(v.detach()) for name, v in per_map.items()}
    logs["render"] = float(render.detach())
    return total, logs


class WeightAverage:
    """Exponential moving average of a network's weights.

    Small batches make single checkpoints of the material network noisy: how it reads a given
    material swings from one validation to the next. The average over the last ~1/(1-decay)
    steps is the smoother estimate of the same training run.
    """

    def __init__(self, net: MaterialNet, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"--ema decay must lie in (0, 1), got {decay}")
        self.decay = decay
        self.net = copy.deepcopy(net)
        self.net.requires_grad_(False)

    @torch.no_grad()
    def update(self, net: MaterialNet) -> None:
        """Move the average a step of ``1 - decay`` towards ``net``'s current weights."""
        for averaged, current in zip(self.net.state_dict().values(), net.state_dict().values()):
            if averaged.is_floating_point():
                averaged.lerp_(current, 1.0 - self.decay)
            else:
                averaged.copy_(current)


RAW_WEIGHTS_PREFIX = "net."
"""State-file prefix of the trained (not averaged) weights when ``--ema`` is on."""


def _save_state(path: Path, optimiser: torch.optim.Optimizer, step: int, elapsed: float,
                raw_net: MaterialNet | None = None) -> None:
    tensors: dict[str, torch.Tensor] = {}
    if raw_net is not None:
        tensors.update({RAW_WEIGHTS_PREFIX + k: v.contiguous() for k, v in raw_net.state_dict().items()})
    for index, state in optimiser.state_dict()["state"].items():
        for key, value in state.items():
            tensors[f"{index}.{key}"] = torch.as_tensor(value).clone().reshape(-1) if key == "step" else value.contiguous()
    save_file(tensors, str(path), metadata={"step": str(step), "elapsed": str(elapsed)})


def _load_state(path: Path, optimiser: torch.optim.Optimizer, raw_net: MaterialNet | None = None) -> tuple[int, float]:
    with safe_open(str(path), framework="pt", device="cpu") as handle:
        meta = handle.metadata() or {}
        tensors = {name: handle.get_tensor(name) for name in handle.keys()}
    raw = {k[len(RAW_WEIGHTS_PREFIX):]: tensors.pop(k) for k in list(tensors) if k.startswith(RAW_WEIGHTS_PREFIX)}
    if raw_net is not None and raw:
        raw_net.load_state_dict(raw)
    state_dict = optimiser.state_dict()
    for name, tensor in tensors.items():
        index, key = name.split(".", 1)
        value = tensor.reshape(()) if key == "step" else tensor
        state_dict["state"].setdefault(int(index), {})[key] = value
    optimiser.load_state_dict(state_dict)
    return int(meta.get("step", "0")), float(meta.get("elapsed", "0"))


@torch.no_grad()
def validate_generated(net: MaterialNet, shots: int, setup: CaptureSetup, count: int = 16,
                       size: int = 128) -> dict[str, float]:
    """Per-map RMSE (encoded maps) and flash re-render RMSE on held-out generated materials."""
    net.eval()
    maps = generate_batch(count, size, VALIDATION_SEED)
    flash, guide = render_capture(maps, torch.Generator().manual_seed(VALIDATION_SEED), setup)
    photos = flash if shots == 1 else torch.cat([flash, guide], dim=1)
    predicted = net(photos)
    net.train()
    return map_rmse(predicted, maps, setup)


def map_rmse(predicted: SVBRDF, target: SVBRDF, setup: CaptureSetup) -> dict[str, float]:
    """RMSE of each encoded map and of the re-rendered flash photo (novel light at 30 degrees)."""
    from .render import FlashRenderer, expose, render_point_light

    pred, true = encode_maps(predicted), encode_maps(target)
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
        tiles = read_tiles(path)
        photo, target = tiles[0], maps_from_tiles(tiles)
        photos = photo if net.config.in_channels == 3 else torch.cat([photo, photo], dim=1)
        for name, value in map_rmse(net(photos), target, setup).items():
            totals[name] = totals.get(name, 0.0) + value / len(paths)
    net.train()
    return totals


def run(args: argparse.Namespace) -> int:
    """Train according to ``args`` (see ``add_arguments``); returns a process exit code."""
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    setup = CaptureSetup()
    jitter = capture_jitter(args)  # before any work, so that bad ranges are refused at once
    net = MaterialNet(_network_config(args))
    optimiser = torch.optim.Adam(net.parameters(), lr=args.lr)
    step, elapsed = 0, 0.0
    if args.init is not None:
        load_grown_state(net, load_model(args.init)[0])
        logger.info("initialised from %s", args.init)
    resuming = args.resume and args.out.exists()
    if resuming:
        net.load_state_dict(load_model(args.out)[0].state_dict())
    # with --ema, --out holds the average (copied into it here); the state file holds the trained weights
    average = WeightAverage(net, args.ema) if args.ema > 0 else None
    if resuming:
        if _state_path(args.out).exists():
            step, elapsed = _load_state(_state_path(args.out), optimiser, net if average else None)
        logger.info("resumed from %s at step %d", args.out, step)
    exemplars = [load_exemplar(path) for path in args.exemplars]
    net.train()
    started = time.monotonic() - elapsed
    history: dict[str, Any] = {}
    running: dict[str, float] = {}
    while step < args.steps:
        lr = args.lr * 0.5 * (1 + math.cos(math.pi * step / args.steps))
        for group in optimiser.param_groups:
            group["lr"] = max(lr, args.lr * 0.05)
        photos, maps = training_batch(args, step, setup, exemplars, jitter)
        loss, logs = training_loss(net, photos, maps, args, step)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        optimiser.step()
        if average is not None:
            average.update(net)
        step += 1
        running = {k: 0.9 * running.get(k, v) + 0.1 * v for k, v in logs.items()}
        out_of_time = args.max_minutes > 0 and time.monotonic() - started > args.max_minutes * 60
        if step % args.val_every == 0 or step == args.steps or out_of_time:
            history = _checkpoint(net, average, optimiser, args, setup, step, time.monotonic() - started, running)
        if out_of_time:
            logger.info("time limit reached at step %d", step)
            break
    logger.info("done: %s", json.dumps(history))
    return 0


def _checkpoint(net: MaterialNet, average: WeightAverage | None, optimiser: torch.optim.Optimizer,
                args: argparse.Namespace, setup: CaptureSetup, step: int, elapsed: float,
                running: dict[str, float]) -> dict[str, Any]:
    shipped = average.net if average is not None else net
    scores = {"generated": validate_generated(shipped, args.shots, setup)}
    if args.val is not None and args.shots == 1:
        scores["strips"] = validate_strips(shipped, args.val, setup)
    data = (f"procedural generator (texforge.server.material.procedural), seed {args.seed}, "
            f"{args.size}px crops, batch {args.batch}, metal share {args.metal_share:g}")
    jitter = capture_jitter(args)
    data += (f"; photos at exposure {jitter.exposure[0]:g}-{jitter.exposure[1]:g}, "
             f"roughness curve r^p with p {jitter.roughness_curve[0]:g}-{jitter.roughness_curve[1]:g}")
    if args.exemplars:
        data += (f"; {args.exemplar_fraction:.0%} augmented crops of exemplar map sets "
                 + ", ".join(path.name for path in args.exemplars))
    card = {
        "data": data,
        "shots": args.shots,
        "crop_size": args.size,
        "steps": step,
        "hardware": f"{platform.machine()} CPU, {torch.get_num_threads()} thread(s)",
        "wall_time_s": round(elapsed, 1),
        "weight_average": f"exponential moving average, decay {args.ema:g}" if average is not None else "none",
        "validation": {k: {n: round(v, 4) for n, v in s.items()} for k, s in scores.items()},
        "train_loss": {k: round(v, 4) for k, v in running.items()},
    }
    save_model(args.out, shipped, setup, card)
    _save_state(_state_path(args.out), optimiser, step, elapsed, net if average is not None else None)
    logger.info("step %d (%.0fs) loss %s val %s", step, elapsed, card["train_loss"], card["validation"])
    return card


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m texforge.server.material.train``."""
    parser = argparse.ArgumentParser(prog="texforge train material", description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
