from __future__ import annotations

from pathlib import Path

import pytest
import torch

from texforge.server.sr.archs import get_family
from texforge.server.sr.archs.srcae import SRCAEParams

from ._roundtrip import assert_round_trip


@pytest.mark.parametrize("scale", [2, 4])
@pytest.mark.parametrize("params", [SRCAEParams(features=8, depth=1), SRCAEParams(features=8, depth=2, clip=False)])
def test_round_trip(scale: int, params: SRCAEParams, tmp_path: Path) -> None:
    # 13 x 17 is not a multiple of 2**depth: forward pads and crops.
    assert_round_trip("srcae", scale, params, tmp_path)


def test_infer_recovers_depth_and_scale() -> None:
    family = get_family("srcae")
    params = SRCAEParams(features=8, depth=2)
    scale, inferred = family.infer(family.build(4, params).state_dict())
    assert (scale, inferred.depth, inferred.features) == (4, 2, 8)


def test_clipping_keeps_output_in_range() -> None:
    network = get_family("srcae").build(2, SRCAEParams(features=8, depth=1, clip=True)).eval()
    with torch.inference_mode():
        output = network(torch.rand(1, 3, 8, 8) * 4 - 2)
    assert output.min() >= 0 and output.max() <= 1
