from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from texforge.server.sr import resample
from texforge.server.sr.resample import axis_taps, resample_banded


def banded(image: torch.Tensor, height: int, width: int, wrap: bool) -> torch.Tensor:
    out = torch.full((image.shape[0], height, width), float("nan"))

    def sink(row: int, band: torch.Tensor) -> None:
        out[:, row:row + band.shape[1]] = band

    resample_banded(image, height, width, wrap, sink)
    return out


@pytest.mark.parametrize("size", [(37, 29), (96, 80), (11, 7)])
def test_matches_pil_bicubic(size: tuple[int, int], rng: np.random.Generator) -> None:
    image = rng.random((24, 20)).astype(np.float32)
    expected = np.asarray(Image.fromarray(image, mode="F").resize(size, Image.BICUBIC))
    ours = banded(torch.from_numpy(image)[None], size[1], size[0], wrap=False)[0].numpy()
    np.testing.assert_allclose(ours, expected, atol=2e-3)


@pytest.mark.parametrize("size", [(50, 30), (13, 9)])
def test_matches_torch_antialiased_bicubic_inside(size: tuple[int, int], rng: np.random.Generator) -> None:
    image = torch.from_numpy(rng.random((3, 40, 36)).astype(np.float32))
    expected = F.interpolate(image[None], size=(size[1], size[0]), mode="bicubic", antialias=True,
                             align_corners=False)[0]
    ours = banded(image, size[1], size[0], wrap=False)
    # torch clamps border taps when enlarging, PIL drops them: compare away from the border
    np.testing.assert_allclose(ours[:, 3:-3, 3:-3], expected[:, 3:-3, 3:-3], atol=2e-3)


def test_weights_sum_to_one_and_wrap_stays_in_range() -> None:
    for wrap in (False, True):
        taps = axis_taps(10, 23, wrap)
        torch.testing.assert_close(taps.weights.sum(1), torch.ones(23))
        assert int(taps.indices.min()) >= 0 and int(taps.indices.max()) < 10


def test_wrapped_resize_of_a_periodic_signal_stays_periodic() -> None:
    # one full sine period across the image: a seamless resize keeps it one full period
    x = (torch.arange(32, dtype=torch.float32) + 0.5) / 32
    image = torch.sin(2 * torch.pi * x)[None, None, :].expand(1, 4, 32).contiguous()
    out = banded(image, 4, 45, wrap=True)[0, 0]
    expected = torch.sin(2 * torch.pi * (torch.arange(45, dtype=torch.float32) + 0.5) / 45)
    assert float((out - expected).abs().max()) < 0.01


def test_small_bands_give_the_same_result(monkeypatch: pytest.MonkeyPatch, rng: np.random.Generator) -> None:
    image = torch.from_numpy(rng.random((2, 30, 26)).astype(np.float32))
    whole = banded(image, 71, 55, wrap=True)
    monkeypatch.setattr(resample, "_BAND_ELEMENTS", 1)
    calls: list[int] = []
    resample_banded(image, 71, 55, True, lambda row, band: calls.append(band.shape[1]))
    assert calls == [1] * 71
    torch.testing.assert_close(banded(image, 71, 55, wrap=True), whole)


def test_rejects_empty_sizes() -> None:
    with pytest.raises(ValueError):
        axis_taps(10, 0, False)
