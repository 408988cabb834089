"""Device and precision selection: `auto` takes CUDA when present, else the CPU with all cores;
bf16 where the hardware computes it natively (CUDA with bf16, CPUs with AVX512-BF16 or AMX), else
fp16 on CUDA and fp32 on the CPU."""

from __future__ import annotations

import logging
import os
import re

import torch

from ..protocol.constants import PRECISIONS

log = logging.getLogger(__name__)

_DEVICE_PATTERN = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")

_AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def resolve_device(spec: str) -> str:
    """Map `auto|cpu|cuda[:N]` to a concrete torch device string; ValueError if unavailable."""
    if not _DEVICE_PATTERN.match(spec):
        raise ValueError(f"device {spec!r} is not one of auto, cpu, cuda, cuda:N")
    if spec == "auto":
        return "cuda:0" if torch.cuda.is_available() else "cpu"
    if spec.startswith("cuda"):
        return _checked_cuda(spec)
    return "cpu"


def _checked_cuda(spec: str) -> str:
    if not torch.cuda.is_available():
        raise ValueError(f"device {spec!r} requested but CUDA is not available")
    index = int(spec.partition(":")[2] or 0)
    if index >= torch.cuda.device_count():
        raise ValueError(f"device {spec!r} requested but only {torch.cuda.device_count()} CUDA devices exist")
    return f"cuda:{index}"


def configure_cpu_threads(threads: int | None = None) -> int:
    """Use `threads` (default: every core the process may run on) for intra-op parallelism."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    torch.set_num_threads(threads or cores)
    return threads or cores


def describe_device(device: str) -> str:
    """Human-readable device name for `hello`."""
    if device.startswith("cuda"):
        return f"{device} ({torch.cuda.get_device_name(torch.device(device))})"
    return f"cpu ({torch.get_num_threads()} threads)"


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bf16 in hardware (AVX512-BF16 or AMX) through oneDNN.

    Without it autocast still works but emulates bf16 and is usually slower than fp32.
    """
    if not torch.backends.mkldnn.is_available():
        return False
    probes = (getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))
    return any(probe is not None and bool(probe()) for probe in probes)


def resolve_precision(spec: str, device: str) -> str:
    """Map `auto|fp32|bf16|fp16|int8` to what networks run at on `device`; ValueError if it cannot.

    int8 applies to the upscale networks that have an int8 form and calibration (`server/sr/int8.py`);
    every other network runs fp32 under it."""
    if spec not in PRECISIONS:
        raise ValueError(f"precision {spec!r} is not one of {', '.join(PRECISIONS)}")
    on_cuda = device.startswith("cuda")
    if spec == "auto":
        if on_cuda:
            return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        return "bf16" if cpu_has_native_bf16() else "fp32"
    if spec == "fp16" and not on_cuda:
        raise ValueError("precision fp16 needs a CUDA device; on the CPU use bf16, int8 or fp32")
    if spec == "int8" and (on_cuda or not _int8_kernels()):
        raise ValueError("precision int8 needs an x86 CPU (its int8 kernels); on CUDA use fp16 or bf16")
    if spec == "bf16" and not on_cuda and not cpu_has_native_bf16():
        log.warning("this CPU has no native bf16: bf16 is emulated and likely slower than fp32")
    return spec


def _int8_kernels() -> bool:
    from .sr.int8 import kernels_available  # late: only an int8 request needs the upscaler's quantisation

    return kernels_available()


def autocast_dtype(precision: str) -> torch.dtype | None:
    """The autocast dtype of a resolved precision; None for fp32 (no autocast)."""
    return _AUTOCAST_DTYPES.get(precision)
