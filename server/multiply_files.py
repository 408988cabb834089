"""Multiply and seamless outputs on disk: files named after the variations, in their inputs'
file types, and multiply.json describing how they were made."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..protocol.maps import variation_image_name
from .imageio import WRITABLE_SUFFIXES, atomic_output, check_writable, substitute_suffix, write_image

DESCRIPTION_FILE = "multiply.json"
"""Written next to the variations: arguments, seeds, timings, files."""


def output_suffix(source: str | Path, dtype: np.dtype) -> str:
    """The file type an output written from `source` gets: the source's own when it holds `dtype`,
    else .png for integer pixels and .exr for float ones (e.g. .bmp, .webp or .hdr inputs)."""
    suffix = Path(source).suffix.lower()
    if suffix in WRITABLE_SUFFIXES:
        try:
            check_writable(Path(source), dtype)
            return suffix
        except ValueError:
            pass
    return substitute_suffix(suffix, dtype)


def variation_paths(outdir: Path, count: int, suffixes: dict[str | None, str]) -> list[dict[str | None, Path]]:
    """For each variation K: None (the image) and each map name -> `variation_K[_NAME]<suffix>` in `outdir`."""
    return [{name: outdir / f"{variation_image_name(index, name)}{suffix}" for name, suffix in suffixes.items()}
            for index in range(1, count + 1)]


def write_variations(outdir: Path, variations: list[dict[str, np.ndarray]], suffixes: dict[str | None, str],
                     description: dict[str, Any]) -> list[Path]:
    """Write every variation's image and maps, then multiply.json (with the file names added)."""
    written = []
    for paths, variation in zip(variation_paths(outdir, len(variations), suffixes), variations, strict=True):
        for name, path in paths.items():
            write_image(path, variation["image" if name is None else name])
            written.append(path)
    description = {**description, "files": [path.name for path in written]}
    target = outdir / DESCRIPTION_FILE
    with atomic_output(target) as stream:
        stream.write((json.dumps(description, indent=2) + "\n").encode())
    return [*written, target]


def seamless_map_path(output: Path, name: str, suffix: str) -> Path:
    """Where `texforge seamless IN OUT --map NAME=...` writes map NAME: beside OUT, as `OUT-stem_NAME<suffix>`."""
    return output.with_name(f"{output.stem}_{name}{suffix}")
