"""Which models a server offers: the explicit list, built once at start-up."""

from __future__ import annotations

import logging

from .models.bicubic import BicubicUpscaler
from .models.diagnostic import FailingUpscaler, SlowUpscaler
from .registry import ModelRegistry

log = logging.getLogger(__name__)


def build_registry(device: str, diagnostic: bool = False) -> ModelRegistry:
    """Registry of the shipped models for `device`; neural defaults first, baselines last."""
    registry = ModelRegistry()
    registry.add(BicubicUpscaler())
    if diagnostic:
        registry.add(SlowUpscaler())
        registry.add(FailingUpscaler())
    return registry
