"""`texforge train int8`: calibrate shipped FastSR weights for int8 inference (`server/sr/int8.py`).

Runs each weights file's fp32 network over LR crops of the training images (degraded as the
network was trained: bicubic, or JPEG for a JPEG partner), takes each quantised tensor's range
and stores the ranges in the file's metadata. The weights themselves are not touched.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
import torch

from . import int8
from .archs.fast import FastSRNet
from .data import DEGRADATIONS, CropSampler, load_images
from .weights import load_network

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `texforge train int8`."""
    parser.add_argument("--weights", type=Path, nargs="+", required=True, help="FastSR .safetensors files to calibrate")
    parser.add_argument("--data", type=Path, nargs="+", required=True, help="folders of training images (HR)")
    parser.add_argument("--degrade", choices=DEGRADATIONS, default="bicubic",
                        help="how LR crops are made: as the network was trained (jpeg for a JPEG partner)")
    parser.add_argument("--crops", type=int, default=64, help="LR crops the ranges are taken over")
    parser.add_argument("--crop", type=int, default=96, help="LR crop side")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0)


def run(args: argparse.Namespace) -> int:
    """Calibrate every --weights file; returns a process exit code."""
    if args.crops < 1 or args.crop < 16:
        raise ValueError("--crops must be at least 1 and --crop at least 16")
    if args.threads:
        torch.set_num_threads(args.threads)
    images = load_images(args.data)
    for path in args.weights:
        loaded = load_network(path)
        if not isinstance(loaded.network, FastSRNet):
            raise ValueError(f"{path}: int8 calibration needs a FastSR network, got {loaded.family.name}")
        sampler = CropSampler(images, loaded.scale, args.crop, args.degrade, np.random.default_rng(args.seed))
        crops = (sampler.batch(1)[0] for _ in range(args.crops))
        ranges = int8.calibrate(loaded.network, crops, args.seed)
        int8.store_ranges(path, ranges)
        logger.info("%s: %d int8 ranges from %d crops of %d px (%s)", path, len(ranges), args.crops, args.crop,
                    args.degrade)
    return 0
