"""Align a hand-held no-flash guide photo to its flash photo with a global homography.

The two photos are lit differently (flash highlight and falloff vs. ambient light), so they
are compared through lighting-robust features: the gradient magnitude of log-luminance,
divided by its local average (contrast normalisation). Alignment is:

1. a translation from phase correlation of the coarse feature images (catches shifts that a
   local method would miss);
2. coarse-to-fine Gauss-Newton (forward-additive Lucas-Kanade) on the 8 homography
   parameters, with a per-iteration gain/bias fit of the residual (ECC-like invariance);
3. a check: the zero-normalised cross-correlation of the aligned features must exceed
   ``MIN_CORRELATION`` over the whole frame and in the median of a 4 x 4 grid of blocks, else
   the photos do not show the same surface and ``ValueError`` is raised. The block median
   refuses a pair where the fit matched one strong structure (an edge, a grid line) while the
   rest of the frame disagrees; a real pair agrees nearly everywhere.

Homographies map normalised flash coordinates ([-1, 1], x right, y down, grid_sample's
convention with ``align_corners=False``) to normalised guide coordinates.
"""

from __future__ import annotations

import logging

import torch
import torch.nn.functional as F

from .imaging import gaussian_blur, luminance

logger = logging.getLogger(__name__)

MIN_CORRELATION = 0.2
"""Below this feature correlation after alignment, the photos are declared unrelated."""
AGREEMENT_BLOCKS = 4
"""The frame is cut into this many blocks per side for the block-median correlation."""
ALIGN_SIDE = 256
"""Longer side of the images the homography is estimated on."""


ALIGNED_HINT = "--guide-aligned (CLI), 'Guide aligned (tripod)' (Blender), guide_aligned=True (Python client)"
"""How each client says that a guide is already pixel-aligned; the CLI's flag first."""


class AlignmentError(ValueError):
    """The guide photo could not be aligned to the flash photo (likely another surface)."""


def _gradients(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Central differences in pixels, edges replicated."""
    p = F.pad(x, (1, 1, 1, 1), mode="replicate")
    gx = (p[:, :, 1:-1, 2:] - p[:, :, 1:-1, :-2]) * 0.5
    gy = (p[:, :, 2:, 1:-1] - p[:, :, :-2, 1:-1]) * 0.5
    return gx, gy


def lighting_robust_features(rgb: torch.Tensor) -> torch.Tensor:
    """Contrast-normalised gradient magnitude of log-luminance, ``(1, 1, H, W)``."""
    log_lum = torch.log(luminance(rgb.clamp(0, 1)) + 0.01)
    gx, gy = _gradients(gaussian_blur(log_lum, 1.0, truncate=2.5, padding="replicate"))
    magnitude = (gx * gx + gy * gy + 1e-6).sqrt()
    local = gaussian_blur(magnitude, max(rgb.shape[2:]) / 32, truncate=2.5, padding="replicate")
    return gaussian_blur(magnitude / (local + 1e-2), 1.0, truncate=2.5, padding="replicate")


def _grid(h: int, w: int) -> tuple[torch.Tensor, torch.Tensor]:
    ys = (torch.arange(h, dtype=torch.float64) + 0.5) / h * 2 - 1
    xs = (torch.arange(w, dtype=torch.float64) + 0.5) / w * 2 - 1
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    return xx, yy


def _warp_coordinates(h_matrix: torch.Tensor, xx: torch.Tensor, yy: torch.Tensor) -> tuple[torch.Tensor, ...]:
    d = h_matrix[2, 0] * xx + h_matrix[2, 1] * yy + h_matrix[2, 2]
    xw = (h_matrix[0, 0] * xx + h_matrix[0, 1] * yy + h_matrix[0, 2]) / d
    yw = (h_matrix[1, 0] * xx + h_matrix[1, 1] * yy + h_matrix[1, 2]) / d
    return xw, yw, d


def warp(image: torch.Tensor, h_matrix: torch.Tensor, size: tuple[int, int] | None = None) -> torch.Tensor:
    """Sample ``image`` at H(x) for every output pixel x (output ``size`` defaults to the input's)."""
    h, w = size or image.shape[2:]
    xx, yy = _grid(h, w)
    xw, yw, _ = _warp_coordinates(h_matrix.double(), xx, yy)
    grid = torch.stack([xw, yw], dim=-1)[None].to(image.dtype)
    return F.grid_sample(image, grid, mode="bilinear", padding_mode="border", align_corners=False)


def _valid_mask(h_matrix: torch.Tensor, h: int, w: int) -> torch.Tensor:
    xx, yy = _grid(h, w)
    xw, yw, d = _warp_coordinates(h_matrix, xx, yy)
    return ((xw.abs() < 0.98) & (yw.abs() < 0.98) & (d > 0)).double()


def phase_correlation_shift(reference: torch.Tensor, moving: torch.Tensor) -> tuple[float, float]:
    """Translation (normalised units) such that moving(x + t) ~ reference(x)."""
    _, _, h, w = reference.shape
    window = torch.hann_window(h, dtype=torch.float64)[:, None] * torch.hann_window(w, dtype=torch.float64)[None]
    a = torch.fft.fft2((reference[0, 0].double() - reference.mean()) * window)
    b = torch.fft.fft2((moving[0, 0].double() - moving.mean()) * window)
    cross = b * a.conj()
    response = torch.fft.ifft2(cross / (cross.abs() + 1e-9)).real
    index = int(torch.argmax(response))
    dy, dx = divmod(index, w)
    dy = dy - h if dy > h // 2 else dy
    dx = dx - w if dx > w // 2 else dx
    return 2.0 * dx / w, 2.0 * dy / h


def zncc(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor) -> float:
    """Zero-normalised cross-correlation of ``a`` and ``b`` over ``mask``."""
    m = mask.sum().clamp_min(1.0)
    am = (a * mask).sum() / m
    bm = (b * mask).sum() / m
    da, db = (a - am) * mask, (b - bm) * mask
    return float((da * db).sum() / ((da * da).sum().sqrt() * (db * db).sum().sqrt() + 1e-12))


def _gauss_newton_level(reference: torch.Tensor, moving: torch.Tensor, h_matrix: torch.Tensor,
                        iterations: int, parameters: int = 8) -> torch.Tensor:
    """Refine ``h_matrix`` on one pyramid level (float64 features ``(1, 1, H, W)``).

    ``parameters`` = 6 keeps the perspective terms fixed (an affine update), which is more
    stable on coarse levels where perspective is barely observable.
    """
    _, _, h, w = reference.shape
    xx, yy = _grid(h, w)
    gx_pix, gy_pix = _gradients(moving)
    # gradients per normalised unit: one normalised unit is w/2 (or h/2) pixels
    grads = torch.cat([gx_pix * (w / 2), gy_pix * (h / 2), moving], dim=1)
    ref = reference[0, 0]
    for _ in range(iterations):
        xw, yw, d = _warp_coordinates(h_matrix, xx, yy)
        grid = torch.stack([xw, yw], dim=-1)[None]
        sampled = F.grid_sample(grads, grid, mode="bilinear", padding_mode="border", align_corners=False)[0]
        gx, gy, value = sampled[0], sampled[1], sampled[2]
        mask = ((xw.abs() < 0.98) & (yw.abs() < 0.98)).double()
        # photometric gain and bias of the moving features (ECC-like invariance)
        gain, bias = _fit_gain_bias(value, ref, mask)
        residual = (gain * value + bias - ref) * mask
        # Huber-style reweighting: lighting-specific features (shadows, highlights) are outliers
        scale = 1.5 * residual[mask > 0].abs().median().clamp_min(1e-6)
        mask = mask * (scale / residual.abs().clamp_min(scale))
        residual = residual * mask.sqrt()
        jac = gain * torch.stack([
            gx * xx / d, gx * yy / d, gx / d,
            gy * xx / d, gy * yy / d, gy / d,
            -(gx * xw + gy * yw) * xx / d, -(gx * xw + gy * yw) * yy / d,
        ]) * mask.sqrt()
        jac = jac.reshape(8, -1)[:parameters]
        hessian = jac @ jac.T
        hessian = hessian + 1e-6 * torch.eye(parameters, dtype=hessian.dtype) * hessian.diagonal().mean()
        delta = torch.linalg.solve(hessian, -(jac @ residual.reshape(-1)))
        h_matrix = h_matrix + torch.cat([delta, torch.zeros(9 - parameters, dtype=delta.dtype)]).reshape(3, 3)
        if float(delta.abs().max()) < 1e-6:
            break
    return h_matrix


def _fit_gain_bias(value: torch.Tensor, reference: torch.Tensor, mask: torch.Tensor) -> tuple[float, float]:
    m = mask.sum().clamp_min(1.0)
    vm = (value * mask).sum() / m
    rm = (reference * mask).sum() / m
    cov = ((value - vm) * (reference - rm) * mask).sum()
    var = ((value - vm) ** 2 * mask).sum().clamp_min(1e-12)
    gain = float((cov / var).clamp(0.2, 5.0))
    return gain, float(rm - gain * vm)


def estimate_homography(flash: torch.Tensor, guide: torch.Tensor,
                        levels: tuple[int, ...] = (64, 128, 256)) -> tuple[torch.Tensor, float]:
    """Homography (3x3, float64) from flash to guide coordinates and the feature correlation.

    Both inputs are ``(1, 3, H, W)`` photos in [0, 1] of the same size.
    """
    h, w = flash.shape[2:]
    scale = min(ALIGN_SIDE, max(h, w)) / max(h, w)
    size = (max(16, round(h * scale)), max(16, round(w * scale)))
    ref_full = lighting_robust_features(F.interpolate(flash, size=size, mode="bilinear", antialias=True)).double()
    mov_full = lighting_robust_features(F.interpolate(guide, size=size, mode="bilinear", antialias=True)).double()
    h_matrix = torch.eye(3, dtype=torch.float64)
    for level in levels:
        level_size = (max(8, round(size[0] * level / max(size))), max(8, round(size[1] * level / max(size))))
        ref = F.interpolate(ref_full, size=level_size, mode="bilinear", antialias=True)
        mov = F.interpolate(mov_full, size=level_size, mode="bilinear", antialias=True)
        if level == levels[0]:
            dx, dy = phase_correlation_shift(ref, mov)
            h_matrix[0, 2], h_matrix[1, 2] = dx, dy
        affine_only = level < levels[-1] // 2
        h_matrix = _gauss_newton_level(ref, mov, h_matrix, iterations=40, parameters=6 if affine_only else 8)
    aligned = warp(mov_full, h_matrix)
    return h_matrix, agreement(ref_full[0, 0], aligned[0, 0], _valid_mask(h_matrix, *size))


def agreement(reference: torch.Tensor, aligned: torch.Tensor, mask: torch.Tensor) -> float:
    """How well aligned feature images agree: the lower of the whole frame's correlation and the
    median correlation of its blocks (blocks less than half inside the warp are skipped)."""
    h, w = reference.shape
    block_h, block_w = max(1, h // AGREEMENT_BLOCKS), max(1, w // AGREEMENT_BLOCKS)
    blocks = []
    for top in range(0, block_h * AGREEMENT_BLOCKS, block_h):
        for left in range(0, block_w * AGREEMENT_BLOCKS, block_w):
            window = (slice(top, top + block_h), slice(left, left + block_w))
            if float(mask[window].mean()) > 0.5:
                blocks.append(zncc(reference[window], aligned[window], mask[window]))
    whole = zncc(reference, aligned, mask)
    return min(whole, float(torch.tensor(blocks).median())) if blocks else whole


def align_guide(flash: torch.Tensor, guide: torch.Tensor) -> torch.Tensor:
    """The guide photo warped onto the flash photo's pixels; ``AlignmentError`` if unrelated.

    ``guide`` may have another size than ``flash``; the output has the flash's size.
    """
    if guide.shape[2:] != flash.shape[2:]:
        guide = F.interpolate(guide, size=flash.shape[2:], mode="bilinear", antialias=True)
    h_matrix, score = estimate_homography(flash, guide)
    logger.debug("guide alignment correlation %.3f, homography %s", score, h_matrix.tolist())
    if score < MIN_CORRELATION:
        raise AlignmentError(
            f"the flash and guide photos do not seem to show the same surface "
            f"(feature agreement after alignment {score:.2f} < {MIN_CORRELATION}); "
            f"if they are already aligned (tripod), say so: {ALIGNED_HINT}")
    if not _plausible(h_matrix):
        raise AlignmentError(
            "the guide photo could not be aligned to the flash photo (the best warp folds or "
            f"scales the image more than 2x); if they are already aligned (tripod), say so: {ALIGNED_HINT}")
    return warp(guide, h_matrix.to(guide.dtype))


def _plausible(h_matrix: torch.Tensor) -> bool:
    """Reject degenerate warps (folds, extreme scale) that a bad fit can produce."""
    det = float(torch.linalg.det(h_matrix[:2, :2]))
    return 0.25 < det < 4.0 and float(h_matrix[2, :2].abs().max()) < 0.5
