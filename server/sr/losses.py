"""Training losses: pixel, HFEN (high-frequency error norm) and relativistic-average GAN."""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F


@functools.lru_cache(maxsize=4)
def log_kernel(size: int = 9, sigma: float = 1.5) -> torch.Tensor:
    """Zero-sum Laplacian-of-Gaussian kernel, shape 1 x 1 x size x size."""
    coords = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    yy, xx = torch.meshgrid(coords, coords, indexing="ij")
    r2 = (xx**2 + yy**2) / (2 * sigma**2)
    kernel = -(1 - r2) * torch.exp(-r2) / (torch.pi * sigma**4)
    kernel -= kernel.mean()
    return kernel.float()[None, None]


def log_highpass(image: torch.Tensor) -> torch.Tensor:
    """Laplacian-of-Gaussian response of every channel of an N x C x H x W batch."""
    kernel = log_kernel().to(image.device, image.dtype)
    channels = image.shape[1]
    padding = kernel.shape[-1] // 2
    padded = F.pad(image, (padding,) * 4, mode="replicate")
    return F.conv2d(padded, kernel.expand(channels, 1, -1, -1), groups=channels)


def hfen(output: torch.Tensor, target: torch.Tensor, norm: str = "l1") -> torch.Tensor:
    """High-frequency error norm: L1 or L2 distance of the LoG high-pass of both images."""
    difference = log_highpass(output) - log_highpass(target)
    if norm == "l1":
        return difference.abs().mean()
    if norm == "l2":
        return difference.pow(2).mean()
    raise ValueError(f"unknown HFEN norm {norm!r}; expected 'l1' or 'l2'")


def pixel_loss(output: torch.Tensor, target: torch.Tensor, kind: str) -> torch.Tensor:
    """L1 or MSE pixel loss."""
    if kind == "l1":
        return F.l1_loss(output, target)
    if kind == "mse":
        return F.mse_loss(output, target)
    raise ValueError(f"unknown pixel loss {kind!r}; expected 'l1' or 'mse'")


def _relativistic_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, real_wins: bool) -> torch.Tensor:
    """RaGAN: BCE of each side against the other side's mean; `real_wins` picks which side is labelled real."""
    real_vs_fake = real_logits - fake_logits.mean()
    fake_vs_real = fake_logits - real_logits.mean()
    real_label, fake_label = (1.0, 0.0) if real_wins else (0.0, 1.0)
    return 0.5 * (
        F.binary_cross_entropy_with_logits(real_vs_fake, torch.full_like(real_vs_fake, real_label))
        + F.binary_cross_entropy_with_logits(fake_vs_real, torch.full_like(fake_vs_real, fake_label))
    )


def relativistic_discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """RaGAN discriminator loss: real should look more real than the average fake, and back."""
    return _relativistic_loss(real_logits, fake_logits, real_wins=True)


def relativistic_generator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """RaGAN generator loss: the symmetric counterpart of the discriminator's."""
    return _relativistic_loss(real_logits, fake_logits, real_wins=False)
