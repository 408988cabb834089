"""Community ESRGAN-family models (.pth / .safetensors).

Our own families are tried first (plain ESRGAN / Real-ESRGAN RRDBNet state dicts load
without any extra package); anything else goes through spandrel when it imports. `.pth`
files are read with `torch.load(..., weights_only=True)` only: no arbitrary unpickling.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .archs import UnknownArchitectureError
from .upscaler import NeuralUpscaler
from .weights import LoadedNetwork, network_from_state_dict, read_safetensors

logger = logging.getLogger(__name__)

_WRAPPER_KEYS = ("params_ema", "params", "state_dict", "model")


class CommunityModelError(ValueError):
    """A community model file cannot be loaded (unknown architecture, spandrel missing, bad file)."""


def read_state_dict(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Tensors and metadata of a .safetensors or .pth file (wrappers like `params_ema` removed)."""
    path = Path(path)
    if path.suffix == ".safetensors":
        return read_safetensors(path)
    if path.suffix in (".pth", ".pt", ".ckpt"):
        try:
            loaded: Any = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as error:  # torch raises UnpicklingError and several others here
            raise CommunityModelError(f"{path}: not a weights-only checkpoint ({error})") from error
        return unwrap_state_dict(loaded), {}
    raise CommunityModelError(f"{path}: expected .safetensors or .pth")


def unwrap_state_dict(loaded: Any) -> dict[str, torch.Tensor]:
    """The tensor mapping inside common checkpoint wrappers."""
    while isinstance(loaded, Mapping):
        wrapped = next((loaded[key] for key in _WRAPPER_KEYS if isinstance(loaded.get(key), Mapping)), None)
        if wrapped is None:
            break
        loaded = wrapped
    if not isinstance(loaded, Mapping) or not all(isinstance(v, torch.Tensor) for v in loaded.values()):
        raise CommunityModelError("checkpoint does not contain a state dict of tensors")
    return {str(key).removeprefix("module."): value for key, value in loaded.items()}


def _load_with_spandrel(path: Path) -> tuple[nn.Module, int, bool, str]:
    try:
        import spandrel
    except ImportError as error:
        raise CommunityModelError(
            f"{path.name}: architecture not built in, and spandrel is not importable ({error}); "
            "install texforge[community] with a torch that has a matching torchvision"
        ) from error
    descriptor = spandrel.ModelLoader().load_from_file(str(path))
    if not isinstance(descriptor, spandrel.ImageModelDescriptor):
        raise CommunityModelError(f"{path.name}: not a single-image model")
    return descriptor.model.eval(), int(descriptor.scale), bool(descriptor.supports_half), str(descriptor.architecture.name)


def load_community_upscaler(path: str | Path, name: str | None = None, device: str = "cpu") -> NeuralUpscaler:
    """A NeuralUpscaler for a community model file."""
    path = Path(path)
    state_dict, metadata = read_state_dict(path)
    try:
        loaded = network_from_state_dict(state_dict, metadata)
    except UnknownArchitectureError:
        loaded = _spandrel_as_loaded(path)
    loaded.card = {**loaded.card, "source": path.name, "community": True}
    return NeuralUpscaler(name or path.stem, loaded, device=device)


def _spandrel_as_loaded(path: Path) -> LoadedNetwork:
    from .archs.base import ArchFamily

    network, scale, supports_half, architecture = _load_with_spandrel(path)
    family = ArchFamily(name=f"spandrel:{architecture}", hparams_type=dict, build=lambda s, h: network,
                        detect=lambda sd: False, infer=lambda sd: (scale, {}), scales=(scale,),
                        supports_half=supports_half)
    return LoadedNetwork(family=family, scale=scale, hparams={}, network=network)
