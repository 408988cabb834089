"""`texforge train sr`: train a super-resolution network, or fine-tune it adversarially.

    python -m texforge.server.sr.train --data DIR [DIR ...] --val DIR --scale 4 \
        --arch fastsr --steps 20000 --out fast-x4.safetensors

Resumable: every validation writes the output and `OUT.state.safetensors` (optimisers, the
discriminator, RNG states, step and time; see `texforge.server.training.checkpoint`); run the
same command again with --resume to continue.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..training.cards import training_card
from ..training.config import RunConfig, add_run_arguments
from ..training.loop import configure_torch, run_loop, start
from ..training.precision import forward_fp32
from ..training.state import TrainingState
from .archs import ArchFamily, get_family
from .data import DEGRADATIONS, CropSampler, list_images, load_images, load_rgb, with_reductions
from .degrade import jpeg_roundtrip
from .discriminator import Discriminator
from .losses import hfen, pixel_loss, relativistic_discriminator_loss, relativistic_generator_loss
from .metrics import bicubic_downscale, bicubic_upscale, block_edge_strength, crop_to_multiple, psnr_y, ssim_y
from .reparam import REP_FORMS, RepForm, merged, reparameterise
from .synthetic import POOL_SIDE, synthetic_pool
from .weights import load_network, save_network

logger = logging.getLogger(__name__)

DISCRIMINATOR = "discriminator"
"""Name of the GAN discriminator (and its optimiser) in the state file."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of `texforge train sr` on `parser`."""
    add_run_arguments(parser, lr=1e-3, batch=16, crop=48, warmup=200, min_lr_ratio=0.01, val_every=1000,
                      log_every=100)
    parser.add_argument("--data", nargs="+", required=True, help="folders of HR training images")
    parser.add_argument("--val", help="folder of HR validation images (PSNR/SSIM-Y in the log)")
    parser.add_argument("--scale", type=int, choices=(2, 3, 4), required=True, help="upscaling factor")
    parser.add_argument("--arch", default="fastsr", help="network family (fastsr, edsr, srcae, rrdb)")
    parser.add_argument("--hparams", default="{}", help="JSON object of family hyper-parameters")
    parser.add_argument("--loss", choices=("l1", "mse"), default="l1", help="pixel loss")
    parser.add_argument("--hfen", type=float, default=0.0, help="weight of the HFEN loss")
    parser.add_argument("--hfen-norm", choices=("l1", "l2"), default="l1", help="norm of the HFEN loss")
    parser.add_argument("--degrade", choices=DEGRADATIONS, default="bicubic",
                        help="how LR crops are made from HR ones")
    parser.add_argument("--scale-aug", type=float, nargs="+", default=[], metavar="F",
                        help="also train on every image reduced by each factor F in (0, 1), e.g. 0.8 0.6 "
                             "(scale augmentation)")
    parser.add_argument("--synthetic-share", type=float, default=0.0, metavar="P",
                        help="add generated flat-toned texture images (tiles, bricks, stripes, painted shapes) "
                             "making up about this share P in [0, 1) of the training area")
    parser.add_argument("--val-jpeg", type=int, default=0, metavar="Q",
                        help="validate on LR images saved as JPEG quality Q (0: clean bicubic LR)")
    parser.add_argument("--gan", action="store_true",
                        help="relativistic adversarial fine-tune (sharp variant); needs --init (matching tensors)")
    parser.add_argument("--gan-weight", type=float, default=5e-3, help="weight of the adversarial loss")
    parser.add_argument("--rep", choices=REP_FORMS, default="off",
                        help="train every 3x3 convolution as mergeable branches (repvgg: + 1x1 + identity; expand: "
                             "+ a 1x1 -> 3x3 expand-squeeze too); the written network is merged, plain and as fast")


@dataclass(frozen=True)
class SRTrainConfig:
    """Everything `texforge train sr` was asked for, checked once."""

    run: RunConfig
    data: tuple[str, ...]
    """Folders of HR training images."""
    val: str | None
    """Folder of HR validation images."""
    scale: int
    family: ArchFamily
    hparams: Any
    """The family's hyper-parameter dataclass."""
    loss: str
    hfen: float
    hfen_norm: str
    degrade: str
    gan: bool
    gan_weight: float
    val_jpeg: int = 0
    """Validation LR images go through JPEG at this quality first (0: clean)."""
    rep: RepForm = "off"
    """Training form of the 3x3 convolutions (``reparam.py``); the written network is always plain."""
    scale_aug: tuple[float, ...] = ()
    """Reduction factors of the extra copies of every training image."""
    synthetic_share: float = 0.0
    """Share of the training area made of generated flat-toned texture images (``synthetic.py``)."""

    def __post_init__(self) -> None:
        if self.gan and self.run.init is None:
            raise ValueError("--gan needs --init PSNR_MODEL")
        if not 0 <= self.val_jpeg <= 100:
            raise ValueError(f"--val-jpeg must be a JPEG quality 1..100 (0: off), got {self.val_jpeg}")
        if not all(0 < factor < 1 for factor in self.scale_aug):
            raise ValueError(f"--scale-aug factors must lie in (0, 1), got {' '.join(map(str, self.scale_aug))}")
        if not 0 <= self.synthetic_share < 1:
            raise ValueError(f"--synthetic-share must lie in [0, 1), got {self.synthetic_share}")

    @classmethod
    def from_namespace(cls, args: argparse.Namespace) -> SRTrainConfig:
        """The config of a namespace parsed with `add_arguments`'s options."""
        family = get_family(args.arch)
        hparams = json.loads(args.hparams)
        if not isinstance(hparams, dict):
            raise ValueError(f"--hparams must be a JSON object, got {args.hparams!r}")
        return cls(RunConfig.from_namespace(args), tuple(args.data), args.val, args.scale, family,
                   family.hparams_from_dict(hparams), args.loss, args.hfen, args.hfen_norm, args.degrade,
                   args.gan, args.gan_weight, args.val_jpeg, args.rep, tuple(args.scale_aug), args.synthetic_share)


def run(args: argparse.Namespace) -> int:
    """Train as `args` says; return a process exit status."""
    config = SRTrainConfig.from_namespace(args)
    config = replace(config, run=configure_torch(config.run))
    rng = np.random.default_rng(config.run.seed)
    state = _initial_state(config, rng)
    carried = start(config.run, state, partial(_read_weights, config.rep), _adopt_matching)
    images = with_reductions(load_images(config.data), config.scale_aug)
    generated = synthetic_pool(config.synthetic_share, images, config.run.seed)
    if generated:
        logger.info("added %d generated %d px texture images (share %.2f)", len(generated), POOL_SIDE,
                    config.synthetic_share)
    sampler = CropSampler([*images, *generated], config.scale, config.run.crop, config.degrade, rng)
    val_images = _load_validation(config.val, config.scale) if config.val else []
    if val_images:
        logger.info("validation bicubic: %s", _format_scores(_bicubic_scores(config, val_images)))
    step = partial(_gan_step if config.gan else _step, config, state, sampler)
    run_loop(config.run, state, step, partial(_publish, config, state, val_images, carried))
    logger.info("wrote %s", config.run.out)
    return 0


def _initial_state(config: SRTrainConfig, rng: np.random.Generator) -> TrainingState:
    # torch's stubs of Module.to lack the memory_format keyword it accepts
    network = reparameterise(config.family.build(config.scale, config.hparams), config.rep)
    network = network.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    optimiser = torch.optim.Adam(network.parameters(), lr=config.run.lr, betas=(0.9, 0.99))
    state = TrainingState(network, optimiser, numpy_rng=rng)
    if config.gan:
        discriminator = Discriminator()
        state.extra_modules[DISCRIMINATOR] = discriminator
        state.extra_optimisers[DISCRIMINATOR] = torch.optim.Adam(discriminator.parameters(), lr=config.run.lr,
                                                                 betas=(0.9, 0.99))
    return state


def _read_weights(rep: RepForm, path: Path) -> tuple[nn.Module, Mapping[str, Any]]:
    """A written (plain) network in the run's training form: its extra branches at zero."""
    loaded = load_network(path)
    return reparameterise(loaded.network, rep), loaded.card


def _adopt_matching(network: nn.Module, source: nn.Module) -> None:
    """Copy every tensor of `source` whose name and shape match (x2 -> x4 transfer, GAN init)."""
    target = network.state_dict()
    matching = {k: v for k, v in source.state_dict().items() if k in target and target[k].shape == v.shape}
    network.load_state_dict(matching, strict=False)
    logger.info("initialised %d of %d tensors", len(matching), len(target))


def _content_loss(config: SRTrainConfig, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    loss = pixel_loss(output, target, config.loss)
    if config.hfen > 0:
        loss = loss + config.hfen * hfen(output, target, config.hfen_norm)
    return loss


def _forward(config: SRTrainConfig, network: nn.Module, batch: torch.Tensor) -> torch.Tensor:
    return forward_fp32(network, batch.contiguous(memory_format=torch.channels_last), config.run.bf16)


def _step(config: SRTrainConfig, state: TrainingState, sampler: CropSampler, _step_index: int) -> dict[str, float]:
    lr_batch, hr_batch = sampler.batch(config.run.batch)
    state.network.train()
    loss = _content_loss(config, _forward(config, state.network, lr_batch), hr_batch)
    state.optimiser.zero_grad(set_to_none=True)
    loss.backward()
    state.optimiser.step()
    return {"loss": float(loss.detach())}


def _gan_step(config: SRTrainConfig, state: TrainingState, sampler: CropSampler, _step_index: int) -> dict[str, float]:
    """One ESRGAN step: generator with content + RaGAN loss, then the discriminator."""
    discriminator, d_optimiser = state.extra_modules[DISCRIMINATOR], state.extra_optimisers[DISCRIMINATOR]
    lr_batch, hr_batch = sampler.batch(config.run.batch)
    state.network.train()
    fake = _forward(config, state.network, lr_batch)
    discriminator.requires_grad_(False)
    real_logits = _forward(config, discriminator, hr_batch).detach()
    adversarial = relativistic_generator_loss(real_logits, _forward(config, discriminator, fake))
    loss = _content_loss(config, fake, hr_batch) + config.gan_weight * adversarial
    state.optimiser.zero_grad(set_to_none=True)
    loss.backward()
    state.optimiser.step()
    discriminator.requires_grad_(True)
    d_loss = relativistic_discriminator_loss(_forward(config, discriminator, hr_batch),
                                             _forward(config, discriminator, fake.detach()))
    d_optimiser.zero_grad(set_to_none=True)
    d_loss.backward()
    d_optimiser.step()
    return {"loss": float(loss.detach()), "adversarial": float(adversarial.detach()),
            "discriminator": float(d_loss.detach())}


def _load_validation(folder: str, scale: int) -> list[np.ndarray]:
    return [crop_to_multiple(load_rgb(path), scale) for path in list_images([folder])]


def network_upscale(network: nn.Module, lr: np.ndarray) -> np.ndarray:
    """Run `network` on a whole uint8 RGB image; rounded uint8 output."""
    network.eval()
    with torch.inference_mode():
        tensor = torch.from_numpy(np.ascontiguousarray(lr.transpose(2, 0, 1))).float().div(255)[None]
        output = network(tensor)[0].clamp(0, 1).mul(255).round().byte()
    return output.permute(1, 2, 0).numpy()


def _validation_input(config: SRTrainConfig, hr: np.ndarray) -> np.ndarray:
    lr = bicubic_downscale(hr, config.scale)
    return jpeg_roundtrip(lr, config.val_jpeg) if config.val_jpeg else lr


def _bicubic_scores(config: SRTrainConfig, val_images: list[np.ndarray]) -> dict[str, float]:
    pairs = [(bicubic_upscale(_validation_input(config, hr), config.scale), hr) for hr in val_images]
    return _mean_scores(pairs, config)


def _mean_scores(pairs: list[tuple[np.ndarray, np.ndarray]], config: SRTrainConfig) -> dict[str, float]:
    psnrs = [psnr_y(out, hr, config.scale) for out, hr in pairs]
    ssims = [ssim_y(out, hr, config.scale) for out, hr in pairs]
    scores = {"psnr_y": float(np.mean(psnrs)), "ssim_y": float(np.mean(ssims))}
    if config.val_jpeg:
        scores["jpeg_quality"] = config.val_jpeg
        scores["block_edges"] = float(np.mean([block_edge_strength(out, 8 * config.scale) for out, _ in pairs]))
    return scores


def _format_scores(scores: dict[str, float]) -> str:
    text = f"PSNR-Y {scores['psnr_y']:.3f} dB SSIM-Y {scores['ssim_y']:.4f}"
    if "block_edges" in scores:
        text += f" block edges {scores['block_edges']:.3f} (LR as JPEG q{scores['jpeg_quality']})"
    return text


def _validate(config: SRTrainConfig, network: nn.Module, step: int, val_images: list[np.ndarray]) -> dict[str, float]:
    if not val_images:
        return {}
    pairs = [(network_upscale(network, _validation_input(config, hr)), hr) for hr in val_images]
    scores = _mean_scores(pairs, config)
    logger.info("step %d validation %s", step, _format_scores(scores))
    return scores


def _publish(config: SRTrainConfig, state: TrainingState, val_images: list[np.ndarray], carried: list[dict[str, Any]],
             network: nn.Module, losses: Mapping[str, float]) -> None:
    """Validate `network` and write it with its card to --out."""
    fields = {
        "data": list(config.data),
        "val": config.val,
        "loss": config.loss + (f"+{config.hfen}*hfen" if config.hfen else "") + ("+ragan" if config.gan else ""),
        "degrade": config.degrade,
        "scale_augmentation": list(config.scale_aug),
        "synthetic_share": config.synthetic_share,
        "variant": "sharp" if config.gan else "psnr",
        "reparameterised": config.rep,
        "validation": _validate(config, network, state.step, val_images),
        "train_loss": {name: round(value, 5) for name, value in losses.items()},
        "train_images": len(list_images(config.data)),
    }
    card = training_card(config.run, state.step, state.elapsed, fields, carried)
    save_network(config.run.out, merged(network), config.family, config.scale, config.hparams, card)


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m texforge.server.sr.train`."""
    parser = argparse.ArgumentParser(prog="python -m texforge.server.sr.train", description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
