from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from texforge.server.device import cpu_has_native_bf16
from texforge.server.training.precision import forward_fp32


def _tiny_conv_net() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 3, 3, padding=1))


def test_bf16_forward_returns_fp32_close_to_the_fp32_forward() -> None:
    network, batch = _tiny_conv_net(), torch.rand(2, 3, 16, 16)
    reference = forward_fp32(network, batch, bf16=False)
    lowered = forward_fp32(network, batch, bf16=True)
    assert reference.dtype == lowered.dtype == torch.float32
    assert not torch.equal(reference, lowered)  # the convolutions did run in bf16
    torch.testing.assert_close(lowered, reference, atol=3e-2, rtol=3e-2)


def test_gradients_flow_through_the_bf16_forward_into_fp32_weights() -> None:
    network = _tiny_conv_net()
    forward_fp32(network, torch.rand(1, 3, 8, 8), bf16=True).square().mean().backward()
    assert all(p.grad is not None and p.grad.dtype == torch.float32 for p in network.parameters())


@dataclass(frozen=True)
class _Maps:
    albedo: torch.Tensor
    name: str


def test_dataclass_and_tuple_outputs_come_back_in_fp32() -> None:
    def network(batch: torch.Tensor) -> tuple[_Maps, torch.Tensor]:
        return _Maps(batch.to(torch.bfloat16), "x"), batch.to(torch.bfloat16)

    maps, extra = forward_fp32(network, torch.rand(1, 3, 4, 4), bf16=True)
    assert maps.albedo.dtype == extra.dtype == torch.float32 and maps.name == "x"


def test_native_bf16_probe_answers_a_bool() -> None:
    assert isinstance(cpu_has_native_bf16(), bool)
