"""A contact sheet of "Create material from photos": docs/material_contact_sheet.png.

    python bench/material_contact_sheet.py --data /work/shared/data/svbrdf/real_flash \
        [--blender .venv-blender/bin/python] [--out docs/material_contact_sheet.png]

One row per photo: the photo, then the shipped default model's albedo, normal, roughness and
specular (as the files a user gets: sRGB colour maps, OpenGL normal) and a Cycles render of the
material on a flat square under a light 40 degrees off-axis, made through the Blender extension's
own material code (``packaging/render_materials.py``, run with the bpy Python). Maps are
estimated at ``--size`` px through the public ``estimate`` path, no refinement.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sheet import contact_sheet  # noqa: E402

from texforge.server.contract import JobContext, MaterialRequest  # noqa: E402
from texforge.server.material.models import NeuralMaterialModel  # noqa: E402
from texforge.server.weight_files import shipped_material_files  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CELL = 128
COLUMNS = ("photo", "albedo", "normal", "roughness", "specular", "Cycles")


def default_model() -> NeuralMaterialModel:
    """The server's default material model: the first shipped one (``catalog.MATERIAL_MODELS``)."""
    from texforge.server.catalog import MATERIAL_MODELS

    files = {path.name.removesuffix(".safetensors"): path for path in shipped_material_files()}
    return NeuralMaterialModel.from_file(files[MATERIAL_MODELS[0]])


def cell(array: np.ndarray) -> Image.Image:
    """An H x W x C image in [0, 1] (or uint8) as a CELL x CELL RGB tile."""
    if array.dtype != np.uint8:
        array = (np.clip(array, 0, 1) * 255).round().astype(np.uint8)
    if array.ndim == 3 and array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    return Image.fromarray(np.ascontiguousarray(array[..., :3])).resize((CELL, CELL), Image.Resampling.LANCZOS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder of flash photos")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "material_contact_sheet.png")
    parser.add_argument("--blender", type=Path, default=REPO / ".venv-blender" / "bin" / "python",
                        help="a Python with bpy 5.0.1")
    parser.add_argument("--size", type=int, default=256, help="side of the estimated maps")
    parser.add_argument("--samples", type=int, default=32, help="Cycles samples per render")
    args = parser.parse_args()
    model = default_model()
    photos = sorted(p for p in args.data.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    rows, seconds = [], []
    with tempfile.TemporaryDirectory(prefix="texforge-sheet-") as scratch:
        maps_dir, renders_dir = Path(scratch) / "maps", Path(scratch) / "renders"
        maps_dir.mkdir()
        for index, path in enumerate(photos):
            photo = np.asarray(Image.open(path).convert("RGB"))
            started = time.perf_counter()
            maps = model.estimate(MaterialRequest.of(photo, size=args.size), JobContext())
            seconds.append(time.perf_counter() - started)
            np.savez(maps_dir / f"{index:02d}.npz", **maps)
            rows.append((path.name, photo, maps))
        subprocess.run([sys.executable, str(REPO / "packaging" / "build.py"), "--platform", "linux-x64", "--python",
                        "3.11", "--output-dir", str(Path(scratch) / "dist"), "--no-validate"], check=True)
        extension = next((Path(scratch) / "dist").glob("texforge-*.zip"))
        subprocess.run([str(args.blender), str(REPO / "packaging" / "render_materials.py"), str(extension),
                        str(maps_dir), str(renders_dir), "--size", str(CELL), "--samples", str(args.samples)], check=True)
        renders = [np.asarray(Image.open(renders_dir / f"{index:02d}.png").convert("RGB")) for index in range(len(rows))]
    sheet_rows = ((f"{name}  ({model.descriptor.name})",
                   [cell(tile) for tile in (photo, maps["albedo"], maps["normal"], maps["roughness"], maps["specular"], render)])
                  for (name, photo, maps), render in zip(rows, renders, strict=True))
    sheet = contact_sheet(COLUMNS, sheet_rows, CELL, background=(24, 24, 24), ink=(220, 220, 220))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(args.out, optimize=True)
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KiB)")
    print(f"RESULT photos={len(rows)} model={model.descriptor.name} median_estimate_s={float(np.median(seconds)):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
