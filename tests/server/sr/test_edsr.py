from __future__ import annotations

from pathlib import Path

import pytest

from texforge.server.sr.archs import get_family
from texforge.server.sr.archs.edsr import EDSRParams

from ._roundtrip import assert_round_trip


@pytest.mark.parametrize("scale", [2, 4])
@pytest.mark.parametrize("params", [EDSRParams(features=8, blocks=1), EDSRParams(features=16, blocks=2, residual_scale=0.1)])
def test_round_trip(scale: int, params: EDSRParams, tmp_path: Path) -> None:
    assert_round_trip("edsr", scale, params, tmp_path)


def test_infer_recovers_shape_hyperparameters() -> None:
    family = get_family("edsr")
    params = EDSRParams(features=16, blocks=2)
    assert family.infer(family.build(4, params).state_dict()) == (4, params)
