"""The catalog offers the models of a weights folder under the one naming rule."""

from __future__ import annotations

from pathlib import Path

from texforge.server.catalog import UPSCALERS_CUDA, build_registry
from texforge.server.sr.weights import save_network
from texforge.server.weight_files import is_offered, sharp_partner_path

from .sr.conftest import tiny_fastsr


def write_tiny_upscaler(path: Path, scale: int, seed: int = 0, stages: list[dict[str, object]] | None = None) -> None:
    """A random FastSR weights file at `path` (its card lists `stages` when given)."""
    import torch

    torch.manual_seed(seed)
    loaded = tiny_fastsr(scale)
    card: dict[str, object] = {"seed": seed} if stages is None else {"seed": seed, "stages": stages}
    save_network(path, loaded.network, loaded.family, scale, loaded.hparams, card)


def test_build_registry_pairs_the_sharp_partner_named_by_the_rule(tmp_path: Path) -> None:
    write_tiny_upscaler(tmp_path / "fast-x4.safetensors", 4, seed=1)
    write_tiny_upscaler(sharp_partner_path("fast-x4", tmp_path), 4, seed=2)
    write_tiny_upscaler(tmp_path / "fast-x2.safetensors", 2, seed=3)
    registry = build_registry("cpu", weights_dir=tmp_path)
    names = [d.name for d in registry.descriptors()]
    assert "fast-x4-sharp" not in names
    assert registry.get("fast-x4").descriptor.detail is True
    assert registry.get("fast-x2").descriptor.detail is False
    assert registry.default_name("upscale") == "fast-x4"


def test_the_lite_tier_is_offered_by_name_and_never_the_default(tmp_path: Path) -> None:
    for name, scale in (("lite-x4", 4), ("lite-x2", 2), ("fast-x4", 4), ("fast-x2", 2)):
        write_tiny_upscaler(tmp_path / f"{name}.safetensors", scale)
    registry = build_registry("cpu", weights_dir=tmp_path)
    names = [d.name for d in registry.descriptors()]
    # after the fast networks, so a request for a scale the default lacks still gets fast-x2
    assert names.index("fast-x2") < names.index("lite-x4") < names.index("lite-x2") < names.index("bicubic")
    assert registry.default_name("upscale") == "fast-x4"
    assert UPSCALERS_CUDA.index("fast-x2") < UPSCALERS_CUDA.index("lite-x4")


def test_an_empty_weights_folder_still_offers_the_baselines(tmp_path: Path) -> None:
    names = [d.name for d in build_registry("cpu", weights_dir=tmp_path).descriptors()]
    assert names == ["bicubic", "heuristic", "patch-synthesis"]


def test_partners_and_training_states_are_not_models_of_their_own() -> None:
    assert is_offered(Path("fast-x4.safetensors"))
    assert not is_offered(Path("fast-x4-sharp.safetensors"))
    assert not is_offered(Path("material-1shot.state.safetensors"))


def test_a_jpeg_partner_is_paired_and_runs_for_jpeg_sources_only(tmp_path: Path) -> None:
    import numpy as np

    from texforge.server.contract import JobContext, UpscaleRequest
    from texforge.server.weight_files import jpeg_partner_path, model_path

    write_tiny_upscaler(model_path("fast-x2", tmp_path), 2, seed=1)
    write_tiny_upscaler(jpeg_partner_path("fast-x2", tmp_path), 2, seed=2)
    registry = build_registry("cpu", weights_dir=tmp_path)
    assert "fast-x2-jpeg" not in [d.name for d in registry.descriptors()]
    upscaler = registry.get("fast-x2")
    assert upscaler.descriptor.jpeg_robust and not upscaler.descriptor.detail
    image = np.random.default_rng(0).integers(0, 255, (12, 12, 3), dtype=np.uint8)
    plain = upscaler.upscale(UpscaleRequest.of(image, scale=2), JobContext())
    robust = upscaler.upscale(UpscaleRequest.of(image, scale=2, jpeg_source=True), JobContext())
    again = upscaler.upscale(UpscaleRequest.of(image, scale=2), JobContext())
    assert not np.array_equal(plain, robust)
    np.testing.assert_array_equal(plain, again)  # the PSNR weights come back
