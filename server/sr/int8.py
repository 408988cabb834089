"""int8 inference of FastSR networks, for CPUs without native bf16 (post-training quantisation).

On such CPUs (AVX2, no AVX512-BF16 or AMX) the shipped 64 x 16 networks run fp32, where
512² x4 takes about 7.6 s through the CLI. Their residual body in int8 (oneDNN / fbgemm x86
kernels) runs about 2.2x faster. The head (which reads the image) and the upsampler (which
writes it) stay fp32: they are 2 of 35 convolutions and carry the image itself, where 8 bits
cost most.

Activation ranges come from calibration on training images (``calibrate``), stored in the
weights file's metadata (``store_ranges``, ``weights.INT8_RANGES_KEY``), so building the int8
network at load time takes milliseconds. Weights are quantised per output channel, symmetric;
activations per tensor into 7 bits (``quint8`` 0..127), since the AVX2 int8 kernels can
saturate their 16-bit intermediate sums with the full 8.

The kernels are torch's eager quantised ones (``torch.ao.nn.quantized``), which torch 2.13 marks
deprecated (pytorch issue 184982); ``supported`` answers False where a torch no longer has them,
and the model then runs fp32.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file
from torch import nn

from .archs.fast import FastSRNet, ResidualBlock
from .weights import INT8_RANGES_KEY, read_safetensors

ENGINE = "x86"
ACTIVATION_LEVELS = 127
"""7-bit activations (see the module docstring)."""
RANGE_QUANTILE = 1e-4
"""Share of calibration values left outside each end of a range: rare outliers would otherwise
stretch the 127 levels over values that almost never occur."""
SAMPLES_PER_POINT = 1 << 18
"""Calibration values kept per point (a random subset: quantiles need them all in memory)."""

Ranges = dict[str, tuple[float, float]]


def supported(network: nn.Module) -> bool:
    """Whether ``network`` has an int8 form (FastSR) on this torch build."""
    return isinstance(network, FastSRNet) and kernels_available()


def kernels_available() -> bool:
    """Whether this torch has the x86 int8 engine and the quantised modules this file builds on."""
    try:
        _quantised_modules()
    except (ImportError, AttributeError):
        return False
    return ENGINE in torch.backends.quantized.supported_engines


def _quantised_modules() -> tuple[Any, Any, Any]:
    """(ConvReLU2d, Conv2d, QFunctional) of torch's eager int8 modules; imported late, as they are deprecated."""
    from torch.ao.nn.intrinsic.quantized import ConvReLU2d
    from torch.ao.nn.quantized import Conv2d, QFunctional

    return ConvReLU2d, Conv2d, QFunctional


def _activations(net: FastSRNet, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Every tensor the int8 network quantises, computed in fp32 (mirrors ``FastSRNet.forward``)."""
    points = {"head": net.head(x)}
    y = points["head"]
    for index, block in enumerate(_blocks(net)):
        inner = torch.relu(block.conv1(y))
        outer = block.conv2(inner)
        y = y + outer
        points.update({f"body.{index}.conv1": inner, f"body.{index}.conv2": outer, f"body.{index}.sum": y})
    points["body_tail"] = net.body_tail(y)
    points["features"] = torch.relu(points["body_tail"] + points["head"])
    return points


@torch.no_grad()
def calibrate(net: FastSRNet, images: Iterable[torch.Tensor], seed: int = 0) -> Ranges:
    """Activation ranges of ``net`` over ``images`` (each (1, 3, h, w) in [0, 1])."""
    g = torch.Generator().manual_seed(seed)
    samples: dict[str, list[torch.Tensor]] = {}
    net.eval()
    for image in images:
        for name, values in _activations(net, image).items():
            flat = values.flatten()
            keep = torch.randint(flat.numel(), (min(flat.numel(), SAMPLES_PER_POINT),), generator=g)
            samples.setdefault(name, []).append(flat[keep])
    ranges: Ranges = {}
    for name, parts in samples.items():
        values = torch.cat(parts)
        values = values[torch.randperm(values.numel(), generator=g)[:SAMPLES_PER_POINT]]
        low, high = torch.quantile(values, torch.tensor([RANGE_QUANTILE, 1 - RANGE_QUANTILE])).tolist()
        ranges[name] = (min(low, 0.0), max(high, 0.0))  # zero stays exact: ReLU and padding produce it
    return ranges


def _qparams(low: float, high: float) -> tuple[float, int]:
    scale = max(high - low, 1e-8) / ACTIVATION_LEVELS
    return scale, int(min(max(round(-low / scale), 0), ACTIVATION_LEVELS))


def _quantized_conv(conv: nn.Conv2d, output: tuple[float, float], relu: bool) -> nn.Module:
    conv_relu, plain_conv, _ = _quantised_modules()
    maxima = conv.weight.detach().abs().amax(dim=(1, 2, 3)).clamp_min(1e-8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the deprecation notice above, once per layer
        weight = torch.quantize_per_channel(conv.weight.detach().float(), maxima / 127,
                                            torch.zeros_like(maxima, dtype=torch.long), 0, torch.qint8)
    kind = conv_relu if relu else plain_conv
    layer = kind(conv.in_channels, conv.out_channels, conv.kernel_size, stride=conv.stride, padding=conv.padding)
    bias = conv.bias.detach().float() if conv.bias is not None else None
    layer.set_weight_bias(weight, bias)
    layer.scale, layer.zero_point = _qparams(*output)
    return layer


def _adder(output: tuple[float, float]) -> nn.Module:
    adder = _quantised_modules()[2]()
    adder.scale, adder.zero_point = _qparams(*output)
    return adder


class _Int8Block(nn.Module):
    """One residual block in int8: conv-ReLU, conv, and the skip's add."""

    def __init__(self, block: ResidualBlock, ranges: Mapping[str, tuple[float, float]], index: int) -> None:
        super().__init__()
        self.conv1 = _quantized_conv(block.conv1, ranges[f"body.{index}.conv1"], relu=True)
        self.conv2 = _quantized_conv(block.conv2, ranges[f"body.{index}.conv2"], relu=False)
        self.add: Any = _adder(ranges[f"body.{index}.sum"])  # a QFunctional: its add is a method

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.add.add(x, self.conv2(self.conv1(x)))


class Int8FastSR(nn.Module):
    """A FastSR network with its residual body in int8 (head and upsampler fp32)."""

    def __init__(self, net: FastSRNet, ranges: Mapping[str, tuple[float, float]]) -> None:
        super().__init__()
        missing = sorted(set(_activations_names(net)) - set(ranges))
        if missing:
            raise ValueError(f"int8 ranges lack {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}")
        torch.backends.quantized.engine = ENGINE
        self.scale = net.scale
        self.head = net.head
        self.upsampler = net.upsampler
        self.input_qparams = _qparams(*ranges["head"])
        self.blocks = nn.Sequential(*(_Int8Block(block, ranges, i) for i, block in enumerate(_blocks(net))))
        self.body_tail = _quantized_conv(net.body_tail, ranges["body_tail"], relu=False)
        self.features: Any = _adder(ranges["features"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        start = torch.quantize_per_tensor(self.head(x), *self.input_qparams, torch.quint8)
        features = self.features.add_relu(self.body_tail(self.blocks(start)), start).dequantize()
        anchor = x.repeat_interleave(self.scale * self.scale, dim=1)
        return nn.functional.pixel_shuffle(self.upsampler(features) + anchor, self.scale)


def _blocks(net: FastSRNet) -> list[ResidualBlock]:
    blocks = [block for block in net.body if isinstance(block, ResidualBlock)]
    if len(blocks) != len(net.body):
        raise TypeError("a FastSR body holds residual blocks only")
    return blocks


def _activations_names(net: FastSRNet) -> list[str]:
    return (["head", "body_tail", "features"]
            + [f"body.{i}.{part}" for i in range(len(_blocks(net))) for part in ("conv1", "conv2", "sum")])


def store_ranges(path: str | Path, ranges: Ranges) -> None:
    """Add ``ranges`` to the metadata of the weights file ``path``; its tensors stay as they are."""
    tensors, metadata = read_safetensors(path)
    metadata = {**metadata, INT8_RANGES_KEY: json.dumps({k: [round(lo, 6), round(hi, 6)] for k, (lo, hi) in ranges.items()},
                                                   sort_keys=True)}
    temporary = Path(path).with_suffix(".int8-tmp")
    save_file(tensors, str(temporary), metadata=metadata)
    temporary.replace(path)
