"""A tiny train-then-infer run writes a loadable model; resume continues the step count."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open

from texforge.server.contract import MATERIAL_MAPS, JobContext, MaterialRequest
from texforge.server.material import train
from texforge.server.material.align import AlignmentError
from texforge.server.material.losses import map_losses
from texforge.server.material.models import NeuralMaterialModel
from texforge.server.material.procedural import generate_batch
from texforge.server.material.render import SVBRDF
from texforge.server.training import loop
from texforge.server.training.checkpoint import RAW_WEIGHTS_PREFIX
from texforge.server.training.schedule import set_learning_rate


def _args(out: Path, shots: int, steps: int, resume: bool = False, *extra: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    train.add_arguments(parser)
    argv = ["--out", str(out), "--shots", str(shots), "--steps", str(steps), "--batch", "2", "--crop", "32",
            "--base-channels", "4", "--max-channels", "8", "--depth", "2", "--global-dim", "8",
            "--val-every", "2", "--renders", "2", "--threads", "1"]
    return parser.parse_args(argv + (["--resume"] if resume else []) + list(extra))


def test_train_writes_loadable_model_and_resumes(tmp_path: Path) -> None:
    out = tmp_path / "m.safetensors"
    assert train.run(_args(out, 1, 2)) == 0
    assert train.run(_args(out, 1, 3, resume=True)) == 0
    with safe_open(str(out), framework="pt") as handle:
        card = json.loads(handle.metadata()["card"])
    assert card["steps"] == 3 and "generated" in card["validation"] and card["crop_size"] == 32
    assert [stage["steps"] for stage in card["stages"]] == [3]  # the resumed stage is updated, not appended
    model = NeuralMaterialModel.from_file(out)
    photo = np.random.default_rng(0).random((40, 30, 3), dtype=np.float32)
    maps = model.estimate(MaterialRequest.of(photo), JobContext())
    assert tuple(maps) == MATERIAL_MAPS and maps["albedo"].shape == (40, 30, 3)


def test_two_shot_model_needs_a_guide(tmp_path: Path) -> None:
    out = tmp_path / "m2.safetensors"
    assert train.run(_args(out, 2, 1)) == 0
    model = NeuralMaterialModel.from_file(out)
    assert model.descriptor.inputs == ("flash", "guide")
    photo = np.random.default_rng(0).random((32, 32, 3), dtype=np.float32)
    try:
        model.estimate(MaterialRequest.of(photo), JobContext())
    except ValueError as error:
        assert "guide" in str(error)
    else:
        raise AssertionError("a 2-shot model without a guide must raise ValueError")


def test_two_shot_guide_declared_aligned_is_used_as_it_is(tmp_path: Path) -> None:
    out = tmp_path / "m2.safetensors"
    assert train.run(_args(out, 2, 1)) == 0
    model = NeuralMaterialModel.from_file(out)
    rng = np.random.default_rng(0)
    flash, unrelated = rng.random((64, 64, 3), dtype=np.float32), rng.random((64, 64, 3), dtype=np.float32)
    with pytest.raises(AlignmentError, match="guide_aligned"):
        model.estimate(MaterialRequest.of(flash, guide=unrelated), JobContext())
    maps = model.estimate(MaterialRequest.of(flash, guide=unrelated, guide_aligned=True), JobContext())
    assert maps["albedo"].shape == (64, 64, 3)
    with pytest.raises(ValueError, match="aligned guide photo must have the flash photo's size 64x64"):
        model.estimate(MaterialRequest.of(flash, guide=unrelated[:, :48], guide_aligned=True), JobContext())


def test_fine_tune_starts_from_init_weights_with_rmse_map_loss(tmp_path: Path) -> None:
    base = tmp_path / "base.safetensors"
    assert train.run(_args(base, 1, 2)) == 0
    tuned = tmp_path / "tuned.safetensors"
    assert train.run(_args(tuned, 1, 1, False, "--init", str(base), "--map-loss", "rmse", "--lr", "0")) == 0
    with safe_open(str(base), framework="pt") as a, safe_open(str(tuned), framework="pt") as b:
        # lr 0: one step from the init weights must leave them unchanged (a fresh net would differ)
        assert all(torch.equal(a.get_tensor(k), b.get_tensor(k)) for k in a.keys())
        card = json.loads(b.metadata()["card"])
    assert card["steps"] == 1 and card["init"] == "base.safetensors"
    assert [stage["steps"] for stage in card["stages"]] == [2, 1]  # the base's stage carried on


def test_bf16_forward_trains_and_is_noted_in_the_card(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loop, "cpu_has_native_bf16", lambda: True)  # the bf16 path, on any CPU
    out = tmp_path / "bf16.safetensors"
    assert train.run(_args(out, 1, 1, False, "--bf16")) == 0
    with safe_open(str(out), framework="pt") as handle:
        assert all(handle.get_tensor(k).dtype == torch.float32 for k in handle.keys())
        assert json.loads(handle.metadata()["card"])["hardware"].endswith("bf16 autocast")


def test_rmse_map_loss_is_the_root_mean_square_error() -> None:
    target = generate_batch(1, 16, seed=3)
    shifted = SVBRDF(target.normal, (target.diffuse + 0.1).clamp(0, 1), target.roughness, target.specular)
    l1 = map_losses(shifted, target, "l1")
    rmse = map_losses(shifted, target, "rmse")
    assert float(rmse["normal"]) < 1e-3 and float(rmse["roughness"]) < 1e-3
    assert float(rmse["albedo"]) >= float(l1["albedo"]) > 0.0
    with pytest.raises(ValueError, match="map loss"):
        map_losses(shifted, target, "huber")


def test_strip_rmse_map_loss_scores_albedo_and_specular_linear() -> None:
    target = generate_batch(1, 16, seed=3)
    off = SVBRDF(target.normal, (target.diffuse + 0.1).clamp(0, 1), target.roughness, (target.specular * 1.5).clamp(0, 1))
    strip = map_losses(off, target, "rmse-strip")
    for name, mine, truth in (("albedo", off.diffuse, target.diffuse), ("specular", off.specular, target.specular)):
        linear_error = float(((mine - truth) ** 2).mean().sqrt())
        assert abs(float(strip[name]) - linear_error) < 1e-4
    assert float(strip["roughness"]) < 1e-3


def test_weight_average_saves_the_average_and_resumes_the_trained_weights(tmp_path: Path) -> None:
    out = tmp_path / "ema.safetensors"
    assert train.run(_args(out, 1, 2, False, "--ema", "0.75")) == 0
    state = out.with_name("ema.state.safetensors")
    with safe_open(str(out), framework="pt") as a, safe_open(str(state), framework="pt") as s:
        averaged = {k: a.get_tensor(k) for k in a.keys()}
        trained = {k: s.get_tensor(RAW_WEIGHTS_PREFIX + k) for k in a.keys()}
        assert json.loads(a.metadata()["card"])["weight_average"].endswith("decay 0.75")
    assert any(not torch.equal(averaged[k], trained[k]) for k in averaged)
    # lr 0 keeps the trained weights still, so one more step moves the average exactly a quarter towards them
    assert train.run(_args(out, 1, 3, True, "--ema", "0.75", "--lr", "0")) == 0
    with safe_open(str(out), framework="pt") as a:
        for name, value in averaged.items():
            expected = value + 0.25 * (trained[name] - value) if value.is_floating_point() else value
            torch.testing.assert_close(a.get_tensor(name), expected)


def test_capture_ranges_change_the_photos_not_the_labels(tmp_path: Path) -> None:
    plain = _args(tmp_path / "a.safetensors", 1, 1)
    curved = _args(tmp_path / "a.safetensors", 1, 1, False, "--roughness-curve", "1.5", "1.5",
                   "--exposure", "0.3", "0.5", "--fov", "20", "25")
    setup = train.CaptureSetup()
    plain_photos, plain_maps, _ = train.training_batch(train.MaterialTrainConfig.from_namespace(plain), 0, setup)
    curved_photos, curved_maps, _ = train.training_batch(train.MaterialTrainConfig.from_namespace(curved), 0, setup)
    assert torch.equal(plain_maps.stacked(), curved_maps.stacked())
    assert not torch.allclose(plain_photos, curved_photos)
    assert train.capture_jitter(curved).exposure == (0.3, 0.5)
    assert train.capture_jitter(curved).fov_degrees == (20.0, 25.0)
    linear = train.MaterialTrainConfig.from_namespace(_args(tmp_path / "a.safetensors", 1, 1, False,
                                                            "--linear-share", "1"))
    assert linear.jitter.linear_share == 1.0
    assert "stored linear (gamma 1)" in train._data_description(linear)
    linear_photos, linear_maps, _ = train.training_batch(linear, 0, setup)
    assert torch.equal(plain_maps.stacked(), linear_maps.stacked())
    assert float(linear_photos.mean()) < float(plain_photos.mean())  # x < x ** (1 / gamma) below 1


@pytest.mark.parametrize(("option", "low", "high"), [("--exposure", "2", "1"), ("--roughness-curve", "2", "1"),
                                                     ("--fov", "60", "40"), ("--fov", "0", "40"), ("--fov", "20", "180")])
def test_bad_capture_range_is_refused_before_training(tmp_path: Path, option: str, low: str, high: str) -> None:
    out = tmp_path / "never.safetensors"
    with pytest.raises(ValueError, match=option):
        train.run(_args(out, 1, 1, False, option, low, high))
    assert not out.exists()


@pytest.mark.parametrize("share", ["-0.1", "1.5"])
def test_bad_linear_share_is_refused_before_training(tmp_path: Path, share: str) -> None:
    out = tmp_path / "never.safetensors"
    with pytest.raises(ValueError, match="--linear-share"):
        train.run(_args(out, 1, 1, False, "--linear-share", share))
    assert not out.exists()


def test_plain_share_swaps_in_uniform_surfaces_and_leaves_the_other_items_alone(tmp_path: Path) -> None:
    setup = train.CaptureSetup()
    none = train.MaterialTrainConfig.from_namespace(_args(tmp_path / "a.safetensors", 1, 1, False, "--batch", "8"))
    every = train.MaterialTrainConfig.from_namespace(
        _args(tmp_path / "a.safetensors", 1, 1, False, "--batch", "8", "--plain-share", "1"))
    half = train.MaterialTrainConfig.from_namespace(
        _args(tmp_path / "a.safetensors", 1, 1, False, "--batch", "8", "--plain-share", "0.5"))
    patterned = train.training_batch(none, 3, setup).maps
    plain = train.training_batch(every, 3, setup).maps
    mixed = train.training_batch(half, 3, setup).maps
    # a plain surface's albedo varies by a few percent at most; the patterned ones by far more
    spread = plain.diffuse.std(dim=(2, 3)) / plain.diffuse.mean(dim=(2, 3)).clamp_min(1e-3)
    assert float(spread.max()) < 0.1 < float((patterned.diffuse.std(dim=(2, 3))
                                              / patterned.diffuse.mean(dim=(2, 3)).clamp_min(1e-3)).max())
    kept = [torch.equal(a, b) for a, b in zip(mixed.stacked(), patterned.stacked(), strict=True)]
    assert 0 < sum(kept) < len(kept)
    with pytest.raises(ValueError, match="--plain-share"):
        train.MaterialTrainConfig.from_namespace(_args(tmp_path / "a.safetensors", 1, 1, False, "--plain-share", "2"))


def test_print_share_prints_over_some_items_and_leaves_the_others_alone(tmp_path: Path) -> None:
    setup = train.CaptureSetup()
    none = train.MaterialTrainConfig.from_namespace(_args(tmp_path / "a.safetensors", 1, 1, False, "--batch", "8"))
    half = train.MaterialTrainConfig.from_namespace(
        _args(tmp_path / "a.safetensors", 1, 1, False, "--batch", "8", "--print-share", "0.5"))
    plain = train.training_batch(none, 3, setup).maps
    mixed = train.training_batch(half, 3, setup).maps
    kept = [torch.equal(a, b) for a, b in zip(mixed.stacked(), plain.stacked(), strict=True)]
    assert 0 < sum(kept) < len(kept)
    for index, same in enumerate(kept):
        if not same:  # a print changes what the surface looks like, never its relief
            assert torch.equal(mixed.normal[index], plain.normal[index])
    assert "printed over" in train._data_description(half)
    with pytest.raises(ValueError, match="--print-share"):
        train.MaterialTrainConfig.from_namespace(_args(tmp_path / "a.safetensors", 1, 1, False, "--print-share", "-1"))


def test_emboss_share_photographs_some_batches_supersampled_with_widened_roughness_labels(tmp_path: Path) -> None:
    setup = train.CaptureSetup()
    none = train.MaterialTrainConfig.from_namespace(_args(tmp_path / "a.safetensors", 1, 1, False))
    every = train.MaterialTrainConfig.from_namespace(
        _args(tmp_path / "a.safetensors", 1, 1, False, "--emboss-share", "1"))
    plain, embossed = train.training_batch(none, 3, setup), train.training_batch(every, 3, setup)
    assert embossed.photos.shape == plain.photos.shape
    assert torch.allclose(embossed.maps.diffuse, plain.maps.diffuse, atol=1e-6)  # embossing is relief only
    assert bool((embossed.maps.roughness >= plain.maps.roughness - 1e-6).all())
    assert float((embossed.maps.roughness - plain.maps.roughness).mean()) > 0.005
    assert not torch.equal(embossed.photos, plain.photos)
    assert "embossed finer than a pixel" in train._data_description(every)
    assert "embossed" not in train._data_description(none)
    with pytest.raises(ValueError, match="--emboss-share"):
        train.MaterialTrainConfig.from_namespace(_args(tmp_path / "a.safetensors", 1, 1, False, "--emboss-share", "2"))


def test_view_input_grows_from_a_net_without_it_and_trains_at_its_own_rate(tmp_path: Path) -> None:
    plain, grown = tmp_path / "plain.safetensors", tmp_path / "grown.safetensors"
    assert train.run(_args(plain, 1, 1, False, "--photo-skip")) == 0
    assert train.run(_args(grown, 1, 2, False, "--photo-skip", "--view-input", "--view-lr-scale", "10",
                           "--init", str(plain))) == 0
    model = NeuralMaterialModel.from_file(grown)
    assert model.net.config.view_input == 1 and model.net.view_stem.weight.abs().max() > 0
    groups = train.parameter_groups(model.net, 10.0)
    assert [len(g["params"]) for g in groups][1] == 1 and groups[1]["lr_scale"] == 10.0
    assert sum(len(g["params"]) for g in groups) == len(list(model.net.parameters()))
    optimiser = torch.optim.Adam(groups, lr=1.0)
    set_learning_rate([optimiser], 2e-4)
    assert [g["lr"] for g in optimiser.param_groups] == pytest.approx([2e-4, 2e-3])
    with pytest.raises(ValueError, match="--view-lr-scale"):
        train.MaterialTrainConfig.from_namespace(_args(tmp_path / "x.safetensors", 1, 1, False, "--view-lr-scale", "0"))


def test_fov_input_grows_from_a_net_without_it_and_is_told_most_fields_of_view(tmp_path: Path) -> None:
    plain, grown = tmp_path / "plain.safetensors", tmp_path / "grown.safetensors"
    assert train.run(_args(plain, 1, 1, False, "--photo-skip")) == 0
    assert train.run(_args(grown, 1, 2, False, "--photo-skip", "--fov-input", "--init", str(plain))) == 0
    model = NeuralMaterialModel.from_file(grown)
    assert model.net.config.fov_input == 1 and model.net.fov_embed.weight.abs().max() > 0
    config = train.MaterialTrainConfig.from_namespace(
        _args(tmp_path / "x.safetensors", 1, 1, False, "--batch", "64", "--fov", "20", "80"))
    batch = train.training_batch(config, 0, train.CaptureSetup())
    told = batch.tangents[batch.tangents > 0]
    # tan(10 deg) .. tan(40 deg) for square photos; a quarter of them left untold
    assert 0.17 < float(told.min()) and float(told.max()) < 0.84
    assert 0.55 < len(told) / 64 < 0.95
