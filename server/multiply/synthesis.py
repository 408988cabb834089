"""Coordinate-map texture synthesis, coarse to fine on a Gaussian stack of the exemplar.

The output is a *coordinate map*: for every output pixel, the exemplar pixel it copies. Every
extra map of a material is then sampled with the same map, so the maps stay aligned.

The method is parallel, pixel-based synthesis in the manner of Lefebvre and Hoppe (2005,
"Parallel controllable texture synthesis"), with patch descriptors as in texture optimisation
(Kwatra et al. 2005) and PatchMatch search (Barnes et al. 2009) at the coarsest level:

- The exemplar is kept as a Gaussian *stack*: level l is the exemplar blurred to the scale
  2^l, still at full resolution, and its patches sample pixels 2^l apart. Coordinates are in
  exemplar pixels at every level, so every exemplar pixel is a candidate at every level.
- The coarsest level starts from random blocks and is optimised: every pixel takes the
  exemplar coordinate whose neighbourhood descriptor is nearest to the one the map currently
  copies around it, among its neighbours' continuations, their look-alikes and random jumps.
- Each finer level doubles the map (each pixel inherits its parent's coordinate, offset by half
  the new spacing towards its own corner), jitters it (the seed's variation), and corrects it:
  every pixel, in four interleaved parity passes, takes the best of its neighbours'
  continuations and their look-alikes ("k-coherence", k = 1, Tong et al. 2002).
- A candidate also pays for every 4-neighbour it does not continue: without that term the
  choices among near-equal neighbourhoods make a mosaic of tiny pieces (measured in
  docs/multiply.md); with it the map is made of large coherent pieces with few seams.

With `wrap` every neighbourhood is toroidal, so the output tiles. `pinned` pixels keep their
identity coordinates (make-seamless keeps the photo away from its borders).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .patches import PatchProjection, fit_projection, mirrored

Progress = Callable[[], None]
"""Called after each unit of work (a correction pass): progress reports and cancellation."""

_NEIGHBOURS = tuple((dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0))
_STEPS = ((1, 0), (-1, 0), (0, 1), (0, -1))


@dataclass(frozen=True)
class SynthesisSettings:
    """Knobs of the synthesis; the defaults are the measured choice (bench/multiply_quality.py)."""

    patch: int = 5
    """Side of a compared neighbourhood, in pixels of its level."""
    descriptor_dims: int = 8
    """Principal components kept per neighbourhood descriptor."""
    coarsest_span: float = 0.4
    """The coarsest level's neighbourhood spans at most this fraction of the exemplar's shorter side."""
    coarse_iterations: int = 6
    """Optimisation rounds at the coarsest level (the layout is decided there)."""
    correction_passes: int = 2
    """Correction rounds at every finer level."""
    jitter: float = 0.5
    """Random offset added to each pixel's coordinate at each finer level, in units of its spacing."""
    similar_rounds: int = 4
    """PatchMatch rounds spent finding each exemplar pixel's look-alike."""
    coherence_weight: float = 8.0
    """Cost of each of the 4 neighbours a candidate does not continue, relative to the median distance."""
    init_block: int = 4
    """Coarsest-level start: random squares of about this many pixels."""
    appearance_patch: int = 1
    """Compare appearance vectors of this neighbourhood (1: the guide's own values; 7 measured
    slower and no better, see docs/multiply.md)."""
    appearance_dims: int = 8
    """Principal components of an appearance vector."""


DEFAULT_SETTINGS = SynthesisSettings()
"""The measured choice."""


@dataclass
class ExemplarLevel:
    """One level of the exemplar's Gaussian stack: its pixels, descriptors and look-alikes."""

    spacing: int
    """2^level: the distance, in exemplar pixels, between the pixels a neighbourhood samples."""
    image: torch.Tensor
    """C x h x w: the guide blurred to this level's scale (full resolution)."""
    projection: PatchProjection
    descriptors: torch.Tensor
    """D x h w: every exemplar pixel's neighbourhood descriptor."""
    similar: torch.Tensor
    """h w: for every exemplar pixel, another pixel (away from it) with a similar neighbourhood."""

    margin: int = 0
    """Distance from the border of the nearest valid coordinate (0: every pixel; neighbourhoods
    reaching past the border see it mirrored)."""

    @property
    def size(self) -> tuple[int, int]:
        """Exemplar height and width."""
        return int(self.image.shape[1]), int(self.image.shape[2])

    def clamp(self, coords: torch.Tensor, axis: int = 0) -> torch.Tensor:
        """Coordinates (row and column along `axis`) moved into the valid range."""
        return _clamped(coords, self.size, self.margin, axis)

    def valid(self, coords: torch.Tensor, axis: int = 0) -> torch.Tensor:
        """Per coordinate (row and column along `axis`): whether it lies in the valid range."""
        high = _along(torch.tensor(self.size, device=coords.device), coords, axis) - self.margin
        return ((coords >= self.margin) & (coords < high)).all(axis)


# --- the exemplar's stack ----------------------------------------------------------------------


def level_count(exemplar_size: tuple[int, int], output_size: tuple[int, int], settings: SynthesisSettings) -> int:
    """Levels of the stack: the coarsest neighbourhood spans at most `coarsest_span` of the exemplar."""
    limit = settings.coarsest_span * min(exemplar_size)
    levels = 1
    while (settings.patch - 1) * 2 ** levels + 1 <= limit and min(output_size) >= 2 ** (levels + 1):
        levels += 1
    return levels


def blur_at_scale(image: torch.Tensor, spacing: int) -> torch.Tensor:
    """The next stack level: a binomial blur with taps `spacing` pixels apart ("a trous"), mirrored borders."""
    kernel = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0], dtype=image.dtype, device=image.device) / 16
    channels = image.shape[0]
    x = mirrored(image[None], 2 * spacing)
    x = F.conv2d(x, kernel.view(1, 1, 1, 5).repeat(channels, 1, 1, 1), dilation=(1, spacing), groups=channels)
    x = F.conv2d(x, kernel.view(1, 1, 5, 1).repeat(channels, 1, 1, 1), dilation=(spacing, 1), groups=channels)
    return x[0]


def exemplar_level(image: torch.Tensor, spacing: int, settings: SynthesisSettings,
                   generator: torch.Generator) -> ExemplarLevel:
    """Descriptors and look-alikes of one stack level (`image`: the guide blurred to the level's scale)."""
    size = settings.patch
    projection = fit_projection(mirrored(image[None], spacing * (size // 2))[0], size, settings.descriptor_dims,
                                generator, dilation=spacing)
    descriptors = projection.describe_exemplar(image, spacing)
    level = ExemplarLevel(spacing, image, projection, descriptors, torch.empty(0, dtype=torch.long))
    level.similar = _look_alikes(level, settings.similar_rounds, generator)
    return level


def _look_alikes(level: ExemplarLevel, rounds: int, generator: torch.Generator) -> torch.Tensor:
    """For every exemplar pixel, the most similar pixel at least a neighbourhood away (PatchMatch on itself)."""
    height, width = level.size
    own = _grid(height, width, level.image.device)
    match = _Matches(level, level.descriptors, exclude=own.reshape(2, -1),
                     exclusion=level.spacing * (level.projection.size // 2 + 1))
    match.start(_random_coords((height, width), level.size, generator).reshape(2, -1))
    for _ in range(rounds):
        image = match.coords.view(2, height, width)
        match.offer(torch.stack([_continuation(image, dy, dx, 1).reshape(2, -1) for dy, dx in _STEPS]))
        match.offer(_random_jumps(match.coords, generator, float(max(height, width)), 1.0))
    return _flat(match.coords, width)


# --- coordinate maps ---------------------------------------------------------------------------


def _grid(height: int, width: int, device: torch.device) -> torch.Tensor:
    rows = torch.arange(height, device=device)[:, None].expand(height, width)
    cols = torch.arange(width, device=device)[None, :].expand(height, width)
    return torch.stack([rows, cols])


def _flat(coords: torch.Tensor, width: int) -> torch.Tensor:
    return (coords[0] * width + coords[1]).reshape(-1)


def _flat_batch(coords: torch.Tensor, width: int) -> torch.Tensor:
    """K x 2 x M candidate coordinates -> K x M flat exemplar indices."""
    return coords[:, 0] * width + coords[:, 1]


def _unflat(index: torch.Tensor, width: int) -> torch.Tensor:
    return torch.stack([index // width, index % width])


def _along(values: torch.Tensor, coords: torch.Tensor, axis: int) -> torch.Tensor:
    """A (row, column) pair of values shaped to broadcast against `coords` along `axis`."""
    return values.view(*([1] * axis), 2, *([1] * (coords.dim() - axis - 1)))


def _clamped(coords: torch.Tensor, size: tuple[int, int], margin: int = 0, axis: int = 0) -> torch.Tensor:
    high = torch.tensor([size[0] - 1 - margin, size[1] - 1 - margin], device=coords.device)
    return torch.minimum(coords.clamp_min(margin), _along(high, coords, axis))


def _random_coords(shape: tuple[int, int], exemplar: tuple[int, int], generator: torch.Generator) -> torch.Tensor:
    ys = torch.randint(0, exemplar[0], shape, generator=generator)
    xs = torch.randint(0, exemplar[1], shape, generator=generator)
    return torch.stack([ys, xs])


def _continuation(coords: torch.Tensor, dy: int, dx: int, spacing: int) -> torch.Tensor:
    """For every pixel p: the coordinate that continues its neighbour p + (dy, dx) (wrapping around)."""
    neighbour = torch.roll(coords, shifts=(-dy, -dx), dims=(1, 2))
    return neighbour - torch.tensor([dy * spacing, dx * spacing], device=coords.device).view(2, 1, 1)


def upsample(coords: torch.Tensor, size: tuple[int, int], level: ExemplarLevel) -> torch.Tensor:
    """The coarser level's map at `size`: each pixel inherits its parent's coordinate, moved half the
    level's spacing towards its own corner of the parent (a full pixel at the finest level)."""
    spacing = level.spacing
    rows = torch.arange(size[0], device=coords.device)
    cols = torch.arange(size[1], device=coords.device)
    parent = coords[:, (rows // 2).clamp_max(coords.shape[1] - 1)][:, :, (cols // 2).clamp_max(coords.shape[2] - 1)]
    corner = torch.stack([(rows % 2)[:, None].expand(size), (cols % 2)[None, :].expand(size)])
    low = level.margin + spacing // 2  # parents near the border move inside, so their children stay coherent
    high = torch.tensor(level.size, device=coords.device).view(2, 1, 1) - 1 - level.margin - (spacing - spacing // 2)
    parent = torch.minimum(parent.clamp_min(low), high)
    return level.clamp(parent + corner * spacing - spacing // 2)


def identity_coords(size: tuple[int, int], spacing: int, device: torch.device) -> torch.Tensor:
    """The map that copies the exemplar in place, at a level with this spacing (make-seamless)."""
    return _grid(size[0], size[1], device) * spacing + (spacing - 1) // 2  # what `upsample` makes of it


# --- matching ----------------------------------------------------------------------------------


@dataclass
class _Matches:
    """Best exemplar coordinates found so far for a set of M query pixels, and their costs.

    Candidates come in batches (K x 2 x M: K proposals per query), each batch one gather and one
    reduction, so a pass is a handful of large tensor operations however many candidates it tries.
    """

    level: ExemplarLevel
    target: torch.Tensor
    """D x M descriptors the candidates are compared with."""
    exclude: torch.Tensor | None = None
    """2 x M: coordinates a candidate must stay `exclusion` away from (look-alike search)."""
    exclusion: int = 0
    continuations: torch.Tensor | None = None
    """4 x 2 x M: per 4-neighbour, the coordinate that would continue it."""
    coherence_cost: float = 0.0
    """Cost of each 4-neighbour a candidate does not continue."""
    coords: torch.Tensor = torch.empty(0)
    cost: torch.Tensor = torch.empty(0)

    def distance(self, coords: torch.Tensor) -> torch.Tensor:
        """K x M: descriptor distance plus broken-neighbour cost of K x 2 x M candidates."""
        flat = _flat_batch(coords, self.level.size[1])
        candidates = self.level.descriptors.index_select(1, flat.reshape(-1)).view(-1, *flat.shape)
        cost = candidates.sub_(self.target[:, None, :]).square_().sum(0)
        if self.exclude is not None:
            near = (coords - self.exclude).abs().amax(1) < self.exclusion
            cost = cost.masked_fill_(near, math.inf)
        if self.coherence_cost and self.continuations is not None:
            keys, continued = _keys(coords, self.level), _keys(self.continuations, self.level)
            broken = (keys[:, None] != continued[None]).sum(1)
            cost = cost.add_(broken.to(cost.dtype), alpha=self.coherence_cost)
        return cost

    def start(self, coords: torch.Tensor) -> None:
        """Take 2 x M `coords` (moved into the valid range) as the current matches."""
        self.coords = self.level.clamp(coords)
        self.cost = self.distance(self.coords[None])[0]

    def offer(self, candidates: torch.Tensor) -> None:
        """Keep, per query, the best valid candidate of the K x 2 x M batch where it beats the current match."""
        valid = self.level.valid(candidates, axis=1)
        candidates = self.level.clamp(candidates, axis=1)
        cost = self.distance(candidates).masked_fill_(~valid, math.inf)
        best_cost, best = cost.min(0)
        chosen = candidates.gather(0, best.view(1, 1, -1).expand(1, 2, -1))[0]
        better = best_cost < self.cost
        self.coords = torch.where(better, chosen, self.coords)
        self.cost = torch.where(better, best_cost, self.cost)


def _keys(coords: torch.Tensor, level: ExemplarLevel) -> torch.Tensor:
    """K x M: one integer per K x 2 x M coordinate, distinct for distinct coordinates up to a
    spacing past the exemplar (continuations may point there)."""
    pad = level.spacing + 1
    return (coords[:, 0] + pad) * (level.size[1] + 2 * pad) + (coords[:, 1] + pad)


def _random_jumps(coords: torch.Tensor, generator: torch.Generator, radius: float, smallest: float) -> torch.Tensor:
    """K x 2 x M: one random jump around each 2 x M coordinate per radius, halving from `radius` to `smallest`."""
    radii = []
    while radius >= smallest:
        radii.append(radius)
        radius /= 2
    if not radii:
        return coords[None]
    noise = (torch.rand((len(radii), *coords.shape), generator=generator) * 2 - 1).to(coords.device)
    scale = torch.tensor(radii, device=coords.device).view(-1, 1, 1)
    return coords[None] + (noise * scale).round().long()


def _wrap_pad(image: torch.Tensor, radius: int) -> torch.Tensor:
    """C x H x W padded toroidally by `radius` (any size, even below the radius)."""
    height, width = image.shape[1:]
    reps_y, reps_x = 2 * math.ceil(radius / height) + 1, 2 * math.ceil(radius / width) + 1
    tiled = image.repeat(1, reps_y, reps_x)
    top, left = (reps_y // 2) * height - radius, (reps_x // 2) * width - radius
    return tiled[:, top: top + height + 2 * radius, left: left + width + 2 * radius]


def _neighbourhoods(level: ExemplarLevel, coords: torch.Tensor, wrap: bool) -> torch.Tensor:
    """D x H W: the descriptor of each output pixel's neighbourhood as the map currently copies it."""
    height, width = coords.shape[1:]
    channels = level.image.shape[0]
    image = level.image.reshape(channels, -1).index_select(1, _flat(coords, level.size[1]))
    image = image.view(channels, height, width)
    r = level.projection.radius
    padded = _wrap_pad(image, r) if wrap else mirrored(image[None], r)[0]
    features = F.conv2d(padded[None], level.projection.weight, level.projection.bias)[0]
    return features.reshape(features.shape[0], -1)


def _parity_classes(size: tuple[int, int], device: torch.device) -> list[torch.Tensor]:
    """Flat indices of the four pixel classes (row parity, column parity), corrected one after another."""
    rows = torch.arange(size[0], device=device)[:, None] % 2
    cols = torch.arange(size[1], device=device)[None, :] % 2
    return [torch.nonzero(((rows == a) & (cols == b)).reshape(-1))[:, 0] for a, b in ((0, 0), (1, 1), (0, 1), (1, 0))]


CHUNK_PIXELS = 1 << 17
"""Pixels whose candidates are weighed at once: bounds the candidate tensors (about 150 MB)."""


def correct(level: ExemplarLevel, coords: torch.Tensor, wrap: bool, free: torch.Tensor | None,
            generator: torch.Generator, explore: bool, coherence: float = 0.0) -> torch.Tensor:
    """One correction pass: each parity class in turn takes its best candidate coordinate.

    Candidates: the current coordinate, the continuations of the 8 neighbours, and each one's
    look-alike; with `explore` (the coarsest level) also random jumps at shrinking radii. A
    candidate pays `coherence` x the median distance for each 4-neighbour it does not continue.
    No two pixels of a class are neighbours, so a class is weighed in independent chunks.
    """
    coords = coords.clone()
    for pixels in _parity_classes((coords.shape[1], coords.shape[2]), coords.device):
        if free is not None:
            pixels = pixels[free.reshape(-1)[pixels]]
        if pixels.numel() == 0:
            continue
        targets = _neighbourhoods(level, coords, wrap)
        for chunk in pixels.split(CHUNK_PIXELS):
            best = _best_candidates(level, targets.index_select(1, chunk), coords.reshape(2, -1).index_select(1, chunk),
                                    _continuations_at(coords, chunk, level.spacing), generator, explore, coherence)
            coords.view(2, -1)[:, chunk] = best
    return coords


def _continuations_at(coords: torch.Tensor, pixels: torch.Tensor, spacing: int) -> torch.Tensor:
    """8 x 2 x M: for M flat pixel indices, the coordinate continuing each of their 8 neighbours (wrapping)."""
    height, width = coords.shape[1:]
    rows, cols = pixels // width, pixels % width
    flat = coords.reshape(2, -1)
    found = []
    for dy, dx in _NEIGHBOURS:
        neighbour = ((rows + dy) % height) * width + (cols + dx) % width
        step = torch.tensor([dy * spacing, dx * spacing], device=coords.device).view(2, 1)
        found.append(flat.index_select(1, neighbour) - step)
    return torch.stack(found)


def _best_candidates(level: ExemplarLevel, target: torch.Tensor, current: torch.Tensor, continuations: torch.Tensor,
                     generator: torch.Generator, explore: bool, coherence: float) -> torch.Tensor:
    """2 x M: for M pixels, the best of their candidates (see `correct`)."""
    match = _Matches(level, target)
    match.start(current)
    if coherence:
        match.continuations = continuations[[_NEIGHBOURS.index(step) for step in _STEPS]]
        match.coherence_cost = coherence * float(match.cost.median())
        match.start(match.coords)
    proposals = torch.cat([match.coords[None], continuations])
    look_alikes = level.similar.index_select(0, _flat_batch(level.clamp(proposals, axis=1), level.size[1]).reshape(-1))
    look_alikes = _unflat(look_alikes, level.size[1]).view(2, -1, current.shape[1]).transpose(0, 1)
    match.offer(torch.cat([continuations, look_alikes]))
    if explore:
        match.offer(_random_jumps(match.coords, generator, float(max(level.size)), float(level.spacing)))
    return match.coords


# --- the whole synthesis -----------------------------------------------------------------------


@dataclass(frozen=True)
class SynthesisRequest:
    """What to synthesise: an output size from a guide, with or without wrap-around, maybe pinned."""

    guide: torch.Tensor
    """C x h x w float: what neighbourhoods are compared on (the exemplar's colours and maps, scaled)."""
    size: tuple[int, int]
    """Output height and width."""
    wrap: bool
    seed: int
    pinned: torch.Tensor | None = None
    """H x W bool: pixels that copy the exemplar in place (needs `size` = the exemplar's size). With
    pinned pixels the synthesis starts from the exemplar itself and adds no jitter: only what must
    change to fit the wrap-around does."""


def synthesise(request: SynthesisRequest, settings: SynthesisSettings = DEFAULT_SETTINGS,
               progress: Progress = lambda: None) -> torch.Tensor:
    """2 x H x W long: for every output pixel, the (row, column) of the exemplar pixel it copies."""
    generator = torch.Generator().manual_seed(request.seed)
    levels = level_count((int(request.guide.shape[1]), int(request.guide.shape[2])), request.size, settings)
    images = [appearance(request.guide, settings, generator)]
    for level in range(levels - 1):
        images.append(blur_at_scale(images[-1], 2 ** level))
    coords: torch.Tensor | None = None
    for level in reversed(range(levels)):
        spacing = 2 ** level
        size = (math.ceil(request.size[0] / spacing), math.ceil(request.size[1] / spacing))
        stack = exemplar_level(images[level], spacing, settings, generator)
        free = _free_at(request.pinned, spacing, size)
        if coords is None:
            start = _random_blocks(size, stack, settings.init_block, generator) if request.pinned is None else \
                identity_coords(size, spacing, request.guide.device)  # make-seamless: the photo is the first guess
            coords, rounds, explore = stack.clamp(start), settings.coarse_iterations, True
        else:
            coords = upsample(coords, size, stack)
            if request.pinned is None:
                coords = _jittered(coords, stack, settings.jitter, generator)
            rounds, explore = settings.correction_passes, False
        coords = _pin(coords, free, stack)
        for _ in range(rounds):
            coords = correct(stack, coords, request.wrap, free, generator, explore, settings.coherence_weight)
            progress()
    assert coords is not None
    if request.wrap and request.pinned is None:
        coords = rolled_to_calm_edges(coords, request.guide, generator)
    return coords


ROLL_CANDIDATES = 8
"""Random offsets tried per axis when a tileable map is rolled; the calmest is kept."""


def rolled_to_calm_edges(coords: torch.Tensor, guide: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """A tileable map rolled by a random offset: the same texture, but its seams, which the coarse
    levels (or a quilt's grid) leave on their pixel lines, no longer line up with the image's edges.
    Of ROLL_CANDIDATES random offsets per axis, the one whose new edge crosses the smallest step
    of the guide is kept, so the file's edge runs through a calm stretch rather than along a
    board's gap or a brick's joint (the texture is the same when tiled; only the cut differs)."""
    copied = guide[:, coords[0].to(guide.device), coords[1].to(guide.device)]
    shifts = []
    for axis in (1, 2):
        side = coords.shape[axis]
        steps = (copied - torch.roll(copied, shifts=1, dims=axis)).abs().mean(dim=(0, 3 - axis))  # before index k
        candidates = torch.randint(0, side, (ROLL_CANDIDATES,), generator=generator)
        calmest = candidates[int(steps.cpu()[candidates].argmin())]
        shifts.append(-int(calmest) % side)  # index `calmest` becomes the first row (column)
    return torch.roll(coords, shifts=shifts, dims=(1, 2))


def appearance(guide: torch.Tensor, settings: SynthesisSettings, generator: torch.Generator) -> torch.Tensor:
    """Appearance space (Lefebvre and Hoppe 2006): each pixel described by the principal components of
    its `appearance_patch`² neighbourhood, so blurred levels still know where edges and features are."""
    if settings.appearance_patch <= 1:
        return guide
    projection = fit_projection(guide, settings.appearance_patch, settings.appearance_dims, generator)
    r = projection.radius
    features = F.conv2d(mirrored(guide[None], r), projection.weight, projection.bias)[0]
    return features


def passes(exemplar_size: tuple[int, int], output_size: tuple[int, int],
           settings: SynthesisSettings = DEFAULT_SETTINGS) -> int:
    """How many times `synthesise` calls `progress` for these sizes."""
    levels = level_count(exemplar_size, output_size, settings)
    return settings.coarse_iterations + (levels - 1) * settings.correction_passes


def _random_blocks(size: tuple[int, int], level: ExemplarLevel, block: int, generator: torch.Generator) -> torch.Tensor:
    """A map of about `block`-pixel squares, each copying a random exemplar square (coherently).

    The partition is periodic with a random phase, so the wrap-around line is no more a seam than any other.
    """
    counts = [max(1, round(side / block)) for side in size]
    origins = level.clamp(_random_coords((counts[0], counts[1]), level.size, generator))
    phase = [int(torch.randint(0, side, (1,), generator=generator)) for side in size]
    axes = []
    for side, count, shift in zip(size, counts, phase, strict=True):
        rotated = (torch.arange(side) + shift) % side
        index = rotated * count // side
        start = (index * side + count - 1) // count  # the first rotated position of each block
        axes.append((index, rotated - start))
    (rows, row_offset), (cols, col_offset) = axes
    base = origins[:, rows][:, :, cols]
    offset = torch.stack([row_offset[:, None].expand(size), col_offset[None, :].expand(size)])
    return _reflected(base + offset * level.spacing, level).to(level.image.device)


def _reflected(coords: torch.Tensor, level: ExemplarLevel) -> torch.Tensor:
    """Coordinates past the valid range folded back into it (a block runs on mirrored, not stuck at the edge)."""
    low = level.margin
    high = torch.tensor(level.size, device=coords.device).view(2, 1, 1) - 1 - low
    period = 2 * (high - low).clamp_min(1)
    folded = (coords - low) % period
    return low + torch.where(folded > high - low, period - folded, folded)


def _jittered(coords: torch.Tensor, level: ExemplarLevel, amount: float, generator: torch.Generator) -> torch.Tensor:
    """Each coordinate moved by up to `amount` spacings at random (kept where that would leave the valid range)."""
    if amount <= 0:
        return coords
    noise = (torch.rand(coords.shape, generator=generator) * 2 - 1).to(coords.device)
    moved = coords + (noise * amount * level.spacing).round().long()
    return torch.where(level.valid(moved), moved, coords)


def _free_at(pinned: torch.Tensor | None, spacing: int, size: tuple[int, int]) -> torch.Tensor | None:
    """Pixels of a level that may change: those covering any free full-resolution pixel."""
    if pinned is None:
        return None
    free = (~pinned).float()[None, None]
    coarse = F.max_pool2d(free, spacing, stride=spacing, ceil_mode=True)[0, 0] if spacing > 1 else free[0, 0]
    return coarse[: size[0], : size[1]] > 0


def _pin(coords: torch.Tensor, free: torch.Tensor | None, level: ExemplarLevel) -> torch.Tensor:
    if free is None:
        return coords
    identity = level.clamp(identity_coords((coords.shape[1], coords.shape[2]), level.spacing, coords.device))
    return torch.where(free, coords, identity)
