"""Image helpers of the material half, one definition each: decode inputs, resize, luminance, blurs,
guided upsampling, seamless maps."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .render import SVBRDF, encode_maps


def photo_to_tensor(array: np.ndarray) -> torch.Tensor:
    """H x W x C photo (uint8 / uint16 / float; C 1, 3 or 4, alpha ignored) -> (1, 3, H, W) in [0, 1]."""
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3 or array.shape[2] not in (1, 2, 3, 4):
        raise ValueError(f"photo must be H x W x C with C in 1..4, got shape {array.shape}")
    if array.shape[0] < 8 or array.shape[1] < 8:
        raise ValueError(f"photo is too small: {array.shape[1]}x{array.shape[0]}")
    if array.dtype == np.uint8:
        data = array.astype(np.float32) / 255.0
    elif array.dtype == np.uint16:
        data = array.astype(np.float32) / 65535.0
    elif np.issubdtype(array.dtype, np.floating):
        data = np.nan_to_num(array.astype(np.float32), nan=0.0, posinf=1.0, neginf=0.0)
    else:
        raise ValueError(f"unsupported photo dtype {array.dtype}")
    channels = data.shape[2]
    rgb = np.repeat(data[:, :, :1], 3, axis=2) if channels <= 2 else data[:, :, :3]
    # NCHW-contiguous: a channels-last view makes later mixed-layout kernels (refinement) very slow
    return torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)[None].contiguous().clamp(0.0, 1.0)


def fit_longer_side(height: int, width: int, longer: int) -> tuple[int, int]:
    """(height, width) scaled so the longer side is ``longer``, aspect kept, at least 1 px."""
    scale = longer / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def resize(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Area-correct resize of ``(B, C, H, W)``: antialiased when reducing, bicubic when enlarging."""
    if tuple(x.shape[2:]) == tuple(size):
        return x
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=True)


def luminance(rgb: torch.Tensor) -> torch.Tensor:
    """Rec. 709 luminance of ``(B, 3, H, W)``, keeping a channel dimension."""
    weights = torch.tensor([0.2126, 0.7152, 0.0722], dtype=rgb.dtype, device=rgb.device)
    return (rgb * weights.reshape(1, 3, 1, 1)).sum(dim=1, keepdim=True)


def box_filter(x: torch.Tensor, radius: int, padding: str = "replicate") -> torch.Tensor:
    """Mean over a (2r+1)^2 window of ``(B, C, H, W)``; separable, so cost grows with r, not r^2.

    ``padding``: "replicate" (edges), "circular" (tileable images) or "reflect".
    """
    if radius <= 0:
        return x
    k = 2 * radius + 1
    x = F.avg_pool2d(F.pad(x, (radius, radius, 0, 0), mode=padding), (1, k), stride=1)
    return F.avg_pool2d(F.pad(x, (0, 0, radius, radius), mode=padding), (k, 1), stride=1)


def gaussian_blur(x: torch.Tensor, sigma: float, truncate: float = 3.0, padding: str = "reflect") -> torch.Tensor:
    """Separable Gaussian blur of ``(B, C, H, W)``, the kernel cut at ``truncate`` sigmas."""
    if sigma <= 0:
        return x
    radius = max(1, int(truncate * sigma))
    if padding == "reflect":  # reflection cannot reach further than the image
        radius = min(radius, x.shape[2] - 1, x.shape[3] - 1)
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    kernel = torch.exp(-0.5 * (t / sigma) ** 2)
    kernel = kernel / kernel.sum()
    c = x.shape[1]
    x = F.pad(x, (radius, radius, 0, 0), mode=padding)
    x = F.conv2d(x, kernel.reshape(1, 1, 1, -1).expand(c, 1, 1, -1).contiguous(), groups=c)
    x = F.pad(x, (0, 0, radius, radius), mode=padding)
    return F.conv2d(x, kernel.reshape(1, 1, -1, 1).expand(c, 1, -1, 1).contiguous(), groups=c)


def guided_upsample(low: torch.Tensor, guide_low: torch.Tensor, guide_high: torch.Tensor,
                    radius: int = 2, eps: float = 1e-3) -> torch.Tensor:
    """Upsample ``low`` maps to ``guide_high``'s size, transferring edges from the guide.

    Fast guided filter (He et al. 2015, Wu et al. 2018): fit ``map = a * guide + b`` in local
    windows at low resolution, upsample ``a`` and ``b`` smoothly and apply them to the
    full-resolution guide (a 1-channel luminance).
    """
    mean_g = box_filter(guide_low, radius)
    mean_m = box_filter(low, radius)
    cov = box_filter(guide_low * low, radius) - mean_g * mean_m
    var = box_filter(guide_low * guide_low, radius) - mean_g * mean_g
    a = cov / (var + eps)
    b = mean_m - a * mean_g
    size = guide_high.shape[2:]
    a_high = F.interpolate(box_filter(a, radius), size=size, mode="bilinear", align_corners=False)
    b_high = F.interpolate(box_filter(b, radius), size=size, mode="bilinear", align_corners=False)
    return a_high * guide_high + b_high


def normalize_channels(x: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Unit vectors along dim 1; faster than F.normalize on large channel-first images."""
    squared = x[:, :1] * x[:, :1]
    for c in range(1, x.shape[1]):
        squared = squared + x[:, c:c + 1] * x[:, c:c + 1]
    return x * torch.rsqrt(squared.clamp_min(eps * eps))


def make_seamless(x: torch.Tensor, border: float = 0.15) -> torch.Tensor:
    """Blend ``x`` with its half-period shift so that opposite edges match (tileable output).

    The weight of the original falls to zero at the edges, where the shifted copy (whose
    edges are the original's continuous centre) takes over.
    """
    _, _, h, w = x.shape
    shifted = torch.roll(x, shifts=(h // 2, w // 2), dims=(2, 3))
    wy = _edge_ramp(h, border, x)
    wx = _edge_ramp(w, border, x)
    weight = (wy[:, None] * wx[None, :])[None, None]
    return weight * x + (1 - weight) * shifted


def _edge_ramp(n: int, border: float, like: torch.Tensor) -> torch.Tensor:
    t = (torch.arange(n, dtype=like.dtype, device=like.device) + 0.5) / n
    distance = torch.minimum(t, 1 - t)
    return (distance / border).clamp(0, 1)


def svbrdf_to_arrays(svbrdf: SVBRDF) -> dict[str, np.ndarray]:
    """Registry-convention output: float32 H x W x C arrays in [0, 1] keyed by map name."""
    maps = encode_maps(svbrdf)
    return {name: np.ascontiguousarray(t[0].permute(1, 2, 0).clamp(0, 1).detach().cpu().numpy(),
                                       dtype=np.float32)
            for name, t in maps.items()}
