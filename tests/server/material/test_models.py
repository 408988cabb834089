"""Model adapters: MaterialModel conventions, dtypes, sizes, tileable, progress, cancellation."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from texforge.server.contract import MATERIAL_MAPS, JobCancelled, JobContext, MaterialRequest
from texforge.server.material.models import HeuristicMaterialModel
from texforge.server.material.procedural import generate_batch, render_capture
from texforge.server.material.render import CaptureSetup
from texforge.server.weight_files import shipped_material_models


def _flash_photo(size: int = 64) -> np.ndarray:
    maps = generate_batch(1, size, seed=4)
    flash, _ = render_capture(maps, torch.Generator().manual_seed(0), CaptureSetup())
    return flash[0].permute(1, 2, 0).numpy().astype(np.float32)


def _check_conventions(maps: dict[str, np.ndarray], shape: tuple[int, int]) -> None:
    assert tuple(maps) == MATERIAL_MAPS
    for name, array in maps.items():
        assert array.dtype == np.float32
        assert array.shape[:2] == shape
        assert array.shape[2] == (1 if name in ("glossiness", "roughness") else 3)
        assert array.min() >= 0 and array.max() <= 1
    normal = maps["normal"] * 2 - 1
    assert np.allclose(np.linalg.norm(normal, axis=2), 1, atol=1e-3)
    assert (normal[..., 2] > 0).all()
    assert np.allclose(maps["roughness"], 1 - maps["glossiness"], atol=1e-6)


def test_descriptor() -> None:
    model = HeuristicMaterialModel()
    assert model.descriptor.kind == "material"
    assert model.descriptor.inputs == ("flash",)


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float16", "float32"])
def test_heuristic_conventions_for_every_dtype(dtype: str) -> None:
    photo = _flash_photo()
    if dtype == "uint8":
        photo = (photo * 255).round().astype(np.uint8)
    elif dtype == "uint16":
        photo = (photo * 65535).round().astype(np.uint16)
    else:
        photo = photo.astype(dtype)
    alpha = np.zeros(photo.shape[:2] + (1,), photo.dtype)
    with_alpha = np.concatenate([photo, alpha], axis=2)
    maps = HeuristicMaterialModel().estimate(MaterialRequest.of(with_alpha), JobContext())
    _check_conventions(maps, (64, 64))


def test_output_size_keeps_aspect_and_tileable_maps_wrap() -> None:
    photo = np.ascontiguousarray(_flash_photo(64)[:, :48])
    request = MaterialRequest.of(photo, size=100, tileable=True)
    maps = HeuristicMaterialModel().estimate(request, JobContext())
    _check_conventions(maps, (100, 75))
    albedo = maps["albedo"]
    edge_jump = np.abs(albedo[0] - albedo[-1]).mean()
    inner_jump = np.abs(albedo[49] - albedo[50]).mean()
    assert edge_jump < 3 * inner_jump + 0.02


def test_progress_is_reported_and_cancellation_stops() -> None:
    stages: list[str] = []
    context = JobContext(progress_callback=lambda done, total, stage: stages.append(stage))
    HeuristicMaterialModel().estimate(MaterialRequest.of(_flash_photo(), refine_steps=3), context)
    assert stages.count("refine") == 3 and "predict" in stages
    cancelled = JobContext(cancel_event=threading.Event())
    cancelled.cancel_event.set()
    with pytest.raises(JobCancelled):
        HeuristicMaterialModel().estimate(MaterialRequest.of(_flash_photo()), cancelled)


def test_bad_photo_raises_value_error() -> None:
    with pytest.raises(ValueError, match="shape"):
        HeuristicMaterialModel().estimate(MaterialRequest.of(np.zeros((8, 8, 5), np.uint8)), JobContext())


def test_shipped_loader_always_offers_the_heuristic() -> None:
    models = shipped_material_models("cpu")
    names = [m.descriptor.name for m in models]
    assert names[-1] == "heuristic"
    assert len(set(names)) == len(names)


def test_capture_for_keeps_the_irradiance_at_the_sample_centre() -> None:
    from texforge.server.material.render import capture_for

    default = CaptureSetup()
    assert capture_for(default, None) is default
    narrow = capture_for(default, 25.0)
    assert narrow.fov_degrees == 25.0 and narrow.camera_distance > 2 * default.camera_distance
    assert narrow.light_intensity / narrow.camera_distance ** 2 == pytest.approx(
        default.light_intensity / default.camera_distance ** 2)


def test_heuristic_divides_out_the_falloff_of_the_requested_field_of_view() -> None:
    photo = np.full((48, 48, 3), 0.5, np.float32)  # evenly lit: no flash falloff left in it

    def corner_to_centre(fov: float | None) -> float:
        albedo = HeuristicMaterialModel().estimate(MaterialRequest.of(photo, fov_degrees=fov), JobContext())["albedo"]
        return float(albedo[:4, :4].mean() / albedo[22:26, 22:26].mean())

    # a wide lens sees a strong falloff towards the corners, so an even photo means brighter corners
    assert corner_to_centre(75.0) > corner_to_centre(25.0) > 1.0
    assert corner_to_centre(60.0) == pytest.approx(corner_to_centre(None))


def test_refinement_renders_with_the_requested_field_of_view(monkeypatch: pytest.MonkeyPatch) -> None:
    from texforge.server.material import pipeline

    seen: list[CaptureSetup] = []

    def spy(svbrdf, photo, setup, steps, context=None, settings=None):  # noqa: ANN001, ANN202
        seen.append(setup)
        return svbrdf

    monkeypatch.setattr(pipeline, "refine_svbrdf", spy)
    request = MaterialRequest.of(_flash_photo(32), refine_steps=2, fov_degrees=30.0)
    HeuristicMaterialModel().estimate(request, JobContext())
    assert len(seen) == 1 and seen[0].fov_degrees == 30.0


def test_a_network_with_a_field_of_view_input_is_told_the_requested_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from texforge.server.material import network
    from texforge.server.material.models import NeuralMaterialModel

    torch.manual_seed(3)
    net = network.MaterialNet(network.NetworkConfig(base_channels=4, max_channels=8, depth=2, global_dim=8,
                                                    photo_skip=1, fov_input=1))
    with torch.no_grad():
        net.fov_embed.weight.normal_()
    seen: list[torch.Tensor | None] = []
    forward = network.MaterialNet.forward

    def spy(self, photos, tangents=None):  # noqa: ANN001, ANN202
        seen.append(tangents)
        return forward(self, photos, tangents)

    monkeypatch.setattr(network.MaterialNet, "forward", spy)
    model = NeuralMaterialModel(net, CaptureSetup(), {"crop_size": 16}, "fov-net", symmetries=(0, 4))
    photo = np.ascontiguousarray(_flash_photo(32)[:, :24])  # portrait: the longer side is the height

    def albedo(fov: float | None) -> np.ndarray:
        seen.clear()
        return model.estimate(MaterialRequest.of(photo, fov_degrees=fov), JobContext())["albedo"]

    narrow = albedo(25.0)
    assert seen and all(t is not None and torch.allclose(t, torch.tensor(float(np.tan(np.radians(12.5))) * 32 / 24))
                        for t in seen)
    assert not np.allclose(narrow, albedo(70.0), atol=1e-4)
    untold = albedo(None)
    assert all(t is not None and float(t.abs().max()) == 0.0 for t in seen)
    assert not np.allclose(untold, narrow, atol=1e-4)


def test_a_linear_photo_told_so_gives_the_maps_of_its_display_encoded_self() -> None:
    encoded = _flash_photo()
    linear = encoded ** CaptureSetup().gamma
    model = HeuristicMaterialModel()
    reference = model.estimate(MaterialRequest.of(encoded, size=48), JobContext())
    told = model.estimate(MaterialRequest.of(linear, size=48, linear_photo=True), JobContext())
    untold = model.estimate(MaterialRequest.of(linear, size=48), JobContext())
    for name in MATERIAL_MAPS:
        np.testing.assert_allclose(told[name], reference[name], atol=1e-4)
    assert float(np.abs(untold["albedo"] - reference["albedo"]).mean()) > 0.05
