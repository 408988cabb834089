"""Same-surface check of 2-shot materials: how often related guides are accepted and unrelated refused.

Every pair goes through the product's decision (`align_guide`: align, then refuse a guide that
does not agree with the flash photo). Pairs, all held out from the tuning of the check:
- generated: procedural materials photographed with flash and without (other lighting), the
  guide moved by a random hand-held homography; unrelated = the guide of another material,
  moved the same way; at 128, 256 and 512 px;
- real related: two photos of one embossed surface from nearby positions (`multiview_yellow_box`,
  lit from different places), at 256 and 1024 px;
- real unrelated: a real flash photo (`real_flash`) with another one, with an object or street
  photo (`sr/val/urban100`) and with a texture photo (`sr/val/textures`).

    python bench/material_same_surface.py --svbrdf ../shared/data/svbrdf --sr ../shared/data/sr
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from material_align import random_homography  # noqa: E402

from texforge.server.material.align import AlignmentError, align_guide, warp  # noqa: E402
from texforge.server.material.imaging import photo_to_tensor  # noqa: E402
from texforge.server.material.procedural import generate_batch, render_capture  # noqa: E402
from texforge.server.material.render import CaptureSetup  # noqa: E402

HELD_OUT_SEED = 7100
"""Seeds of the generated pairs (the check was tuned on others)."""

Pair = tuple[str, bool, torch.Tensor, torch.Tensor]
"""(group, related, flash, guide)."""


def load_square(path: Path, size: int) -> torch.Tensor:
    """A photo's central square at `size` px, (1, 3, size, size) in [0, 1]."""
    image = Image.open(path).convert("RGB")
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    image = image.crop((left, top, left + side, top + side)).resize((size, size), Image.BICUBIC)
    return photo_to_tensor(np.asarray(image))


def generated_pairs(count: int, sizes: tuple[int, ...]) -> Iterator[Pair]:
    """Related and unrelated hand-held pairs of procedural materials."""
    motion = torch.Generator().manual_seed(HELD_OUT_SEED)
    for size in sizes:
        maps = generate_batch(count, size, seed=HELD_OUT_SEED + size)
        flash, guide = render_capture(maps, torch.Generator().manual_seed(HELD_OUT_SEED + size), CaptureSetup())
        for i in range(count):
            moved = torch.linalg.inv(random_homography(motion, 0.04))
            yield f"generated {size}", True, flash[i:i + 1], warp(guide[i:i + 1], moved)
            other = (i + 1) % count
            yield f"generated {size}", False, flash[i:i + 1], warp(guide[other:other + 1], moved)


def real_pairs(svbrdf: Path, sr: Path) -> Iterator[Pair]:
    """Related pairs of one real surface, unrelated pairs of real photos."""
    views = sorted((svbrdf / "multiview_yellow_box").glob("*.png"))
    for size in (256, 1024):
        for i in range(len(views)):
            for j in (i + 1, i + 2):
                if j < len(views):
                    yield f"real related {size}", True, load_square(views[i], size), load_square(views[j], size)
    photos = sorted((svbrdf / "real_flash").glob("*.png"))
    others = {"real flash": photos, "object": sorted((sr / "val" / "urban100").glob("*.png")),
              "texture": sorted((sr / "val" / "textures").glob("*.png"))}
    for i, photo in enumerate(photos):
        size = 1024 if Image.open(photo).width >= 1024 else 256
        for kind, guides in others.items():
            guide = guides[(i + 3) % len(guides)] if kind == "real flash" else guides[i % len(guides)]
            yield f"real unrelated: {kind}", False, load_square(photo, size), load_square(guide, size)


def accepted(flash: torch.Tensor, guide: torch.Tensor) -> bool:
    """Whether the product accepts `guide` as a photo of `flash`'s surface."""
    try:
        align_guide(flash, guide)
    except AlignmentError:
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--svbrdf", type=Path, required=True, help="the svbrdf data folder")
    parser.add_argument("--sr", type=Path, required=True, help="the sr data folder (val/urban100, val/textures)")
    parser.add_argument("--count", type=int, default=8, help="generated materials per size")
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512])
    args = parser.parse_args()
    outcomes: dict[tuple[str, bool], list[bool]] = defaultdict(list)
    seconds: list[float] = []
    pairs = [*generated_pairs(args.count, tuple(args.sizes)), *real_pairs(args.svbrdf, args.sr)]
    for group, related, flash, guide in pairs:
        started = time.perf_counter()
        outcomes[(group, related)].append(accepted(flash, guide))
        seconds.append(time.perf_counter() - started)
    for (group, related), results in outcomes.items():
        verdict = "accepted" if related else "refused"
        wanted = sum(results) if related else len(results) - sum(results)
        print(f"  {group:<28} {'related' if related else 'unrelated':<9} {verdict} {wanted}/{len(results)}")
    related_results = [r for (_, rel), rs in outcomes.items() if rel for r in rs]
    unrelated_results = [r for (_, rel), rs in outcomes.items() if not rel for r in rs]
    related_refused = 100 * (len(related_results) - sum(related_results)) / len(related_results)
    unrelated_refused = 100 * (len(unrelated_results) - sum(unrelated_results)) / len(unrelated_results)
    print(f"related pairs refused {related_refused:.1f}% of {len(related_results)}, "
          f"unrelated refused {unrelated_refused:.1f}% of {len(unrelated_results)}; "
          f"median {np.median(seconds):.2f} s per pair")
    print(f"RESULT related={len(related_results)} unrelated={len(unrelated_results)} "
          f"related_refused_pct={related_refused:.1f} unrelated_refused_pct={unrelated_refused:.1f} "
          f"seconds_per_pair={np.median(seconds):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
