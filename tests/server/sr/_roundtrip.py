"""The spandrel-style round trip every family test runs: build, save, detect, load, compare."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from texforge.server.sr.archs import detect_family, get_family
from texforge.server.sr.weights import load_network, read_safetensors, save_network


def assert_round_trip(family_name: str, scale: int, hparams: Any, tmp_path: Path, size: tuple[int, int] = (13, 17)) -> None:
    """Build, run, save, reload (by metadata and by detection) and compare outputs."""
    family = get_family(family_name)
    network = family.build(scale, hparams).eval()
    image = torch.rand(1, 3, *size)
    with torch.inference_mode():
        expected = network(image)
    assert expected.shape == (1, 3, size[0] * scale, size[1] * scale)
    assert torch.isfinite(expected).all()

    path = tmp_path / f"{family_name}-x{scale}.safetensors"
    save_network(path, network, family, scale, hparams, {"note": "test"})
    loaded = load_network(path)
    assert (loaded.family.name, loaded.scale, loaded.hparams) == (family_name, scale, hparams)
    assert loaded.card == {"note": "test"}
    with torch.inference_mode():
        torch.testing.assert_close(loaded.network(image), expected)

    tensors, _metadata = read_safetensors(path)
    assert detect_family(tensors) is family
    inferred_scale, _inferred = family.infer(tensors)
    assert inferred_scale == scale
