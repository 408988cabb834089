"""Image quilting as a coordinate map: large exemplar patches laid on a grid, joined by minimum cuts.

After Efros and Freeman (2001, "Image quilting for texture synthesis and transfer"): each grid
cell takes an exemplar patch whose overlap with what is already laid agrees best with it (one of
the near-best, at random: the seed's variety), and the two meet along the path of least
difference through the overlap, so boards, bricks and tiles keep their shape: a patch carries
the exemplar's structure whole, where pixel-based synthesis has to rebuild it from 5 x 5
neighbourhoods.

The result is a coordinate map like `synthesis.synthesise`'s (every output pixel copies one
exemplar pixel), so a material's maps stay aligned. With `wrap` the grid closes on itself: the
last cell of a row also overlaps the row's first, the last row overlaps the first row, and each
cut runs through that overlap as through any other.

Overlap errors are computed for every exemplar position at once by FFT correlation (masked sum
of squared differences), on the guide reduced so its shorter side is at most `match_side`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

Progress = Callable[[], None]


@dataclass(frozen=True)
class QuiltSettings:
    """Knobs of the quilting (docs/multiply.md says which were measured and which are the paper's kind of values)."""

    patch_fraction: float = 0.375
    """Side of a patch over the exemplar's shorter side."""
    overlap_fraction: float = 1 / 6
    """Width of the overlap between neighbouring patches over the patch side."""
    tolerance: float = 0.1
    """A patch is chosen at random among those whose overlap error is within this fraction of the best."""
    reuse_weight: float = 1.0
    """A candidate's error grows by this x the median error x how often its pixels were copied
    already (over the even share): without it the smoothest patch wins again and again."""
    match_side: int = 256
    """Overlap errors are computed on the guide reduced by a power of two to at most this shorter side."""
    min_patch: int = 16
    """Smallest patch side; outputs or exemplars too small for it need pixel synthesis instead."""
    max_side_fraction: float = 0.75
    """Longest patch side over the exemplar's side along it (a wrapped cell and its two overlaps must fit)."""
    correlation_level: float = 0.5
    """Directional textures are told by how far their autocorrelation stays above this level along each axis."""
    stretch_from: float = 1.5
    """Patches are stretched along an axis whose correlation length is at least this many times the other's ..."""
    max_stretch: float = 2.5
    """... by that ratio, up to this factor (boards and brick courses cross fewer cuts)."""


DEFAULT_QUILT = QuiltSettings()

REFINE_FACTOR = 4
"""Largest matching reduction whose picks are refined at full resolution ((2 f - 1)^2 placements each)."""


@dataclass(frozen=True)
class QuiltLayout:
    """The grid: patch and overlap sizes per axis, and the cell boundaries along each axis."""

    patch: tuple[int, int]
    """Patch height and width."""
    overlap: tuple[int, int]
    """Overlap of vertically (height) and horizontally (width) neighbouring patches."""
    rows: tuple[int, ...]
    """Cell boundaries along the height: cell i spans rows[i] .. rows[i + 1]."""
    cols: tuple[int, ...]


def correlation_lengths(guide: torch.Tensor, level: float) -> tuple[int, int]:
    """How far (pixels, along the height and the width) the guide's normalised circular
    autocorrelation stays above `level`; half the side where it never drops below."""
    centred = guide.double() - guide.double().mean(dim=(1, 2), keepdim=True)
    spectrum = torch.fft.rfft2(centred)
    correlation = torch.fft.irfft2((spectrum * spectrum.conj()).sum(0), s=tuple(centred.shape[1:]))
    correlation = correlation / correlation[0, 0].clamp_min(1e-12)
    lengths = []
    for along in (correlation[:, 0], correlation[0, :]):
        half = along.shape[0] // 2
        below = torch.nonzero(along[: half + 1] < level)
        lengths.append(int(below[0]) if below.numel() else half)
    return lengths[0], lengths[1]


def stretch_of(lengths: tuple[int, int], settings: QuiltSettings = DEFAULT_QUILT) -> tuple[float, float]:
    """How much longer than the base side a patch is along the height and the width."""
    ratio = max(lengths[1], 1) / max(lengths[0], 1)
    long_axis, ratio = (1, ratio) if ratio >= 1 else (0, 1 / ratio)
    factor = min(ratio, settings.max_stretch) if ratio >= settings.stretch_from else 1.0
    return (1.0, factor) if long_axis == 1 else (factor, 1.0)


def layout(exemplar_size: tuple[int, int], output_size: tuple[int, int], wrap: bool,
           settings: QuiltSettings = DEFAULT_QUILT, stretch: tuple[float, float] = (1.0, 1.0)) -> QuiltLayout | None:
    """The grid for these sizes, or None where quilting cannot work (output or exemplar too small)."""
    base = settings.patch_fraction * min(exemplar_size)
    sides = []
    for exemplar, output, factor in zip(exemplar_size, output_size, stretch, strict=True):
        side = min(round(base * factor), round(settings.max_side_fraction * exemplar),
                   output // 2)  # at least two cells per axis, so a wrapped grid closes
        sides.append(side)
    if min(sides) < settings.min_patch:
        return None
    overlaps = tuple(max(2, round(side * settings.overlap_fraction)) for side in sides)

    def bounds(side: int, patch: int, overlap: int) -> tuple[int, ...]:
        count = max(2, math.ceil(side / (patch - overlap)))  # cells no wider than a patch's step
        return tuple(round(index * side / count) for index in range(count + 1))

    rows = bounds(output_size[0], sides[0], overlaps[0])
    cols = bounds(output_size[1], sides[1], overlaps[1])
    for cells, overlap, exemplar in ((rows, overlaps[0], exemplar_size[0]), (cols, overlaps[1], exemplar_size[1])):
        if max(np.diff(cells)) + overlap * (2 if wrap else 1) > exemplar:
            return None
    return QuiltLayout((sides[0], sides[1]), (overlaps[0], overlaps[1]), rows, cols)


def quilt_passes(exemplar_size: tuple[int, int], output_size: tuple[int, int], wrap: bool,
                 settings: QuiltSettings = DEFAULT_QUILT) -> int:
    """How many times `quilt` calls `progress`: the rows of cells of an unstretched grid (a
    directional exemplar's grid may have other rows; `quilt` spreads the calls over them)."""
    grid = layout(exemplar_size, output_size, wrap, settings)
    return 0 if grid is None else len(grid.rows) - 1


# --- masked overlap error for every exemplar position -----------------------------------------------


@dataclass
class _Matcher:
    """The exemplar guide's spectra, ready for masked SSD against any template."""

    guide: torch.Tensor
    """C x h x w at matching resolution."""
    factor: int
    """Full-resolution pixels per matching pixel."""
    spectrum: torch.Tensor
    energy_spectrum: torch.Tensor

    @classmethod
    def of(cls, guide: torch.Tensor, match_side: int) -> _Matcher:
        factor = 1
        while min(guide.shape[1:]) / factor > match_side:
            factor *= 2
        small = _pooled(guide, factor).double()
        return cls(small, factor, torch.fft.rfft2(small), torch.fft.rfft2(small.square().sum(0)))

    def errors(self, template: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        """(h - th + 1) x (w - tw + 1): sum of `weight` x squared difference to `template` (C x th x tw)
        for every placement inside the exemplar."""
        channels, height, width = self.guide.shape
        t_height, t_width = template.shape[1:]
        weight = weight.double()
        weighted = torch.zeros(channels, height, width, dtype=torch.float64)
        weighted[:, :t_height, :t_width] = template.double() * weight
        window = torch.zeros(height, width, dtype=torch.float64)
        window[:t_height, :t_width] = weight
        cross = torch.fft.irfft2((self.spectrum * torch.fft.rfft2(weighted).conj()).sum(0), s=(height, width))
        energy = torch.fft.irfft2(self.energy_spectrum * torch.fft.rfft2(window).conj(), s=(height, width))
        own = float((template.double().square() * weight).sum())
        ssd = energy - 2 * cross + own
        return ssd[: height - t_height + 1, : width - t_width + 1].clamp_min(0)


def _pooled(values: torch.Tensor, factor: int) -> torch.Tensor:
    """C x H x W averaged over factor x factor blocks (floor size)."""
    return F.avg_pool2d(values[None], factor)[0] if factor > 1 else values


def _window_means(values: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Mean of an h x w map over every height x width window inside it (summed-area table)."""
    table = F.pad(values.double().cumsum(0).cumsum(1), (1, 0, 1, 0))
    sums = table[height:, width:] - table[:-height, width:] - table[height:, :-width] + table[:-height, :-width]
    return sums / (height * width)


def _reuse_penalty(errors: torch.Tensor, usage: torch.Tensor, laid: int, window: tuple[int, int],
                   factor: int, weight: float) -> torch.Tensor:
    """What each candidate position pays for copying pixels other patches copied already."""
    share = laid / usage.numel()  # how often each exemplar pixel is copied when all are used evenly
    if weight <= 0 or share <= 0:
        return torch.zeros_like(errors)
    reuse = _window_means(usage, *window)[::factor, ::factor][: errors.shape[0], : errors.shape[1]] / share
    return weight * float(errors.median()) * reuse


def _choose(errors: torch.Tensor, tolerance: float, generator: torch.Generator) -> tuple[int, int]:
    """A random position among those within `tolerance` of the least error."""
    best = float(errors.min())
    near = torch.nonzero(errors <= best * (1 + tolerance) + 1e-9)
    pick = near[int(torch.randint(0, near.shape[0], (1,), generator=generator))]
    return int(pick[0]), int(pick[1])


def _refined(guide: torch.Tensor, template: torch.Tensor, weight: torch.Tensor, position: tuple[int, int],
             factor: int, limit: tuple[int, int]) -> tuple[int, int]:
    """The full-resolution position near a matching-resolution pick (within one matching pixel) that fits best;
    beyond `REFINE_FACTOR` the pick's own corner (the search would cost more than the match)."""
    if factor == 1 or factor > REFINE_FACTOR:
        return min(position[0] * factor, limit[0]), min(position[1] * factor, limit[1])
    rows, cols = torch.nonzero(weight > 0, as_tuple=True)  # only the overlap counts
    wanted, weights = template[:, rows, cols], weight[rows, cols]
    best, best_error = position, math.inf
    top, left = position[0] * factor, position[1] * factor
    for y in range(max(0, top - factor + 1), min(limit[0], top + factor) + 1):
        for x in range(max(0, left - factor + 1), min(limit[1], left + factor) + 1):
            error = float(((guide[:, rows + y, cols + x] - wanted).square().sum(0) * weights).sum())
            if error < best_error:
                best, best_error = (y, x), error
    return best


# --- minimum-error boundary cuts --------------------------------------------------------------------


def vertical_cut(error: np.ndarray) -> np.ndarray:
    """For an h x w error strip: per row, the column of the top-to-bottom path of least total error
    (8-connected: the column moves by at most one per row)."""
    height, width = error.shape
    cost = error.astype(np.float64).copy()
    back = np.zeros((height, width), dtype=np.int64)
    padded = np.full(width + 2, np.inf)
    for row in range(1, height):
        padded[1:-1] = cost[row - 1]
        best, step = padded[1:-1].copy(), np.zeros(width, dtype=np.int64)
        for offset, candidate in ((-1, padded[:-2]), (1, padded[2:])):
            better = candidate < best
            best[better], step[better] = candidate[better], offset
        cost[row] += best
        back[row] = step
    path = np.empty(height, dtype=np.int64)
    path[-1] = int(cost[-1].argmin())
    for row in range(height - 1, 0, -1):
        path[row - 1] = path[row] + back[row, path[row]]
    return path


def new_side(error: np.ndarray, overlap: tuple[int, int], sides: tuple[bool, bool, bool, bool]) -> np.ndarray:
    """h x w bool: where the new patch replaces what is laid, given the overlapping sides
    (top, bottom, left, right): inside every side's cut through its strip (`overlap`: the
    strips' height for top and bottom, width for left and right)."""
    height, width = error.shape
    across, along = overlap
    new = np.ones((height, width), dtype=bool)
    top, bottom, left, right = sides
    rows, cols = np.arange(height)[:, None], np.arange(width)[None, :]
    if left:
        new &= cols >= vertical_cut(error[:, :along])[:, None]
    if right:
        new &= cols <= (width - along + vertical_cut(error[:, width - along:]))[:, None]
    if top:
        new &= rows >= vertical_cut(error[:across, :].T)[None, :]
    if bottom:
        new &= rows <= (height - across + vertical_cut(error[height - across:, :].T))[None, :]
    return new


# --- the quilt --------------------------------------------------------------------------------------


def quilt(guide: torch.Tensor, size: tuple[int, int], wrap: bool, generator: torch.Generator,
          settings: QuiltSettings = DEFAULT_QUILT, progress: Progress = lambda: None) -> torch.Tensor:
    """2 x H x W long: for every output pixel, the (row, column) of the exemplar pixel it copies.

    Patches are stretched along the exemplar's long correlation axis, and each row of cells is
    staggered by a random offset, so the cuts across boards and courses do not line up (a
    running bond, not a grid). A texture that runs along the height is quilted transposed.
    Raises ValueError where `layout` finds the sizes too small for quilting.
    """
    stretch = stretch_of(correlation_lengths(guide, settings.correlation_level), settings)
    guide = guide.float().cpu()
    announced = quilt_passes((int(guide.shape[1]), int(guide.shape[2])), size, wrap, settings)
    if stretch[0] > stretch[1]:
        coords = _quilt_rows(guide.transpose(1, 2), (size[1], size[0]), wrap, (stretch[1], stretch[0]),
                             generator, settings, progress, announced)
        return coords.flip(0).transpose(1, 2).contiguous()
    return _quilt_rows(guide, size, wrap, stretch, generator, settings, progress, announced)


def _quilt_rows(guide: torch.Tensor, size: tuple[int, int], wrap: bool, stretch: tuple[float, float],
                generator: torch.Generator, settings: QuiltSettings, progress: Progress,
                announced: int) -> torch.Tensor:
    """`quilt` with the stretch along the width (or none): rows of cells, each row staggered;
    `progress` called `announced` times in all, in step with the rows laid."""
    exemplar_size = (int(guide.shape[1]), int(guide.shape[2]))
    grid = layout(exemplar_size, size, wrap, settings, stretch)
    if grid is None:
        raise ValueError(f"{size[1]}x{size[0]} from {exemplar_size[1]}x{exemplar_size[0]} is too small to quilt")
    matcher = _Matcher.of(guide, settings.match_side)
    height, width = size
    coords = torch.zeros(2, height, width, dtype=torch.long)
    laid = torch.zeros(height, width, dtype=torch.bool)
    usage = torch.zeros(exemplar_size, dtype=torch.float64)
    cells_y, reported = len(grid.rows) - 1, 0
    for i in range(cells_y):
        columns = _staggered(grid.cols, grid.overlap[1], exemplar_size[1], width, wrap, generator)
        cells_x = len(columns) - 1
        for j in range(cells_x):
            rows = _span(grid.rows, i, grid.overlap[0], wrap, height)
            cols = _span(columns, j, grid.overlap[1], wrap, width)
            sides = (i > 0, wrap and i == cells_y - 1, j > 0, wrap and j == cells_x - 1)
            _lay(guide, matcher, coords, laid, usage, rows, cols, sides, grid.overlap, settings, generator)
        while reported < announced * (i + 1) // cells_y:
            progress()
            reported += 1
    return coords


def _staggered(bounds: tuple[int, ...], overlap: int, exemplar_side: int, side: int, wrap: bool,
               generator: torch.Generator) -> tuple[int, ...]:
    """One row's cell boundaries: `bounds` moved by a random offset below one cell. Wrapped, the
    row is rotated (indices past the side wrap around); otherwise the inner boundaries move left
    and the last cell grows, no wider than an exemplar patch allows."""
    cell = min(np.diff(bounds))
    if wrap:
        shift = int(torch.randint(0, max(1, int(cell)), (1,), generator=generator))
        return tuple(bound + shift for bound in bounds)
    room = exemplar_side - overlap - int(max(np.diff(bounds)))
    shift = int(torch.randint(0, max(1, min(int(cell), room + 1)), (1,), generator=generator))
    inner = [bound - shift for bound in bounds[1:-1] if bound - shift > 0]
    return (0, *inner, side)


def _span(bounds: tuple[int, ...], index: int, overlap: int, wrap: bool, side: int) -> torch.Tensor:
    """Output indices a cell's patch covers: the cell, `overlap` before it (not for the first cell),
    and with `wrap` `overlap` past the last cell (onto the first)."""
    start = bounds[index] - (overlap if index > 0 else 0)
    start = start if wrap else max(0, start)
    stop = bounds[index + 1] + (overlap if wrap and index == len(bounds) - 2 else 0)
    return torch.arange(start, stop) % side


def _lay(guide: torch.Tensor, matcher: _Matcher, coords: torch.Tensor, laid: torch.Tensor, usage: torch.Tensor,
         rows: torch.Tensor, cols: torch.Tensor, sides: tuple[bool, bool, bool, bool], overlap: tuple[int, int],
         settings: QuiltSettings, generator: torch.Generator) -> None:
    """Choose the patch for one cell and cut it into the quilt (in place)."""
    t_height, t_width = rows.numel(), cols.numel()
    limit = (guide.shape[1] - t_height, guide.shape[2] - t_width)
    region = (rows[:, None], cols[None, :])
    mask = laid[region]
    overlapping = bool(mask.any())
    current = coords[(slice(None), *region)]
    laid_values = guide[:, current[0], current[1]]  # what the overlap shows now
    if overlapping:
        weight = mask.float()
        factor = matcher.factor
        small_weight = _pooled(weight[None], factor)[0]
        small_values = _pooled(laid_values * weight, factor) / small_weight.clamp_min(1e-6)
        small_errors = matcher.errors(small_values, small_weight)[: limit[0] // factor + 1, : limit[1] // factor + 1]
        small_errors = small_errors + _reuse_penalty(small_errors, usage, int(laid.sum()), (t_height, t_width),
                                                     factor, settings.reuse_weight)
        top, left = _refined(guide, laid_values, weight, _choose(small_errors, settings.tolerance, generator),
                             factor, limit)
    else:
        top = int(torch.randint(0, limit[0] + 1, (1,), generator=generator))
        left = int(torch.randint(0, limit[1] + 1, (1,), generator=generator))
    patch_rows = torch.arange(top, top + t_height)[:, None].expand(t_height, t_width)
    patch_cols = torch.arange(left, left + t_width)[None, :].expand(t_height, t_width)
    if overlapping:
        difference = (guide[:, patch_rows, patch_cols] - laid_values).square().sum(0)
        take = torch.from_numpy(new_side(difference.numpy(), overlap, sides)) | ~mask
    else:
        take = torch.ones(t_height, t_width, dtype=torch.bool)
    target_rows, target_cols = rows[:, None].expand(t_height, t_width)[take], cols[None, :].expand(t_height, t_width)[take]
    coords[0, target_rows, target_cols] = patch_rows[take]
    coords[1, target_rows, target_cols] = patch_cols[take]
    laid[target_rows, target_cols] = True
    usage[patch_rows[take], patch_cols[take]] += 1
