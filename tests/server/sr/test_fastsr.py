from __future__ import annotations

from pathlib import Path

import pytest
import torch

from texforge.server.sr.archs import get_family
from texforge.server.sr.archs.fast import FastSRParams

from ._roundtrip import assert_round_trip


@pytest.mark.parametrize("scale", [2, 4])
@pytest.mark.parametrize("params", [FastSRParams(features=8, blocks=1), FastSRParams(features=12, blocks=3)])
def test_round_trip(scale: int, params: FastSRParams, tmp_path: Path) -> None:
    assert_round_trip("fastsr", scale, params, tmp_path)


def test_infer_recovers_hyperparameters() -> None:
    family = get_family("fastsr")
    params = FastSRParams(features=12, blocks=3)
    assert family.infer(family.build(4, params).state_dict()) == (4, params)


def test_starts_near_nearest_neighbour() -> None:
    network = get_family("fastsr").build(2, FastSRParams(features=8, blocks=1)).eval()
    image = torch.rand(1, 3, 8, 8)
    nearest = torch.nn.functional.interpolate(image, scale_factor=2, mode="nearest")
    with torch.inference_mode():
        assert (network(image) - nearest).abs().mean() < 0.1


def test_rejects_unsupported_scale() -> None:
    with pytest.raises(ValueError, match="8"):
        get_family("fastsr").build(8, FastSRParams())


def test_deeper_network_grown_from_a_shallower_one_starts_near_it() -> None:
    family = get_family("fastsr")
    torch.manual_seed(0)
    shallow = family.build(4, FastSRParams(features=16, blocks=1)).eval()
    with torch.no_grad():  # a "trained" shallow net: its residual branch matters
        shallow.body[0].conv2.weight.normal_(0, 0.2)
    deep = family.build(4, FastSRParams(features=16, blocks=4)).eval()
    deep.load_state_dict(shallow.state_dict(), strict=False)
    image = torch.rand(1, 3, 12, 12)
    nearest = torch.nn.functional.interpolate(image, scale_factor=4, mode="nearest")
    with torch.inference_mode():
        reference = shallow(image)
        learned_detail = (reference - nearest).abs().mean()
        # the added blocks are near identity: they change the output by a small part of its detail
        assert (deep(image) - reference).abs().mean() < 0.1 * learned_detail
