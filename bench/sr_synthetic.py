"""Super-resolution on synthetic texture content: what photo sets rarely hold.

    python bench/sr_synthetic.py --scale 4 --model fast-x4 runs/candidate.safetensors [--precision bf16]

Photo validation sets (sr/val) hold almost no flat-toned, hand-painted or procedural content, and
a model chosen on them alone can lose to bicubic on it (docs/upscaler.md, "Choosing between
runs"). Two generated families, each HR reduced by antialiased bicubic and enlarged again:
- `wall`: running-bond bricks of flat tones with light mortar lines (`metrics.brick_wall`); the
  3 px lines are under one LR pixel at x4, the case the shipped-model test guards;
- `card`: a disc and a bar on a plain ground (`metrics.flat_colour_card`) at three LR sizes.
Per case and model: RGB PSNR gain over PIL bicubic (8 HR pixels shaved per border). Models run
side by side in one process. Ends with one `RESULT` line: each model's mean gain per family and
its worst case.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from _runtime import parse_with_runtime

from texforge.server.contract import JobContext, UpscaleModel, UpscaleRequest
from texforge.server.sr.metrics import (
    bicubic_downscale,
    bicubic_upscale,
    brick_wall,
    flat_colour_card,
    psnr_rgb,
)
from texforge.server.weight_files import load_upscaler, model_name

SHAVE = 8


@dataclass(frozen=True)
class Case:
    family: str
    name: str
    low: np.ndarray
    high: np.ndarray


def wall_case(name: str, scale: int, size: int, brick_height: int, mortar: int, seed: int) -> Case:
    high = brick_wall(size, brick_height, mortar, seed)
    return Case("wall", name, bicubic_downscale(high, scale), high)


def card_case(scale: int, size: int) -> Case:
    low, card, _ = flat_colour_card(size=size, scale=scale)
    return Case("card", f"card-{size}", low, card)


def synthetic_cases(scale: int) -> list[Case]:
    return [wall_case("wall-192-mortar3", scale, 192, 24, 3, 1),
            wall_case("wall-384-mortar3", scale, 384, 24, 3, 2),
            wall_case("wall-384-mortar8", scale, 384, 32, 8, 3),
            *(card_case(scale, size) for size in (48, 64, 96))]


def model_psnr(model: UpscaleModel, case: Case, scale: int) -> float:
    output = model.upscale(UpscaleRequest.of(case.low, scale=scale), JobContext())
    return psnr_rgb(output, case.high, SHAVE)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, choices=(2, 4), required=True)
    parser.add_argument("--model", nargs="+", required=True, help="shipped model names or weights files, side by side")
    args = parse_with_runtime(parser)
    cases = synthetic_cases(args.scale)
    labels = [model_name(Path(name)) for name in args.model]
    try:
        models = [load_upscaler(name, precision=args.precision) for name in args.model]
    except (OSError, ValueError) as error:
        parser.error(str(error))
    bicubic = np.array([psnr_rgb(bicubic_upscale(case.low, args.scale), case.high, SHAVE) for case in cases])
    gains = np.array([[model_psnr(model, case, args.scale) for case in cases] for model in models]) - bicubic
    width = max(len(text) for text in labels) + 2
    print(f"gain over bicubic, dB (x{args.scale}, {args.precision})")
    print(f"{'case':<18}" + "".join(f"{text:>{width}}" for text in labels))
    for index, case in enumerate(cases):
        print(f"{case.name:<18}" + "".join(f"{gains[row, index]:>{width}.3f}" for row in range(len(labels))))
    fields = []
    for row, text in enumerate(labels):
        for family in ("wall", "card"):
            members = [index for index, case in enumerate(cases) if case.family == family]
            fields.append(f"{text}_{family}={gains[row, members].mean():.4f}")
        fields.append(f"{text}_worst={gains[row].min():.4f}")
    print(f"RESULT scale={args.scale} precision={args.precision} " + " ".join(fields))
    return 0


if __name__ == "__main__":
    sys.exit(main())
