"""Exemplar map sets, dihedral symmetries of maps, and the self-ensemble built on them."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from texforge.server.material import train
from texforge.server.material.exemplars import (
    STRIP_MAPS,
    decode_strip_maps,
    encode_strip_maps,
    load_exemplar,
    random_exemplar_crop,
    read_strip,
)
from texforge.server.material.network import MaterialNet, NetworkConfig
from texforge.server.material.pipeline import EDGE_TRIM, self_ensemble, trim_edges
from texforge.server.material.procedural import generate_batch, height_to_normal
from texforge.server.material.render import CaptureSetup, srgb_to_linear
from texforge.server.material.symmetry import DIHEDRAL, inverse_symmetry, transform_image, transform_normals, transform_svbrdf

TILE = 16


def _write_exemplar(path: Path, leading_tiles: int, diffuse: tuple[int, int, int], specular: int = 10) -> None:
    """Tiles: ``leading_tiles`` of noise, then flat normal, ``diffuse``, roughness 128, grey ``specular``."""
    rng = np.random.default_rng(0)
    tiles = [rng.integers(0, 256, (TILE, TILE, 3), dtype=np.uint8) for _ in range(leading_tiles)]
    for colour in ((128, 128, 255), diffuse, (128, 128, 128), (specular, specular, specular)):
        tiles.append(np.broadcast_to(np.array(colour, dtype=np.uint8), (TILE, TILE, 3)))
    Image.fromarray(np.concatenate(tiles, axis=1)).save(path)


@pytest.mark.parametrize("symmetry", DIHEDRAL)
def test_normals_rotate_with_the_height_field(symmetry: int) -> None:
    height = torch.rand(1, 1, 12, 12, generator=torch.Generator().manual_seed(symmetry))
    normals_of_moved_height = height_to_normal(transform_image(height, symmetry), 3.0)
    moved_normals = transform_normals(height_to_normal(height, 3.0), symmetry)
    assert torch.allclose(normals_of_moved_height, moved_normals, atol=1e-6)


@pytest.mark.parametrize("symmetry", DIHEDRAL)
def test_inverse_symmetry_restores_maps(symmetry: int) -> None:
    maps = generate_batch(1, 8, seed=symmetry)
    back = transform_svbrdf(transform_svbrdf(maps, symmetry), inverse_symmetry(symmetry))
    assert torch.equal(back.stacked(), maps.stacked())


@pytest.mark.parametrize("leading_tiles", (0, 10))
def test_load_exemplar_reads_the_last_four_tiles(tmp_path: Path, leading_tiles: int) -> None:
    path = tmp_path / "maps.png"
    _write_exemplar(path, leading_tiles, (200, 100, 50))
    maps = load_exemplar(path)
    assert maps.shape == (1, TILE, TILE)
    assert torch.allclose(maps.normal[0, :, 0, 0], torch.tensor([0.0, 0.0, 1.0]), atol=0.01)
    # diffuse is linear as stored (Deschaintre conventions), not sRGB-decoded
    expected = torch.tensor([200, 100, 50]) / 255.0
    assert torch.allclose(maps.diffuse[0, :, 3, 3], expected, atol=1e-5)
    assert maps.roughness.shape[1] == 1 and abs(float(maps.roughness.mean()) - 128 / 255) < 1e-5


def test_a_dielectric_strip_reads_as_linear_f0(tmp_path: Path) -> None:
    # a sample_* strip: flash photo tile, then the four maps; 11/255 = 0.043, a dielectric's F0 0.04
    path = tmp_path / "sample_1.png"
    _write_exemplar(path, 1, (200, 100, 50), specular=11)
    photo, encoded = read_strip(path)
    maps = decode_strip_maps(encoded)
    assert photo.shape == (1, 3, TILE, TILE) and set(encoded) == set(STRIP_MAPS)
    assert float(maps.specular.mean()) == pytest.approx(0.0431, abs=1e-4)
    # the old sRGB reading would have made it ~0.003, an F0 no real dielectric has
    assert float(srgb_to_linear(encoded["specular"]).mean()) < 0.004
    assert maps.roughness.shape[1] == 1 and float(maps.roughness.mean()) == pytest.approx(128 / 255, abs=1e-5)
    assert torch.allclose(maps.diffuse[0, :, 0, 0], torch.tensor([200, 100, 50]) / 255.0, atol=1e-6)


def test_strip_encoding_round_trips() -> None:
    maps = generate_batch(2, 16, seed=4)
    encoded = encode_strip_maps(maps)
    assert set(encoded) == set(STRIP_MAPS)
    back = decode_strip_maps(encoded)
    assert torch.allclose(back.normal, maps.normal, atol=1e-5)
    for name in ("diffuse", "roughness", "specular"):
        assert torch.allclose(getattr(back, name), getattr(maps, name).clamp(0, 1), atol=1e-6)
    # and from the tile side: encoding the decoded tiles gives the tiles back
    again = encode_strip_maps(back)
    for name in STRIP_MAPS:
        assert torch.allclose(again[name], encoded[name], atol=1e-5)


def test_load_exemplar_rejects_images_that_are_not_tile_rows(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    Image.fromarray(np.zeros((16, 40, 3), dtype=np.uint8)).save(path)
    with pytest.raises(ValueError, match="square tiles"):
        load_exemplar(path)


def test_exemplar_crops_are_seeded_and_keep_unit_normals() -> None:
    exemplar = generate_batch(1, 48, seed=5)
    a = random_exemplar_crop(exemplar, 16, torch.Generator().manual_seed(1))
    b = random_exemplar_crop(exemplar, 16, torch.Generator().manual_seed(1))
    assert a.shape == (1, 16, 16) and torch.equal(a.stacked(), b.stacked())
    assert torch.allclose(a.normal.norm(dim=1), torch.ones(1, 16, 16), atol=1e-5)


def test_training_batch_draws_exemplars_with_their_colours_permuted(tmp_path: Path) -> None:
    path = tmp_path / "maps.png"
    _write_exemplar(path, 0, (200, 100, 50))
    parser = argparse.ArgumentParser()
    train.add_arguments(parser)
    args = parser.parse_args(["--out", str(tmp_path / "m.safetensors"), "--batch", "3", "--crop", "8",
                              "--exemplar-fraction", "1.0"])
    config = train.MaterialTrainConfig.from_namespace(args)
    maps = train.training_batch(config, 0, CaptureSetup(), [load_exemplar(path)]).maps
    colour = sorted((torch.tensor([200, 100, 50]) / 255.0).tolist())
    for item in range(3):
        assert sorted(maps.diffuse[item, :, 0, 0].tolist()) == pytest.approx(colour, abs=1e-5)


def test_self_ensemble_is_invariant_to_rotating_the_photo() -> None:
    torch.manual_seed(0)
    net = MaterialNet(NetworkConfig(in_channels=3, base_channels=4, max_channels=8, depth=2, global_dim=8)).eval()
    photo = torch.rand(1, 3, 16, 16)
    with torch.no_grad():
        single = self_ensemble(net, photo, (0,))
        ensemble = self_ensemble(net, photo)
        rotated = self_ensemble(net, transform_image(photo, 5))
    assert torch.allclose(single.diffuse, trim_edges(net(photo)).diffuse)
    assert not torch.allclose(ensemble.diffuse, single.diffuse)
    assert torch.allclose(transform_svbrdf(ensemble, 5).stacked(), rotated.stacked(), atol=1e-5)
    assert torch.allclose(ensemble.normal.norm(dim=1), torch.ones(1, 16, 16), atol=1e-5)


def test_the_border_rim_of_a_prediction_is_replaced_by_a_mirror_of_the_pixels_inside_it() -> None:
    torch.manual_seed(0)
    net = MaterialNet(NetworkConfig(in_channels=3, base_channels=4, max_channels=8, depth=2, global_dim=8)).eval()
    with torch.no_grad():
        raw = net(torch.rand(1, 3, 32, 32))
    trimmed = trim_edges(raw)
    k = EDGE_TRIM
    for bare, cut in zip(raw.stacked()[0], trimmed.stacked()[0], strict=True):
        assert torch.equal(cut[k:-k, k:-k], bare[k:-k, k:-k])
        assert torch.equal(cut[k - 1, k:-k], bare[k + 1, k:-k])  # row k-1 mirrors row k+1
        assert torch.equal(cut[k:-k, 0], bare[k:-k, 2 * k])
