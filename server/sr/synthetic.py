"""Generated flat-toned texture content for super-resolution training: the tiles, bricks, planks,
stripes and painted shapes of stylised and procedural textures, which photo training sets lack.

A network trained on photos alone learns that every edge is a soft, noisy natural one and, at x4,
trades thin regular lines of flat tone away the longer it trains (docs/upscaler.md, "Choosing
between runs"). Crops drawn from here keep that content in view. Curved shapes are left out on
purpose, so the flat-colour card of `bench/sr_synthetic.py` (a disc and a bar) stays outside what is
trained on; its brick walls are one member of the tiling family here.

Half of the axis-aligned crops are drawn pixel-aligned with hard edges (pixel art, texture painting
at 1:1); the rest are drawn at `SUPERSAMPLE` x and area-reduced, as a renderer antialiases.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

SUPERSAMPLE = 4
"""Antialiased crops are drawn at this multiple of their size and area-reduced."""
UNIT_TONES = 64
"""Side of the table of per-unit tones that tiling units index (modulo) by their row and column."""

Coordinates = tuple[np.ndarray, np.ndarray]
Pattern = Callable[[Coordinates, np.random.Generator], np.ndarray]


def _palette(count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` colours (count x 3, linear-ish 0..1) around one random base: tones of one material."""
    hue = rng.uniform(0.08, 0.92, 3)
    saturation = rng.uniform(0.1, 1.0)  # painted textures run from greys to vivid colours
    base = saturation * hue + (1 - saturation) * hue.mean()
    spread = rng.uniform(0.05, 0.35)
    shades = base * rng.uniform(1 - spread, 1 + spread, (count, 1)) + rng.normal(0, spread / 6, (count, 3))
    return np.clip(shades, 0.0, 1.0)


def _contrasting(colour: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A joint or ground colour clearly lighter or darker than `colour`."""
    lighter = rng.random() < 0.5
    level = rng.uniform(0.75, 0.98) if lighter else rng.uniform(0.02, 0.3)
    tint = rng.uniform(0.85, 1.15, 3)
    return np.clip(level * tint * (0.5 + 0.5 * colour / max(float(colour.max()), 1e-3)), 0.0, 1.0)


def _rotated(coordinates: Coordinates, angle: float) -> Coordinates:
    rows, cols = coordinates
    cos, sin = np.cos(angle), np.sin(angle)
    return rows * cos - cols * sin, rows * sin + cols * cos


def tiling(coordinates: Coordinates, rng: np.random.Generator) -> np.ndarray:
    """Courses of rectangular units (bricks, tiles, planks) with joints of one tone between them."""
    rows, cols = coordinates
    height = rng.uniform(4, 48)
    length = height * rng.choice([1.0, 1.5, 2.0, 3.0, 4.0, 6.0])
    offset = rng.choice([0.0, 0.5, 1 / 3, rng.random()])
    joint = rng.uniform(1, max(1.5, min(10.0, height / 3)))
    course = np.floor(rows / height).astype(np.int64)
    along = cols + course * offset * length
    unit = np.floor(along / length).astype(np.int64)
    in_joint = (rows - course * height < joint) | (along - unit * length < joint)
    tones = _palette(UNIT_TONES * UNIT_TONES, rng).reshape(UNIT_TONES, UNIT_TONES, 3)
    surface = tones[course % UNIT_TONES, unit % UNIT_TONES]
    if rng.random() < 0.4:  # a shallow gradient across each unit: painted bevels, worn planks
        slope = rng.uniform(-0.15, 0.15)
        surface = surface * (1 + slope * ((along - unit * length) / length - 0.5))[..., None]
    return np.where(in_joint[..., None], _contrasting(tones.mean(axis=(0, 1)), rng), surface)


def stripes(coordinates: Coordinates, rng: np.random.Generator) -> np.ndarray:
    """Bands of two or three flat colours with a random period and duty; checks when crossed."""
    rows, cols = coordinates
    colours = _palette(3, rng)
    period = rng.uniform(3, 40)
    phase = (cols / period) % 1.0
    band = np.where(phase < rng.uniform(0.2, 0.8), 0, 1 + (phase > rng.uniform(0.85, 1.0)))
    if rng.random() < 0.35:
        cross_period = rng.uniform(3, 40)
        band = (band + ((rows / cross_period) % 1.0 < 0.5)) % 3
    return colours[band]


def polygons(coordinates: Coordinates, rng: np.random.Generator) -> np.ndarray:
    """A few flat-coloured convex polygons (intersections of half-planes) on a plain ground."""
    rows, cols = coordinates
    low, high = float(min(rows.min(), cols.min())), float(max(rows.max(), cols.max()))
    colours = _palette(6, rng)
    image = np.broadcast_to(colours[0], (*rows.shape, 3)).copy()
    for colour in colours[1:int(rng.integers(2, 7))]:
        centre = rng.uniform(low, high, 2)
        radius = rng.uniform(0.08, 0.45) * (high - low)
        inside = np.ones(rows.shape, dtype=bool)
        for angle in np.sort(rng.uniform(0, 2 * np.pi, int(rng.integers(3, 7)))):
            normal = np.array([np.sin(angle), np.cos(angle)])
            inside &= (rows - centre[0]) * normal[0] + (cols - centre[1]) * normal[1] < radius
        image[inside] = colour
    return image


PATTERNS: tuple[tuple[Pattern, float], ...] = ((tiling, 0.6), (stripes, 0.2), (polygons, 0.2))
"""Each family and how often it is drawn."""


def synthetic_texture(side: int, rng: np.random.Generator) -> np.ndarray:
    """One generated side x side x 3 uint8 crop of flat-toned texture content."""
    patterns, shares = zip(*PATTERNS, strict=True)
    pattern = patterns[rng.choice(len(patterns), p=np.array(shares) / sum(shares))]
    axis_aligned = rng.random() < 0.6
    pixel_aligned = axis_aligned and rng.random() < 0.5
    factor = 1 if pixel_aligned else SUPERSAMPLE
    grid = np.mgrid[0:side * factor, 0:side * factor].astype(np.float32)
    centres = (grid + (0.0 if pixel_aligned else 0.5)) / factor  # pixel-aligned: integer coordinates, hard edges
    coordinates: Coordinates = (centres[0], centres[1])
    if not axis_aligned:
        coordinates = _rotated(coordinates, rng.uniform(0, np.pi))
    image = pattern(coordinates, rng)
    if factor > 1:
        image = image.reshape(side, factor, side, factor, 3).mean(axis=(1, 3))
    if rng.random() < 0.3:  # mild grain, as painted or scanned textures carry
        image = image + rng.normal(0, rng.uniform(0.003, 0.02), image.shape)
    return (np.clip(image, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)


POOL_SIDE = 512
"""Side of each generated training image; crops are drawn from them like from photos."""


def synthetic_pool(share: float, photos: Sequence[np.ndarray], seed: int) -> list[np.ndarray]:
    """Generated images whose total area is about `share` (< 1) of a training set once added to `photos`.

    Drawn once per run from their own seed, so a resumed run trains on the same pool."""
    if share <= 0:
        return []
    photo_area = sum(photo.shape[0] * photo.shape[1] for photo in photos)
    count = max(1, math.ceil(share / (1 - share) * photo_area / POOL_SIDE**2))
    rng = np.random.default_rng([seed, POOL_SIDE])
    return [synthetic_texture(POOL_SIDE, rng) for _ in range(count)]
