"""Network interpolation (ESRGAN): blend a PSNR model and its GAN fine-tune for a detail slider."""

from __future__ import annotations

from collections.abc import Mapping

import torch


def interpolate_state_dicts(
    psnr: Mapping[str, torch.Tensor], sharp: Mapping[str, torch.Tensor], alpha: float
) -> dict[str, torch.Tensor]:
    """theta = (1 - alpha) * theta_psnr + alpha * theta_sharp, tensor by tensor.

    Both state dicts must come from the same architecture (same keys and shapes).
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    if psnr.keys() != sharp.keys():
        raise ValueError("state dicts have different keys; interpolate only one architecture")
    blended = {}
    for key, start in psnr.items():
        end = sharp[key]
        if start.shape != end.shape:
            raise ValueError(f"shape mismatch for {key}: {tuple(start.shape)} vs {tuple(end.shape)}")
        if alpha == 0.0 or not start.is_floating_point():
            blended[key] = start.clone()
        elif alpha == 1.0:
            blended[key] = end.clone()
        else:
            blended[key] = torch.lerp(start, end.to(start.dtype), alpha)
    return blended
