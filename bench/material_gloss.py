"""Gloss fit (``server/material/gloss.py``) settings side by side on held-out generated data.

Each setting is ``off`` or ``LOW-HIGH/STEPS[/REFERENCE/STRENGTH]`` (roughness multipliers tried,
log-spaced; the applied one is (best / REFERENCE) ** STRENGTH), scored
through the public ``estimate`` path (shading closure as shipped) on
* the generated multi-view captures of ``material_relight.py --generated`` (predict from the
  centre photo, relight the eight other views; metered photos at 20-30 degrees),
* the held-out materials of ``material_generated.py``, photographed with the calibrated flash and
  again metered by a phone's auto-exposure (map RMSE in the strips' encoding, the novel-light
  render, and the mean of those five),
* the uniform beige surface (centre ring of the albedo over its mean: 1.0 is de-lit).
The first setting is the baseline the ratios are taken against.

    python bench/material_gloss.py --settings off 0.5-4/22 [--weights W] [--relight 24 --count 48] [--known-fov]
"""

from __future__ import annotations

import numpy as np
from material_closure import print_result, relight_score, settings_arguments
from material_generated import held_out_samples, uniform_scores
from material_quality import evaluate

from texforge.server.material.gloss import NO_GLOSS_FIT, GlossFit
from texforge.server.material.models import NeuralMaterialModel
from texforge.server.material.procedural import CaptureJitter
from texforge.server.material.render import CaptureSetup
from texforge.server.weight_files import shipped_material_files

FIVE = ("normal", "albedo", "roughness", "specular", "render")


def parse_setting(text: str) -> GlossFit:
    """``off`` or ``LOW-HIGH/STEPS[/REFERENCE/STRENGTH]`` -> settings."""
    if text == "off":
        return NO_GLOSS_FIT
    span, steps, *partial = text.split("/")
    low, high = span.split("-")
    reference, strength = (float(v) for v in partial) if partial else (1.0, 1.0)
    return GlossFit(float(low), float(high), int(steps), reference, strength)


def main() -> int:
    args = settings_arguments(__doc__.splitlines()[0], ["off", "0.5-4/22"])
    model = NeuralMaterialModel.from_file(args.weights or shipped_material_files()[0])
    setup = CaptureSetup()
    sets = {}
    for label, share in (("calibrated", 0.0), ("metered", 1.0)):
        fovs: list[float] = []
        samples = held_out_samples(args.count, args.size, args.metal_share, setup, fovs=fovs,
                                   jitter=CaptureJitter(auto_exposure_share=share))
        sets[label] = (samples, fovs)
    print(f"{model.descriptor.name}: {args.relight} generated multi-view captures, {args.count} held-out materials "
          f"calibrated and metered, {args.size} px{', field of view told' if args.known_fov else ''}")
    columns = ["relight", *(f"cal_{c}" for c in FIVE), "cal_mean5", *(f"met_{c}" for c in FIVE), "met_mean5",
               "uniform_centre"]
    rows: dict[str, dict[str, float]] = {}
    for text in args.settings:
        model.gloss = parse_setting(text)
        row = {"relight": relight_score(model, args.relight, args.size, args.metal_share, args.known_fov)}
        for label, (samples, fovs) in sets.items():
            scores, _ = evaluate(model, samples, setup, 0, fovs=fovs if args.known_fov else None)
            prefix = label[:3]
            row.update({f"{prefix}_{c}": scores[c] for c in FIVE})
            row[f"{prefix}_mean5"] = float(np.mean([scores[c] for c in FIVE]))
        row.update(uniform_scores(model, setup))
        rows[text] = row
        print(f"{text}:\n  " + "\n  ".join(f"{c:16s}{row[c]:.4f}" for c in columns), flush=True)
    print(f"{'setting':14s}" + "".join(f"{c[:11]:>12s}" for c in columns))
    for text, row in rows.items():
        print(f"{text:14s}" + "".join(f"{row[c]:12.4f}" for c in columns))
    print_result(rows, ("relight", "cal_render", "cal_mean5", "met_mean5"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
