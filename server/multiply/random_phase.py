"""Random-phase noise (Galerne, Gousseau and Morel 2011, "Random phase textures: theory and synthesis").

The baseline the patch synthesis is measured against: a Gaussian texture with the exemplar's
mean and power spectrum (its colours' cross-spectra too, since every channel gets the same
noise). Fine for stochastic textures such as sand or noise; it loses every edge and shape.
"""

from __future__ import annotations

import numpy as np


def periodic_component(image: np.ndarray) -> np.ndarray:
    """Moisan's periodic component: the image less the smooth part that its borders' jumps cause."""
    height, width = image.shape[:2]
    boundary = np.zeros_like(image)
    boundary[0] += image[-1] - image[0]
    boundary[-1] += image[0] - image[-1]
    boundary[:, 0] += image[:, -1] - image[:, 0]
    boundary[:, -1] += image[:, 0] - image[:, -1]
    rows = np.cos(2 * np.pi * np.arange(height) / height)[:, None]
    cols = np.cos(2 * np.pi * np.arange(width) / width)[None, :]
    laplacian = 2 * rows + 2 * cols - 4
    laplacian[0, 0] = 1.0
    spectrum = np.fft.fft2(boundary, axes=(0, 1)) / laplacian[..., None]
    spectrum[0, 0] = 0
    return image - np.real(np.fft.ifft2(spectrum, axes=(0, 1)))


def random_phase_noise(exemplar: np.ndarray, size: tuple[int, int], seed: int) -> np.ndarray:
    """A `size` = (width, height) float64 texture: the exemplar's spot convolved with white noise.

    The output is periodic (it tiles) when `size` is at least the exemplar's size on both sides.
    """
    image = exemplar[..., None] if exemplar.ndim == 2 else exemplar
    image = image.astype(np.float64)
    height, width = image.shape[:2]
    out_width, out_height = size
    canvas_h, canvas_w = max(height, out_height), max(width, out_width)
    mean = image.mean(axis=(0, 1))
    spot = np.zeros((canvas_h, canvas_w, image.shape[2]))
    spot[:height, :width] = (periodic_component(image) - mean) / np.sqrt(height * width)
    noise = np.random.default_rng(seed).standard_normal((canvas_h, canvas_w))
    spectrum = np.fft.rfft2(spot, axes=(0, 1)) * np.fft.rfft2(noise)[..., None]
    texture = np.fft.irfft2(spectrum, s=(canvas_h, canvas_w), axes=(0, 1)) + mean
    return texture[:out_height, :out_width]
