"""A contact sheet of the upscaler's detail slider: docs/sr_detail_contact_sheet.png.

    python bench/sr_contact_sheet.py --data DIR [DIR ...] [--model fast-x4] [--sharp PATH] [--out PNG]

One row per crop (the centre 192 x 192 HR pixels of each image, nearest-enlarged to 256 for
viewing): bicubic from the 48 x 48 LR crop, the default model (detail 0), detail 0.5, detail 1
(the sharp GAN partner), and the HR crop. Stored as a lossless PNG (no palette: the fine detail
is the point).
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

from texforge.server.contract import JobContext, UpscaleRequest  # noqa: E402
from texforge.server.sr.data import list_images, load_rgb  # noqa: E402
from texforge.server.sr.metrics import bicubic_downscale, bicubic_upscale  # noqa: E402
from texforge.server.sr.upscaler import NeuralUpscaler  # noqa: E402
from texforge.server.weight_files import model_path, sharp_partner_path  # noqa: E402

CROP = 192
SHOWN = 256
COLUMNS = ("bicubic", "default (detail 0)", "detail 0.5", "detail 1 (sharp)", "HR")


def centre_crop(image: np.ndarray, side: int) -> np.ndarray:
    top, left = (image.shape[0] - side) // 2, (image.shape[1] - side) // 2
    return image[top: top + side, left: left + side]


def row_of(model: NeuralUpscaler, hr: np.ndarray) -> list[np.ndarray]:
    scale = model.loaded.scale
    lr = bicubic_downscale(hr, scale)
    made = [model.upscale(UpscaleRequest.of(lr, scale=scale, detail=detail), JobContext()) for detail in (0.0, 0.5, 1.0)]
    return [bicubic_upscale(lr, scale), *made, hr]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", nargs="+", required=True, type=Path)
    parser.add_argument("--model", default="fast-x4")
    parser.add_argument("--sharp", type=Path, default=None, help="sharp partner weights (default: the shipped one)")
    parser.add_argument("--limit", type=int, default=3, help="images per folder")
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).resolve().parents[1] / "docs" / "sr_detail_contact_sheet.png")
    args = parser.parse_args()
    torch.set_num_threads(2)
    model = NeuralUpscaler.from_file(model_path(args.model), args.model, precision="bf16",
                                     sharp_path=args.sharp or sharp_partner_path(args.model))
    paths = [path for folder in args.data for path in list_images([str(folder)])[: args.limit]]
    rows = ((f"{path.parent.name}/{path.stem}",
             [Image.fromarray(image).resize((SHOWN, SHOWN), Image.Resampling.NEAREST)
              for image in row_of(model, centre_crop(load_rgb(path), CROP))]) for path in paths)
    sheet = contact_sheet(COLUMNS, rows, SHOWN)
    sheet.save(args.out, optimize=True)
    print(f"wrote {args.out} ({args.out.stat().st_size / 2**20:.2f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
