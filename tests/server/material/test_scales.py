"""Two-scale estimation: reflectance read at the training scale, detail and normals at the working size."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from texforge.server.contract import JobContext, MaterialRequest
from texforge.server.material.closure import NO_CLOSURE
from texforge.server.material.imaging import svbrdf_to_arrays
from texforge.server.material.models import NeuralMaterialModel
from texforge.server.material.network import MaterialNet, NetworkConfig
from texforge.server.material.pipeline import self_ensemble
from texforge.server.material.render import SVBRDF, CaptureSetup, linear_to_srgb
from texforge.server.material.scales import fuse_scales, low_pass
from texforge.server.material.weights import training_crop_size


def _constant(size: int, diffuse: float, roughness: float, specular: float, tilt: float = 0.0) -> SVBRDF:
    normal = F.normalize(torch.tensor([tilt, 0.0, 1.0]), dim=0).reshape(1, 3, 1, 1).expand(1, 3, size, size)
    return SVBRDF(normal.contiguous(), torch.full((1, 3, size, size), diffuse),
                  torch.full((1, 1, size, size), roughness), torch.full((1, 3, size, size), specular))


def test_flat_maps_take_the_context_reflectance_and_the_detail_normals() -> None:
    context = _constant(8, diffuse=0.2, roughness=0.3, specular=0.04)
    detail = _constant(32, diffuse=0.5, roughness=0.7, specular=0.5, tilt=0.3)
    fused = fuse_scales(context, detail)
    assert fused.shape == (1, 32, 32)
    assert torch.allclose(fused.diffuse, torch.full_like(fused.diffuse, 0.2), atol=1e-4)
    assert torch.allclose(fused.specular, torch.full_like(fused.specular, 0.04), atol=1e-4)
    assert torch.allclose(fused.roughness, torch.full_like(fused.roughness, 0.3), atol=1e-5)
    assert torch.equal(fused.normal, detail.normal)


def test_fine_detail_of_the_working_size_estimate_is_kept() -> None:
    context = _constant(8, diffuse=0.2, roughness=0.3, specular=0.04)
    detail = _constant(32, diffuse=0.3, roughness=0.5, specular=0.04)
    checker = ((torch.arange(32)[:, None] // 2 + torch.arange(32)[None] // 2) % 2).float()
    detail = SVBRDF(detail.normal, detail.diffuse * (1 + 0.5 * checker), detail.roughness + 0.1 * checker,
                    detail.specular)
    fused = fuse_scales(context, detail)

    def high(x: torch.Tensor) -> torch.Tensor:
        return x - low_pass(x, (8, 8))

    assert torch.allclose(high(fused.roughness), high(detail.roughness), atol=1e-5)
    assert torch.allclose(high(linear_to_srgb(fused.diffuse)), high(linear_to_srgb(detail.diffuse)), atol=1e-4)
    assert float(high(fused.roughness).abs().mean()) > 0.04  # the checker survived
    assert torch.allclose(low_pass(fused.roughness, (8, 8)), torch.full((1, 1, 32, 32), 0.3), atol=1e-5)


def test_estimates_of_the_same_size_are_not_fused() -> None:
    context = _constant(16, diffuse=0.2, roughness=0.3, specular=0.04)
    assert fuse_scales(context, _constant(16, diffuse=0.6, roughness=0.9, specular=0.5)) is context


def _tiny_model(crop_size: int | None) -> NeuralMaterialModel:
    torch.manual_seed(0)
    net = MaterialNet(NetworkConfig(base_channels=4, max_channels=8, depth=2, global_dim=8, photo_skip=1))
    card = {} if crop_size is None else {"crop_size": crop_size}
    return NeuralMaterialModel(net, CaptureSetup(), card, "tiny")


def test_neural_model_reads_the_photo_again_at_its_training_scale() -> None:
    model = _tiny_model(crop_size=16)
    model.working_side = 48
    model.closure = NO_CLOSURE  # compared with the network's own readings
    photo = np.random.default_rng(1).random((48, 48, 3), dtype=np.float32)
    maps = model.estimate(MaterialRequest.of(photo), JobContext())

    photos = torch.from_numpy(photo).permute(2, 0, 1)[None]
    with torch.no_grad():
        detail = self_ensemble(model.net, photos)
        context = self_ensemble(model.net, F.interpolate(photos, size=(16, 16), mode="bilinear", antialias=True))
    expected = svbrdf_to_arrays(fuse_scales(context, detail))
    single = svbrdf_to_arrays(detail)
    for name in ("albedo", "specular", "roughness", "normal"):
        assert np.allclose(maps[name], expected[name], atol=2e-3), name
    assert np.abs(maps["albedo"] - single["albedo"]).max() > 0.01  # the second reading changed the maps

    model.context_side = 0
    assert np.allclose(model.estimate(MaterialRequest.of(photo), JobContext())["albedo"], single["albedo"], atol=2e-3)


def test_training_crop_size_comes_from_the_card() -> None:
    assert _tiny_model(crop_size=None).context_side == 128
    assert _tiny_model(crop_size=64).context_side == 64
    assert training_crop_size({"crop_size": 32}) == 32
    for bad in ("128", 4, 12.5):
        with pytest.raises(ValueError, match="crop_size"):
            training_crop_size({"crop_size": bad})
