"""Relief finer than a pixel: supersampled photos and the working-size maps that render them."""

from __future__ import annotations

import torch

from texforge.server.material import emboss
from texforge.server.material.procedural import generate_batch, render_capture_with_fov
from texforge.server.material.render import SVBRDF, CaptureSetup


def _maps(size: int = 32, seed: int = 4) -> SVBRDF:
    return generate_batch(2, size, seed)


def test_maps_without_fine_relief_come_back_unchanged() -> None:
    maps = _maps()
    back = emboss.working_size_maps(emboss.upsampled(maps, 4), 4)
    for name in ("normal", "diffuse", "specular", "roughness"):
        assert torch.allclose(getattr(back, name), getattr(maps, name), atol=1e-5), name


def test_embossing_widens_the_label_lobe_and_flattens_the_averaged_normal() -> None:
    maps = _maps()
    fine = emboss.embossed(maps, torch.Generator().manual_seed(1))
    assert fine.normal.shape[-1] == 4 * maps.normal.shape[-1]
    assert torch.allclose(fine.normal.norm(dim=1), torch.ones(1), atol=1e-5)
    labels = emboss.working_size_maps(fine, 4)
    assert bool((labels.roughness >= maps.roughness - 0.03).all())
    assert float((labels.roughness - maps.roughness).mean()) > 0.01
    assert torch.allclose(labels.normal.norm(dim=1), torch.ones(1), atol=1e-5)


def test_label_roughness_adds_the_facets_slope_variance_to_alpha_squared() -> None:
    """Facets tilted +-s in x in alternate columns: the pixel's normal averages to flat, and its lobe
    widens by the slopes' variance per axis (s**2 / 2) times the gain."""
    size, s, roughness = 8, 0.3, 0.4
    slopes = torch.zeros(1, 2, size, size)
    slopes[:, 0, :, 0::2], slopes[:, 0, :, 1::2] = s, -s
    flat = torch.ones(1, 1, size, size)
    fine = SVBRDF(emboss.normals_of(slopes), 0.5 * flat.expand(1, 3, -1, -1), roughness * flat,
                  0.04 * flat.expand(1, 3, -1, -1))
    for gain in (0.0, 2.0):
        labels = emboss.working_size_maps(fine, 4, gain)
        assert labels.roughness.shape[-1] == 2
        assert torch.allclose(labels.roughness, torch.tensor((roughness ** 4 + gain * s * s / 2) ** 0.25))
        assert torch.allclose(labels.normal, torch.tensor([0.0, 0.0, 1.0])[None, :, None, None].expand(1, 3, 2, 2),
                              atol=1e-6)


def test_a_supersampled_capture_averages_linear_light_before_exposure() -> None:
    maps = _maps(16)
    coarse = render_capture_with_fov(maps, torch.Generator().manual_seed(3), CaptureSetup())
    # each facet of an upsampled material sees almost the same light as its pixel
    fine = render_capture_with_fov(emboss.upsampled(maps, 4), torch.Generator().manual_seed(3), CaptureSetup(), supersample=4)
    for a, b in zip(coarse, fine, strict=True):
        assert a.shape == b.shape
        assert float((a - b).abs().mean()) < 0.01
