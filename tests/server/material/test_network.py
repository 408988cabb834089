"""Network: shapes at odd sizes, valid outputs, hyper-parameter JSON round trip."""

from __future__ import annotations

import pytest
import torch

from texforge.server.material.network import MaterialNet, NetworkConfig


@pytest.mark.parametrize("shots", [1, 2])
@pytest.mark.parametrize("size", [(37, 53), (64, 64), (17, 9)])
def test_output_shapes_and_ranges(shots: int, size: tuple[int, int]) -> None:
    torch.manual_seed(0)
    net = MaterialNet(NetworkConfig(in_channels=3 * shots, base_channels=4, max_channels=16, depth=3, global_dim=8))
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
