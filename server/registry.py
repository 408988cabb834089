"""Model registry: the container of named models (what a model is: `server/contract.py`).

The request loop never inspects an `nn.Module`: everything it needs (kind, scales, half
precision, tiling) is in the descriptor. Registration is explicit; nothing is discovered by
scanning folders, and a failed `add` changes nothing.
"""

from __future__ import annotations

from .contract import Model, ModelDescriptor, ModelKind


class DuplicateModelError(ValueError):
    """A model with this name is already registered."""


class UnknownModelError(KeyError):
    """No model with this name is registered."""


class ModelRegistry:
    """Name -> loaded model, in registration order."""

    def __init__(self) -> None:
        self._models: dict[str, Model] = {}
        self._defaults: dict[ModelKind, str] = {}

    def add(self, model: Model, *, default: bool = False) -> None:
        """Register `model`; reject duplicate names."""
        descriptor: ModelDescriptor = model.descriptor
        if descriptor.name in self._models:
            raise DuplicateModelError(f"model {descriptor.name!r} is already registered")
        self._models[descriptor.name] = model
        if default or descriptor.kind not in self._defaults:
            self._defaults[descriptor.kind] = descriptor.name

    def get(self, name: str) -> Model:
        """The model named `name`; UnknownModelError if there is none."""
        try:
            return self._models[name]
        except KeyError:
            raise UnknownModelError(name) from None

    def default_name(self, kind: ModelKind) -> str:
        """Name of the default model of `kind`; UnknownModelError when none is registered."""
        try:
            return self._defaults[kind]
        except KeyError:
            raise UnknownModelError(f"no {kind} model registered") from None

    def descriptors(self) -> list[ModelDescriptor]:
        """All descriptors, in registration order."""
        return [model.descriptor for model in self._models.values()]

    def __contains__(self, name: object) -> bool:
        return name in self._models
