"""Shading closure (``server/material/closure.py``) settings side by side on held-out generated data.

Each setting ``STRENGTH/LOW_CUT[/fit]`` (``fit``: an unknown field of view fitted first) is
scored through the public ``estimate`` path on
* the generated multi-view captures of ``material_relight.py --generated`` (predict from the
  centre photo, relight the eight other collocated flash views; the protocol of real multi-view
  captures, at 20-30 degrees),
* the held-out materials of ``material_generated.py`` (map RMSE in the strips' encoding and the
  40-degree novel-light render),
* the uniform beige surface (centre ring of the albedo over its mean: 1.0 is de-lit; any flash
  disc the closure prints shows here).
The first setting is the baseline the ratios are taken against (default ``0/0``: no closure).

    python bench/material_closure.py --settings 0/0 0.5/0 1/0 1/8 [--weights W] [--relight 24 --count 48] [--known-fov]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from material_generated import held_out_samples, uniform_scores
from material_quality import evaluate, result_fields
from material_relight import CENTRE_VIEW, generated_capture, known_fov_of, novel_view_errors, predict

from texforge.server.material.closure import ShadingClosure
from texforge.server.material.models import NeuralMaterialModel
from texforge.server.material.render import CaptureSetup
from texforge.server.weight_files import shipped_material_files


def parse_setting(text: str) -> ShadingClosure:
    """``STRENGTH/LOW_CUT[/fit]`` -> settings (``fit``: fit an unknown field of view first)."""
    parts = text.split("/")
    low_cut = int(parts[1]) if len(parts) > 1 else 0
    return ShadingClosure(float(parts[0]), low_cut, fit_fov=parts[2:] == ["fit"])


def relight_score(model, count: int, size: int, metal_share: float, known_fov: bool) -> float:  # noqa: ANN001
    """Mean relight RMSE over the novel views of ``count`` generated multi-view captures."""
    errors = []
    for index in range(count):
        capture = generated_capture(index, size, metal_share)
        fov = known_fov_of(capture, CENTRE_VIEW) if known_fov else None
        errors += novel_view_errors(predict(model, capture.photos[CENTRE_VIEW], 0, fov), capture, CENTRE_VIEW)
    return float(np.mean(errors))


def settings_arguments(description: str, default_settings: list[str]) -> argparse.Namespace:
    """The command line every bench of inference settings shares (the settings side by side, the
    1-shot model, the held-out sets' sizes, whether the lens is told), parsed; threads applied."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--settings", nargs="+", default=default_settings)
    parser.add_argument("--weights", type=Path, default=None, help="a 1-shot model (default: the shipped one)")
    parser.add_argument("--relight", type=int, default=24, help="generated multi-view captures")
    parser.add_argument("--count", type=int, default=48, help="held-out generated materials (each set)")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--metal-share", type=float, default=0.3)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--known-fov", action="store_true",
                        help="send each photo's field of view in the request, as a user who knows the lens would")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    return args


def main() -> int:
    args = settings_arguments(__doc__.splitlines()[0], ["0/0", "0.5/0", "1/0", "1/8"])
    model = NeuralMaterialModel.from_file(args.weights or shipped_material_files()[0])
    setup = CaptureSetup()
    fovs: list[float] = []
    samples = held_out_samples(args.count, args.size, args.metal_share, setup, fovs=fovs)
    columns = ("relight", "normal", "albedo", "roughness", "specular", "render", "uniform_centre")
    print(f"{model.descriptor.name}: {args.relight} generated multi-view captures, {args.count} held-out materials, "
          f"{args.size} px{', field of view told' if args.known_fov else ''}")
    print(f"{'strength/low_cut':18s}" + "".join(f"{c:>15s}" for c in columns))
    rows: dict[str, dict[str, float]] = {}
    for text in args.settings:
        model.closure = parse_setting(text)
        row, _ = evaluate(model, samples, setup, 0, fovs=fovs if args.known_fov else None)
        row["relight"] = relight_score(model, args.relight, args.size, args.metal_share, args.known_fov)
        row.update(uniform_scores(model, setup))
        rows[text] = row
        print(f"{text:18s}" + "".join(f"{row[c]:15.4f}" for c in columns), flush=True)
    print_result(rows, ("relight", "albedo", "render"))
    return 0


def print_result(rows: dict[str, dict[str, float]], reported: tuple[str, ...]) -> None:
    """The ``RESULT`` line of a settings bench: the first setting is the base, the best relights best."""
    base = next(iter(rows))
    fields = result_fields(rows, reported)
    best = min(rows, key=lambda text: rows[text]["relight"])
    print(f"RESULT base={base} best_relight={best} relight_ratio={rows[best]['relight'] / rows[base]['relight']:.3f} "
          f"{fields}")


if __name__ == "__main__":
    raise SystemExit(main())
