"""Material inference speed: photo -> maps through ``MaterialModel.estimate``.

Times flash photos of ``--sizes`` (procedural, reproducible; default 512, 1024 and 2048 px) for
every shipped model and the heuristic, without and with refinement; the output keeps the photo's
size. Each model also runs without the full-resolution photo detail (``detail.NO_DETAIL``) side by
side, with the ratio: what the detail costs.

    python bench/material_speed.py [--sizes 512 1024 2048] [--refine 50] [--repeat 3] [--threads N]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from texforge.server.contract import JobContext, MaterialRequest
from texforge.server.material.detail import NO_DETAIL
from texforge.server.material.procedural import generate_batch, render_capture
from texforge.server.material.render import CaptureSetup
from texforge.server.weight_files import shipped_material_models


def photo_pair(size: int) -> tuple[np.ndarray, np.ndarray]:
    """uint8 flash and guide photos of a procedural material at ``size`` x ``size``."""
    maps = generate_batch(1, 256, seed=123)
    maps = maps.map(lambda t: torch.nn.functional.interpolate(t, size=(size, size), mode="bilinear"))
    flash, guide = render_capture(maps, torch.Generator().manual_seed(0), CaptureSetup())
    as_uint8 = lambda t: (t[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)  # noqa: E731
    return as_uint8(flash), as_uint8(guide)


def seconds_per_call(model, request: MaterialRequest, repeat: int) -> float:  # noqa: ANN001
    """Median wall time of ``repeat`` calls after one warm-up."""
    model.estimate(request, JobContext())
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        model.estimate(request, JobContext())
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 2048])
    parser.add_argument("--refine", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    results: dict[str, float] = {}
    for size in args.sizes:
        flash, guide = photo_pair(size)
        for model in shipped_material_models("cpu"):
            two_shot = "guide" in model.descriptor.inputs
            for refine in (0, args.refine):
                request = MaterialRequest.of(flash, guide=guide if two_shot else None, refine_steps=refine)
                key = f"{model.descriptor.name}.{size}" + (f".refine{refine}" if refine else "")
                results[key] = seconds_per_call(model, request, args.repeat)
                if refine:
                    print(f"{key:36s} {results[key]:7.2f} s")
                    continue
                shipped_detail, model.detail = model.detail, NO_DETAIL
                results[f"{key}.no_detail"] = seconds_per_call(model, request, args.repeat)
                model.detail = shipped_detail
                print(f"{key:36s} {results[key]:7.2f} s   without detail {results[key + '.no_detail']:6.2f} s"
                      f"   ratio {results[key] / results[key + '.no_detail']:.2f}")
    print(f"torch threads: {torch.get_num_threads()}")
    print("RESULT " + " ".join(f"{k}={v:.2f}s" for k, v in results.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
