"""The run-time options the super-resolution benches share: the precision the model runs at and
the CPU threads, so a bench measures what the server would run."""

from __future__ import annotations

import argparse
import logging

import torch

PRECISION_HELP = "fp32, bf16 or int8 (what the server runs at, see hello)"


def parse_with_runtime(parser: argparse.ArgumentParser, precision: str = "fp32") -> argparse.Namespace:
    """Add --precision and --threads to `parser`, parse, and apply the threads and quiet logging."""
    parser.add_argument("--precision", default=precision, help=PRECISION_HELP)
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch's default)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    return args
