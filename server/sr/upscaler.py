"""Upscale models for the registry: shipped neural networks and the classical bicubic baseline.

Both go through the same pipeline (server/sr/pipeline.py), so both handle alpha, tileable
textures, normal maps, every dtype and exact target sizes.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..contract import JobContext, ModelDescriptor, UpscaleRequest
from . import int8
from .archs.fast import FastSRNet
from .interpolate import interpolate_state_dicts
from .lineage import partner_lineage, stale_partner_message
from .pipeline import UpscaleCore, upscale_request
from .weights import LoadedNetwork, load_network

logger = logging.getLogger(__name__)

DETAIL_STEPS = 100
"""The detail slider's resolution: requests within 1/100 of each other share one blended network."""

VARIANT_CACHE = 3
"""Most blended networks kept per model (each costs one copy of the weights)."""

Variant = tuple[bool, int]
"""(JPEG partner, detail in 1/DETAIL_STEPS): which weights a request computes with."""

PLAIN: Variant = (False, 0)
"""The network's own weights: no JPEG partner, detail 0."""


def _card_with_partners(name: str, loaded: LoadedNetwork,
                        partners: dict[str, LoadedNetwork | None]) -> dict[str, object]:
    """The model's card summary plus, under `partners`, the stage each partner was grown from."""
    known = {kind: lineage for kind, partner in partners.items()
             if partner is not None and (lineage := partner_lineage(loaded.card, partner.card)) is not None}
    for kind, lineage in known.items():
        if not lineage.current:
            logger.info(stale_partner_message(name, kind, lineage))
    if not known:
        return loaded.card
    return {**loaded.card, "partners": {kind: lineage.to_card() for kind, lineage in known.items()}}


class NeuralUpscaler:
    """A super-resolution network (with an optional sharp GAN partner) as an UpscaleModel.

    `request.args.detail` in [0, 1] blends the PSNR weights towards the sharp partner's
    (network interpolation); without a partner it is ignored. For `jpeg_source` requests the
    JPEG-robust partner's weights take the PSNR weights' place, when there is one.
    """

    descriptor: ModelDescriptor
    """What the registry and clients see."""

    def __init__(self, name: str, loaded: LoadedNetwork, device: str = "cpu",
                 sharp: LoadedNetwork | None = None, description: str = "", precision: str = "fp32",
                 jpeg: LoadedNetwork | None = None) -> None:
        for kind, partner in (("sharp", sharp), ("JPEG", jpeg)):
            if partner is not None and (partner.family.name, partner.scale) != (loaded.family.name, loaded.scale):
                raise ValueError(f"{kind} partner of {name!r} must be the same architecture and scale")
        self.loaded = loaded
        self.device = device
        self.precision = _runnable_precision(name, precision, loaded, jpeg)
        """What the network runs at (a resolved `server.device` precision)."""
        # torch's stubs of Module.to lack the memory_format keyword it accepts
        self._float_network = loaded.network.to(device, memory_format=torch.channels_last).eval()  # type: ignore[call-overload]
        """The fp32 network variants are built from (and run as, unless int8)."""
        self._psnr_weights = {k: v.detach().cpu().clone() for k, v in loaded.network.state_dict().items()}
        self._sharp_weights = sharp.network.state_dict() if sharp is not None else None
        self._jpeg_weights = jpeg.network.state_dict() if jpeg is not None else None
        self._jpeg_ranges = jpeg.int8_ranges if jpeg is not None else None
        self.network = self._runnable(self._float_network, loaded.int8_ranges)
        self._variants: OrderedDict[Variant, nn.Module] = OrderedDict()
        """Networks with partner weights blended in, most recently used last (at most VARIANT_CACHE)."""
        self._variants_lock = threading.Lock()
        self.descriptor = ModelDescriptor(
            name=name, kind="upscale", architecture=loaded.family.name, scales=(loaded.scale,),
            supports_half=loaded.family.supports_half, tiling=True, detail=sharp is not None,
            jpeg_robust=jpeg is not None,
            description=description or f"{loaded.family.name} x{loaded.scale}",
            card=_card_with_partners(name, loaded, {"sharp": sharp, "jpeg": jpeg}),
        )

    @classmethod
    def from_file(cls, path: str | Path, name: str | None = None, device: str = "cpu",
                  sharp_path: str | Path | None = None, precision: str = "fp32",
                  jpeg_path: str | Path | None = None) -> NeuralUpscaler:
        """Load a .safetensors network (and optional sharp and JPEG-robust partners)."""
        path = Path(path)
        sharp = load_network(sharp_path) if sharp_path is not None else None
        jpeg = load_network(jpeg_path) if jpeg_path is not None else None
        return cls(name or path.stem, load_network(path), device=device, sharp=sharp, precision=precision, jpeg=jpeg)

    def variant_of(self, detail: float | None, jpeg_source: bool) -> Variant:
        """Which weights a request gets: (JPEG partner, detail in DETAIL_STEPS steps)."""
        steps = 0 if detail is None or self._sharp_weights is None else round(min(max(detail, 0.0), 1.0) * DETAIL_STEPS)
        return (jpeg_source and self._jpeg_weights is not None, steps)

    def network_for(self, variant: Variant) -> nn.Module:
        """The network computing `variant`: the plain one, or a cached copy with blended weights.

        Each variant is its own module whose weights never change once built, so jobs on
        several workers never see another job's detail or JPEG setting.
        """
        if variant == PLAIN:
            return self.network
        with self._variants_lock:
            network = self._variants.get(variant)
            if network is None:
                network = self._build_variant(variant)
                self._variants[variant] = network
                while len(self._variants) > VARIANT_CACHE:
                    self._variants.popitem(last=False)
            self._variants.move_to_end(variant)
            return network

    def _build_variant(self, variant: Variant) -> nn.Module:
        jpeg_source, steps = variant
        jpeg = self._jpeg_weights if jpeg_source else None
        base = jpeg if jpeg is not None else self._psnr_weights
        weights = interpolate_state_dicts(base, self._sharp_weights or base, steps / DETAIL_STEPS)
        network = copy.deepcopy(self._float_network)
        network.load_state_dict(weights)
        # a blend keeps its base's activation ranges: the sharp partner moves them little
        return self._runnable(network.eval(), self._jpeg_ranges if jpeg is not None else self.loaded.int8_ranges)

    def _runnable(self, network: nn.Module, ranges: dict[str, tuple[float, float]] | None) -> nn.Module:
        """``network`` as it runs at this model's precision (its int8 form under int8)."""
        if self.precision != "int8" or ranges is None:
            return network
        return int8.Int8FastSR(_fast_sr(network), ranges).eval()

    def core(self, tile: int | None = None, network: nn.Module | None = None) -> UpscaleCore:
        """The pipeline core for this network (or one of its variants)."""
        family = self.loaded.family
        return UpscaleCore(
            network=network or self.network, scale=self.loaded.scale, device=self.device,
            precision=self.precision, margin=family.tile_margin(self.loaded.hparams),
            bytes_per_input_pixel=family.bytes_per_input_pixel(self.loaded.hparams), tile=tile,
        )

    def upscale(self, request: UpscaleRequest, context: JobContext) -> np.ndarray:
        """Upscale with the network's scale (then resample when the request's size differs)."""
        if request.args.size is None and request.args.scale != self.loaded.scale:
            raise ValueError(f"model {self.descriptor.name!r} upscales x{self.loaded.scale}, not x{request.args.scale}")
        network = self.network_for(self.variant_of(request.args.detail, request.args.jpeg_source))
        return upscale_request(request, self.core(network=network), context)


def _runnable_precision(name: str, precision: str, loaded: LoadedNetwork, jpeg: LoadedNetwork | None) -> str:
    """``precision`` where the network can run at it; fp32 where it cannot (said once in the log)."""
    if precision == "int8":
        calibrated = loaded.int8_ranges is not None and (jpeg is None or jpeg.int8_ranges is not None)
        if int8.supported(loaded.network) and calibrated:
            return "int8"
        logger.info("%s: no calibrated int8 form on this torch; it runs fp32", name)
        return "fp32"
    return precision if loaded.family.supports_half else "fp32"


def _fast_sr(network: nn.Module) -> FastSRNet:
    if not isinstance(network, FastSRNet):
        raise TypeError(f"int8 needs a FastSR network, got {type(network).__name__}")
    return network


class _BicubicNetwork(nn.Module):
    """Torch bicubic interpolation dressed as a network (for the shared pipeline)."""

    def __init__(self, scale: int) -> None:
        super().__init__()
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False)


class BicubicUpscaler:
    """The honest classical baseline, named `bicubic`: torch bicubic through the same pipeline."""

    descriptor: ModelDescriptor
    """What the registry and clients see."""

    def __init__(self, name: str = "bicubic", device: str = "cpu") -> None:
        self.device = device
        self.descriptor = ModelDescriptor(
            name=name, kind="upscale", architecture="bicubic", scales=(2, 4), supports_half=False,
            tiling=True, detail=False, description="classical bicubic interpolation (x2, x4)",
            card={"data": "none", "note": "no learned weights"},
        )

    def core(self, scale: int, tile: int | None = None) -> UpscaleCore:
        """The pipeline core for an integer scale."""
        return UpscaleCore(network=_BicubicNetwork(scale), scale=scale, device=self.device,
                           margin=4, bytes_per_input_pixel=64, tile=tile)

    def upscale(self, request: UpscaleRequest, context: JobContext) -> np.ndarray:
        """Bicubic enlargement by `request.args.scale` (then resample for a target size)."""
        return upscale_request(request, self.core(request.args.scale), context)
