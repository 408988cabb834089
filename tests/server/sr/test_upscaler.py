from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

from texforge.server.contract import JobContext, UpscaleRequest
from texforge.server.registry import ModelRegistry
from texforge.server.sr.upscaler import BicubicUpscaler
from texforge.server.sr.weights import save_network
from texforge.server.weight_files import shipped_upscalers

from .conftest import tiny_fastsr


def test_bicubic_descriptor_and_any_scale(rng: np.random.Generator) -> None:
    upscaler = BicubicUpscaler()
    assert upscaler.descriptor.name == "bicubic" and upscaler.descriptor.architecture == "bicubic"
    assert upscaler.descriptor.scales == (2, 4) and upscaler.descriptor.kind == "upscale"
    image = (rng.random((6, 5, 3)) * 255).astype(np.uint8)
    assert upscaler.upscale(UpscaleRequest.of(image, scale=3), JobContext()).shape == (18, 15, 3)


def test_bicubic_keeps_flat_images_flat() -> None:
    image = np.full((8, 8, 3), 77, np.uint8)
    np.testing.assert_array_equal(BicubicUpscaler().upscale(UpscaleRequest.of(image, scale=4), JobContext()), 77)


def test_shipped_upscalers_pair_sharp_partners(tmp_path: Path) -> None:
    for name, scale in (("fast-x2", 2), ("fast-x4", 4), ("fast-x4-sharp", 4)):
        loaded = tiny_fastsr(scale)
        save_network(tmp_path / f"{name}.safetensors", loaded.network, loaded.family, scale, loaded.hparams,
                     {"validation": {"psnr_y": 1.0}})
    save_file({"weight": torch.zeros(2)}, tmp_path / "material-1shot.safetensors", metadata={"texforge.arch": "unet"})
    upscalers = shipped_upscalers("cpu", tmp_path)
    registry = ModelRegistry()
    for upscaler in upscalers:
        registry.add(upscaler)
    assert [d.name for d in registry.descriptors()] == ["fast-x2", "fast-x4"]
    assert [d.detail for d in registry.descriptors()] == [False, True]
    assert registry.get("fast-x4").descriptor.card == {"validation": {"psnr_y": 1.0}}
    assert registry.get("fast-x4").descriptor.to_wire()["scales"] == [4]


def test_package_weights_folder_is_found() -> None:
    from texforge.server.weight_files import WEIGHTS_DIR

    assert WEIGHTS_DIR.name == "weights" and WEIGHTS_DIR.parent.name == "server"
