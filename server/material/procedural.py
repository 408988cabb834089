"""Procedural SVBRDFs and their photos, reproducible from a seed, in torch.

A material is a height field built from one or two structural patterns (fBm noise, Voronoi
cells, tiles and bricks, planks, scratches, grunge) blended by masks, with albedo, specular and
roughness correlated with that structure (mortar darker and rougher, scratches brighter and
smoother, metals with coloured F0 and no diffuse); materials of 512 px and more also get fine
grain in every map (``MICRO_DETAIL_MIN_SIDE``). ``render_capture`` turns maps into the
training inputs: a flash photo with random field of view, flash jitter, white balance,
exposure and noise, and a no-flash guide photo under random ambient light.

Everything draws from an explicit ``torch.Generator`` so a seed fixes the output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F

from .imaging import box_filter
from .render import SVBRDF, CaptureSetup, expose, metered_exposure, render_environment, render_point_light

PATTERNS: tuple[str, ...] = ("noise", "cells", "tiles", "bricks", "planks", "blobs")


def _rand(g: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.rand(shape, generator=g)


def _uniform(g: torch.Generator, low: float, high: float) -> float:
    return low + (high - low) * float(torch.rand((), generator=g))


def _choice(g: torch.Generator, n: int) -> int:
    return int(torch.randint(n, (), generator=g))


# ---------------------------------------------------------------------------------------------
# coordinate fields and primitives


def pattern_coordinates(size: int, g: torch.Generator, scale: float) -> torch.Tensor:
    """Randomly rotated and offset coordinates ``(2, H, W)``; ``scale`` repeats across the image."""
    t = (torch.arange(size, dtype=torch.float32) + 0.5) / size
    yy, xx = torch.meshgrid(t, t, indexing="ij")
    angle = _uniform(g, 0.0, 2 * math.pi)
    c, s = math.cos(angle), math.sin(angle)
    u = (c * xx - s * yy) * scale + _uniform(g, 0, 10)
    v = (s * xx + c * yy) * scale + _uniform(g, 0, 10)
    return torch.stack([u, v])


def periodic_noise(coords: torch.Tensor, g: torch.Generator, cells: int) -> torch.Tensor:
    """Smooth value noise in [0, 1] sampled at ``coords`` (period 1 in coordinate units -> ``cells``)."""
    lattice = _rand(g, 1, 1, cells, cells)
    # pad by two nodes on each side with wrap-around so bicubic sampling stays periodic
    lattice = torch.cat([lattice[..., -2:], lattice, lattice[..., :2]], dim=-1)
    lattice = torch.cat([lattice[..., -2:, :], lattice, lattice[..., :2, :]], dim=-2)
    index = torch.remainder(coords, 1.0) * cells + 2
    grid = (index / (cells + 3) * 2 - 1).permute(1, 2, 0)[None]
    return F.grid_sample(lattice, grid, mode="bicubic", align_corners=True)[0, 0].clamp(0, 1)


def fbm(coords: torch.Tensor, g: torch.Generator, base_cells: int = 4, octaves: int = 5,
        persistence: float = 0.5) -> torch.Tensor:
    """Fractal Brownian motion: octaves of value noise, normalised to roughly [0, 1]."""
    total = torch.zeros(coords.shape[1:])
    amplitude, norm = 1.0, 0.0
    for octave in range(octaves):
        total = total + amplitude * periodic_noise(coords, g, base_cells * 2 ** octave)
        norm += amplitude
        amplitude *= persistence
    return total / norm


def voronoi(coords: torch.Tensor, g: torch.Generator, count: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Voronoi on the unit torus: (distance to the cell border in [0, ~0.5], cell index)."""
    points = _rand(g, count, 2)
    p = torch.remainder(coords, 1.0).reshape(2, -1).T  # (N, 2)
    delta = p[:, None, :] - points[None]
    delta = delta - torch.round(delta)  # toroidal wrap
    dist = delta.norm(dim=-1)
    two = dist.topk(2, dim=1, largest=False)
    border = (two.values[:, 1] - two.values[:, 0]) * math.sqrt(count)
    shape = coords.shape[1:]
    return border.reshape(shape), two.indices[:, 0].reshape(shape)


def grid_cells(u: torch.Tensor, v: torch.Tensor, rows_offset: float) -> tuple[torch.Tensor, ...]:
    """Rectangular cells of unit size, every other row shifted: (edge distance, cell id)."""
    row = torch.floor(v)
    u_shift = u + rows_offset * torch.remainder(row, 2)
    col = torch.floor(u_shift)
    fu, fv = u_shift - col, v - row
    edge = torch.minimum(torch.minimum(fu, 1 - fu), torch.minimum(fv, 1 - fv))
    cell_id = (row * 7919 + col * 104729).remainder(100003).long()
    return edge, cell_id


def per_cell_random(cell_id: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """A random value in [0, 1] for each distinct cell id."""
    table = _rand(g, 100003)
    return table[cell_id.remainder(100003)]


# ---------------------------------------------------------------------------------------------
# structural patterns -> (height in [0, 1], groove mask in [0, 1], per-region value in [0, 1])


@dataclass
class Structure:
    """Height field and masks of one pattern, all ``(H, W)``."""

    height: torch.Tensor
    groove: torch.Tensor
    """1 in mortar, grout, cracks and plank gaps, 0 on the surface."""
    region: torch.Tensor
    """A per-region random value (one per tile, cell or plank) for colour variation."""


def _pattern_noise(size: int, g: torch.Generator) -> Structure:
    coords = pattern_coordinates(size, g, 1.0)
    height = fbm(coords, g, base_cells=_choice(g, 6) + 2, octaves=5, persistence=_uniform(g, 0.4, 0.65))
    return Structure(height, torch.zeros_like(height), fbm(coords, g, 2, 3))


def _pattern_cells(size: int, g: torch.Generator) -> Structure:
    coords = pattern_coordinates(size, g, 1.0)
    border, index = voronoi(coords, g, _choice(g, 40) + 8)
    width = _uniform(g, 0.04, 0.15)
    groove = 1 - torch.sigmoid((border - width) / (0.3 * width))
    dome = border.clamp(0, 0.6) / 0.6
    height = 0.6 * dome ** _uniform(g, 0.3, 1.0) + 0.4 * (1 - groove)
    return Structure(height, groove, per_cell_random(index, g))


def _pattern_grid(size: int, g: torch.Generator, offset: float, aspect: float) -> Structure:
    coords = pattern_coordinates(size, g, _uniform(g, 2.0, 6.0))
    edge, cell_id = grid_cells(coords[0] / aspect, coords[1], offset)
    width = _uniform(g, 0.02, 0.08)
    groove = 1 - torch.sigmoid((edge - width) / (0.25 * width))
    bevel = (edge / _uniform(g, 0.05, 0.2)).clamp(0, 1)
    tilt = per_cell_random(cell_id, g)
    height = 0.7 * bevel + 0.2 * tilt * (coords[0] - torch.floor(coords[0])) + 0.1 * (1 - groove)
    return Structure(height, groove, per_cell_random(cell_id, g))


def _pattern_planks(size: int, g: torch.Generator) -> Structure:
    coords = pattern_coordinates(size, g, _uniform(g, 2.0, 5.0))
    length = _uniform(g, 3.0, 8.0)
    edge_u, cell_id = grid_cells(coords[0] / length, coords[1], _uniform(g, 0.2, 0.8))
    fv = coords[1] - torch.floor(coords[1])
    edge = torch.minimum(torch.minimum(fv, 1 - fv), edge_u * length)
    groove = 1 - torch.sigmoid((edge - 0.03) / 0.01)
    stretched = torch.stack([coords[0] * 0.1, coords[1] * 2.0])
    grain = torch.sin(stretched[1] * _uniform(g, 10, 40) + 6 * fbm(stretched, g, 3, 3)) * 0.5 + 0.5
    height = 0.8 * (1 - groove) + 0.2 * grain
    return Structure(height, groove, 0.5 * per_cell_random(cell_id, g) + 0.5 * grain)


def _pattern_blobs(size: int, g: torch.Generator) -> Structure:
    coords = pattern_coordinates(size, g, 1.0)
    base = fbm(coords, g, base_cells=_choice(g, 4) + 3, octaves=4)
    threshold = _uniform(g, 0.4, 0.6)
    mask = torch.sigmoid((base - threshold) * 40)
    return Structure(0.6 * mask + 0.4 * fbm(coords, g, 8, 3), 1 - mask, mask)


def make_structure(name: str, size: int, g: torch.Generator) -> Structure:
    """One structural pattern by name (see ``PATTERNS``)."""
    if name == "noise":
        return _pattern_noise(size, g)
    if name == "cells":
        return _pattern_cells(size, g)
    if name == "tiles":
        return _pattern_grid(size, g, 0.0, 1.0)
    if name == "bricks":
        return _pattern_grid(size, g, 0.5, _uniform(g, 1.5, 3.0))
    if name == "planks":
        return _pattern_planks(size, g)
    if name == "blobs":
        return _pattern_blobs(size, g)
    raise ValueError(f"unknown pattern {name!r}; expected one of {PATTERNS}")


def scratches(size: int, g: torch.Generator, count: int) -> torch.Tensor:
    """Thin random line segments, ``(H, W)`` in [0, 1]."""
    t = (torch.arange(size, dtype=torch.float32) + 0.5) / size
    yy, xx = torch.meshgrid(t, t, indexing="ij")
    p = torch.stack([xx, yy], dim=-1)
    mask = torch.zeros(size, size)
    for _ in range(count):
        a = _rand(g, 2)
        direction = _uniform(g, 0, 2 * math.pi)
        length = _uniform(g, 0.05, 0.6)
        b = a + length * torch.tensor([math.cos(direction), math.sin(direction)])
        ab = b - a
        s = ((p - a) @ ab / (ab @ ab)).clamp(0, 1)
        dist = (p - (a + s[..., None] * ab)).norm(dim=-1)
        width = _uniform(g, 0.5, 1.5) / size
        mask = torch.maximum(mask, torch.exp(-(dist / width) ** 2) * _uniform(g, 0.3, 1.0))
    return mask


# ---------------------------------------------------------------------------------------------
# maps


def height_to_normal(height: torch.Tensor, strength: float | torch.Tensor) -> torch.Tensor:
    """Height ``(B, 1, H, W)`` (in pixels of the image width times ``strength``) -> unit normals.

    Central differences with wrap-around; +Y is towards the top of the image (OpenGL).
    """
    right = torch.roll(height, -1, dims=3)
    left = torch.roll(height, 1, dims=3)
    up = torch.roll(height, 1, dims=2)  # the row above has the larger y
    down = torch.roll(height, -1, dims=2)
    dx = (right - left) * 0.5 * strength
    dy = (up - down) * 0.5 * strength
    return F.normalize(torch.cat([-dx, -dy, torch.ones_like(dx)], dim=1), dim=1)


def _random_colour(g: torch.Generator, saturation: float) -> torch.Tensor:
    """A random linear RGB colour with the given saturation around its luminance."""
    hue = _rand(g, 3)
    grey = hue.mean()
    return (grey + saturation * (hue - grey)).clamp(0, 1)


METAL_SHARE = 0.25
"""Default probability that a generated material is a metal."""


def random_material(size: int, g: torch.Generator, metal_share: float = METAL_SHARE) -> SVBRDF:
    """One random SVBRDF of ``size`` x ``size`` pixels (batch of 1); a metal with ``metal_share``."""
    return random_material_and_kind(size, g, metal_share)[0]


def random_material_and_kind(size: int, g: torch.Generator, metal_share: float = METAL_SHARE) -> tuple[SVBRDF, bool]:
    """``random_material``'s material and whether it is a metal."""
    structure = make_structure(PATTERNS[_choice(g, len(PATTERNS))], size, g)
    if _uniform(g, 0, 1) < 0.5:  # layered blend with a second pattern
        other = make_structure(PATTERNS[_choice(g, len(PATTERNS))], size, g)
        mask = torch.sigmoid((fbm(pattern_coordinates(size, g, 1.0), g, 3, 3) - 0.5) * 20)
        structure = Structure(structure.height * (1 - mask) + other.height * mask,
                              torch.maximum(structure.groove * (1 - mask), other.groove * mask),
                              structure.region * (1 - mask) + other.region * mask)
    detail = fbm(pattern_coordinates(size, g, 1.0), g, 16, 3)
    scratch = scratches(size, g, _choice(g, 12)) if _uniform(g, 0, 1) < 0.4 else torch.zeros(size, size)
    grunge = torch.sigmoid((fbm(pattern_coordinates(size, g, 1.0), g, 4, 5) - _uniform(g, 0.5, 0.75)) * 15)
    grunge = grunge * (_uniform(g, 0, 1) < 0.5)

    height = structure.height + _uniform(g, 0.0, 0.3) * detail - 0.4 * scratch
    height = box_filter(height[None, None], _choice(g, 2), padding="circular")[0, 0]
    strength = math.exp(_uniform(g, math.log(1.0), math.log(25.0))) * size / 256
    normal = height_to_normal(height[None, None], strength)

    metal = _uniform(g, 0, 1) < metal_share
    diffuse, specular, roughness = _reflectance(structure, detail, scratch, grunge, metal, g)
    material = SVBRDF(normal, diffuse[None], roughness[None, None], specular[None])
    if size >= MICRO_DETAIL_MIN_SIDE:  # drawn last, so smaller materials are exactly what they were
        material = _with_micro_detail(material, height, strength, g)
    return material, metal


MICRO_DETAIL_MIN_SIDE = 512
"""Materials this size or larger get fine grain (value noise of 128+ cells, at least 4 px a
cell): detail a photo of that size shows and a 192 px estimate cannot hold. Smaller ones, every
training crop included, would only alias it."""


def micro_noise(size: int, g: torch.Generator) -> torch.Tensor:
    """Zero-mean, unit-deviation grain ``(H, W)``: value-noise octaves of 128 cells and finer, down to 4 px a cell."""
    coords = pattern_coordinates(size, g, 1.0)
    total, cells, amplitude = torch.zeros(size, size), 128, 1.0
    while cells <= size // 4:
        total = total + amplitude * periodic_noise(coords, g, cells)
        cells, amplitude = cells * 2, amplitude * 0.7
    return (total - total.mean()) / total.std().clamp_min(1e-6)


def _with_micro_detail(material: SVBRDF, height: torch.Tensor, strength: float, g: torch.Generator) -> SVBRDF:
    """``material`` with fine grain in albedo, specular, roughness and relief.

    One grain drives the reflectance; the relief's grain shares it with a random correlation
    (dark reads as low, as in pores and grooves, from not at all to fully) and random strength,
    so a photo's fine band is sometimes colour, sometimes relief, mostly both.
    """
    size = height.shape[-1]
    colour_grain, relief_own = micro_noise(size, g), micro_noise(size, g)
    colour_amount = _uniform(g, 0.0, 0.35)
    correlation = _uniform(g, 0.0, 1.0)
    relief = correlation * colour_grain + math.sqrt(1 - correlation ** 2) * relief_own
    relief_amount = _uniform(g, 0.0, 0.03)
    normal = height_to_normal((height + relief_amount * relief)[None, None], strength)
    shade = (colour_amount * colour_grain).exp()[None, None]
    roughness = material.roughness + _uniform(g, -0.08, 0.08) * colour_grain[None, None]
    return SVBRDF(normal, (material.diffuse * shade).clamp(0, 1), roughness.clamp(0.05, 1),
                  (material.specular * shade).clamp(0, 1))


PRINT_PERIOD_PX = (2.5, 8.0)
"""Range (log-uniform) of a print's line period in pixels of the material."""


def line_screen(size: int, g: torch.Generator, period_px: tuple[float, float]) -> torch.Tensor:
    """Parallel lines ``(H, W)`` in [0, 1], a cosine across them, at a random angle and drifting in
    random waves, their period drawn log-uniformly from ``period_px`` pixels: the line screens,
    hatching and engraving of prints (``printed``) and embossings (``emboss.py``)."""
    coords = pattern_coordinates(size, g, 1.0)
    period = math.exp(_uniform(g, *(math.log(p) for p in period_px))) / size
    wander = _uniform(g, 0.0, 1.0) ** 2 * 8.0  # how many periods the lines drift across the image
    phase = coords[0] / period + wander * (fbm(pattern_coordinates(size, g, 1.0), g, 2, 3) - 0.5)
    return 0.5 + 0.5 * torch.cos(2 * math.pi * phase)


def in_patches(size: int, g: torch.Generator) -> torch.Tensor:
    """A soft mask ``(H, W)`` in [0, 1] over random patches of about half the image."""
    return torch.sigmoid((fbm(pattern_coordinates(size, g, 1.0), g, 3, 3) - 0.5) * 12)


def printed(material: SVBRDF, g: torch.Generator) -> SVBRDF:
    """``material`` (batch of 1) with a fine print on it: a line screen, cross-hatching or wavy
    engraving-like lines of ink every 2.5-8 px, in places or all over; coloured ink in the albedo, or
    metallic foil (its own F0 and roughness, a dim albedo).

    Printed and embossed papers, labels and fabrics carry fine high-contrast pattern that no
    procedural material had; a network that never saw it reads its contrast as gloss (blurring
    yellow_box's photo by 2 px raised material-1shot stage 12's roughness reading from 0.27 to 0.35).
    The labels say what the print is, so such contrast is learnt as albedo, or as foil where it is.
    """
    size = material.diffuse.shape[-1]

    def screen() -> torch.Tensor:
        lines = line_screen(size, g, PRINT_PERIOD_PX)
        return torch.sigmoid((lines - _uniform(g, 0.3, 0.7)) * _uniform(g, 8.0, 30.0))

    ink = screen()
    if _uniform(g, 0, 1) < 0.4:  # cross-hatched
        ink = torch.maximum(ink, screen())
    if _uniform(g, 0, 1) < 0.5:  # printed in places only
        ink = ink * in_patches(size, g)
    ink = ink[None, None]
    if _uniform(g, 0, 1) < 0.3:  # metallic foil
        f0 = _metal_f0(g)[None, :, None, None]
        foil_roughness = _uniform(g, 0.15, 0.6)
        return SVBRDF(material.normal, material.diffuse * (1 - 0.8 * ink),
                      material.roughness * (1 - ink) + foil_roughness * ink,
                      (material.specular * (1 - ink) + f0 * ink).clamp(0, 1))
    colour = (_random_colour(g, _uniform(g, 0.0, 1.0)) * _uniform(g, 0.02, 0.9))[None, :, None, None]
    return replace(material, diffuse=(material.diffuse * (1 - ink) + colour * ink).clamp(0, 1))


def _reflectance(structure: Structure, detail: torch.Tensor, scratch: torch.Tensor,
                 grunge: torch.Tensor, metal: bool, g: torch.Generator) -> tuple[torch.Tensor, ...]:
    """Correlated diffuse (3, H, W), specular (3, H, W), roughness (H, W), all linear."""
    base = _random_colour(g, _uniform(g, 0.0, 1.0)) * _uniform(g, 0.05, 1.0)
    alt = _random_colour(g, _uniform(g, 0.0, 1.0)) * _uniform(g, 0.02, 0.8)
    variation = _uniform(g, 0.0, 0.6)
    shade = 1 + variation * (structure.region - 0.5) + 0.3 * (detail - 0.5)
    colour = base[:, None, None] * shade.clamp(0.2, 2)[None]
    groove = structure.groove[None]
    colour = colour * (1 - groove) + alt[:, None, None] * groove
    grunge_colour = _random_colour(g, 0.3) * _uniform(g, 0.02, 0.3)
    colour = colour * (1 - grunge[None]) + grunge_colour[:, None, None] * grunge[None]

    rough_base = _uniform(g, 0.08, 0.8)
    roughness = rough_base + _uniform(g, 0, 0.3) * (detail - 0.5) + 0.2 * structure.groove
    roughness = roughness + 0.2 * grunge - 0.3 * scratch + _uniform(g, -0.2, 0.2) * (structure.region - 0.5)
    if metal:
        f0 = _metal_f0(g)
        metal_mask = (1 - groove) * (1 - grunge[None])
        specular = f0[:, None, None] * metal_mask + 0.04 * (1 - metal_mask)
        diffuse = colour * (1 - metal_mask) * 0.5
    else:
        spec_level = math.exp(_uniform(g, math.log(0.003), math.log(0.15)))  # physical ~0.04, art often lower
        specular = (spec_level * (1 + 0.5 * (detail - 0.5)) * (1 - 0.5 * grunge)).expand(3, -1, -1)
        specular = specular + 0.2 * scratch[None] * (_uniform(g, 0, 1) < 0.3)
        diffuse = colour
    return diffuse.clamp(0, 1), specular.clamp(0, 1), roughness.clamp(0.05, 1)


def plain_material(size: int, g: torch.Generator, metal_share: float = METAL_SHARE) -> SVBRDF:
    """A nearly uniform surface (paint, plaster, sheet metal): one colour, one roughness, faint
    low-frequency variation and no structure. Patterned materials never show a network a flash
    falloff over a constant albedo; these teach it that such a photo is a constant albedo."""
    coords = pattern_coordinates(size, g, 1.0)
    wobble = fbm(coords, g, 2, 3) - 0.5
    colour = _random_colour(g, _uniform(g, 0.0, 0.8)) * _uniform(g, 0.05, 0.9)
    shade = (1 + _uniform(g, 0.0, 0.1) * wobble)[None]
    roughness = (_uniform(g, 0.1, 0.9) + _uniform(g, 0.0, 0.05) * wobble).clamp(0.05, 1)[None, None]
    relief = height_to_normal(wobble[None, None], _uniform(g, 0.0, 2.0) * size / 256)
    if _uniform(g, 0, 1) < metal_share:
        specular = _metal_f0(g)[:, None, None] * shade
        diffuse = torch.zeros(3, size, size)
    else:
        specular = torch.full((3, size, size), _uniform(g, 0.02, 0.06))
        diffuse = colour[:, None, None] * shade
    return SVBRDF(relief, diffuse.clamp(0, 1)[None], roughness, specular.clamp(0, 1)[None])


def _metal_f0(g: torch.Generator) -> torch.Tensor:
    """A metal's F0 (3,): pale (steel, silver) to strongly tinted (gold, copper: several times
    higher in red than blue)."""
    tint = _random_colour(g, _uniform(g, 0.0, 1.0))
    return tint / tint.max().clamp_min(1e-3) * _uniform(g, 0.3, 1.0)


def generate_batch(batch: int, size: int, seed: int, metal_share: float = METAL_SHARE) -> SVBRDF:
    """``batch`` random materials from ``seed``; material i depends only on (seed, i)."""
    return SVBRDF.from_stacked(torch.cat([batch_material(seed, index, size, metal_share).stacked()
                                          for index in range(batch)], dim=0))


def batch_material(seed: int, index: int, size: int, metal_share: float = METAL_SHARE) -> SVBRDF:
    """Material ``index`` of ``generate_batch(..., seed, ...)``, without generating the others."""
    return batch_material_and_kind(seed, index, size, metal_share)[0]


def batch_material_and_kind(seed: int, index: int, size: int, metal_share: float = METAL_SHARE) -> tuple[SVBRDF, bool]:
    """``batch_material``'s material and whether it is a metal."""
    return random_material_and_kind(size, torch.Generator().manual_seed(seed * 1_000_003 + index), metal_share)


# ---------------------------------------------------------------------------------------------
# photos


AUTO_EXPOSURE_MEAN = (0.08, 0.35)
"""Range (log-uniform) of an auto-exposed photo's mean linear value: a metering for mid grey
(0.18), give or take the exposure compensation a phone applies for bright or dark scenes."""


@dataclass(frozen=True)
class CaptureJitter:
    """Ranges of the random capture conditions of training photos."""

    fov_degrees: tuple[float, float] = (40.0, 75.0)
    flash_offset: float = 0.5
    """Maximum flash offset from the lens axis, in sample widths / 2 (the light moves in x, y)."""
    exposure: tuple[float, float] = (0.6, 1.6)
    white_balance: float = 0.08
    noise: tuple[float, float] = (0.0, 0.02)
    gamma: tuple[float, float] = (2.0, 2.8)
    linear_share: float = 0.0
    """Share of batches whose photos are stored linear (gamma 1), as the Deschaintre strips' input
    tiles are (docs/material.md, "Strip conventions and calibration"); the others are display-encoded
    with a gamma from ``gamma``."""
    auto_exposure_share: float = 0.0
    """Share of photos exposed as a phone's auto-exposure does: scaled so that their mean linear
    value is drawn from ``AUTO_EXPOSURE_MEAN``, whatever the material's brightness, instead of
    the calibrated flash times ``exposure``. A network trained only on calibrated exposure reads
    the albedo's level off the photo's brightness, which a real phone's metering has normalised
    away; then its specular-to-diffuse ratio is off by that factor (docs/material.md, "Exposure")."""
    roughness_curve: tuple[float, float] = (1.0, 1.0)
    """Range of an exponent p: the photo is rendered with roughness r^p while the label stays r.
    Renderers disagree on how a roughness map becomes the GGX width (the strips' reference
    renderer draws some materials as if p were 1.45); p != 1 trains a network not to trust one
    renderer's curve. Drawn log-uniformly per photo; (1, 1) draws nothing."""


def render_capture(svbrdf: SVBRDF, g: torch.Generator, setup: CaptureSetup,
                   jitter: CaptureJitter | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Flash and guide photos ``(B, 3, H, W)`` in [0, 1] of a batch of materials."""
    flash, guide, _ = render_capture_with_fov(svbrdf, g, setup, jitter)
    assert guide is not None  # asked for by default
    return flash, guide


def render_capture_with_fov(svbrdf: SVBRDF, g: torch.Generator, setup: CaptureSetup,
                            jitter: CaptureJitter | None = None, supersample: int = 1,
                            guide: bool = True) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
    """``render_capture``'s photos and each one's horizontal field of view ``(B,)`` in degrees.

    ``supersample`` > 1: ``svbrdf`` is that many times the photos' size, and each photo pixel
    averages the linear radiance of its facets before exposure, as a sensor does. ``guide`` False:
    no guide photo (None; its draws come last, so the flash photos are the same)."""
    jitter = jitter or CaptureJitter()
    b = svbrdf.shape[0]
    if jitter.roughness_curve != (1.0, 1.0):
        svbrdf = _with_roughness_curve(svbrdf, jitter.roughness_curve, g)
    fov = torch.empty(b).uniform_(*jitter.fov_degrees, generator=g)
    distance = 0.5 * setup.sample_size / torch.tan(torch.deg2rad(fov) / 2)
    camera = torch.stack([torch.zeros(b), torch.zeros(b), distance], dim=1)
    offset = (torch.rand(b, 2, generator=g) * 2 - 1) * jitter.flash_offset
    light = camera + torch.cat([offset, torch.zeros(b, 1)], dim=1)
    # keep the irradiance at the centre comparable across distances, as a phone's auto-exposure would
    intensity = setup.light_intensity * (distance / setup.camera_distance) ** 2
    white = 1 + (torch.rand(b, 3, generator=g) * 2 - 1) * jitter.white_balance
    flash = _pooled(render_point_light(svbrdf, light, camera, intensity[:, None] * white, setup.sample_size),
                    supersample)
    exposure = torch.empty(b).uniform_(*jitter.exposure, generator=g)
    noise = torch.empty(b).uniform_(*jitter.noise, generator=g)
    gamma = _photo_gamma(jitter, g)
    if jitter.auto_exposure_share > 0:  # drawn only when asked for, so older runs keep their stream
        exposure = _auto_exposed(flash, exposure, jitter.auto_exposure_share, g)
    flash_photo = expose(flash, exposure, gamma, noise, g)
    if not guide:
        return flash_photo, None, fov
    guide_photo = expose(_pooled(_guide_radiance(svbrdf, g), supersample), exposure, gamma, noise, g)
    return flash_photo, guide_photo, fov


def _pooled(radiance: torch.Tensor, factor: int) -> torch.Tensor:
    return F.avg_pool2d(radiance, factor) if factor > 1 else radiance


def _auto_exposed(flash: torch.Tensor, exposure: torch.Tensor, share: float, g: torch.Generator) -> torch.Tensor:
    """``exposure`` with a ``share`` of its items replaced by a metering exposure: the photo's mean
    linear value becomes a log-uniform draw from ``AUTO_EXPOSURE_MEAN``."""
    b = flash.shape[0]
    low, high = (math.log(v) for v in AUTO_EXPOSURE_MEAN)
    target = torch.exp(torch.empty(b).uniform_(low, high, generator=g))
    return torch.where(torch.rand(b, generator=g) < share, metered_exposure(flash, target), exposure)


def _photo_gamma(jitter: CaptureJitter, g: torch.Generator) -> float:
    """One batch's encoding gamma; the linear draw only happens when asked for, so runs without it
    keep their random stream."""
    if jitter.linear_share > 0 and _uniform(g, 0.0, 1.0) < jitter.linear_share:
        return 1.0
    return _uniform(g, *jitter.gamma)


def _with_roughness_curve(svbrdf: SVBRDF, exponents: tuple[float, float], g: torch.Generator) -> SVBRDF:
    """The materials with roughness r^p, p log-uniform in ``exponents``, one p per material."""
    low, high = math.log(exponents[0]), math.log(exponents[1])
    p = (low + (high - low) * torch.rand(svbrdf.shape[0], generator=g)).exp()
    return replace(svbrdf, roughness=svbrdf.roughness.clamp(0.02, 1.0) ** p[:, None, None, None])


def _guide_radiance(svbrdf: SVBRDF, g: torch.Generator) -> torch.Tensor:
    """Ambient light plus two soft distant lights, of random colour and level."""
    b = svbrdf.shape[0]
    ambient = (0.3 + 0.5 * torch.rand(b, 1, generator=g)) * (1 + 0.15 * (torch.rand(b, 3, generator=g) - 0.5))
    theta = torch.rand(b, 2, generator=g) * 1.1
    phi = torch.rand(b, 2, generator=g) * 2 * math.pi
    dirs = torch.stack([theta.sin() * phi.cos(), theta.sin() * phi.sin(), theta.cos()], dim=-1)
    colours = torch.rand(b, 2, 1, generator=g) * 1.2 * (1 + 0.2 * (torch.rand(b, 2, 3, generator=g) - 0.5))
    return render_environment(svbrdf, ambient, dirs, colours)
