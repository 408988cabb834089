"""Procedural generator: reproducible from a seed, valid maps, plausible photos."""

from __future__ import annotations

from dataclasses import replace

import torch

from texforge.server.material.procedural import (
    PATTERNS,
    PRINT_PERIOD_PX,
    CaptureJitter,
    batch_material,
    generate_batch,
    make_structure,
    printed,
    render_capture,
    render_capture_with_fov,
)
from texforge.server.material.render import SVBRDF, CaptureSetup


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
    for x, y in zip(a, b, strict=True):
        assert torch.equal(x, y)
        assert x.shape == (2, 3, 32, 32) and x.min() >= 0 and x.max() <= 1


def _specular_tint(maps) -> torch.Tensor:  # noqa: ANN001
    """Per material, the largest spread between colour channels of the specular map."""
    spread = maps.specular.max(dim=1).values - maps.specular.min(dim=1).values
    return spread.flatten(1).max(dim=1).values


def test_metal_share_sets_how_many_materials_have_tinted_specular() -> None:
    dielectrics = generate_batch(8, 24, seed=4, metal_share=0.0)
    metals = generate_batch(8, 24, seed=4, metal_share=1.0)
    assert float(_specular_tint(dielectrics).max()) < 1e-6  # dielectric F0 is grey
    assert int((_specular_tint(metals) > 0.05).sum()) >= 4  # metal F0 carries the metal's colour
    assert float(metals.diffuse.mean()) < float(dielectrics.diffuse.mean())


def _with_roughness(maps: SVBRDF, value: float) -> SVBRDF:
    return replace(maps, roughness=torch.full_like(maps.roughness, value))


def test_roughness_curve_renders_r_to_the_p() -> None:
    maps = generate_batch(2, 32, seed=3)
    # 0.5^2 == 0.0625^0.5 == 0.25: both photos must show roughness 0.25, whatever the labels say
    squared = render_capture(_with_roughness(maps, 0.5), torch.Generator().manual_seed(5), CaptureSetup(),
                             CaptureJitter(roughness_curve=(2.0, 2.0)))[0]
    rooted = render_capture(_with_roughness(maps, 0.0625), torch.Generator().manual_seed(5), CaptureSetup(),
                            CaptureJitter(roughness_curve=(0.5, 0.5)))[0]
    torch.testing.assert_close(squared, rooted)
    plain = render_capture(_with_roughness(maps, 0.5), torch.Generator().manual_seed(5), CaptureSetup())[0]
    assert float((plain - squared).abs().max()) > 0.05


def test_exposure_range_scales_the_photos() -> None:
    maps = generate_batch(2, 32, seed=3)
    quiet = dict(noise=(0.0, 0.0), white_balance=0.0)
    dark = render_capture(maps, torch.Generator().manual_seed(5), CaptureSetup(),
                          CaptureJitter(exposure=(0.3, 0.3), **quiet))[0]
    bright = render_capture(maps, torch.Generator().manual_seed(5), CaptureSetup(),
                            CaptureJitter(exposure=(1.2, 1.2), **quiet))[0]
    assert float(dark.mean()) < 0.8 * float(bright.mean())


def test_linear_share_stores_the_same_photo_without_its_gamma() -> None:
    maps = generate_batch(2, 32, seed=3)
    encoded = render_capture(maps, torch.Generator().manual_seed(5), CaptureSetup())[0]
    linear = render_capture(maps, torch.Generator().manual_seed(5), CaptureSetup(), CaptureJitter(linear_share=1.0))[0]
    # same light, exposure and noise draws: the encoded photo is the linear one to the power 1 / gamma
    inside = (linear > 0.02) & (linear < 0.98)
    assert int(inside.sum()) > 100
    exponent = encoded[inside].log() / linear[inside].log()
    assert float(exponent.max() - exponent.min()) < 1e-3
    assert 1 / 2.8 - 1e-4 <= float(exponent.mean()) <= 1 / 2.0 + 1e-4
    # no linear photos asked for: the random stream, and so every photo, is as before
    unasked = render_capture(maps, torch.Generator().manual_seed(5), CaptureSetup(), CaptureJitter(linear_share=0.0))[0]
    assert torch.equal(unasked, encoded)


def test_auto_exposure_meters_bright_and_dark_materials_to_the_same_range() -> None:
    from texforge.server.material.procedural import AUTO_EXPOSURE_MEAN
    maps = generate_batch(4, 32, seed=3)
    bright = SVBRDF(maps.normal, torch.full_like(maps.diffuse, 0.8), maps.roughness, maps.specular)
    dark = SVBRDF(maps.normal, torch.full_like(maps.diffuse, 0.03), maps.roughness, maps.specular)
    quiet = dict(noise=(0.0, 0.0), white_balance=0.0, gamma=(1.0, 1.0))
    calibrated = [render_capture(m, torch.Generator().manual_seed(5), CaptureSetup(), CaptureJitter(**quiet))[0]
                  for m in (bright, dark)]
    metered = [render_capture(m, torch.Generator().manual_seed(5), CaptureSetup(),
                              CaptureJitter(auto_exposure_share=1.0, **quiet))[0] for m in (bright, dark)]
    # calibrated, the photo's brightness follows the albedo; metered, it does not
    assert float(calibrated[0].mean()) > 2.5 * float(calibrated[1].mean())
    for photo in metered:
        means = photo.clamp(0, 1).mean(dim=(1, 2, 3))
        assert bool((means > 0.8 * AUTO_EXPOSURE_MEAN[0]).all()) and bool((means < 1.05 * AUTO_EXPOSURE_MEAN[1]).all())
    # no auto-exposure asked for: the random stream, and so every photo, is as before
    unasked = render_capture(bright, torch.Generator().manual_seed(5), CaptureSetup(),
                             CaptureJitter(auto_exposure_share=0.0, **quiet))[0]
    assert torch.equal(unasked, calibrated[0])


def fine_band_share(image: torch.Tensor, period_px: float) -> float:
    """Share of ``image``'s (1, C, H, W) variance at spatial periods of ``period_px`` or finer."""
    spectrum = torch.fft.fft2(image - image.mean(dim=(2, 3), keepdim=True)).abs() ** 2
    f = torch.fft.fftfreq(image.shape[-1])
    radius = (f[:, None] ** 2 + f[None, :] ** 2).sqrt()
    return float(spectrum[..., radius >= 1 / period_px].sum() / spectrum.sum().clamp_min(1e-12))


def test_a_print_is_fine_reproducible_and_changes_what_the_surface_looks_like_not_its_relief() -> None:
    base = batch_material(seed=3, index=0, size=128)
    prints = [printed(base, torch.Generator().manual_seed(seed)) for seed in range(12)]
    again = printed(base, torch.Generator().manual_seed(5))
    assert torch.equal(again.stacked(), prints[5].stacked())
    coarsest = PRINT_PERIOD_PX[1] * 1.5
    for item in prints:
        assert torch.equal(item.normal, base.normal)
        for t in (item.diffuse, item.roughness, item.specular):
            assert t.min() >= 0 and t.max() <= 1
    # the albedo gains fine pattern (a print in places, or in an ink close to the base, gains less)
    gains = [fine_band_share(item.diffuse, coarsest) - fine_band_share(base.diffuse, coarsest) for item in prints]
    assert min(gains) > 0 and sum(gain > 0.1 for gain in gains) >= 10
    # some prints are coloured ink (albedo only), some metallic foil (its own F0 and roughness)
    foil = [not torch.equal(item.specular, base.specular) for item in prints]
    assert 0 < sum(foil) < len(foil)
    for item, is_foil in zip(prints, foil, strict=True):
        if not is_foil:
            assert torch.equal(item.roughness, base.roughness)


def test_a_capture_without_its_guide_has_the_same_flash_photos() -> None:
    maps = generate_batch(2, 32, 3)
    flash, guide, fov = render_capture_with_fov(maps, torch.Generator().manual_seed(5), CaptureSetup())
    alone, none, fov_alone = render_capture_with_fov(maps, torch.Generator().manual_seed(5), CaptureSetup(), guide=False)
    assert guide is not None and none is None
    assert torch.equal(flash, alone) and torch.equal(fov, fov_alone)
