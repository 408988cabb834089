"""Which models a server offers: an explicit list, loaded once at start-up.

Order is preference: the first registered model of a kind is its default, and a request for
a scale the default lacks gets the first model that has it. On CPU the fast networks lead; on
CUDA the quality ones do. Baselines come last: always there, never the default while a
trained model exists.
"""

from __future__ import annotations

import logging
from pathlib import Path

from .diagnostic import FailingUpscaler, SlowUpscaler
from .material.models import HeuristicMaterialModel, NeuralMaterialModel
from .multiply import PatchSynthesisModel
from .registry import ModelRegistry
from .sr.community import load_community_upscaler
from .sr.upscaler import BicubicUpscaler
from .weight_files import WEIGHTS_DIR, load_upscaler_file, model_path

log = logging.getLogger(__name__)

UPSCALERS_CPU = ("fast-x4", "fast-x2", "lite-x4", "lite-x2", "quality-x4", "quality-x2")
UPSCALERS_CUDA = ("quality-x4", "quality-x2", "fast-x4", "fast-x2", "lite-x4", "lite-x2")
# lite-xN: the speed tier for CPUs without native bf16, offered by name only. The default never
# depends on the CPU, so one command gives the same pixels on every machine.
MATERIAL_MODELS = ("material-1shot", "material-2shot")


def build_registry(device: str, diagnostic: bool = False, weights_dir: Path = WEIGHTS_DIR,
                   extra_models: tuple[Path, ...] = (), precision: str = "fp32") -> ModelRegistry:
    """Registry of the shipped models found in `weights_dir` (plus community model files), for `device`.

    `precision` (resolved, see `server.device`) is what the shipped networks run at; community
    models stay fp32, since nothing measured them at lower precision.
    """
    registry = ModelRegistry()
    preference = UPSCALERS_CUDA if device.startswith("cuda") else UPSCALERS_CPU
    for name in preference:
        path = model_path(name, weights_dir)
        if path.exists():
            registry.add(load_upscaler_file(path, name, device, precision))
    for path in extra_models:  # the operator's choice at start-up; never a path taken from a request
        registry.add(load_community_upscaler(path, device=device))
    registry.add(BicubicUpscaler(device=device))
    for name in MATERIAL_MODELS:
        path = model_path(name, weights_dir)
        if path.exists():
            registry.add(NeuralMaterialModel.from_file(path, device=device, name=name))
    registry.add(HeuristicMaterialModel())
    registry.add(PatchSynthesisModel(device=device))
    if diagnostic:
        registry.add(SlowUpscaler())
        registry.add(FailingUpscaler())
    log.info("models: %s", ", ".join(d.name for d in registry.descriptors()))
    return registry
