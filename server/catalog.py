"""Which models a server offers: an explicit list, loaded once at start-up.

Order is preference: the first registered model of a kind is its default, and a request for
a scale the default lacks gets the first model that has it. On CPU the fast networks lead; on
CUDA the quality ones do. Baselines come last: always there, never the default while a
trained model exists.
"""

from __future__ import annotations

import logging
from pathlib import Path

from .material.models import HeuristicMaterialModel, NeuralMaterialModel
from .models.diagnostic import FailingUpscaler, SlowUpscaler
from .registry import ModelRegistry
from .sr.community import load_community_upscaler
from .sr.upscaler import BicubicUpscaler, NeuralUpscaler

log = logging.getLogger(__name__)

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"

UPSCALERS_CPU = ("fast-x4", "fast-x2", "quality-x4", "quality-x2")
UPSCALERS_CUDA = ("quality-x4", "quality-x2", "fast-x4", "fast-x2")
MATERIAL_MODELS = ("material-1shot", "material-2shot")


def build_registry(device: str, diagnostic: bool = False, weights_dir: Path = WEIGHTS_DIR,
                   extra_models: tuple[Path, ...] = ()) -> ModelRegistry:
    """Registry of the shipped models found in `weights_dir` (plus community model files), for `device`."""
    registry = ModelRegistry()
    preference = UPSCALERS_CUDA if device.startswith("cuda") else UPSCALERS_CPU
    for name in preference:
        path = weights_dir / f"{name}.safetensors"
        if path.exists():
            sharp = weights_dir / f"{name.replace('quality', 'sharp')}.safetensors"
            partner = sharp if name.startswith("quality") and sharp.exists() else None
            registry.add(NeuralUpscaler.from_file(path, name=name, device=device, sharp_path=partner))
    for path in extra_models:  # the operator's choice at start-up; never a path taken from a request
        registry.add(load_community_upscaler(path, device=device))
    registry.add(BicubicUpscaler(device=device))
    for name in MATERIAL_MODELS:
        path = weights_dir / f"{name}.safetensors"
        if path.exists():
            registry.add(NeuralMaterialModel.from_file(path, device=device, name=name))
    registry.add(HeuristicMaterialModel())
    if diagnostic:
        registry.add(SlowUpscaler())
        registry.add(FailingUpscaler())
    log.info("models: %s", ", ".join(d.name for d in registry.descriptors()))
    return registry
