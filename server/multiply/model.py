"""The texture synthesiser as a model of kind `multiply` (what the registry holds and the ops call)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..contract import JobContext, ModelDescriptor, MultiplyRequest, SeamlessRequest, TextureMap, Variation
from .synthesis import DEFAULT_SETTINGS, SynthesisSettings
from .textures import TextureSet
from .variations import make_seamless, seamless_passes, variation, variation_passes


@dataclass
class _Counter:
    """Reports one step of `total` to the job context per call (which also checks for cancel)."""

    context: JobContext
    total: int
    stage: str
    done: int = 0

    def __call__(self) -> None:
        self.done += 1
        self.context.progress(self.done, self.total, self.stage)


class PatchSynthesisModel:
    """Coordinate-map synthesis (quilting, or pixel synthesis for tiny sizes and make-seamless):
    variations of any size, tileable, material-aligned."""

    def __init__(self, device: str = "cpu", settings: SynthesisSettings = DEFAULT_SETTINGS,
                 name: str = "patch-synthesis") -> None:
        self.device = device
        self.settings = settings
        self.descriptor = ModelDescriptor(
            name=name, kind="multiply", architecture="coordinate-synthesis", tiling=False,
            inputs=("image", "map:*"),
            description="new variations of a texture or material, any size, tileable; make seamless")

    def multiply(self, request: MultiplyRequest, context: JobContext) -> list[Variation]:
        """One variation per seed; progress counts correction passes over all of them."""
        textures = _texture_set(request.image, request.maps)
        per_variation = variation_passes(textures, request.size, request.args.tileable, self.settings)
        counter = _Counter(context, per_variation * len(request.seeds), "synthesis")
        results = []
        for seed in request.seeds:
            context.check_cancelled()
            started = time.perf_counter()
            made = variation(textures, request.size, request.args.tileable, seed, self.settings, counter, self.device)
            results.append(Variation(seed, made.image, made.maps, time.perf_counter() - started))
        return results

    def make_seamless(self, request: SeamlessRequest, context: JobContext) -> Variation:
        """The photo and its maps made tileable, changed only in the border band."""
        textures = _texture_set(request.image, request.maps)
        counter = _Counter(context, seamless_passes(textures, self.settings), "seamless")
        started = time.perf_counter()
        made = make_seamless(textures, request.args.border, request.args.seed, self.settings, counter, self.device)
        return Variation(request.args.seed, made.image, made.maps, time.perf_counter() - started)


def _texture_set(image: np.ndarray, maps: tuple[TextureMap, ...]) -> TextureSet:
    return TextureSet(image, {texture_map.name: texture_map.array for texture_map in maps})
