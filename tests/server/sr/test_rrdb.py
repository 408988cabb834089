from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import torch

from texforge.server.contract import JobContext, UpscaleRequest
from texforge.server.sr.archs import detect_family, get_family
from texforge.server.sr.archs.rrdb import RRDBParams
from texforge.server.sr.community import CommunityModelError, load_community_upscaler

from ._roundtrip import assert_round_trip

SMALL = RRDBParams(features=8, blocks=1, growth=4)


@pytest.mark.parametrize("scale", [2, 4])
@pytest.mark.parametrize("params", [SMALL, RRDBParams(features=8, blocks=2, growth=8)])
def test_round_trip(scale: int, params: RRDBParams, tmp_path: Path) -> None:
    assert_round_trip("rrdb", scale, params, tmp_path, size=(12, 16))


def _esrgan_keys(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename BasicSR keys to the original ESRGAN repository's layout."""
    renamed = {}
    for key, value in state_dict.items():
        key = key.replace("conv_body.", "trunk_conv.").replace("conv_up1.", "upconv1.")
        key = key.replace("conv_up2.", "upconv2.").replace("conv_hr.", "HRconv.")
        if key.startswith("body."):
            index, rdb, rest = key[5:].split(".", 2)
            key = f"RRDB_trunk.{index}.RDB{rdb[-1]}.{rest}"
        renamed[key] = value
    return renamed


def test_plain_esrgan_pth_loads_without_spandrel(tmp_path: Path) -> None:
    network = get_family("rrdb").build(4, SMALL).eval()
    path = tmp_path / "RRDB_ESRGAN_x4.pth"
    torch.save(_esrgan_keys(network.state_dict()), path)
    upscaler = load_community_upscaler(path)
    assert upscaler.descriptor.architecture == "rrdb" and upscaler.descriptor.scales == (4,)
    image = torch.rand(1, 3, 10, 12)
    with torch.inference_mode():
        torch.testing.assert_close(upscaler.network(image), network(image))
    result = upscaler.upscale(UpscaleRequest.of((image[0].permute(1, 2, 0).numpy() * 255).astype("uint8"), scale=4), JobContext())
    assert result.shape == (40, 48, 3)


def test_params_ema_wrapper_is_unwrapped(tmp_path: Path) -> None:
    network = get_family("rrdb").build(2, SMALL).eval()
    path = tmp_path / "RealESRGAN_x2.pth"
    torch.save({"params_ema": network.state_dict()}, path)
    assert load_community_upscaler(path).descriptor.scales == (2,)


def test_detects_old_arch_layout() -> None:
    state_dict = _esrgan_keys(get_family("rrdb").build(4, SMALL).state_dict())
    assert detect_family(state_dict).name == "rrdb"


def test_unknown_architecture_without_spandrel_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "mystery.pth"
    torch.save({"weird.weight": torch.zeros(3)}, path)
    with pytest.raises(CommunityModelError, match="spandrel"):
        load_community_upscaler(path)


def test_pickled_objects_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.pth"
    torch.save({"created": datetime.datetime(2020, 1, 1), "weight": torch.zeros(1)}, path)
    with pytest.raises(CommunityModelError):
        load_community_upscaler(path)
