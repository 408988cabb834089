"""Texture Multiplier quality and speed on folders of textures.

    python bench/multiply_quality.py --data DIR [DIR ...] [--limit N] [--server-threads N]
                                     [--method auto|quilt|pixel] [--baseline none|quilt|pixel]

For every texture (its centre square, resized to a 256 x 256 exemplar), two 512 x 512 tileable
variations (seeds 0 and 1) made with `--method` (default: what the server does), and the same
for the `--baseline` method side by side (`base_*` columns; default: pixel synthesis), measured
with `server/multiply/metrics.py`:

- seam: wrap-around step over the mean interior step (1 = as smooth as the interior);
- copy: largest normalised cross-correlation with the exemplar tiled periodically (1 = a tiling);
- twin: the same between the two seeds' variations;
- patch: sliced Wasserstein distance of 5 x 5 RGB patches at 3 scales to the exemplar, over a
  random-phase-noise synthesis's (Galerne et al. 2011). The exemplar tiled 2 x 2 and a shuffle
  of random 32-pixel tiles are measured the same way as calibration (`tiled`, `shuffle`).

Make-seamless on the same exemplar (not tileable itself): its seam ratio before and after, the
fraction of pixels changed, and the patch distance to the input, beside the classic baseline
(cross-fading with the image shifted by half, which ghosts).

Material alignment: a procedural material (height = noise, albedo = a colour ramp of height,
normal from height) is multiplied with its maps; the largest |albedo - ramp(height)| of the
output (8-bit levels), albedo-luma/height correlation, and normals' unit length, next to the
exemplar's own.

Speed: one 256 -> 512 variation and one 512 -> 2048 variation in-process (one intra-op
thread), and `texforge multiply` through a server (`--server-threads`, default: the server's
own choice) for 4 variations of 512 x 512. Ends with one `RESULT` line.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import running_server  # noqa: E402

from texforge.server.imageio import write_image  # noqa: E402
from texforge.server.multiply import metrics  # noqa: E402
from texforge.server.multiply.random_phase import random_phase_noise  # noqa: E402
from texforge.server.multiply.textures import TextureSet  # noqa: E402
from texforge.server.multiply.variations import Method, make_seamless, variation  # noqa: E402

EXEMPLAR = 256
OUTPUT = 512
SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")


def exemplar_of(path: Path, side: int = EXEMPLAR) -> np.ndarray:
    """The centre square of a texture file, resized to side x side, RGB uint8."""
    image = Image.open(path).convert("RGB")
    square = min(image.size)
    left, top = (image.size[0] - square) // 2, (image.size[1] - square) // 2
    square_image = image.crop((left, top, left + square, top + square))
    return np.asarray(square_image.resize((side, side), Image.Resampling.LANCZOS))


def tile_shuffle(image: np.ndarray, size: int, tile: int, seed: int) -> np.ndarray:
    """Random `tile`-pixel squares of the image laid on a grid: the calibration a synthesis must beat."""
    rng = np.random.default_rng(seed)
    out = np.zeros((size, size, image.shape[2]), image.dtype)
    for top in range(0, size, tile):
        for left in range(0, size, tile):
            y, x = rng.integers(0, image.shape[0] - tile + 1), rng.integers(0, image.shape[1] - tile + 1)
            out[top: top + tile, left: left + tile] = image[y: y + tile, x: x + tile]
    return out


def half_shift_crossfade(image: np.ndarray) -> np.ndarray:
    """The classic make-tileable: blend with the image shifted by half, weighted to reach the shifted copy at the edges."""
    height, width = image.shape[:2]
    ramp_y = 1 - np.abs(np.linspace(-1, 1, height))[:, None]
    ramp_x = 1 - np.abs(np.linspace(-1, 1, width))[None, :]
    weight = np.minimum(ramp_y, ramp_x)[..., None]
    shifted = np.roll(image.astype(np.float64), (height // 2, width // 2), axis=(0, 1))
    return weight * image + (1 - weight) * shifted


def measure_variations(exemplar: np.ndarray, method: Method, relative: Callable[[np.ndarray], float],
                       prefix: str = "") -> dict[str, float]:
    """Seam, copy, twin and patch scores of two tileable variations (seeds 0, 1) made with `method`."""
    started = time.perf_counter()
    first = variation(TextureSet(exemplar), (OUTPUT, OUTPUT), tileable=True, seed=0, method=method).image
    seconds = time.perf_counter() - started
    second = variation(TextureSet(exemplar), (OUTPUT, OUTPUT), tileable=True, seed=1, method=method).image
    scores = {"seam": metrics.seam_ratio(first), "copy": metrics.copy_score(first, exemplar),
              "twin": metrics.twin_score(first, second), "patch": relative(first), "seconds": seconds}
    return {prefix + key: value for key, value in scores.items()}


def measure_texture(path: Path, method: Method, baseline: Method | None) -> dict[str, float]:
    """Every number of one texture's row (`base_*`: the same scores for the baseline method)."""
    exemplar = exemplar_of(path)
    noise = np.clip(random_phase_noise(exemplar.astype(np.float64) / 255, (OUTPUT, OUTPUT), seed=0), 0, 1)
    noise_distance = metrics.patch_distance(noise, exemplar)

    def relative(image: np.ndarray) -> float:
        return metrics.patch_distance(image, exemplar) / noise_distance

    seamless = make_seamless(TextureSet(exemplar), border=0.15).image
    crossfade = half_shift_crossfade(exemplar)
    base = measure_variations(exemplar, baseline, relative, "base_") if baseline else {}
    return {
        **measure_variations(exemplar, method, relative), **base,
        "rpn_seam": metrics.seam_ratio(noise), "tiled": relative(np.tile(exemplar, (2, 2, 1))),
        "shuffle": relative(tile_shuffle(exemplar, OUTPUT, 32, seed=0)),
        "seamless_before": metrics.seam_ratio(exemplar), "seamless_after": metrics.seam_ratio(seamless),
        "seamless_changed": float((seamless != exemplar).any(axis=-1).mean()),
        "seamless_patch": metrics.patch_distance(seamless, exemplar) / noise_distance,
        "crossfade_seam": metrics.seam_ratio(crossfade),
        "crossfade_patch": metrics.patch_distance(crossfade / 255, exemplar) / noise_distance,
    }


VARIATION_COLUMNS = ("seam", "copy", "twin", "patch", "seconds")
COLUMNS = ("seam", "copy", "twin", "patch", "tiled", "shuffle", "seconds", "seamless_before", "seamless_after",
           "seamless_changed", "seamless_patch", "crossfade_seam", "crossfade_patch")


def print_table(rows: dict[str, dict[str, float]], folder: str) -> dict[str, float]:
    """Per-texture rows and their median; returns the median row."""
    columns = columns_of(rows.values())
    names = ["texture", *columns]
    print(f"\n{folder}\n" + " ".join(f"{name[:14]:>14}" if index else f"{name:<32}" for index, name in enumerate(names)))
    for name, row in rows.items():
        print(f"{name[:32]:<32} " + " ".join(f"{row[column]:>14.3f}" for column in columns))
    median = {column: statistics.median(row[column] for row in rows.values()) for column in columns}
    print(f"{'median':<32} " + " ".join(f"{median[column]:>14.3f}" for column in columns))
    return median


def columns_of(rows: Iterable[dict[str, float]]) -> tuple[str, ...]:
    """The table's columns: COLUMNS, then the baseline's where it was measured."""
    first = next(iter(rows))
    return COLUMNS + tuple(f"base_{column}" for column in VARIATION_COLUMNS if f"base_{column}" in first)


# --- material alignment -----------------------------------------------------------------------


def procedural_material(side: int = 256, seed: int = 0) -> dict[str, np.ndarray]:
    """height = fractal noise, albedo = a non-linear colour ramp of it, normal = its gradient."""
    rng = np.random.default_rng(seed)
    height = np.zeros((side, side))
    for octave in range(5):
        cells = 4 * 2 ** octave
        coarse = rng.random((cells, cells))
        height += np.asarray(Image.fromarray(coarse).resize((side, side), Image.Resampling.BICUBIC)) / 2 ** octave
    height = (height - height.min()) / (height.max() - height.min())
    height16 = np.round(height * 65535).astype(np.uint16)
    exact = height16 / 65535.0
    dy, dx = np.gradient(exact * 8)
    normal = np.stack([-dx, dy, np.ones_like(exact)], axis=-1)
    normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
    return {"albedo": np.round(colour_ramp(exact) * 255).astype(np.uint8), "height": height16[..., None],
            "normal": np.round((normal + 1) / 2 * 65535).astype(np.uint16)}


def colour_ramp(height: np.ndarray) -> np.ndarray:
    stops, colours = [0.0, 0.4, 0.7, 1.0], np.array([[0.1, 0.07, 0.03], [0.5, 0.33, 0.1], [0.3, 0.55, 0.2], [0.9, 0.9, 0.85]])
    return np.stack([np.interp(height, stops, colours[:, channel]) for channel in range(3)], axis=-1)


def alignment(albedo: np.ndarray, height: np.ndarray, normal: np.ndarray) -> dict[str, float]:
    """How well albedo and normal still follow height."""
    exact = height[..., 0] / 65535.0
    luma = albedo.astype(np.float64) @ np.array([0.2126, 0.7152, 0.0722])
    vectors = normal.astype(np.float64) / 65535 * 2 - 1
    return {"ramp_error": float(np.abs(albedo - np.round(colour_ramp(exact) * 255)).max()),
            "correlation": float(np.corrcoef(luma.ravel(), exact.ravel())[0, 1]),
            "unit_error": float(np.abs(np.linalg.norm(vectors, axis=-1) - 1).max())}


def measure_alignment(method: Method) -> tuple[dict[str, float], dict[str, float]]:
    material = procedural_material()
    textures = TextureSet(material["albedo"], {"height": material["height"], "normal": material["normal"]})
    made = variation(textures, (OUTPUT, OUTPUT), tileable=True, seed=3, method=method)
    return (alignment(material["albedo"], material["height"], material["normal"]),
            alignment(made.image, made.maps["height"], made.maps["normal"]))


# --- speed --------------------------------------------------------------------------------------


def seconds_of(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def cli_seconds_per_variation(exemplar: np.ndarray, server_threads: int | None, count: int = 4) -> float:
    """Wall time of `texforge multiply --count 4 --size 512x512 --tileable` through a fresh server, per variation."""
    extra = ["--device", "cpu"] + (["--threads", str(server_threads)] if server_threads else [])
    with tempfile.TemporaryDirectory() as folder, running_server(*extra) as address:
        source = Path(folder) / "exemplar.png"
        write_image(source, exemplar)
        command = [sys.executable, "-m", "texforge.server.cli", "multiply", str(source), "-o", str(Path(folder) / "out"),
                   "--count", str(count), "--size", f"{OUTPUT}x{OUTPUT}", "--tileable", "--server", address]
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, timeout=600)
        return (time.perf_counter() - started) / count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", nargs="+", required=True, type=Path, help="folders of texture images")
    parser.add_argument("--limit", type=int, default=None, help="at most this many textures per folder")
    parser.add_argument("--server-threads", type=int, default=None, help="--threads of the server timed through the CLI")
    parser.add_argument("--method", choices=("auto", "quilt", "pixel"), default="auto",
                        help="how variations are made (auto: what the server does)")
    parser.add_argument("--baseline", choices=("none", "quilt", "pixel"), default="pixel",
                        help="a second method measured side by side (base_* columns)")
    args = parser.parse_args()
    baseline = None if args.baseline == "none" else args.baseline
    torch.set_num_threads(1)  # the in-process numbers: one intra-op thread (see the report)
    medians, all_rows = [], []
    for folder in args.data:
        files = sorted(path for path in folder.iterdir() if path.suffix.lower() in SUFFIXES)[: args.limit]
        rows = {path.name: measure_texture(path, args.method, baseline) for path in files}
        medians.append(print_table(rows, str(folder)))
        all_rows += rows.values()
    columns = columns_of(all_rows)
    overall = {column: statistics.median(row[column] for row in all_rows) for column in columns}
    print(f"\nall {len(all_rows)} textures, median: " + " ".join(f"{c}={overall[c]:.3f}" for c in columns))

    exemplar_alignment, output_alignment = measure_alignment(args.method)
    print("\nmaterial alignment (procedural: albedo = ramp(height), normal from height)")
    for label, values in (("exemplar", exemplar_alignment), ("variation", output_alignment)):
        print(f"  {label:<10} " + " ".join(f"{key}={value:.4f}" for key, value in values.items()))

    sample = next(path for folder in args.data for path in sorted(folder.iterdir()) if path.suffix.lower() in SUFFIXES)
    small, large = exemplar_of(sample, 256), exemplar_of(sample, 512)
    speed_512 = seconds_of(lambda: variation(TextureSet(small), (512, 512), True, seed=0, method=args.method))
    speed_2048 = seconds_of(lambda: variation(TextureSet(large), (2048, 2048), True, seed=0, method=args.method))
    cli = cli_seconds_per_variation(small, args.server_threads)
    print(f"\nspeed: 256->512 {speed_512:.2f} s, 512->2048 {speed_2048:.1f} s (in-process, 1 thread); "
          f"CLI {cli:.2f} s per 512x512 variation (server --threads {args.server_threads or 'default'})")
    print("RESULT " + " ".join([
        f"textures={len(all_rows)}", f"seam={overall['seam']:.3f}", f"copy={overall['copy']:.3f}",
        f"twin={overall['twin']:.3f}", f"patch={overall['patch']:.3f}", f"tiled={overall['tiled']:.3f}",
        f"shuffle={overall['shuffle']:.3f}", f"seamless_seam={overall['seamless_after']:.3f}",
        f"seamless_changed={overall['seamless_changed']:.3f}", f"crossfade_seam={overall['crossfade_seam']:.3f}",
        f"ramp_error={output_alignment['ramp_error']:.1f}", f"s_512={speed_512:.2f}", f"s_2048={speed_2048:.1f}",
        f"cli_s_per_variation={cli:.2f}", f"method={args.method}",
        *([f"base_patch={overall['base_patch']:.3f}", f"base_seam={overall['base_seam']:.3f}",
           f"patch_ratio={overall['patch'] / overall['base_patch']:.3f}"] if baseline else []),
        *(f"median_{index}_patch={median['patch']:.3f}" for index, median in enumerate(medians)),
    ]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
