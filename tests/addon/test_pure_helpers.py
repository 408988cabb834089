"""bpy-free helpers of the add-on: pixels, specular conversion, texture roles, jobs."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from .pure_modules import load

pixels = load("pixels")
specular = load("specular")
roles = load("texture_roles")
jobs = load("jobs")


def test_rows_flip_between_blender_and_wire(rng: np.random.Generator) -> None:
    rgba = rng.uniform(0, 1, (3, 5, 4)).astype(np.float32)
    flat = pixels.rows_to_flat(rgba)
    assert np.array_equal(flat.reshape(3, 5, 4)[0], rgba[-1])  # Blender's row 0 is the bottom
    assert np.array_equal(pixels.flat_to_rows(flat, 5, 3), rgba)


def test_premultiply_round_trip_keeps_transparent_pixels_finite(rng: np.random.Generator) -> None:
    rgba = rng.uniform(0, 1, (4, 4, 4)).astype(np.float32)
    rgba[0, 0, 3] = 0.0
    back = pixels.unpremultiply(pixels.premultiply(rgba))
    assert np.all(np.isfinite(back))
    assert np.allclose(back[1:], rgba[1:], atol=1e-5)


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float32"])
def test_wire_encoding_round_trips(dtype: str, rng: np.random.Generator) -> None:
    rgba = rng.uniform(0, 1, (4, 6, 4)).astype(np.float32)
    wire = pixels.encode_for_wire(rgba, pixels.WireEncoding(dtype, "srgb", 4))
    assert wire.dtype == np.dtype(dtype) and wire.shape == (4, 6, 4)
    assert np.allclose(pixels.decode_from_wire(wire), rgba, atol=1 / 255)


def test_rgb_and_gray_results_become_opaque_rgba() -> None:
    gray = np.full((2, 2, 1), 0.25, np.float32)
    assert pixels.to_rgba(gray)[0, 0].tolist() == [0.25, 0.25, 0.25, 1.0]
    assert pixels.decode_from_wire(np.zeros((2, 2, 3), np.uint8))[0, 0, 3] == 1.0


def test_srgb_transfer_round_trips() -> None:
    values = np.linspace(0, 1, 101, dtype=np.float32)
    assert np.allclose(pixels.linear_to_srgb(pixels.srgb_to_linear(values)), values, atol=1e-5)


def test_byte_photos_travel_as_they_are() -> None:
    flash, guide = np.full((4, 4, 3), 200, np.uint8), np.full((4, 4, 3), 90, np.uint8)
    sent_flash, sent_guide, linear = pixels.photos_for_wire(flash, guide)
    assert sent_flash is flash and sent_guide is guide and not linear


def test_a_float_photo_makes_the_pair_travel_as_linear_light() -> None:
    # an EXR flash photo (linear, a hotspot above 1) next to an 8-bit guide: both go linear, the
    # float values unclipped and unrounded, the bytes decoded from sRGB
    flash = np.array([[[0.02, 0.5, 1.5]]], np.float32).repeat(4, 0).repeat(4, 1)
    guide = np.full((4, 4, 3), 188, np.uint8)
    sent_flash, sent_guide, linear = pixels.photos_for_wire(flash, guide)
    assert linear and sent_flash.dtype == np.float32 and sent_guide.dtype == np.float32
    assert np.array_equal(sent_flash, flash)
    assert sent_guide[0, 0, 0] == pytest.approx(0.5029, abs=1e-3)  # sRGB 188/255 is linear 0.503
    assert pixels.photos_for_wire(flash, None)[1:] == (None, True)


def test_normal_map_detector() -> None:
    flat_normal = np.zeros((8, 8, 3), np.float32) + (0.5, 0.5, 1.0)
    assert pixels.looks_like_normal_map(flat_normal)
    assert not pixels.looks_like_normal_map(np.full((8, 8, 3), 0.5, np.float32))


def test_dielectric_specular_keeps_ior_15_and_half_level() -> None:
    f0 = np.full((4, 4, 3), 0.04, np.float32)
    inputs = specular.specular_inputs(pixels.linear_to_srgb(f0))
    assert inputs.ior == pytest.approx(1.5, abs=1e-3)
    assert np.allclose(inputs.level, 0.5, atol=1e-3)
    assert np.allclose(inputs.tint, 1.0, atol=1e-3)


def test_specular_conversion_reproduces_f0(rng: np.random.Generator) -> None:
    f0 = rng.uniform(0.0, 0.6, (8, 8, 3)).astype(np.float32)
    inputs = specular.specular_inputs(pixels.linear_to_srgb(f0))
    base = ((inputs.ior - 1) / (inputs.ior + 1)) ** 2
    rebuilt = base * 2 * inputs.level[..., None] * pixels.srgb_to_linear(inputs.tint)
    assert np.allclose(rebuilt, f0, atol=2e-3)
    assert inputs.level.max() <= 1.0


def facts(**changes) -> object:
    base = dict(name="bricks.png", is_data=False, is_float=False, file_format="PNG", feeds_normal_map=False,
                has_alpha=False, pixels_look_like_normals=False)
    return roles.TextureFacts(**{**base, **changes})


def test_roles_from_usage_name_and_look() -> None:
    assert roles.texture_role(facts()) is roles.TextureRole.COLOR
    assert roles.texture_role(facts(is_data=True)) is roles.TextureRole.DATA
    assert roles.texture_role(facts(feeds_normal_map=True)) is roles.TextureRole.NORMAL
    assert roles.texture_role(facts(name="wall_nrm.png", is_data=True)) is roles.TextureRole.NORMAL
    assert roles.texture_role(facts(is_data=True, pixels_look_like_normals=True)) is roles.TextureRole.NORMAL
    assert roles.texture_role(facts(name="abnormality.png", is_data=True)) is roles.TextureRole.DATA


def test_wire_encoding_follows_depth_and_role() -> None:
    assert roles.wire_encoding(facts(has_alpha=True), roles.TextureRole.COLOR) == pixels.WireEncoding("uint8", "srgb", 4)
    assert roles.wire_encoding(facts(is_float=True), roles.TextureRole.COLOR) == pixels.WireEncoding("float32", "linear", 3)
    assert roles.wire_encoding(facts(is_float=True, is_data=True), roles.TextureRole.DATA).dtype == "uint16"
    assert roles.wire_encoding(facts(is_float=True, file_format="OPEN_EXR"), roles.TextureRole.NORMAL).dtype == "float32"
    assert roles.wire_encoding(facts(has_alpha=True), roles.TextureRole.NORMAL).channels == 3


def test_upscaled_name_drops_the_extension() -> None:
    assert roles.upscaled_name("bricks.png", 4) == "bricks_x4"
    assert roles.upscaled_name("decal", 2) == "decal_x2"


def test_background_job_applies_on_poll_only() -> None:
    release = threading.Event()
    applied = []
    job = jobs.Job("demo", lambda progress, cancel: (release.wait(5), 42)[1], lambda result: applied.append(result) or "ok")
    runner = jobs.JobRunner()
    runner.start(job)
    assert runner.poll() == [] and job.state is jobs.JobState.RUNNING
    release.set()
    job._finished.wait(5)
    assert runner.poll() == [job] and applied == [42] and job.message == "ok"
    assert runner.active() == []


def test_failed_work_explains_itself_and_applies_nothing() -> None:
    def broken(progress, cancel):
        raise ConnectionError("server gone")
    applied = []
    job = jobs.JobRunner().start(jobs.Job("demo", broken, applied.append, explain=lambda e: f"explained {e}"),
                                 synchronous=True)
    assert job.state is jobs.JobState.FAILED and job.message == "demo: explained server gone"
    assert applied == []


def test_cancelled_job_never_applies() -> None:
    def cancelled_by_server(progress, cancel):
        cancel.set()
        raise RuntimeError("cancelled")
    applied = []
    job = jobs.JobRunner().start(jobs.Job("demo", cancelled_by_server, applied.append), synchronous=True)
    assert job.state is jobs.JobState.CANCELLED and applied == []


def test_progress_fraction() -> None:
    job = jobs.Job("demo", lambda p, c: None, lambda r: "")
    job.report_progress(3, 4, "tiles")
    assert job.fraction == 0.75 and job.stage == "tiles"
