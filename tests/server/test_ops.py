"""The ops validate requests and choose models before a job is queued."""

from __future__ import annotations

import numpy as np
import pytest

from texforge.protocol import ErrorCode, Limits, NamedImage, ProtocolError, Request
from texforge.server.contract import ModelDescriptor
from texforge.server.ops import PREPARERS
from texforge.server.ops.common import select_model
from texforge.server.ops.material import prepare as parse_material
from texforge.server.ops.upscale import prepare as parse_upscale
from texforge.server.registry import DuplicateModelError, ModelRegistry
from texforge.server.sr.upscaler import BicubicUpscaler


class FakeModel:
    def __init__(self, name: str, kind: str, scales: tuple[int, ...] = (), inputs: tuple[str, ...] = ("image",)):
        self.descriptor = ModelDescriptor(name=name, kind=kind, architecture="fake", scales=scales, inputs=inputs)

    def upscale(self, request, context):
        raise NotImplementedError

    def estimate(self, request, context):
        raise NotImplementedError

    def field_of_view(self, request):
        return 60.0


@pytest.fixture
def registry() -> ModelRegistry:
    registry = ModelRegistry()
    registry.add(FakeModel("fast-x4", "upscale", (4,)), default=True)
    registry.add(FakeModel("fast-x2", "upscale", (2,)))
    registry.add(BicubicUpscaler())
    registry.add(FakeModel("one", "material", inputs=("flash",)))
    registry.add(FakeModel("two", "material", inputs=("flash", "guide")))
    return registry


def upscale_request(**args) -> Request:
    return Request("upscale", args, [NamedImage("image", np.zeros((8, 8, 3), np.uint8))])


def test_default_model_follows_the_scale(registry: ModelRegistry) -> None:
    assert parse_upscale(upscale_request(scale=4), registry, Limits()).model == "fast-x4"
    assert parse_upscale(upscale_request(scale=2), registry, Limits()).model == "fast-x2"


def test_guide_selects_a_two_shot_model_by_default(registry: ModelRegistry) -> None:
    images = [NamedImage("flash", np.zeros((8, 8, 3), np.uint8)), NamedImage("guide", np.zeros((8, 8, 3), np.uint8))]
    prepared = parse_material(Request("material", {}, images), registry, Limits())
    assert prepared.model == "two" and prepared.request.guide is not None
    with pytest.raises(ProtocolError, match="1-shot"):
        parse_material(Request("material", {"model": "one"}, images), registry, Limits())


def test_guide_aligned_is_a_boolean_argument(registry: ModelRegistry) -> None:
    images = [NamedImage("flash", np.zeros((8, 8, 3), np.uint8)), NamedImage("guide", np.zeros((8, 8, 3), np.uint8))]
    assert not parse_material(Request("material", {}, images), registry, Limits()).request.args.guide_aligned
    assert parse_material(Request("material", {"guide_aligned": True}, images), registry, Limits()).request.args.guide_aligned
    with pytest.raises(ProtocolError, match="guide_aligned"):
        parse_material(Request("material", {"guide_aligned": "yes"}, images), registry, Limits())


@pytest.mark.parametrize("args,code", [
    ({"scale": 3, "model": "fast-x2"}, ErrorCode.BAD_REQUEST),
    ({"model": "missing"}, ErrorCode.UNKNOWN_MODEL),
    ({"model": "one"}, ErrorCode.BAD_REQUEST),
    ({"scale": True}, ErrorCode.BAD_REQUEST),
    ({"detail": -0.1, "model": "bicubic"}, ErrorCode.BAD_REQUEST),
    ({"size": [0, 10], "model": "bicubic"}, ErrorCode.BAD_REQUEST),
    ({"size": [100000, 100000], "model": "bicubic"}, ErrorCode.TOO_LARGE),
    ({"tileable": "yes", "model": "bicubic"}, ErrorCode.BAD_REQUEST),
])
def test_bad_upscale_arguments(registry: ModelRegistry, args: dict, code: ErrorCode) -> None:
    with pytest.raises(ProtocolError) as excinfo:
        parse_upscale(upscale_request(**args), registry, Limits())
    assert excinfo.value.code == code


def test_output_size_limit(registry: ModelRegistry) -> None:
    with pytest.raises(ProtocolError) as excinfo:
        parse_upscale(upscale_request(scale=4, model="bicubic"), registry, Limits(max_output_pixels=1000))
    assert excinfo.value.code == ErrorCode.TOO_LARGE


def test_unexpected_image_names_are_refused(registry: ModelRegistry) -> None:
    request = Request("upscale", {}, [NamedImage("picture", np.zeros((4, 4, 3), np.uint8))])
    with pytest.raises(ProtocolError, match="picture"):
        parse_upscale(request, registry, Limits())


def test_registry_rejects_duplicates_and_changes_nothing(registry: ModelRegistry) -> None:
    before = [d.name for d in registry.descriptors()]
    with pytest.raises(DuplicateModelError):
        registry.add(FakeModel("fast-x2", "upscale", (2,)))
    assert [d.name for d in registry.descriptors()] == before
    assert select_model(registry, "upscale", None, 2).descriptor.name == "fast-x2"


def flash_request(**args) -> Request:
    return Request("material", args, [NamedImage("flash", np.zeros((8, 8, 3), np.uint8))])


def test_field_of_view_is_optional_and_numbers_of_either_kind_are_taken(registry: ModelRegistry) -> None:
    assert parse_material(flash_request(), registry, Limits()).request.args.fov_degrees is None
    assert parse_material(flash_request(fov_degrees=24), registry, Limits()).request.args.fov_degrees == 24.0
    assert parse_material(flash_request(fov_degrees=65.5), registry, Limits()).request.args.fov_degrees == 65.5


@pytest.mark.parametrize("fov", [0.0, 4.9, 120.5, 180, "60", True])
def test_field_of_view_outside_its_range_or_not_a_number_is_refused(registry: ModelRegistry, fov) -> None:
    with pytest.raises(ProtocolError, match="fov_degrees") as excinfo:
        parse_material(flash_request(fov_degrees=fov), registry, Limits())
    assert excinfo.value.code == ErrorCode.BAD_REQUEST


def test_every_queued_op_has_a_preparer() -> None:
    from texforge.protocol.constants import QUEUED_OPS

    assert set(PREPARERS) == set(QUEUED_OPS)


def test_a_request_for_the_wrong_kind_of_model_says_so_in_english(registry: ModelRegistry) -> None:
    with pytest.raises(ProtocolError, match="is a material model, not an upscale model"):
        parse_upscale(upscale_request(model="one"), registry, Limits())
