"""Full-resolution detail from the photo: the band above the working size reaches the maps, the
lighting does not, normals stay unit length; and the measures the benches report it with."""

from __future__ import annotations

import numpy as np
import torch

from texforge.server.contract import JobContext, MaterialRequest
from texforge.server.material.detail import NO_DETAIL, DetailGains, add_photo_detail, photo_band
from texforge.server.material.imaging import luminance
from texforge.server.material.metrics import border_band, chroma, high_band_fraction, radial_profile
from texforge.server.material.models import HeuristicMaterialModel
from texforge.server.material.procedural import batch_material_and_kind
from texforge.server.material.render import SVBRDF, linear_to_srgb
from texforge.server.material.scales import low_pass

SIZE = 256
WORKING = (32, 32)


def falloff_photo_with_grain(size: int = SIZE, grain: float = 0.3) -> tuple[torch.Tensor, torch.Tensor]:
    """A display-encoded photo: smooth flash falloff times a fine 4-px checker of albedo; and the checker."""
    t = torch.linspace(-1, 1, size)
    yy, xx = torch.meshgrid(t, t, indexing="ij")
    falloff = 0.6 / (1 + 0.8 * (xx ** 2 + yy ** 2))
    checker = ((torch.arange(size)[:, None] // 2 + torch.arange(size)[None, :] // 2) % 2).float() * 2 - 1
    linear = falloff * (grain * checker).exp() * 0.5
    return linear_to_srgb(linear.expand(1, 3, size, size).clone()), checker


def flat_maps(size: int = SIZE) -> SVBRDF:
    normal = torch.zeros(1, 3, size, size)
    normal[:, 2] = 1
    return SVBRDF(normal, torch.full((1, 3, size, size), 0.4), torch.full((1, 1, size, size), 0.5),
                  torch.full((1, 3, size, size), 0.04))


def test_no_gains_leave_the_maps_as_they_are() -> None:
    photo, _ = falloff_photo_with_grain()
    maps = flat_maps()
    assert add_photo_detail(maps, photo, WORKING, NO_DETAIL) is maps


def test_the_band_holds_the_fine_grain_and_not_the_flash_falloff() -> None:
    photo, checker = falloff_photo_with_grain()
    band = luminance(photo_band(photo, WORKING, smoothing=0.0))[0, 0]
    assert float(torch.corrcoef(torch.stack([band.flatten(), checker.flatten()]))[0, 1]) > 0.9
    # the falloff (a factor of 1.8 from centre to corner) is gone: the band's low band is about zero
    assert float(low_pass(band[None, None], WORKING).abs().max()) < 0.05


def test_albedo_takes_the_photo_grain_with_its_gain() -> None:
    photo, checker = falloff_photo_with_grain()
    maps = flat_maps()
    detailed = add_photo_detail(maps, photo, WORKING, DetailGains(albedo=0.6, specular=0.0, roughness=0.0, normal=0.0))
    assert high_band_fraction(detailed.diffuse) > 0.5 > high_band_fraction(maps.diffuse)
    ratio = (detailed.diffuse[0, 0] / maps.diffuse[0, 0]).log()
    assert float(torch.corrcoef(torch.stack([ratio.flatten(), checker.flatten()]))[0, 1]) > 0.9
    # multiplicative detail around the estimate: its local mean stays the estimate's
    assert abs(float(detailed.diffuse.mean()) - 0.4) < 0.02
    assert torch.equal(detailed.specular, maps.specular) and torch.equal(detailed.roughness, maps.roughness)


def test_the_gains_carry_the_band_floor_they_were_fitted_with() -> None:
    photo, _ = falloff_photo_with_grain()
    maps = flat_maps()
    low = add_photo_detail(maps, photo, WORKING, DetailGains(0.6, 0.0, 0.0, 0.0, floor=0.05))
    high = add_photo_detail(maps, photo, WORKING, DetailGains(0.6, 0.0, 0.0, 0.0, floor=1.5))
    # a higher floor damps the log-ratio of this dim photo: the same gain hands on less grain
    assert float(high.diffuse.std()) < 0.5 * float(low.diffuse.std())
    assert DetailGains(0.0, 0.0, 0.0, 0.0, floor=1.5).off and not DetailGains(0.0, 0.0, 0.0, 0.1).off


def test_relief_from_the_photo_keeps_normals_unit_length_and_dark_lines_read_as_grooves() -> None:
    size = 128
    linear = torch.full((1, 3, size, size), 0.3)
    linear[:, :, :, 62:66] = 0.05  # a dark vertical line
    photo = linear_to_srgb(linear)
    detailed = add_photo_detail(flat_maps(size), photo, (16, 16), DetailGains(0.0, 0.0, 0.0, normal=2.0))
    length = detailed.normal.norm(dim=1)
    assert torch.allclose(length, torch.ones_like(length), atol=1e-4)
    # a groove: left of it the surface falls towards +x (normal leans -x), right of it it rises
    assert float(detailed.normal[0, 0, size // 2, 60]) > 0.05 > -0.05 > float(detailed.normal[0, 0, size // 2, 67])


def test_full_resolution_estimates_follow_the_photo_grain() -> None:
    photo, _ = falloff_photo_with_grain(512)
    array = (photo[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    model = HeuristicMaterialModel()
    request = MaterialRequest.of(array)
    model.detail = NO_DETAIL
    plain = model.estimate(request, JobContext())["albedo"]
    model.detail = DetailGains(albedo=0.6, specular=0.0, roughness=0.0, normal=0.0)
    detailed = model.estimate(request, JobContext())["albedo"]

    def energy(a: np.ndarray) -> float:
        return high_band_fraction(torch.from_numpy(a).permute(2, 0, 1)[None])
    # the heuristic's 192 px albedo holds only an aliased trace of the 4-px grain
    assert energy(detailed) > 5 * energy(plain)


def test_high_band_fraction_tells_noise_from_smooth_images() -> None:
    noise = torch.rand(1, 1, 128, 128, generator=torch.Generator().manual_seed(0))
    t = torch.linspace(0, 1, 128)
    ramp = (t[None, :] + t[:, None])[None, None]
    assert high_band_fraction(noise) > 0.9
    assert high_band_fraction(ramp) < 0.01


def test_border_band_and_radial_profile_read_one_on_a_uniform_image_and_see_a_bright_rim() -> None:
    uniform = torch.full((1, 3, 64, 64), 0.5)
    assert abs(border_band(uniform) - 1) < 1e-6
    assert all(abs(v - 1) < 1e-6 for v in radial_profile(uniform))
    rim = torch.full((1, 3, 64, 64), 0.8)
    rim[:, :, 4:-4, 4:-4] = 0.5
    assert border_band(rim) > 1.1
    hotspot = uniform.clone()
    hotspot[:, :, 28:36, 28:36] = 0.9
    assert radial_profile(hotspot)[0] > 1.2


def test_chroma_of_grey_is_a_third_each() -> None:
    assert torch.allclose(chroma(torch.full((1, 3, 4, 4), 0.2)), torch.full((1, 3), 1 / 3))


def test_large_generated_materials_carry_fine_grain_and_small_ones_are_unchanged() -> None:
    small, small_metal = batch_material_and_kind(7, 0, 128, 0.5)
    large, large_metal = batch_material_and_kind(7, 0, 512, 0.5)
    assert small_metal == large_metal
    down = torch.nn.functional.interpolate(large.diffuse, size=(128, 128), mode="area")
    # the grain averages out at 128 px, so the large material is the small one plus fine detail
    assert float((down - small.diffuse).abs().mean()) < 0.03
    assert high_band_fraction(large.normal[:, :2].norm(dim=1, keepdim=True)) > \
        high_band_fraction(torch.nn.functional.interpolate(small.normal, size=(512, 512), mode="bilinear")[:, :2]
                           .norm(dim=1, keepdim=True))
