"""Tiled inference: overlapping tiles, feathered blending, memory bounded by the tile size.

The input is cut into a grid of core tiles; each tile is read with `margin` pixels of context
(wrapped around the image in tileable mode, clipped at the border otherwise). Neighbouring
outputs are cross-faded over the `2 * margin * scale` pixels around each interior seam with
linear weights that sum to one, so no normalisation buffer is needed. Tiles run one row at a
time and each finished band of output rows goes to a sink (which writes it into the final
array in its final dtype), so peak memory is a few tile rows, not the whole float output.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..contract import JobContext

logger = logging.getLogger(__name__)

TileFunction = Callable[[torch.Tensor], torch.Tensor]
"""Upscales a 1 x C x h x w float tile to 1 x C x h*scale x w*scale (on CPU, float32)."""
BandSink = Callable[[int, torch.Tensor], None]
"""Receives (first output row, C x rows x W_out float32 band) for each finished band."""

MIN_TILE = 32

SHAPE_BUCKET = 16
"""Tile sides are multiples of this: a server fed images of every size then runs few distinct
tensor shapes, so oneDNN's per-shape kernels and the allocator's free lists stay few (issue 22)."""


def tile_spans(length: int, tile: int) -> list[tuple[int, int]]:
    """Split [0, length) into ceil(length / tile) near-equal [start, end) spans."""
    count = max(1, math.ceil(length / tile))
    bounds = [round(i * length / count) for i in range(count + 1)]
    return list(itertools.pairwise(bounds))


@dataclass(frozen=True)
class TileGrid:
    """Core tiles over an H x W input, each read with `margin` pixels of context."""

    height: int
    width: int
    tile: int
    margin: int
    wrap: bool = False
    """Tileable mode: context wraps around the image instead of stopping at its border."""

    def __post_init__(self) -> None:
        if self.tile < 1 or self.margin < 0:
            raise ValueError(f"tile must be >= 1 and margin >= 0, got tile={self.tile} margin={self.margin}")

    @property
    def row_spans(self) -> list[tuple[int, int]]:
        """Core [start, end) rows of each tile row."""
        return tile_spans(self.height, self.tile)

    @property
    def col_spans(self) -> list[tuple[int, int]]:
        """Core [start, end) columns of each tile column."""
        return tile_spans(self.width, self.tile)

    def __len__(self) -> int:
        return len(self.row_spans) * len(self.col_spans)

    @property
    def ramp(self) -> int:
        """Half-width of each cross-fade in input pixels: the margin, unless spans are too short."""
        shortest = min(end - start for start, end in self.row_spans + self.col_spans)
        return min(self.margin, shortest // 2)

    def context_indices(self, start: int, end: int, length: int) -> torch.Tensor:
        """Input indices to read for a core span: margin each side, wrapped or mirrored at the border.

        Mirroring (not clipping) means the network never sees its own zero padding at an image
        border: a flat colour stays flat up to the edge instead of gaining a fringe. The span
        is lengthened at its far end to a multiple of SHAPE_BUCKET (more context, unused output).
        """
        count = end - start + 2 * self.margin
        indices = torch.arange(start - self.margin, start - self.margin + -(-count // SHAPE_BUCKET) * SHAPE_BUCKET)
        if self.wrap:
            return indices % length
        folded = indices % (2 * length)
        return torch.where(folded < length, folded, 2 * length - 1 - folded)


def feather_weights(
    out_start: int, out_end: int, core_start: int, core_end: int, length: int, ramp: int, scale: int
) -> torch.Tensor:
    """1-D blend weights over output coordinates [out_start, out_end) for one tile.

    Linear ramps of width 2*ramp centred on interior seams (`core_start`, `core_end` in
    input pixels); full weight at the image border, where there is no neighbour.
    """
    centres = torch.arange(out_start, out_end, dtype=torch.float32) + 0.5
    weights = torch.ones_like(centres)
    if ramp > 0 and core_start > 0:
        weights *= ((centres - (core_start * scale - ramp)) / (2 * ramp)).clamp(0, 1)
    if ramp > 0 and core_end < length:
        weights *= (((core_end * scale + ramp) - centres) / (2 * ramp)).clamp(0, 1)
    return weights


def _run_tile(image: torch.Tensor, grid: TileGrid, rows: tuple[int, int], cols: tuple[int, int],
              upscale_tile: TileFunction) -> tuple[torch.Tensor, int, int]:
    """Upscaled context tile and its input origin (row, column)."""
    height, width = image.shape[-2:]
    row_index = grid.context_indices(*rows, height)
    col_index = grid.context_indices(*cols, width)
    tile = image.index_select(1, row_index).index_select(2, col_index)
    # context_indices always starts `margin` before the core span (wrapped or mirrored past the border)
    return upscale_tile(tile[None])[0], rows[0] - grid.margin, cols[0] - grid.margin


def _tile_row(image: torch.Tensor, grid: TileGrid, rows: tuple[int, int], scale: int,
              band: torch.Tensor, band_start: int, upscale_tile: TileFunction,
              done: int, total: int, context: JobContext) -> int:
    """Blend every tile of one tile row into `band` (output rows from `band_start`)."""
    height, width = image.shape[-2:]
    ramp = grid.ramp * scale
    band_end = band_start + band.shape[1]
    row_weights = feather_weights(band_start, band_end, rows[0], rows[1], height, ramp, scale)
    for cols in grid.col_spans:
        context.check_cancelled()
        output, in_row, in_col = _run_tile(image, grid, rows, cols, upscale_tile)
        out_lo, out_hi = max(0, cols[0] * scale - ramp), min(width * scale, cols[1] * scale + ramp)
        col_weights = feather_weights(out_lo, out_hi, cols[0], cols[1], width, ramp, scale)
        rows_in_tile = slice(band_start - in_row * scale, band_end - in_row * scale)
        cols_in_tile = slice(out_lo - in_col * scale, out_hi - in_col * scale)
        piece = output[:, rows_in_tile, cols_in_tile]
        target = band[:, :, out_lo:out_hi]
        if bool((row_weights == 1).all()) and bool((col_weights == 1).all()):
            target += piece
        else:
            target.addcmul_(piece, row_weights[None, :, None] * col_weights[None, None, :])
        done += 1
        context.progress(done, total, "tiles")
    return done


def upscale_tiled(
    image: torch.Tensor,
    upscale_tile: TileFunction,
    scale: int,
    sink: BandSink,
    context: JobContext,
    *,
    tile: int,
    margin: int,
    wrap: bool = False,
) -> None:
    """Upscale a C x H x W float tensor tile by tile, handing finished output bands to `sink`."""
    channels, height, width = image.shape
    grid = TileGrid(height, width, tile, margin, wrap)
    ramp = grid.ramp * scale
    row_spans = grid.row_spans
    tallest = max(end - start for start, end in row_spans) * scale + 2 * ramp
    # One buffer for every band: fresh multi-hundred-MB allocations per row cost page faults.
    buffer = torch.empty(channels, min(tallest, height * scale), width * scale)
    carry_rows, carry_start, done = 0, 0, 0
    for index, rows in enumerate(row_spans):
        last = index == len(row_spans) - 1
        band_end = height * scale if last else rows[1] * scale + ramp
        band = buffer[:, : band_end - carry_start]
        band[:, carry_rows:].zero_()
        done = _tile_row(image, grid, rows, scale, band, carry_start, upscale_tile, done, len(grid), context)
        finished_end = band_end if last else rows[1] * scale - ramp
        sink(carry_start, band[:, : finished_end - carry_start])
        carry_rows = band_end - finished_end
        buffer[:, :carry_rows] = band[:, finished_end - carry_start:].clone()
        carry_start = finished_end


def is_out_of_memory(error: BaseException) -> bool:
    """Whether an exception is the device (or allocator) running out of memory."""
    if isinstance(error, torch.cuda.OutOfMemoryError):
        return True
    return isinstance(error, RuntimeError) and "out of memory" in str(error).lower()


def upscale_tiled_with_retry(
    image: torch.Tensor,
    upscale_tile: TileFunction,
    scale: int,
    sink: BandSink,
    context: JobContext,
    *,
    tile: int,
    margin: int,
    wrap: bool = False,
) -> int:
    """`upscale_tiled`, restarting with half the tile size on out-of-memory; returns the tile used."""
    while True:
        try:
            upscale_tiled(image, upscale_tile, scale, sink, context, tile=tile, margin=margin, wrap=wrap)
            return tile
        except (RuntimeError, MemoryError) as error:
            if not (is_out_of_memory(error) or isinstance(error, MemoryError)) or tile <= MIN_TILE:
                raise
            logger.warning("out of memory at tile %d; retrying with %d", tile, tile // 2)
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            tile //= 2


def available_memory_bytes(device: str) -> int:
    """Free memory on `device` (CUDA: free device memory; CPU: MemAvailable or a safe guess)."""
    if device.startswith("cuda") and torch.cuda.is_available():
        free, _total = torch.cuda.mem_get_info(torch.device(device))
        return int(free)
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(os.environ.get("TEXFORGE_CPU_MEMORY_BYTES", 2 * 1024**3))


def choose_tile_size(device: str, scale: int, bytes_per_input_pixel: int, *, cpu_cap: int = 512,
                     gpu_cap: int = 1024, budget_fraction: float = 0.25, cpu_budget: int = 512 * 1024**2) -> int:
    """Largest tile (input pixels per side, multiple of 16) whose activations fit the memory budget.

    `bytes_per_input_pixel` is the network's peak activation memory per input pixel; the
    output tile and blend weights (scale**2 outputs per input pixel) are added here.
    """
    budget = available_memory_bytes(device) * budget_fraction
    cap = cpu_cap
    if device.startswith("cuda"):
        cap = gpu_cap
    else:
        budget = min(budget, cpu_budget)
    per_pixel = bytes_per_input_pixel + 4 * 4 * scale * scale * 3
    side = int(math.sqrt(max(budget, 1) / per_pixel)) // 16 * 16
    return max(MIN_TILE, min(cap, side))
