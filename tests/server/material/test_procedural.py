"""Procedural generator: reproducible from a seed, valid maps, plausible photos."""

from __future__ import annotations

import torch

from texforge.server.material.procedural import PATTERNS, generate_batch, make_structure, render_capture
from texforge.server.material.render import CaptureSetup


def test_same_seed_same_materials() -> None:
    a, b = generate_batch(2, 32, seed=7), generate_batch(2, 32, seed=7)
    assert torch.equal(a.stacked(), b.stacked())


def test_different_seed_different_materials() -> None:
    a, b = generate_batch(2, 32, seed=7), generate_batch(2, 32, seed=8)
    assert not torch.allclose(a.stacked(), b.stacked())


def test_maps_obey_conventions() -> None:
    maps = generate_batch(3, 48, seed=1)
    assert torch.allclose(maps.normal.norm(dim=1), torch.ones(3, 48, 48), atol=1e-5)
    assert (maps.normal[:, 2] > 0).all()
    for t in (maps.diffuse, maps.roughness, maps.specular):
        assert t.min() >= 0 and t.max() <= 1
    assert maps.roughness.shape == (3, 1, 48, 48)


def test_every_pattern_builds() -> None:
    g = torch.Generator().manual_seed(0)
    for name in PATTERNS:
        structure = make_structure(name, 24, g)
        assert structure.height.shape == (24, 24)
        assert torch.isfinite(structure.height).all()


def test_photos_are_reproducible_and_in_range() -> None:
    maps = generate_batch(2, 32, seed=3)
    a = render_capture(maps, torch.Generator().manual_seed(5), CaptureSetup())
    b = render_capture(maps, torch.Generator().manual_seed(5), CaptureSetup())
    for x, y in zip(a, b):
        assert torch.equal(x, y)
        assert x.shape == (2, 3, 32, 32) and x.min() >= 0 and x.max() <= 1
