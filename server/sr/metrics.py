"""Evaluation metrics and the reference degradation shared by training and benchmarks.

Convention (see the project's data README): HR cropped to a multiple of the scale, LR made
by antialiased bicubic downscaling (PIL BICUBIC on reduce, MATLAB-like), PSNR and SSIM on the
Y channel of BT.601 YCbCr with `scale` pixels shaved from each border.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image


def crop_to_multiple(image: np.ndarray, scale: int) -> np.ndarray:
    """Crop H x W (x C) so both sides are multiples of `scale`."""
    height = image.shape[0] - image.shape[0] % scale
    width = image.shape[1] - image.shape[1] % scale
    return image[:height, :width]


def bicubic_downscale(image: np.ndarray, scale: int) -> np.ndarray:
    """Antialiased bicubic reduce of an H x W x 3 uint8 image whose sides divide by `scale`."""
    height, width = image.shape[:2]
    if height % scale or width % scale:
        raise ValueError(f"image size {width}x{height} is not a multiple of scale {scale}")
    reduced = Image.fromarray(image).resize((width // scale, height // scale), Image.Resampling.BICUBIC)
    return np.asarray(reduced)


def bicubic_upscale(image: np.ndarray, scale: int) -> np.ndarray:
    """The classical baseline: PIL bicubic enlargement of an H x W x 3 uint8 image."""
    height, width = image.shape[:2]
    enlarged = Image.fromarray(image).resize((width * scale, height * scale), Image.Resampling.BICUBIC)
    return np.asarray(enlarged)


def rgb_to_y(image: np.ndarray) -> np.ndarray:
    """BT.601 luma in [16, 235] (float64) from an H x W x 3 uint8 RGB image."""
    rgb = image.astype(np.float64) / 255.0
    return 16.0 + rgb @ np.array([65.481, 128.553, 24.966])


def _shave(image: np.ndarray, border: int) -> np.ndarray:
    return image[border:-border, border:-border] if border > 0 else image


def _psnr(output: np.ndarray, target: np.ndarray, shave: int) -> float:
    """PSNR in dB (8-bit range) of two same-shape float arrays, `shave` pixels off each border."""
    if output.shape != target.shape:
        raise ValueError(f"shape mismatch: {output.shape} vs {target.shape}")
    mse = float(np.mean(_shave(output - target, shave) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0**2 / mse)


def psnr_y(output: np.ndarray, target: np.ndarray, shave: int) -> float:
    """PSNR in dB on the Y channel of two same-size uint8 RGB images."""
    return _psnr(rgb_to_y(output), rgb_to_y(target), shave)


def block_edge_strength(image: np.ndarray, period: int) -> float:
    """Mean luma step across the lines of a `period`-pixel grid over the mean step elsewhere.

    1.0 means the grid is invisible; a JPEG's 8x8 block grid (upscaled by s: period 8 s) reads
    above 1. Steps in both directions, on BT.601 Y.
    """
    luma = rgb_to_y(image)
    steps_x = np.abs(np.diff(luma, axis=1))
    steps_y = np.abs(np.diff(luma, axis=0))
    on_x = (np.arange(steps_x.shape[1]) % period) == period - 1
    on_y = (np.arange(steps_y.shape[0]) % period) == period - 1
    grid = np.concatenate([steps_x[:, on_x].ravel(), steps_y[on_y].ravel()])
    rest = np.concatenate([steps_x[:, ~on_x].ravel(), steps_y[~on_y].ravel()])
    return float(grid.mean() / max(rest.mean(), 1e-9))


def _gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    coords = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    kernel_1d = torch.exp(-(coords**2) / (2 * sigma**2))
    kernel_1d /= kernel_1d.sum()
    return (kernel_1d[:, None] * kernel_1d[None, :])[None, None]


def ssim_y(output: np.ndarray, target: np.ndarray, shave: int) -> float:
    """SSIM (Gaussian 11x11, sigma 1.5, valid region) on the Y channel, data range 255."""
    if output.shape != target.shape:
        raise ValueError(f"shape mismatch: {output.shape} vs {target.shape}")
    x = torch.from_numpy(_shave(rgb_to_y(output), shave))[None, None]
    y = torch.from_numpy(_shave(rgb_to_y(target), shave))[None, None]
    window = _gaussian_window()
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu_x, mu_y = F.conv2d(x, window), F.conv2d(y, window)
    var_x = F.conv2d(x * x, window) - mu_x**2
    var_y = F.conv2d(y * y, window) - mu_y**2
    cov = F.conv2d(x * y, window) - mu_x * mu_y
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / (
        (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2)
    )
    return float(ssim_map.mean())


def high_frequency_energy(image: np.ndarray) -> float:
    """Mean squared 4-neighbour Laplacian of BT.601 Y (levels²): how much fine detail an image carries."""
    luma = rgb_to_y(image)
    laplacian = 4 * luma[1:-1, 1:-1] - luma[:-2, 1:-1] - luma[2:, 1:-1] - luma[1:-1, :-2] - luma[1:-1, 2:]
    return float(np.mean(laplacian**2))


def brick_wall(size: int = 192, brick_height: int = 24, mortar: int = 3, seed: int = 1) -> np.ndarray:
    """Flat-toned running-bond bricks (bricks twice as long as high) with light mortar lines
    `mortar` px wide: synthetic texture content whose thin regular lines bicubic blurs. At x4 a
    3 px line is under one LR pixel wide, the case photo sets rarely hold."""
    rows, cols = np.mgrid[0:size, 0:size]
    course = rows // brick_height
    shifted = cols + (course % 2) * brick_height
    brick_length = 2 * brick_height
    is_mortar = ((rows % brick_height) < mortar) | ((shifted % brick_length) < mortar)
    tones = np.random.default_rng(seed).uniform(0.4, 0.8, (size // brick_height + 1, size // brick_length + 3))
    tone = np.where(is_mortar, 0.9, tones[course, shifted // brick_length])
    return (tone[..., None] * np.array([1.0, 0.55, 0.4]) * 255).astype(np.uint8)


def psnr_rgb(output: np.ndarray, target: np.ndarray, shave: int) -> float:
    """PSNR in dB over all channels of two same-size uint8 images, `shave` pixels off each border."""
    return _psnr(output.astype(np.float64), target.astype(np.float64), shave)


def flat_colour_card(size: int = 64, scale: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A test card of flat colours (a disc and a bar on a plain ground), antialiased: its LR image
    (size x size, the HR card bicubic-reduced), the HR card, and the H x W mask of the HR pixels
    farther than one LR pixel from any colour edge, where an upscale must stay flat."""
    side = size * scale
    rows, cols = np.mgrid[:side, :side] + 0.5
    ground, disc, bar = np.array([52, 128, 204]), np.array([230, 77, 26]), np.array([240, 235, 220])
    inside_disc = np.hypot(rows - side * 0.42, cols - side * 0.4) < side * 0.28
    inside_bar = (np.abs(rows - side * 0.82) < side * 0.06) & (cols > side * 0.15) & (cols < side * 0.85)
    card = np.where(inside_disc[..., None], disc, np.where(inside_bar[..., None], bar, ground)).astype(np.uint8)
    label = inside_disc.astype(np.int8) + 2 * inside_bar.astype(np.int8)
    edge = np.zeros((side, side), dtype=bool)
    edge[:, 1:] |= label[:, 1:] != label[:, :-1]
    edge[1:, :] |= label[1:, :] != label[:-1, :]
    reach = scale
    edges = torch.from_numpy(edge.astype(np.float32))[None, None]
    near = F.max_pool2d(edges, 2 * reach + 1, stride=1, padding=reach)[0, 0].numpy() > 0
    return bicubic_downscale(card, scale), card, ~near


def halo_levels(output: np.ndarray, card: np.ndarray, flat: np.ndarray) -> float:
    """99th percentile, over the flat pixels of a test card, of each pixel's largest channel
    deviation (8-bit levels) from the card's colour there: ringing and halos beside edges."""
    deviation = np.abs(output.astype(np.float64) - card.astype(np.float64)).max(axis=-1)
    return float(np.percentile(deviation[flat], 99))
