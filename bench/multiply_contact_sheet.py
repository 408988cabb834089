"""A contact sheet of the Texture Multiplier: docs/multiply_contact_sheet.png.

    python bench/multiply_contact_sheet.py --data DIR [DIR ...] [--out docs/multiply_contact_sheet.png]

One row per texture (a dozen of different kinds: stochastic, structured, directional): the 256 x 256
exemplar, two 512 x 512 tileable variations (seeds 0 and 1) and a 2 x 2 tiling of the first, each
shown in a 160-pixel cell. Stored as an adaptive-palette PNG to stay well under 2 MB.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sheet import contact_sheet  # noqa: E402
from multiply_quality import SUFFIXES, exemplar_of  # noqa: E402

from texforge.server.multiply.textures import TextureSet  # noqa: E402
from texforge.server.multiply.variations import variation  # noqa: E402

CELL = 160
PREFERRED = ("japanese_maple_1", "soil_1", "soil_4", "water", "ink", "multiexample_2", "red_bricks_1", "white_bricks_1",
             "red_bricks_3", "wood_planks_1", "wood_board_1", "wood_planks_4")
"""Name fragments picked first: stochastic, then structured, then directional textures."""
COLUMNS = ("exemplar 256", "variation, seed 0", "variation, seed 1", "2 x 2 tiling of seed 0")


def pick(folders: list[Path], count: int = 12) -> list[Path]:
    """Up to `count` textures: the preferred kinds first, then the rest in name order."""
    files = sorted(path for folder in folders for path in folder.iterdir() if path.suffix.lower() in SUFFIXES)
    chosen = [next(path for path in files if fragment in path.stem) for fragment in PREFERRED
              if any(fragment in path.stem for path in files)]
    chosen += [path for path in files if path not in chosen]
    return chosen[:count]


def cell(image: np.ndarray) -> Image.Image:
    return Image.fromarray(image).resize((CELL, CELL), Image.Resampling.LANCZOS)


def row_of(path: Path) -> list[Image.Image]:
    exemplar = exemplar_of(path)
    first, second = (variation(TextureSet(exemplar), (512, 512), tileable=True, seed=seed).image for seed in (0, 1))
    print(f"{path.stem}: done", flush=True)
    return [cell(exemplar), cell(first), cell(second), cell(np.tile(first, (2, 2, 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", nargs="+", required=True, type=Path)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs" / "multiply_contact_sheet.png")
    args = parser.parse_args()
    torch.set_num_threads(1)
    paths = pick(args.data)
    sheet = contact_sheet(COLUMNS, ((path.stem, row_of(path)) for path in paths), CELL)
    sheet.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG).save(args.out, optimize=True)
    print(f"wrote {args.out} ({args.out.stat().st_size / 2**20:.2f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
