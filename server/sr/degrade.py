"""Degradations that make LR training inputs from HR crops."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageFilter

from .metrics import bicubic_downscale


def realistic_degrade(hr: np.ndarray, scale: int, rng: np.random.Generator) -> np.ndarray:
    """Blur, antialiased bicubic reduce, sensor noise and JPEG, each with random strength.

    Trains a model that also cleans up the compressed, slightly soft textures users have.
    """
    image = Image.fromarray(hr)
    if rng.random() < 0.7:
        image = image.filter(ImageFilter.GaussianBlur(radius=float(rng.uniform(0.2, 1.2))))
    lr = bicubic_downscale(np.asarray(image), scale).astype(np.float32)
    if rng.random() < 0.5:
        lr += rng.normal(0.0, rng.uniform(1.0, 8.0), size=lr.shape).astype(np.float32)
    lr_uint8 = np.clip(lr + 0.5, 0, 255).astype(np.uint8)
    if rng.random() < 0.6:
        lr_uint8 = jpeg_roundtrip(lr_uint8, int(rng.integers(40, 95)))
    return lr_uint8


JPEG_QUALITY = (50, 95)
"""Quality range of the JPEG degradation: what artists' textures are saved at."""


def jpeg_degrade(hr: np.ndarray, scale: int, rng: np.random.Generator) -> np.ndarray:
    """Antialiased bicubic reduce, then mostly JPEG (4:2:0, quality 50-95), sometimes mild blur or noise first.

    The LR side of a JPEG texture: the network learns to remove the 8x8 block grid and the
    chroma bleeding instead of sharpening them. One crop in ten stays clean, so clean inputs are
    not treated as compressed ones.
    """
    image = Image.fromarray(hr)
    if rng.random() < 0.3:
        image = image.filter(ImageFilter.GaussianBlur(radius=float(rng.uniform(0.2, 0.8))))
    lr = bicubic_downscale(np.asarray(image), scale)
    if rng.random() < 0.2:
        noisy = lr.astype(np.float32) + rng.normal(0.0, rng.uniform(0.5, 3.0), size=lr.shape).astype(np.float32)
        lr = np.clip(noisy + 0.5, 0, 255).astype(np.uint8)
    if rng.random() < 0.9:
        lr = jpeg_roundtrip(lr, int(rng.integers(JPEG_QUALITY[0], JPEG_QUALITY[1] + 1)))
    return lr


def jpeg_roundtrip(image: np.ndarray, quality: int) -> np.ndarray:
    """Encode and decode an RGB uint8 image as JPEG at `quality`, 4:2:0 chroma (what cameras and most tools write)."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality, subsampling="4:2:0")
    buffer.seek(0)
    return np.asarray(Image.open(buffer).convert("RGB"))
