"""Small synthetic textures for the multiply tests (no files: each test makes its own)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """These textures are tiny: one intra-op thread is faster than several (and far faster on a busy machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def smooth_noise(size: tuple[int, int], seed: int, scale: float = 6.0) -> np.ndarray:
    """H x W float64 in [0, 1]: a sum of random sinusoids (features about `scale` pixels across)."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[: size[0], : size[1]].astype(np.float64)
    field = np.zeros(size)
    for _ in range(12):
        angle, frequency, phase = rng.uniform(0, np.pi), rng.uniform(0.5, 2.0) / scale, rng.uniform(0, 2 * np.pi)
        field += np.sin(frequency * (np.cos(angle) * cols + np.sin(angle) * rows) + phase)
    return (field - field.min()) / (field.max() - field.min())


def noise_guide(size: tuple[int, int], seed: int = 0) -> torch.Tensor:
    """A 3-channel float guide of smooth noise (the field, its square, its complement)."""
    field = smooth_noise(size, seed)
    return torch.from_numpy(np.stack([field, field ** 2, 1 - field]).astype(np.float32))


RAMP_STOPS = np.array([0.0, 0.35, 0.7, 1.0])
RAMP_COLOURS = np.array([[0.15, 0.08, 0.02], [0.55, 0.35, 0.12], [0.35, 0.6, 0.2], [0.95, 0.95, 0.9]])


def ramp(height: np.ndarray) -> np.ndarray:
    """The albedo of the procedural material: a non-linear colour ramp of its height (H x W -> H x W x 3)."""
    return np.stack([np.interp(height, RAMP_STOPS, RAMP_COLOURS[:, channel]) for channel in range(3)], axis=-1)


def normals_of(height: np.ndarray, strength: float = 4.0) -> np.ndarray:
    """Unit tangent-space normals (H x W x 3 in [-1, 1]) of a height field."""
    dy, dx = np.gradient(height * strength)
    normal = np.stack([-dx, dy, np.ones_like(height)], axis=-1)
    return normal / np.linalg.norm(normal, axis=-1, keepdims=True)


def procedural_material(size: tuple[int, int] = (48, 48), seed: int = 0) -> dict[str, np.ndarray]:
    """Albedo (uint8 sRGB), height (uint16), normal (uint8, (n + 1) / 2) and roughness (float32), all
    rendered from one height field, so their relations are known exactly."""
    height = smooth_noise(size, seed)
    height16 = np.round(height * 65535).astype(np.uint16)
    exact = height16 / 65535.0
    return {
        "albedo": np.round(ramp(exact) * 255).astype(np.uint8),
        "height": height16[..., None],
        "normal": np.round((normals_of(exact) + 1) / 2 * 255).astype(np.uint8),
        "roughness": (1.0 - exact[..., None]).astype(np.float32),
    }
