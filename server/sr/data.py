"""Training data: images loaded into memory once, random aligned LR/HR crops with augmentation."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .degrade import jpeg_degrade, realistic_degrade
from .metrics import bicubic_downscale, crop_to_multiple

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


def list_images(folders: Sequence[str | Path]) -> list[Path]:
    """Image files directly inside `folders`, sorted per folder."""
    paths: list[Path] = []
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            raise ValueError(f"not a folder: {folder}")
        paths.extend(sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES))
    return paths


def load_rgb(path: str | Path) -> np.ndarray:
    """An image file as H x W x 3 uint8 RGB."""
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def load_images(folders: Sequence[str | Path]) -> list[np.ndarray]:
    """Every image of `folders` as RGB uint8 arrays."""
    images = [load_rgb(path) for path in list_images(folders)]
    if not images:
        raise ValueError(f"no images found in {list(map(str, folders))}")
    return images


PER_CROP_DEGRADATIONS = {"realistic": realistic_degrade, "jpeg": jpeg_degrade}
"""Degradations drawn afresh for every crop."""
DEGRADATIONS = ("bicubic", *PER_CROP_DEGRADATIONS)
"""How LR crops are made: `bicubic` once per image (the evaluation convention), the others per crop."""


@dataclass
class TrainingPair:
    """An HR image cropped to a multiple of the scale and its LR version (None: degrade per crop)."""

    hr: np.ndarray
    lr: np.ndarray | None


def dihedral(image: np.ndarray, transform: int) -> np.ndarray:
    """One of the 8 flips/90-degree rotations of an H x W x C array."""
    image = np.rot90(image, transform % 4)
    return image[:, ::-1] if transform >= 4 else image


def reduced(image: np.ndarray, factor: float) -> np.ndarray:
    """An H x W x 3 uint8 image antialiased-bicubic reduced by ``factor`` (< 1) on each side."""
    height, width = image.shape[:2]
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BICUBIC))


def with_reductions(images: Sequence[np.ndarray], factors: Sequence[float]) -> list[np.ndarray]:
    """``images`` followed by each one reduced by every factor of ``factors`` in (0, 1) (scale augmentation).

    Reduced copies of a photo show its structure at other distances: more HR content for a training
    set that a network has stopped learning from, as FSRCNN and LapSRN augmented theirs."""
    return [*images, *(reduced(image, factor) for factor in factors for image in images)]


class CropSampler:
    """Draws batches of aligned (LR, HR) crops, sampling images in proportion to their area."""

    def __init__(
        self, images: Sequence[np.ndarray], scale: int, lr_crop: int, degrade: str, rng: np.random.Generator
    ) -> None:
        if degrade not in DEGRADATIONS:
            raise ValueError(f"unknown degradation {degrade!r}; expected one of {', '.join(DEGRADATIONS)}")
        self.scale, self.lr_crop, self.degrade, self.rng = scale, lr_crop, degrade, rng
        hr_crop = lr_crop * scale
        usable = [crop_to_multiple(img, scale) for img in images if min(img.shape[:2]) >= hr_crop]
        if not usable:
            raise ValueError(f"no training image is at least {hr_crop} px on its short side")
        self.pairs = [TrainingPair(hr, bicubic_downscale(hr, scale) if degrade == "bicubic" else None)
                      for hr in usable]
        areas = np.array([(p.hr.shape[0] // scale - lr_crop + 1) * (p.hr.shape[1] // scale - lr_crop + 1)
                          for p in self.pairs], dtype=np.float64)
        self.weights = areas / areas.sum()
        logger.info("%d of %d training images usable at LR crop %d", len(usable), len(images), lr_crop)

    def sample(self) -> tuple[np.ndarray, np.ndarray]:
        """One augmented (LR, HR) uint8 crop pair."""
        pair = self.pairs[self.rng.choice(len(self.pairs), p=self.weights)]
        s, c = self.scale, self.lr_crop
        y = int(self.rng.integers(0, pair.hr.shape[0] // s - c + 1))
        x = int(self.rng.integers(0, pair.hr.shape[1] // s - c + 1))
        hr = pair.hr[y * s:(y + c) * s, x * s:(x + c) * s]
        lr = pair.lr[y:y + c, x:x + c] if pair.lr is not None else PER_CROP_DEGRADATIONS[self.degrade](hr, s, self.rng)
        transform = int(self.rng.integers(0, 8))
        return dihedral(lr, transform), dihedral(hr, transform)

    def batch(self, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """N x 3 x h x w float tensors in [0, 1]: LR inputs and HR targets."""
        lrs, hrs = zip(*(self.sample() for _ in range(size)), strict=True)
        return to_tensor_batch(lrs), to_tensor_batch(hrs)


def to_tensor_batch(images: Sequence[np.ndarray]) -> torch.Tensor:
    """Stack H x W x 3 uint8 arrays into an N x 3 x H x W float tensor in [0, 1]."""
    stacked = np.ascontiguousarray(np.stack(images).transpose(0, 3, 1, 2))
    return torch.from_numpy(stacked).float().div_(255.0)
