"""The coordinate map: reproducible per seed, inside the exemplar, tileable on request, pinned pixels kept."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from texforge.server.multiply import metrics
from texforge.server.multiply.synthesis import (
    SynthesisRequest,
    SynthesisSettings,
    level_count,
    passes,
    synthesise,
)

from .conftest import noise_guide


def test_the_same_seed_gives_the_same_map_and_another_seed_another() -> None:
    guide = noise_guide((40, 40))
    first = synthesise(SynthesisRequest(guide, (64, 72), True, seed=3))
    assert torch.equal(first, synthesise(SynthesisRequest(guide, (64, 72), True, seed=3)))
    other = synthesise(SynthesisRequest(guide, (64, 72), True, seed=4))
    assert (first != other).any(0).float().mean() > 0.5


@pytest.mark.parametrize("size", [(8, 8), (37, 91), (130, 64)])
def test_any_output_size_copies_pixels_from_inside_the_exemplar(size: tuple[int, int]) -> None:
    guide = noise_guide((40, 56))
    coords = synthesise(SynthesisRequest(guide, size, False, seed=0))
    assert coords.shape == (2, *size) and coords.dtype == torch.long
    assert coords[0].min() >= 0 and coords[0].max() < 40 and coords[1].min() >= 0 and coords[1].max() < 56


def test_the_output_is_made_of_coherent_exemplar_pieces_not_a_copy() -> None:
    guide = noise_guide((48, 48))
    coords = synthesise(SynthesisRequest(guide, (96, 96), True, seed=1))
    continues = ((coords[1, :, 1:] - coords[1, :, :-1]) == 1) & (coords[0, :, 1:] == coords[0, :, :-1])
    assert continues.float().mean() > 0.6  # pieces, not a per-pixel mosaic
    image = guide.numpy().transpose(1, 2, 0)[coords[0].numpy(), coords[1].numpy()]
    assert metrics.copy_score(image, guide.numpy().transpose(1, 2, 0)) < 0.8  # and not the exemplar tiled


def test_a_tileable_map_wraps_around_as_smoothly_as_its_interior() -> None:
    guide = noise_guide((48, 48), seed=2)
    exemplar = guide.numpy().transpose(1, 2, 0)
    ratios = []
    for seed in range(3):
        coords = synthesise(SynthesisRequest(guide, (80, 80), True, seed=seed))
        ratios.append(metrics.seam_ratio(exemplar[coords[0].numpy(), coords[1].numpy()]))
    assert np.median(ratios) < 1.3
    assert metrics.seam_ratio(exemplar) > 2  # the exemplar itself does not tile


def test_pinned_pixels_copy_the_exemplar_in_place() -> None:
    guide = noise_guide((48, 40))
    pinned = torch.zeros(48, 40, dtype=torch.bool)
    pinned[8:40, 6:34] = True
    coords = synthesise(SynthesisRequest(guide, (48, 40), True, seed=0, pinned=pinned))
    rows, cols = torch.meshgrid(torch.arange(48), torch.arange(40), indexing="ij")
    assert torch.equal(coords[0][pinned], rows[pinned]) and torch.equal(coords[1][pinned], cols[pinned])


def test_progress_is_called_once_per_pass() -> None:
    guide = noise_guide((40, 40))
    calls = []
    synthesise(SynthesisRequest(guide, (64, 64), True, seed=0), progress=lambda: calls.append(1))
    assert len(calls) == passes((40, 40), (64, 64)) > 1


def test_levels_stop_before_the_coarsest_neighbourhood_outgrows_the_exemplar() -> None:
    settings = SynthesisSettings()
    assert level_count((256, 256), (512, 512), settings) == 5  # 4 x 16 + 1 = 65 px <= 0.4 x 256
    assert level_count((16, 16), (512, 512), settings) == 1
    tiny = level_count((256, 256), (8, 8), settings)
    assert 8 / 2 ** (tiny - 1) >= 2  # a tiny output keeps at least 2 pixels at its coarsest level
