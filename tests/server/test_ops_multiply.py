"""The multiply and seamless ops: image names, limits before any allocation, seeds, result names."""

from __future__ import annotations

import numpy as np
import pytest

from texforge.protocol import ErrorCode, Limits, NamedImage, ProtocolError, Request
from texforge.server.contract import JobContext
from texforge.server.multiply import PatchSynthesisModel
from texforge.server.ops import PREPARERS
from texforge.server.registry import ModelRegistry
from texforge.server.sr.upscaler import BicubicUpscaler


@pytest.fixture
def registry() -> ModelRegistry:
    registry = ModelRegistry()
    registry.add(BicubicUpscaler())
    registry.add(PatchSynthesisModel())
    return registry


def texture(size: tuple[int, int] = (24, 32), channels: int = 3, dtype: type = np.uint8) -> np.ndarray:
    rng = np.random.default_rng(0)
    return (rng.random((*size, channels)) * 200).astype(dtype)


def multiply_request(args: dict, **maps: np.ndarray) -> Request:
    images = [NamedImage("image", texture())] + [NamedImage(f"map:{name}", array, "data") for name, array in maps.items()]
    return Request("multiply", args, images)


def refused(request: Request, registry: ModelRegistry, limits: Limits | None = None) -> ProtocolError:
    with pytest.raises(ProtocolError) as excinfo:
        PREPARERS[request.op](request, registry, limits or Limits())
    return excinfo.value


def test_too_many_output_pixels_are_refused_before_anything_runs(registry: ModelRegistry) -> None:
    error = refused(multiply_request({"size": [8192, 8192], "count": 5}), registry)
    assert error.code == ErrorCode.TOO_LARGE and "output pixels" in error.message
    small = Limits(max_output_pixels=100 * 100)
    assert PREPARERS["multiply"](multiply_request({"size": [100, 100]}), registry, small).model == "patch-synthesis"
    assert refused(multiply_request({"size": [100, 100], "count": 2}), registry, small).code == ErrorCode.TOO_LARGE


def test_too_many_result_images_are_refused(registry: ModelRegistry) -> None:
    maps = {name: texture() for name in ("normal", "height", "roughness", "ao")}
    error = refused(multiply_request({"count": 16}, **maps), registry)
    assert error.code == ErrorCode.TOO_LARGE and "80 result images" in error.message


@pytest.mark.parametrize("name", ["map:bump", "flash", "map:"])
def test_unknown_image_names_are_bad_requests(registry: ModelRegistry, name: str) -> None:
    request = Request("multiply", {}, [NamedImage("image", texture()), NamedImage(name, texture())])
    error = refused(request, registry)
    assert error.code == ErrorCode.BAD_REQUEST and name in error.message


def test_maps_must_match_the_image_and_the_image_is_required(registry: ModelRegistry) -> None:
    error = refused(multiply_request({}, normal=texture((24, 30))), registry)
    assert error.code == ErrorCode.BAD_REQUEST and "map 'normal' is 30x24" in error.message
    assert "needs an image named 'image'" in refused(Request("seamless", {}, []), registry).message
    assert "not a multiply model" in refused(multiply_request({"model": "bicubic"}), registry).message


def test_a_missing_seed_is_chosen_by_the_server_and_kept_in_the_job(registry: ModelRegistry) -> None:
    prepared = PREPARERS["multiply"](multiply_request({"count": 2}), registry, Limits())
    seed = prepared.request.args.seed
    assert isinstance(seed, int) and prepared.request.seeds == (seed, seed + 1)
    given = PREPARERS["multiply"](multiply_request({"seed": 9}), registry, Limits())
    assert given.request.seeds == (9,)


def test_a_multiply_job_returns_variations_and_their_maps_named_by_index(registry: ModelRegistry) -> None:
    request = multiply_request({"count": 2, "size": [40, 20], "seed": 3, "tileable": True},
                               height=texture(channels=1, dtype=np.uint16))
    images, data = PREPARERS["multiply"](request, registry, Limits()).run(JobContext())
    assert [image.name for image in images] == ["variation_1", "variation_1_height", "variation_2", "variation_2_height"]
    assert [image.colorspace for image in images] == ["srgb", "data", "srgb", "data"]
    assert images[1].array.shape == (20, 40, 1) and images[1].array.dtype == np.uint16
    assert data["seeds"] == [3, 4] and data["size"] == [40, 20] and len(data["variation_seconds"]) == 2


def test_a_seamless_job_returns_the_request_names(registry: ModelRegistry) -> None:
    request = Request("seamless", {"border": 0.3}, [NamedImage("image", texture()),
                                                      NamedImage("map:normal", texture(), "data")])
    prepared = PREPARERS["seamless"](request, registry, Limits())
    images, data = prepared.run(JobContext())
    assert [(image.name, image.array.shape) for image in images] == [("image", (24, 32, 3)), ("map:normal", (24, 32, 3))]
    assert data["border"] == 0.3 and "border 0.3" in prepared.summary
