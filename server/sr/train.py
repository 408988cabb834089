"""`texforge train sr`: train a super-resolution network, or fine-tune it adversarially.

    python -m texforge.server.sr.train --data DIR [DIR ...] --val DIR --scale 4 \
        --arch fastsr --steps 20000 --out fast-x4.safetensors

Resumable: every validation writes `OUT.ckpt.safetensors` (model, optimizer and torch RNG
state) and `OUT.ckpt.json` (step, elapsed time, numpy RNG state); pass it back with --resume.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from .archs import ArchFamily, get_family
from .data import CropSampler, list_images, load_images, load_rgb
from .discriminator import Discriminator
from .losses import hfen, pixel_loss, relativistic_discriminator_loss, relativistic_generator_loss
from .metrics import bicubic_downscale, bicubic_upscale, crop_to_multiple, psnr_y, ssim_y
from .weights import load_network, save_network

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of `texforge train sr` on `parser`."""
    parser.add_argument("--data", nargs="+", required=True, help="folders of HR training images")
    parser.add_argument("--val", help="folder of HR validation images (PSNR/SSIM-Y in the log)")
    parser.add_argument("--scale", type=int, choices=(2, 3, 4), required=True)
    parser.add_argument("--arch", default="fastsr", help="network family (fastsr, edsr, srcae, rrdb)")
    parser.add_argument("--hparams", default="{}", help="JSON object of family hyper-parameters")
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--out", required=True, help="output .safetensors file")
    parser.add_argument("--crop", type=int, default=48, help="LR crop size in pixels")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (cosine decay)")
    parser.add_argument("--min-lr-ratio", type=float, default=0.01)
    parser.add_argument("--warmup", type=int, default=200, help="linear warm-up steps")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    parser.add_argument("--resume", help="checkpoint written by an earlier run (OUT.ckpt.safetensors)")
    parser.add_argument("--init", help="start from these weights (matching tensors only; required by --gan)")
    parser.add_argument("--val-every", type=int, default=1000)
    parser.add_argument("--log-every", type=int, default=100)
    parser.add_argument("--loss", choices=("l1", "mse"), default="l1")
    parser.add_argument("--hfen", type=float, default=0.0, help="weight of the HFEN loss")
    parser.add_argument("--hfen-norm", choices=("l1", "l2"), default="l1")
    parser.add_argument("--degrade", choices=("bicubic", "realistic"), default="bicubic")
    parser.add_argument("--gan", action="store_true", help="relativistic adversarial fine-tune (sharp variant)")
    parser.add_argument("--gan-weight", type=float, default=5e-3)
    parser.add_argument("--time-limit", type=float, default=0.0,
                        help="minutes; stop early and follow the LR schedule by time when it binds")


@dataclass
class TrainState:
    """What a run needs besides its arguments; persisted in checkpoints."""

    network: nn.Module
    family: ArchFamily
    hparams: Any
    optimizer: torch.optim.Optimizer
    rng: np.random.Generator
    step: int = 0
    elapsed: float = 0.0
    discriminator: nn.Module | None = None
    d_optimizer: torch.optim.Optimizer | None = None


def run(args: argparse.Namespace) -> int:
    """Train as `args` says; return a process exit status."""
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    state = _initial_state(args)
    sampler = CropSampler(load_images(args.data), args.scale, args.crop, args.degrade, state.rng)
    val_images = _load_validation(args.val, args.scale) if args.val else []
    if val_images:
        logger.info("validation bicubic: %s", _format_scores(_bicubic_scores(val_images, args.scale)))
    scores = _train_loop(args, state, sampler, val_images)
    _save_output(args, state, scores)
    logger.info("wrote %s", args.out)
    return 0


def _initial_state(args: argparse.Namespace) -> TrainState:
    family = get_family(args.arch)
    hparams = family.hparams_from_dict(json.loads(args.hparams))
    network = family.build(args.scale, hparams)
    if args.init:
        _load_matching(network, args.init)
    optimizer = torch.optim.Adam(network.parameters(), lr=args.lr, betas=(0.9, 0.99))
    state = TrainState(network, family, hparams, optimizer, np.random.default_rng(args.seed))
    if args.gan:
        if not args.init:
            raise ValueError("--gan needs --init PSNR_MODEL")
        state.discriminator = Discriminator()
        state.d_optimizer = torch.optim.Adam(state.discriminator.parameters(), lr=args.lr, betas=(0.9, 0.99))
    if args.resume:
        _load_checkpoint(state, args.resume)
    return state


def _load_matching(network: nn.Module, path: str) -> None:
    """Copy every tensor of `path` whose name and shape match (x2 -> x4 transfer, GAN init)."""
    source = load_network(path).network.state_dict()
    target = network.state_dict()
    matching = {k: v for k, v in source.items() if k in target and target[k].shape == v.shape}
    network.load_state_dict(matching, strict=False)
    logger.info("initialised %d of %d tensors from %s", len(matching), len(target), path)


def _learning_rate(args: argparse.Namespace, step: int, elapsed: float) -> float:
    progress = step / args.steps
    if args.time_limit > 0:
        progress = max(progress, elapsed / (args.time_limit * 60))
    warm = min(1.0, (step + 1) / max(args.warmup, 1))
    cosine = args.min_lr_ratio + (1 - args.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
    return args.lr * warm * cosine


def _finished(args: argparse.Namespace, state: TrainState) -> bool:
    out_of_time = args.time_limit > 0 and state.elapsed >= args.time_limit * 60
    return state.step >= args.steps or out_of_time


def _train_loop(
    args: argparse.Namespace, state: TrainState, sampler: CropSampler, val_images: list[np.ndarray]
) -> dict[str, float]:
    scores: dict[str, float] = {}
    running = 0.0
    started = time.perf_counter() - state.elapsed
    while not _finished(args, state):
        lr = _learning_rate(args, state.step, state.elapsed)
        for group in state.optimizer.param_groups:
            group["lr"] = lr
        lr_batch, hr_batch = sampler.batch(args.batch)
        running += _gan_step(args, state, lr_batch, hr_batch) if args.gan else _step(args, state, lr_batch, hr_batch)
        state.step += 1
        state.elapsed = time.perf_counter() - started
        if state.step % args.log_every == 0:
            logger.info("step %d loss %.5f lr %.2e %.1f min", state.step, running / args.log_every, lr,
                        state.elapsed / 60)
            running = 0.0
        if state.step % args.val_every == 0 or _finished(args, state):
            scores = _validate(args, state, val_images)
            _save_checkpoint(args, state)
            _save_output(args, state, scores)
    return scores


def _content_loss(args: argparse.Namespace, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    loss = pixel_loss(output, target, args.loss)
    if args.hfen > 0:
        loss = loss + args.hfen * hfen(output, target, args.hfen_norm)
    return loss


def _step(args: argparse.Namespace, state: TrainState, lr_batch: torch.Tensor, hr_batch: torch.Tensor) -> float:
    state.network.train()
    loss = _content_loss(args, state.network(lr_batch), hr_batch)
    state.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    state.optimizer.step()
    return float(loss.detach())


def _gan_step(args: argparse.Namespace, state: TrainState, lr_batch: torch.Tensor, hr_batch: torch.Tensor) -> float:
    """One ESRGAN step: generator with content + RaGAN loss, then the discriminator."""
    assert state.discriminator is not None and state.d_optimizer is not None
    state.network.train()
    fake = state.network(lr_batch)
    for parameter in state.discriminator.parameters():
        parameter.requires_grad_(False)
    real_logits = state.discriminator(hr_batch).detach()
    adversarial = relativistic_generator_loss(real_logits, state.discriminator(fake))
    loss = _content_loss(args, fake, hr_batch) + args.gan_weight * adversarial
    state.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    state.optimizer.step()
    for parameter in state.discriminator.parameters():
        parameter.requires_grad_(True)
    d_loss = relativistic_discriminator_loss(state.discriminator(hr_batch), state.discriminator(fake.detach()))
    state.d_optimizer.zero_grad(set_to_none=True)
    d_loss.backward()
    state.d_optimizer.step()
    return float(loss.detach())


def _load_validation(folder: str, scale: int) -> list[np.ndarray]:
    return [crop_to_multiple(load_rgb(path), scale) for path in list_images([folder])]


def network_upscale(network: nn.Module, lr: np.ndarray) -> np.ndarray:
    """Run `network` on a whole uint8 RGB image; rounded uint8 output."""
    network.eval()
    with torch.inference_mode():
        tensor = torch.from_numpy(np.ascontiguousarray(lr.transpose(2, 0, 1))).float().div(255)[None]
        output = network(tensor)[0].clamp(0, 1).mul(255).round().byte()
    return output.permute(1, 2, 0).numpy()


def _bicubic_scores(val_images: list[np.ndarray], scale: int) -> dict[str, float]:
    pairs = [(bicubic_upscale(bicubic_downscale(hr, scale), scale), hr) for hr in val_images]
    return _mean_scores(pairs, scale)


def _mean_scores(pairs: list[tuple[np.ndarray, np.ndarray]], scale: int) -> dict[str, float]:
    psnrs = [psnr_y(out, hr, scale) for out, hr in pairs]
    ssims = [ssim_y(out, hr, scale) for out, hr in pairs]
    return {"psnr_y": float(np.mean(psnrs)), "ssim_y": float(np.mean(ssims))}


def _format_scores(scores: dict[str, float]) -> str:
    return f"PSNR-Y {scores['psnr_y']:.3f} dB SSIM-Y {scores['ssim_y']:.4f}"


def _validate(args: argparse.Namespace, state: TrainState, val_images: list[np.ndarray]) -> dict[str, float]:
    if not val_images:
        return {}
    pairs = [(network_upscale(state.network, bicubic_downscale(hr, args.scale)), hr) for hr in val_images]
    scores = _mean_scores(pairs, args.scale)
    logger.info("step %d validation %s", state.step, _format_scores(scores))
    return scores


def _checkpoint_paths(out: str) -> tuple[Path, Path]:
    return Path(out + ".ckpt.safetensors"), Path(out + ".ckpt.json")


def _optimizer_tensors(prefix: str, optimizer: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
    tensors = {}
    for index, values in optimizer.state_dict()["state"].items():
        for name, value in values.items():
            tensors[f"{prefix}.{index}.{name}"] = torch.as_tensor(value).clone()
    return tensors


def _restore_optimizer(prefix: str, optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor]) -> None:
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith(prefix + "."):
            _head, index, name = key.split(".", 2)
            state.setdefault(int(index), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": optimizer.state_dict()["param_groups"]})


def _save_checkpoint(args: argparse.Namespace, state: TrainState) -> None:
    tensor_path, json_path = _checkpoint_paths(args.out)
    tensors = {f"model.{k}": v.contiguous() for k, v in state.network.state_dict().items()}
    tensors.update(_optimizer_tensors("optim", state.optimizer))
    tensors["rng.torch"] = torch.get_rng_state()
    if state.discriminator is not None and state.d_optimizer is not None:
        tensors.update({f"disc.{k}": v.contiguous() for k, v in state.discriminator.state_dict().items()})
        tensors.update(_optimizer_tensors("doptim", state.d_optimizer))
    save_file(tensors, str(tensor_path))
    info = {"step": state.step, "elapsed": state.elapsed, "numpy_rng": state.rng.bit_generator.state}
    json_path.write_text(json.dumps(info))


def _load_checkpoint(state: TrainState, path: str) -> None:
    tensor_path = Path(path)
    json_path = tensor_path.with_name(tensor_path.name.removesuffix(".safetensors") + ".json")
    tensors = load_file(str(tensor_path))
    state.network.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    _restore_optimizer("optim", state.optimizer, tensors)
    if state.discriminator is not None and state.d_optimizer is not None:
        state.discriminator.load_state_dict({k[5:]: v for k, v in tensors.items() if k.startswith("disc.")})
        _restore_optimizer("doptim", state.d_optimizer, tensors)
    torch.set_rng_state(tensors["rng.torch"])
    info = json.loads(json_path.read_text())
    state.step, state.elapsed = info["step"], info["elapsed"]
    state.rng.bit_generator.state = info["numpy_rng"]
    logger.info("resumed %s at step %d", path, state.step)


def _save_output(args: argparse.Namespace, state: TrainState, scores: dict[str, float]) -> None:
    card = {
        "data": [str(folder) for folder in args.data],
        "val": args.val,
        "steps": state.step,
        "wall_minutes": round(state.elapsed / 60, 1),
        "hardware": f"{platform.machine()} CPU, {torch.get_num_threads()} threads",
        "loss": args.loss + (f"+{args.hfen}*hfen" if args.hfen else "") + ("+ragan" if args.gan else ""),
        "degrade": args.degrade,
        "variant": "sharp" if args.gan else "psnr",
        "validation": scores,
        "train_images": len(list_images(args.data)),
    }
    save_network(args.out, state.network, state.family, args.scale, state.hparams, card)


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m texforge.server.sr.train`."""
    parser = argparse.ArgumentParser(prog="python -m texforge.server.sr.train", description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
