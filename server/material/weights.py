"""Material network weights as safetensors: tensors plus JSON metadata, never pickle.

Metadata keys: ``format`` (``texforge-material``), ``config`` (``NetworkConfig`` JSON),
``capture`` (the ``CaptureSetup`` the model was trained for, JSON) and ``card`` (model card
summary JSON: data, steps, hardware, validation scores).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from safetensors import safe_open
from safetensors.torch import save_file

from .network import MaterialNet, NetworkConfig
from .render import CaptureSetup

FORMAT = "texforge-material"
TRAINING_CROP_SIZE = 128
"""Default training photo size (px); also what a card without ``crop_size`` (every network
trained before the card recorded it) was trained at."""


def training_crop_size(card: dict[str, Any]) -> int:
    """The photo size (px) a network was trained at, from its card's ``crop_size``."""
    size = card.get("crop_size", TRAINING_CROP_SIZE)
    if not isinstance(size, int) or size < 8:
        raise ValueError(f"model card crop_size must be an integer >= 8, got {size!r}")
    return size


def save_model(path: Path, net: MaterialNet, capture: CaptureSetup, card: dict[str, Any]) -> None:
    """Write ``net`` with its hyper-parameters, capture setup and card."""
    tensors = {name: t.detach().contiguous().cpu() for name, t in net.state_dict().items()}
    metadata = {
        "format": FORMAT,
        "config": net.config.to_json(),
        "capture": json.dumps(asdict(capture), sort_keys=True),
        "card": json.dumps(card, sort_keys=True),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    save_file(tensors, str(tmp), metadata=metadata)
    tmp.replace(path)


def load_model(path: Path, device: str = "cpu") -> tuple[MaterialNet, CaptureSetup, dict[str, Any]]:
    """Read a model written by ``save_model``; ValueError if the file is not one."""
    with safe_open(str(path), framework="pt", device="cpu") as handle:
        metadata = handle.metadata() or {}
        if metadata.get("format") != FORMAT:
            raise ValueError(f"{path} is not a texforge material model (format={metadata.get('format')!r})")
        state = {name: handle.get_tensor(name) for name in handle.keys()}
    net = MaterialNet(NetworkConfig.from_json(metadata["config"]))
    net.load_state_dict(state)
    net.eval().to(device)
    capture = CaptureSetup(**json.loads(metadata.get("capture", "{}")))
    card = json.loads(metadata.get("card", "{}"))
    return net, capture, card
