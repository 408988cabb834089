"""The classical baseline `bicubic`: honest interpolation, no network."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..context import JobContext
from ..registry import ModelDescriptor, UpscaleRequest

_WRAP_PAD = 2  # bicubic reads 2 pixels either side


def to_unit_float(image: np.ndarray) -> tuple[torch.Tensor, float]:
    """(1 x C x H x W float32 tensor, the scale that maps it back to the input's range)."""
    scale = {np.uint8: 255.0, np.uint16: 65535.0}.get(image.dtype.type, 1.0)
    tensor = torch.from_numpy(np.asarray(image, dtype=np.float32)).permute(2, 0, 1)[None]
    return tensor / scale if scale != 1.0 else tensor, scale


def from_unit_float(tensor: torch.Tensor, scale: float, dtype: np.dtype) -> np.ndarray:
    """Back to an H x W x C array of `dtype`, rounding and clamping integer types."""
    array = tensor[0].permute(1, 2, 0).numpy()
    if np.issubdtype(dtype, np.integer):
        return np.clip(np.rint(array * scale), 0, scale).astype(dtype)
    return array.astype(dtype)


class BicubicUpscaler:
    """Bicubic interpolation; wrap-around padding when the texture is tileable."""

    descriptor = ModelDescriptor(
        name="bicubic",
        kind="upscale",
        architecture="bicubic",
        scales=(2, 3, 4, 8),
        supports_half=False,
        tiling=True,
        description="Classical bicubic interpolation (baseline; no network)",
    )

    def upscale(self, request: UpscaleRequest, context: JobContext) -> np.ndarray:
        """Upscale by `request.scale` (then resample to `target_size` when given)."""
        context.progress(0, 1, "bicubic")
        tensor, value_scale = to_unit_float(request.image)
        out = _interpolate(tensor, request.scale, request.tileable)
        if request.target_size is not None:
            width, height = request.target_size
            out = F.interpolate(out, size=(height, width), mode="bicubic", align_corners=False, antialias=True)
        if request.normal_map:
            out = _renormalise(out)
        if np.issubdtype(request.image.dtype, np.integer):
            out = out.clamp(0.0, 1.0)
        context.progress(1, 1, "bicubic")
        return from_unit_float(out, value_scale, request.image.dtype)


def _interpolate(tensor: torch.Tensor, scale: int, tileable: bool) -> torch.Tensor:
    if not tileable:
        return F.interpolate(tensor, scale_factor=scale, mode="bicubic", align_corners=False)
    padded = F.pad(tensor, (_WRAP_PAD,) * 4, mode="circular")
    out = F.interpolate(padded, scale_factor=scale, mode="bicubic", align_corners=False)
    crop = _WRAP_PAD * scale
    return out[:, :, crop:-crop, crop:-crop]


def _renormalise(encoded: torch.Tensor) -> torch.Tensor:
    """Unit-length normals from (n + 1) / 2 encoded RGB; other channels untouched."""
    vectors = encoded[:, :3] * 2.0 - 1.0
    vectors = vectors / vectors.norm(dim=1, keepdim=True).clamp_min(1e-6)
    return torch.cat([(vectors + 1.0) * 0.5, encoded[:, 3:]], dim=1)
