from __future__ import annotations

import itertools
import threading

import numpy as np
import pytest
import torch

from texforge.server.contract import JobCancelled, JobContext, UpscaleRequest
from texforge.server.sr.pipeline import upscale_request
from texforge.server.sr.tiling import SHAPE_BUCKET, TileGrid, feather_weights, tile_spans, upscale_tiled_with_retry
from texforge.server.sr.upscaler import BicubicUpscaler, NeuralUpscaler

from .conftest import tiny_fastsr


def periodic_texture(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Smooth random uint8 RGB noise that tiles seamlessly (low-pass filtered in Fourier space)."""
    spectrum = np.fft.fft2(rng.normal(size=(height, width, 3)), axes=(0, 1))
    fy, fx = np.fft.fftfreq(height)[:, None, None], np.fft.fftfreq(width)[None, :, None]
    smooth = np.fft.ifft2(spectrum * np.exp(-(fx**2 + fy**2) / 0.01), axes=(0, 1)).real
    smooth = (smooth - smooth.min()) / (smooth.max() - smooth.min())
    return (smooth * 255).round().astype(np.uint8)


def seam_ratios(image: np.ndarray, phase: int = 1) -> tuple[float, float]:
    """Wrap-seam difference over the mean neighbouring-pixel difference, for columns and rows.

    With `phase` = scale, only neighbours straddling the boundary between two input pixels'
    footprints count as "inside": the wrap seam is such a boundary, and a near-nearest-neighbour
    network's output is flat within a footprint, which would make any seam look large.
    """
    pixels = image.astype(np.float64)
    inside_x = np.abs(np.diff(pixels, axis=1)[:, phase - 1::phase]).mean()
    inside_y = np.abs(np.diff(pixels, axis=0)[phase - 1::phase]).mean()
    seam_x = np.abs(pixels[:, -1] - pixels[:, 0]).mean()
    seam_y = np.abs(pixels[-1] - pixels[0]).mean()
    return seam_x / inside_x, seam_y / inside_y


def test_tile_spans_cover_the_length_evenly() -> None:
    spans = tile_spans(100, 32)
    assert spans[0][0] == 0 and spans[-1][1] == 100 and len(spans) == 4
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))


def test_feather_weights_of_neighbours_sum_to_one() -> None:
    left = feather_weights(0, 40, 0, 10, 20, ramp=8, scale=2)
    right = feather_weights(12, 40, 10, 20, 20, ramp=8, scale=2)
    total = left.clone()
    total[12:] += right
    torch.testing.assert_close(total, torch.ones(40))


def test_wrapped_context_reads_across_the_border() -> None:
    grid = TileGrid(10, 10, tile=5, margin=2, wrap=True)
    assert grid.context_indices(0, 5, 10).tolist()[:9] == [8, 9, 0, 1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("length", [7, 45, 100, 257])
def test_tiles_come_in_few_shapes(length: int) -> None:
    """Every context span is a multiple of SHAPE_BUCKET long, whatever the image size (issue 22)."""
    grid = TileGrid(length, length, tile=64, margin=5)
    lengths = {len(grid.context_indices(start, end, length)) for start, end in grid.row_spans}
    assert all(n % SHAPE_BUCKET == 0 and n >= 2 * 5 for n in lengths)


@pytest.mark.parametrize("scale", [2, 4])
def test_tiled_equals_untiled(scale: int, rng: np.random.Generator) -> None:
    upscaler = NeuralUpscaler("tiny", tiny_fastsr(scale, features=8, blocks=2))
    image = (rng.random((45, 70, 3)) * 255).astype(np.uint8)
    request = UpscaleRequest.of(image, scale=scale)
    whole = upscale_request(request, upscaler.core(tile=512), JobContext())
    tiled = upscale_request(request, upscaler.core(tile=16), JobContext())
    assert np.abs(whole.astype(int) - tiled.astype(int)).max() <= 2


def test_tileable_bicubic_output_wraps_seamlessly(rng: np.random.Generator) -> None:
    image = periodic_texture(rng, 40, 56)
    core = BicubicUpscaler().core(4, tile=16)
    output = upscale_request(UpscaleRequest.of(image, scale=4, tileable=True), core, JobContext())
    assert max(seam_ratios(output)) <= 1.2
    plain = upscale_request(UpscaleRequest.of(image, scale=4, tileable=False), core, JobContext())
    assert max(seam_ratios(plain)) > max(seam_ratios(output))


def test_tileable_network_output_wraps_seamlessly(rng: np.random.Generator) -> None:
    image = periodic_texture(rng, 40, 56)
    core = NeuralUpscaler("tiny", tiny_fastsr(4, features=8, blocks=2)).core(tile=16)
    output = upscale_request(UpscaleRequest.of(image, scale=4, tileable=True), core, JobContext())
    assert max(seam_ratios(output, phase=4)) <= 1.2


@pytest.mark.parametrize("target", [(150, 130), (300, 170)])
def test_tileable_exact_size_output_wraps_seamlessly(target: tuple[int, int], rng: np.random.Generator) -> None:
    image = periodic_texture(rng, 40, 56)
    core = BicubicUpscaler().core(4, tile=16)
    output = upscale_request(UpscaleRequest.of(image, scale=4, tileable=True, size=target), core, JobContext())
    assert output.shape == (target[1], target[0], 3)
    assert max(seam_ratios(output)) <= 1.2


def test_progress_reports_every_tile(rng: np.random.Generator) -> None:
    reports: list[tuple[int, int, str]] = []
    context = JobContext(progress_callback=lambda done, total, stage: reports.append((done, total, stage)))
    image = (rng.random((40, 40, 3)) * 255).astype(np.uint8)
    upscale_request(UpscaleRequest.of(image, scale=2), BicubicUpscaler().core(2, tile=16), context)
    assert reports == [(i, 9, "tiles") for i in range(1, 10)]


def test_cancellation_stops_the_job(rng: np.random.Generator) -> None:
    cancel = threading.Event()
    calls = []

    def cancel_after_first(done: int, total: int, stage: str) -> None:
        calls.append(done)
        cancel.set()

    context = JobContext(progress_callback=cancel_after_first, cancel_event=cancel)
    image = (rng.random((40, 40, 3)) * 255).astype(np.uint8)
    with pytest.raises(JobCancelled):
        upscale_request(UpscaleRequest.of(image, scale=2), BicubicUpscaler().core(2, tile=16), context)
    assert calls == [1]


def test_out_of_memory_retries_with_smaller_tiles() -> None:
    tile_sizes = []

    def fragile(tile: torch.Tensor) -> torch.Tensor:
        tile_sizes.append(max(tile.shape[-2:]))
        if max(tile.shape[-2:]) > 48:  # tile 32 + 2 x margin 4, bucketed to 48
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return torch.nn.functional.interpolate(tile, scale_factor=2, mode="nearest")

    image = torch.rand(3, 64, 64)
    output = torch.zeros(3, 128, 128)

    def sink(row: int, band: torch.Tensor) -> None:
        output[:, row:row + band.shape[1]] = band

    used = upscale_tiled_with_retry(image, fragile, 2, sink, JobContext(), tile=64, margin=4)
    assert used == 32
    torch.testing.assert_close(output, torch.nn.functional.interpolate(image[None], scale_factor=2)[0])


def test_other_runtime_errors_propagate() -> None:
    def broken(tile: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("shape mismatch")

    with pytest.raises(RuntimeError, match="shape mismatch"):
        upscale_tiled_with_retry(torch.rand(3, 8, 8), broken, 2, lambda r, b: None, JobContext(), tile=8, margin=2)
