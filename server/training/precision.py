"""The bf16 switch: forward passes under bfloat16 autocast, everything after them in fp32."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

import torch

Output = TypeVar("Output")


def forward_fp32(network: Callable[[torch.Tensor], Output], batch: torch.Tensor, bf16: bool,
                 device_type: str = "cpu") -> Output:
    """``network(batch)``, under bfloat16 autocast when ``bf16``; every output tensor in fp32.

    Losses and optimiser state stay fp32: only the convolutions run at the lower precision.
    """
    with torch.autocast(device_type, dtype=torch.bfloat16, enabled=bf16):
        output = network(batch)
    return _as_fp32(output)


def _as_fp32(value: Any) -> Any:
    """Tensors, tuples and dataclasses of them (an ``SVBRDF``) with every tensor in fp32."""
    if isinstance(value, torch.Tensor):
        return value.float()
    if isinstance(value, tuple):
        return tuple(_as_fp32(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {field.name: _as_fp32(getattr(value, field.name)) for field in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    return value
