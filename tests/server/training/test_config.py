from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from texforge.server.material import train as material_train
from texforge.server.material.weights import TRAINING_CROP_SIZE
from texforge.server.sr import train as sr_train
from texforge.server.training.config import RunConfig, add_run_arguments

from .conftest import run_config


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions for option in action.option_strings}


def _parser(add: object) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    add(parser)  # type: ignore[operator]
    return parser


def test_both_trainers_take_the_same_shared_flags() -> None:
    shared = _options(_parser(add_run_arguments)) - {"-h", "--help"}
    assert shared == {"--steps", "--out", "--resume", "--init", "--lr", "--warmup", "--min-lr-ratio", "--seed",
                      "--threads", "--batch", "--crop", "--time-limit", "--val-every", "--log-every", "--ema", "--bf16"}
    for trainer in (sr_train, material_train):
        assert shared <= _options(_parser(trainer.add_arguments))
    assert not {"--size", "--max-minutes"} & _options(_parser(material_train.add_arguments))


def test_each_trainer_brings_its_own_defaults() -> None:
    material = _parser(material_train.add_arguments).parse_args(["--out", "m.safetensors"])
    assert (material.batch, material.crop, material.lr, material.warmup, material.min_lr_ratio) == (
        4, TRAINING_CROP_SIZE, 2e-4, 0, 0.05)
    sr = _parser(sr_train.add_arguments).parse_args(["--data", "d", "--scale", "2", "--steps", "5", "--out", "s"])
    assert (sr.batch, sr.crop, sr.lr, sr.resume, sr.out) == (16, 48, 1e-3, False, Path("s"))


def test_help_shows_the_defaults() -> None:
    material, sr = (" ".join(_parser(t.add_arguments).format_help().split()) for t in (material_train, sr_train))
    assert "(default: 0.0002)" in material and f"(default: {TRAINING_CROP_SIZE})" in material
    assert "(default: fastsr)" in sr and "(default: 48)" in sr


def test_the_namespace_becomes_a_run_config() -> None:
    args = _parser(add_run_arguments).parse_args(["--steps", "3", "--out", "x.safetensors", "--lr", "0.1",
                                                  "--batch", "2", "--crop", "16", "--resume", "--time-limit", "5"])
    config = RunConfig.from_namespace(args)
    assert (config.steps, config.out, config.resume, config.time_limit, config.init) == (
        3, Path("x.safetensors"), True, 5.0, None)


@pytest.mark.parametrize(("option", "value", "flag"), [
    ("steps", 0, "--steps"), ("batch", 0, "--batch"), ("val_every", 0, "--val-every"),
    ("time_limit", -1.0, "--time-limit"), ("min_lr_ratio", 1.5, "--min-lr-ratio"), ("lr", -1.0, "--lr"),
])
def test_bad_values_are_refused_naming_the_flag(tmp_path: Path, option: str, value: float, flag: str) -> None:
    with pytest.raises(ValueError, match=flag):
        run_config(tmp_path, **{option: value})


def test_a_default_for_an_unknown_option_is_refused() -> None:
    with pytest.raises(ValueError, match="max_minutes"):
        add_run_arguments(argparse.ArgumentParser(), max_minutes=5)
