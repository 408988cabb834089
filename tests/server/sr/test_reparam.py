from __future__ import annotations

from pathlib import Path

import pytest
import torch

from texforge.server.sr import train
from texforge.server.sr.archs.fast import FastSRNet, FastSRParams
from texforge.server.sr.reparam import RepConv3x3, merged, reparameterise
from texforge.server.sr.weights import load_network

from .test_train import common_args


def small_network() -> FastSRNet:
    torch.manual_seed(0)
    return FastSRNet(2, FastSRParams(features=8, blocks=2)).eval()


def randomise_branches(network: torch.nn.Module) -> None:
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for module in network.modules():
            if isinstance(module, RepConv3x3):
                for name, parameter in module.named_parameters():
                    if name not in ("weight", "bias"):
                        parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.1)


@pytest.mark.parametrize("form", ["repvgg", "expand"])
def test_reparameterising_keeps_the_function_and_the_names(form: str) -> None:
    plain = small_network()
    x = torch.rand(1, 3, 12, 10)
    expected = plain(x)
    rep = reparameterise(small_network(), form)
    assert sum(isinstance(m, RepConv3x3) for m in rep.modules()) == 2 * 2 + 3  # blocks, head, tail, upsampler
    assert set(plain.state_dict()) <= set(rep.state_dict())
    torch.testing.assert_close(rep(x), expected)


@pytest.mark.parametrize("form", ["repvgg", "expand"])
def test_merged_network_is_plain_and_computes_the_same(form: str) -> None:
    rep = reparameterise(small_network(), form)
    randomise_branches(rep)
    x = torch.rand(2, 3, 9, 13)
    plain = merged(rep)
    assert not any(isinstance(m, RepConv3x3) for m in plain.modules())
    assert set(plain.state_dict()) == set(small_network().state_dict())
    assert not torch.allclose(plain(x), small_network()(x), atol=1e-3)  # the branches do change it
    torch.testing.assert_close(plain(x), rep(x), atol=1e-5, rtol=1e-5)
    assert any(isinstance(m, RepConv3x3) for m in rep.modules())  # merging copies, the training form stays


def test_off_leaves_the_network_alone() -> None:
    network = small_network()
    assert reparameterise(network, "off") is network
    with pytest.raises(ValueError, match="off"):
        RepConv3x3(torch.nn.Conv2d(4, 4, 3, padding=1), "off")


def test_rep_run_writes_a_plain_network_and_resumes(folders: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "rep.safetensors"
    assert train.run(common_args(folders, out, "--rep", "repvgg", "--ema", "0.5")) == 0
    loaded = load_network(out)
    assert loaded.family.name == "fastsr" and loaded.card["reparameterised"] == "repvgg"
    assert set(loaded.network.state_dict()) == set(
        FastSRNet(2, FastSRParams(features=8, blocks=1)).state_dict())
    args = common_args(folders, out, "--rep", "repvgg", "--ema", "0.5", "--resume")
    args.steps = 6
    assert train.run(args) == 0
    assert load_network(out).card["steps"] == 6


def test_rep_run_starts_from_a_plain_model(folders: tuple[Path, Path], tmp_path: Path) -> None:
    plain = tmp_path / "plain.safetensors"
    assert train.run(common_args(folders, plain)) == 0
    tuned = tmp_path / "tuned.safetensors"
    # learning rate 0: the written network is the initial one, merged
    assert train.run(common_args(folders, tuned, "--rep", "expand", "--init", str(plain), "--lr", "0")) == 0
    for key, value in load_network(plain).network.state_dict().items():
        torch.testing.assert_close(load_network(tuned).network.state_dict()[key], value, atol=1e-6, rtol=1e-6)
