"""Which files `texforge upscale` reads and writes, and the network scale an exact size needs.

One file in, one file out; or several files and folders in, one output folder out, each result
named after its source (same file type unless a format is asked for).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .imageio import READABLE_SUFFIXES, WRITABLE_SUFFIXES, substitute_suffix

NETWORK_SCALES = (2, 4)
"""Scales the shipped upscalers have; an exact size takes the smallest that reaches it."""
JPEG_SUFFIXES = (".jpg", ".jpeg")
OUTPUT_FORMATS = ("same", *sorted({suffix.lstrip(".") for suffix in WRITABLE_SUFFIXES}))
"""What `--format` accepts for folder outputs: the source's own type, or one written type."""
ASPECT_TOLERANCE = 0.01


@dataclass(frozen=True)
class FileJob:
    """One image to upscale and where its result goes."""

    source: Path
    target: Path


def source_files(inputs: Sequence[str]) -> list[Path]:
    """The files named, with each folder replaced by the images directly inside it (sorted)."""
    files: list[Path] = []
    for name in inputs:
        path = Path(name)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in READABLE_SUFFIXES)
            if not found:
                raise ValueError(f"{path}: no images in this folder ({', '.join(READABLE_SUFFIXES)})")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise ValueError(f"{path}: no such file or folder")
    return files


def plan_jobs(inputs: Sequence[str], output: str, file_format: str = "same") -> list[FileJob]:
    """Pair every source with its target; ValueError before any work when the plan cannot be kept."""
    sources = source_files(inputs)
    target = Path(output)
    batch = len(sources) > 1 or any(Path(name).is_dir() for name in inputs) or target.is_dir()
    if not batch:
        return [FileJob(sources[0], target)]
    if target.exists() and not target.is_dir():
        raise ValueError(f"{target}: must be a folder when upscaling several files or a folder")
    jobs = [FileJob(source, target / _target_name(source, file_format)) for source in sources]
    _check_distinct(jobs)
    return jobs


def _target_name(source: Path, file_format: str) -> str:
    if file_format not in OUTPUT_FORMATS:
        raise ValueError(f"unknown format {file_format!r}; expected one of {', '.join(OUTPUT_FORMATS)}")
    if file_format != "same":
        return f"{source.stem}.{file_format}"
    return source.name if source.suffix.lower() in WRITABLE_SUFFIXES else source.stem + substitute_suffix(source.suffix)


def _check_distinct(jobs: list[FileJob]) -> None:
    seen: dict[Path, Path] = {}
    for job in jobs:
        if job.target.resolve() == job.source.resolve():
            raise ValueError(f"{job.target}: would overwrite its own source; choose another output folder")
        if job.target in seen:
            raise ValueError(f"{seen[job.target]} and {job.source} would both be written to {job.target}")
        seen[job.target] = job.source


def network_scale_for(width: int, height: int, size: tuple[int, int]) -> int:
    """The smallest network scale whose output reaches `size` (width, height) on both sides; else the largest."""
    needed = max(size[0] / width, size[1] / height)
    return next((scale for scale in NETWORK_SCALES if scale >= needed), NETWORK_SCALES[-1])


def aspect_change(width: int, height: int, size: tuple[int, int]) -> float:
    """How much `size` stretches the image: 0 keeps the aspect ratio, 0.5 stretches one axis by 50 %."""
    return abs((size[0] / width) / (size[1] / height) - 1.0)


def is_jpeg(path: Path) -> bool:
    """Whether the file is a JPEG (its 8x8 block grid is then worth removing, not sharpening)."""
    return path.suffix.lower() in JPEG_SUFFIXES
