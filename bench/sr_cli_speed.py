"""End-to-end upscale speed through the command line, as a user runs it: 512x512 PNG -> x4 PNG.

    python bench/sr_cli_speed.py [--runs 5] [--scale 4] [--model NAME] [--weights-dir DIR] [--precision auto]

Each run is a fresh `texforge upscale in.png out.png` process against one running server: Python
start-up, PNG decode, transport, tiled inference, PNG encode. The model's time is printed next
to `bicubic` through the same path, which is the fixed cost a network adds to. The budget of
issue 17 is 2.5 s for 512x512 x4 on the 2-core development CPU. Ends with one `RESULT` line.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import running_server  # noqa: E402
from sr_speed import test_image  # noqa: E402

from texforge.server.imageio import write_image  # noqa: E402


def cli_seconds(address: str, source: Path, target: Path, scale: int, model: str | None) -> float:
    """Wall time of one `texforge upscale` process."""
    command = [sys.executable, "-m", "texforge.server.cli", "upscale", str(source), str(target),
               "--scale", str(scale), "--server", address]
    if model:
        command += ["--model", model]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def median_cli_seconds(address: str, folder: Path, scale: int, model: str | None, runs: int) -> float:
    """Median over `runs` after one warm-up run (the server's first job allocates its pools)."""
    source, target = folder / "in.png", folder / f"out_{model or 'default'}.png"
    cli_seconds(address, source, target, scale, model)
    return statistics.median(cli_seconds(address, source, target, scale, model) for _ in range(runs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--model", default=None, help="model name (default: the server's default for the scale)")
    parser.add_argument("--weights-dir", default=None, help="serve the models of this folder instead of the package's")
    parser.add_argument("--precision", default="auto")
    args = parser.parse_args()
    server_args = ["--device", "cpu", "--precision", args.precision]
    if args.weights_dir:
        server_args += ["--weights-dir", args.weights_dir]
    with tempfile.TemporaryDirectory() as temp, running_server(*server_args) as address:
        folder = Path(temp)
        write_image(folder / "in.png", test_image(args.size))
        model = median_cli_seconds(address, folder, args.scale, args.model, args.runs)
        bicubic = median_cli_seconds(address, folder, args.scale, "bicubic", args.runs)
    name = args.model or "default"
    print(f"{name:<10} {args.size}x{args.size} x{args.scale} through the CLI: median {model:.2f} s over {args.runs} runs")
    print(f"{'bicubic':<10} {args.size}x{args.size} x{args.scale} through the CLI: median {bicubic:.2f} s "
          f"(the fixed cost: start-up, PNG I/O, transport)")
    print(f"the network adds {model - bicubic:.2f} s; {model / bicubic:.2f}x bicubic's end-to-end time")
    print(f"RESULT model={name} scale={args.scale} size={args.size} precision={args.precision} "
          f"cli_s={model:.3f} bicubic_cli_s={bicubic:.3f} ratio={model / bicubic:.2f} runs={args.runs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
