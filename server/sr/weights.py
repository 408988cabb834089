"""Save and load super-resolution networks as safetensors with descriptive metadata.

Metadata keys: `texforge.arch` (family name), `texforge.scale`, `texforge.hparams` (JSON),
`texforge.card` (JSON model-card summary). Files without them (community models) are
recognised by their key layout. Nothing is ever unpickled.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch import nn

from .archs import ArchFamily, detect_family, get_family

logger = logging.getLogger(__name__)

ARCH_KEY = "texforge.arch"
SCALE_KEY = "texforge.scale"
HPARAMS_KEY = "texforge.hparams"
CARD_KEY = "texforge.card"
INT8_RANGES_KEY = "texforge.int8_ranges"
"""JSON {point: [low, high]}: activation ranges calibrated for int8 inference (`server/sr/int8.py`)."""


@dataclass
class LoadedNetwork:
    """A network with everything needed to describe it."""

    family: ArchFamily
    scale: int
    hparams: Any
    network: nn.Module
    card: dict[str, Any] = field(default_factory=dict)
    int8_ranges: dict[str, tuple[float, float]] | None = None
    """Calibrated activation ranges for int8 inference (``server/sr/int8.py``), if the file has them."""


def save_network(
    path: str | Path,
    network: nn.Module,
    family: ArchFamily,
    scale: int,
    hparams: Any,
    card: Mapping[str, Any] | None = None,
) -> None:
    """Write the network's weights and metadata to a .safetensors file."""
    metadata = {
        ARCH_KEY: family.name,
        SCALE_KEY: str(scale),
        HPARAMS_KEY: json.dumps(dataclasses.asdict(hparams)),
        CARD_KEY: json.dumps(dict(card or {})),
    }
    tensors = {key: value.detach().contiguous().cpu() for key, value in network.state_dict().items()}
    save_file(tensors, str(path), metadata=metadata)


def read_safetensors(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """All tensors (on CPU) and the metadata of a .safetensors file."""
    with safe_open(str(path), framework="pt", device="cpu") as handle:
        metadata = handle.metadata() or {}
        tensors = {key: handle.get_tensor(key) for key in handle.keys()}
    return tensors, metadata


def network_from_state_dict(
    state_dict: Mapping[str, torch.Tensor], metadata: Mapping[str, str] | None = None
) -> LoadedNetwork:
    """Build the network described by `metadata` (or detected from the keys) and load weights."""
    metadata = metadata or {}
    if ARCH_KEY in metadata:
        family = get_family(metadata[ARCH_KEY])
        scale = int(metadata[SCALE_KEY])
        hparams = family.hparams_from_dict(json.loads(metadata.get(HPARAMS_KEY, "{}")))
    else:
        family = detect_family(state_dict)
        state_dict = _normalised_keys(family, state_dict)
        scale, hparams = family.infer(state_dict)
        logger.info("detected %s x%d %s", family.name, scale, hparams)
    network = family.build(scale, hparams)
    network.load_state_dict(state_dict, strict=True)
    card = json.loads(metadata.get(CARD_KEY, "{}"))
    return LoadedNetwork(family=family, scale=scale, hparams=hparams, network=network.eval(), card=card,
                         int8_ranges=int8_ranges_from_metadata(metadata))


def int8_ranges_from_metadata(metadata: Mapping[str, str]) -> dict[str, tuple[float, float]] | None:
    """The calibrated int8 activation ranges a weights file's metadata holds, or None."""
    text = metadata.get(INT8_RANGES_KEY)
    if not text:
        return None
    return {name: (float(low), float(high)) for name, (low, high) in json.loads(text).items()}


def _normalised_keys(family: ArchFamily, state_dict: Mapping[str, torch.Tensor]) -> Mapping[str, torch.Tensor]:
    if family.name == "rrdb":
        from .archs.rrdb import to_basicsr_keys

        return to_basicsr_keys(state_dict)
    return state_dict


def load_network(path: str | Path) -> LoadedNetwork:
    """Load a .safetensors network file (ours, or a community file of a known family)."""
    path = Path(path)
    if path.suffix != ".safetensors":
        raise ValueError(f"{path}: expected a .safetensors file")
    tensors, metadata = read_safetensors(path)
    return network_from_state_dict(tensors, metadata)
