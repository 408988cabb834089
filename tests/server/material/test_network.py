"""Network: shapes at odd sizes, valid outputs, hyper-parameter JSON round trip."""

from __future__ import annotations

import pytest
import torch

from texforge.server.material.network import (
    MaterialNet,
    NetworkConfig,
    half_fov_tangent,
    load_grown_state,
    view_code,
    view_planes,
)


@pytest.mark.parametrize("shots", [1, 2])
@pytest.mark.parametrize("size", [(37, 53), (64, 64), (17, 9)])
@pytest.mark.parametrize("photo_skip", [0, 1])
def test_output_shapes_and_ranges(shots: int, size: tuple[int, int], photo_skip: int) -> None:
    torch.manual_seed(0)
    net = MaterialNet(NetworkConfig(in_channels=3 * shots, base_channels=4, max_channels=16, depth=3, global_dim=8,
                                    photo_skip=photo_skip))
    with torch.no_grad():
        out = net(torch.rand(2, 3 * shots, *size))
    assert out.normal.shape == (2, 3, *size)
    assert out.diffuse.shape == (2, 3, *size) and out.specular.shape == (2, 3, *size)
    assert out.roughness.shape == (2, 1, *size)
    assert torch.allclose(out.normal.norm(dim=1), torch.ones(2, *size), atol=1e-5)
    assert out.diffuse.min() >= 0 and out.diffuse.max() <= 1


def test_config_json_round_trip_and_validation() -> None:
    config = NetworkConfig(in_channels=6, base_channels=8, depth=4)
    assert NetworkConfig.from_json(config.to_json()) == config
    with pytest.raises(ValueError, match="in_channels"):
        NetworkConfig.from_json('{"in_channels": 5}')

    with pytest.raises(ValueError, match="photo_skip"):
        NetworkConfig.from_json('{"photo_skip": 2}')
    assert NetworkConfig.from_json('{"in_channels": 3}').photo_skip == 0  # files from before the skip
    with pytest.raises(ValueError, match="fov_input"):
        NetworkConfig.from_json('{"fov_input": 3}')
    assert NetworkConfig.from_json(NetworkConfig(fov_input=1).to_json()).fov_input == 1
    with pytest.raises(ValueError, match="view_input"):
        NetworkConfig.from_json('{"view_input": 2}')
    assert NetworkConfig.from_json(NetworkConfig(view_input=1).to_json()).view_input == 1


def _tiny(photo_skip: int, fov_input: int = 0, view_input: int = 0) -> MaterialNet:
    return MaterialNet(NetworkConfig(base_channels=4, max_channels=8, depth=2, global_dim=8, photo_skip=photo_skip,
                                     fov_input=fov_input, view_input=view_input))


def test_grown_photo_skip_net_starts_equal_then_uses_the_photo() -> None:
    torch.manual_seed(0)
    source, grown = _tiny(0), _tiny(1)
    load_grown_state(grown, source)
    photo = torch.rand(1, 3, 16, 16)
    with torch.no_grad():
        assert torch.allclose(grown(photo).stacked(), source(photo).stacked(), atol=1e-6)
        # the extra head inputs are the photo itself: weighting them changes the maps
        grown.head.weight[:, -3:] = 0.5
        assert not torch.allclose(grown(photo).diffuse, source(photo).diffuse, atol=1e-3)


def test_growing_rejects_nets_of_another_shape() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        load_grown_state(_tiny(0), MaterialNet(NetworkConfig(base_channels=8, max_channels=8, depth=2, global_dim=8)))


def test_a_one_shot_net_grows_into_a_two_shot_net_that_starts_by_ignoring_the_guide() -> None:
    torch.manual_seed(0)
    source = _tiny(1)
    grown = MaterialNet(NetworkConfig(in_channels=6, base_channels=4, max_channels=8, depth=2, global_dim=8,
                                      photo_skip=1))
    load_grown_state(grown, source)
    flash, guide = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16)
    with torch.no_grad():
        assert torch.allclose(grown(torch.cat([flash, guide], dim=1)).stacked(), source(flash).stacked(), atol=1e-6)
        assert torch.allclose(grown(torch.cat([flash, 1 - guide], dim=1)).stacked(), source(flash).stacked(), atol=1e-6)
        grown.stem.weight[:, 3:] = 0.3  # once the guide is weighted, it matters
        assert not torch.allclose(grown(torch.cat([flash, guide], dim=1)).diffuse, source(flash).diffuse, atol=1e-3)


def test_a_net_grown_to_read_the_field_of_view_starts_equal_then_tells_fields_of_view_apart() -> None:
    torch.manual_seed(5)
    source, grown = _tiny(1), _tiny(1, fov_input=1)
    load_grown_state(grown, source)
    photo = torch.rand(2, 3, 16, 16)
    narrow, wide = torch.full((2,), half_fov_tangent(25.0, 16, 16)), torch.full((2,), half_fov_tangent(70.0, 16, 16))
    with torch.no_grad():
        for tangents in (None, narrow, wide):
            assert torch.allclose(grown(photo, tangents).stacked(), source(photo).stacked(), atol=1e-6)
        grown.fov_embed.weight.normal_()
        assert not torch.allclose(grown(photo, narrow).stacked(), grown(photo, wide).stacked(), atol=1e-4)
        # untold is its own code, whatever the photo's real field of view
        assert torch.allclose(grown(photo, torch.zeros(2)).stacked(), grown(photo).stacked())
        # a net without the input ignores the field of view
        assert torch.equal(source(photo, narrow).stacked(), source(photo, wide).stacked())


def test_a_net_grown_to_read_view_directions_starts_equal_then_reads_them_per_pixel() -> None:
    torch.manual_seed(6)
    source, grown = _tiny(1), _tiny(1, view_input=1)
    load_grown_state(grown, source)
    photo = torch.rand(2, 3, 20, 24)  # not a multiple of the net's 4: the planes are padded with the photo
    narrow, wide = torch.full((2,), half_fov_tangent(25.0, 20, 24)), torch.full((2,), half_fov_tangent(70.0, 20, 24))
    with torch.no_grad():
        for tangents in (None, narrow, wide):
            assert torch.allclose(grown(photo, tangents).stacked(), source(photo).stacked(), atol=1e-6)
        grown.view_stem.weight.normal_()
        assert not torch.allclose(grown(photo, narrow).stacked(), grown(photo, wide).stacked(), atol=1e-4)
        assert torch.allclose(grown(photo, torch.zeros(2)).stacked(), grown(photo).stacked())


def test_view_planes_hold_each_pixel_centres_view_tangent_and_zero_when_unknown() -> None:
    planes = view_planes(torch.tensor([1.0, 0.0]), 2, 4)  # 90 degrees across the longer side, then unknown
    assert planes.shape == (2, 3, 2, 4)
    # pixel centres at -0.75 .. 0.75 of the half-width across; +y up, half the height of the width
    assert planes[0, 0, 0].tolist() == pytest.approx([-0.75, -0.25, 0.25, 0.75])
    assert planes[0, 1, :, 0].tolist() == pytest.approx([0.25, -0.25])
    assert torch.equal(planes[0, 2], torch.ones(2, 4))
    assert torch.equal(planes[1], torch.zeros(3, 2, 4))


def test_half_fov_tangent_is_taken_across_the_longer_side() -> None:
    assert half_fov_tangent(None, 30, 40) == 0.0
    assert half_fov_tangent(90.0, 40, 40) == pytest.approx(1.0)
    # a portrait photo: the horizontal field of view spans the shorter side
    assert half_fov_tangent(90.0, 80, 40) == pytest.approx(2.0)
    assert half_fov_tangent(90.0, 40, 80) == pytest.approx(1.0)
    assert view_code(torch.tensor([0.0, 0.5])).tolist() == [[0.0, 0.0], [1.0, 0.5]]
