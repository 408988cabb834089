"""Super-resolution speed on CPU: each shipped model on a 512x512 RGB image, in fp32, bf16 or int8, next
to ESRGAN's RRDBNet.

    python bench/sr_speed.py [--runs 5] [--rrdb-size 128] [--precisions fp32 bf16 int8] [--heap server]

Every shipped model (and bicubic) runs through the full upscaler (pipeline, tiling, dtype
conversion) at each precision, side by side: median of `--runs` runs after one warm-up. RRDBNet (23 blocks, 64 features,
random weights) is far too slow to run repeatedly at 512x512 on a small CPU, so by default it
runs once on a `--rrdb-size` square crop and its time is extrapolated linearly in pixel count
(convolution cost is linear in pixels); `--rrdb-size 512` times the real thing once.
`--heap server` runs with the server's native-heap settings (fixed mmap threshold, capped
arenas, freed memory returned after every job: server/memory.py); run it next to `--heap default`
to see what they cost. Ends with one `RESULT` line.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import median_seconds  # noqa: E402

from texforge.server.contract import JobContext, UpscaleModel, UpscaleRequest
from texforge.server.memory import release_freed_memory, settle_native_heap
from texforge.server.sr.archs import get_family
from texforge.server.sr.archs.rrdb import RRDBParams
from texforge.server.sr.upscaler import BicubicUpscaler
from texforge.server.weight_files import load_upscaler, shipped_upscalers

SIZE = 512


def test_image(size: int) -> np.ndarray:
    """A deterministic textured RGB uint8 image (the content does not change conv cost)."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:size, :size] / size
    base = 0.5 + 0.4 * np.sin(40 * xx[..., None] * (1 + np.arange(3)) + 25 * yy[..., None])
    return np.clip((base + 0.05 * rng.standard_normal((size, size, 3))) * 255, 0, 255).astype(np.uint8)


def rrdb_seconds(size: int) -> float:
    """One x4 RRDBNet forward on a size x size input, extrapolated to 512x512."""
    network = get_family("rrdb").build(4, RRDBParams()).eval()
    image = torch.rand(1, 3, size, size)
    with torch.inference_mode():
        started = time.perf_counter()
        network(image)
        elapsed = time.perf_counter() - started
    return elapsed * (SIZE * SIZE) / (size * size)


def time_upscale(upscaler: UpscaleModel, request: UpscaleRequest, context: JobContext, runs: int,
                 release: bool = False) -> float:
    """Median seconds of one upscale through the model's full pipeline (and the server's release)."""

    def job() -> None:
        upscaler.upscale(request, context)
        if release:
            release_freed_memory()

    return median_seconds(job, runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rrdb-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--models", nargs="*", help="model names or weight files (default: every shipped model)")
    parser.add_argument("--precisions", nargs="+", default=["fp32", "bf16"], help="fp32, bf16, int8 (CPU); the first is the baseline")
    parser.add_argument("--heap", choices=("default", "server"), default="default",
                        help="glibc's defaults, or the server's native-heap settings")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.heap == "server":
        settle_native_heap()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    image = test_image(SIZE)
    context = JobContext()
    timings: dict[str, float] = {}
    for precision in args.precisions:
        models = ([load_upscaler(name, precision=precision) for name in args.models] if args.models
                  else shipped_upscalers("cpu", precision=precision))
        for upscaler in [*models, BicubicUpscaler()]:
            scale = upscaler.descriptor.scales[0] if upscaler.descriptor.architecture != "bicubic" else 4
            key = f"{upscaler.descriptor.name}_{precision}"
            timings[key] = time_upscale(upscaler, UpscaleRequest.of(image, scale=scale), context, args.runs,
                                         release=args.heap == "server")
            print(f"{upscaler.descriptor.name:<10} {precision} x{scale} 512x512 -> {SIZE * scale}: "
                  f"median {timings[key]:.3f} s over {args.runs} runs")
    baseline = args.precisions[0]
    for key in [k for k in timings if k.endswith("_" + baseline)]:
        name = key.removesuffix("_" + baseline)
        for other in args.precisions[1:]:
            print(f"{name:<10} {other} is {timings[key] / timings[f'{name}_{other}']:.2f}x the speed of {baseline}")
    rrdb = rrdb_seconds(args.rrdb_size)
    how = "measured once" if args.rrdb_size == SIZE else f"one run at {args.rrdb_size}px, extrapolated"
    print(f"{'rrdb-23x64':<10} x4 512x512 -> 2048: {rrdb:.1f} s ({how}, network only)")
    fields = [f"heap={args.heap}", f"threads={torch.get_num_threads()}", f"rrdb_s={rrdb:.2f}", f"rrdb_size={args.rrdb_size}"]
    for name, seconds in timings.items():
        fields += [f"{name}_s={seconds:.3f}", f"{name}_rrdb_ratio={rrdb / seconds:.1f}"]
        print(f"{name:<15} is {rrdb / seconds:.1f}x faster than RRDBNet (fp32)")
    print("RESULT " + " ".join(fields))
    return 0


if __name__ == "__main__":
    sys.exit(main())
