"""Turn any UpscaleRequest into network input and the network output back into the request's format.

- dtypes: uint8 / uint16 / float16 / float32 in, the same dtype out.
- channels: 1 (gray, replicated to RGB for the network and averaged back), 2 (gray + alpha),
  3 (RGB), 4 (RGBA).
- alpha: colours under fully transparent pixels are bled in from their opaque neighbours
  (pull-push), so the network never sees the arbitrary (often black) colour there and no dark
  halo appears at alpha edges; alpha itself is upscaled separately with bicubic.
- normal maps: decoded, upscaled, renormalised to unit length, re-encoded.
- float values outside [0, 1]: HDR colour is compressed with x / (1 + x) and expanded back;
  signed data is mapped affinely onto [0, 1] and back.
- target_size: the network scale first, then an antialiased resample to the exact size.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..contract import JobContext, UpscaleRequest
from ..device import autocast_dtype
from .resample import resample_banded
from .tiling import choose_tile_size, upscale_tiled_with_retry

logger = logging.getLogger(__name__)

SUPPORTED_DTYPES = (np.uint8, np.uint16, np.float16, np.float32)

RgbNetwork = Callable[[torch.Tensor], torch.Tensor]
"""N x 3 x h x w float in [0, 1] (on the core's device) -> N x 3 x h*scale x w*scale."""


@dataclass(frozen=True)
class UpscaleCore:
    """What the pipeline needs to know about the thing that enlarges RGB tiles."""

    network: RgbNetwork
    scale: int
    device: str = "cpu"
    precision: str = "fp32"
    """What the network runs at: fp32, or bf16 / fp16 under autocast (see `server.device`)."""
    margin: int = 16
    """Context pixels each tile reads beyond its core (about the receptive-field radius)."""
    bytes_per_input_pixel: int = 2048
    """Peak activation memory per input pixel, for choosing the tile size."""
    tile: int | None = None
    """Fixed tile size in input pixels; None chooses one from available memory."""


@dataclass(frozen=True)
class ValueMapping:
    """How a float image's values were mapped onto [0, 1] for the network, and back."""

    kind: str = "identity"
    """identity, reinhard (HDR colour) or affine (signed data)."""
    low: float = 0.0
    high: float = 1.0

    def forward(self, values: np.ndarray) -> np.ndarray:
        if self.kind == "reinhard":
            return values / (1.0 + values)
        if self.kind == "affine":
            return (values - self.low) / (self.high - self.low)
        return values

    def inverse(self, values: torch.Tensor) -> torch.Tensor:
        if self.kind == "reinhard":
            values = values.clamp(0.0, 1.0 - 1e-4)
            return values / (1.0 - values)
        if self.kind == "affine":
            return values * (self.high - self.low) + self.low
        return values


def value_mapping_for(colour: np.ndarray) -> ValueMapping:
    """Identity for [0, 1]; Reinhard for non-negative HDR; affine for anything signed."""
    low, high = float(colour.min(initial=0.0)), float(colour.max(initial=0.0))
    if low >= 0.0 and high <= 1.0:
        return ValueMapping()
    if low >= 0.0:
        return ValueMapping("reinhard")
    return ValueMapping("affine", low, high if high > low else low + 1.0)


def check_request(request: UpscaleRequest) -> np.ndarray:
    """The request image as H x W x C; ValueError naming anything unsupported."""
    image = request.image
    if image.ndim == 2:
        image = image[:, :, None]
    if image.ndim != 3 or not 1 <= image.shape[2] <= 4:
        raise ValueError(f"image must be H x W x C with C in 1..4, got shape {request.image.shape}")
    if image.dtype.type not in SUPPORTED_DTYPES:
        raise ValueError(f"unsupported dtype {image.dtype}; expected uint8, uint16, float16 or float32")
    if request.args.normal_map and image.shape[2] < 3:
        raise ValueError(f"a normal map needs 3 or 4 channels, got {image.shape[2]}")
    return image


def to_unit_float(image: np.ndarray) -> np.ndarray:
    """Integer images scaled to [0, 1]; float images as float32, values untouched."""
    if image.dtype == np.uint8:
        return image.astype(np.float32) / 255.0
    if image.dtype == np.uint16:
        return image.astype(np.float32) / 65535.0
    return image.astype(np.float32)


def bleed_colour(colour: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """Replace colours under fully transparent pixels with those of the nearest opaque ones.

    Pull-push: average the known colours down a pyramid, then fill unknown pixels top-down.
    `colour` is 3 x H x W, `alpha` 1 x H x W; pixels with alpha > 0 keep their colour.
    """
    known = (alpha > 0).float()
    if bool(known.all()) or not bool(known.any()):
        return colour
    levels = [(colour * known, known)]
    while min(levels[-1][1].shape[-2:]) > 1:
        weighted, weight = levels[-1]
        levels.append((F.avg_pool2d(weighted[None], 2, ceil_mode=True)[0],
                       F.avg_pool2d(weight[None], 2, ceil_mode=True)[0]))
    weighted, weight = levels[-1]
    filled = weighted / weight.clamp_min(1e-8)
    for weighted, weight in reversed(levels[:-1]):
        coarse = F.interpolate(filled[None], size=weight.shape[-2:], mode="nearest")[0]
        mean = weighted / weight.clamp_min(1e-8)
        filled = torch.where(weight > 0, mean, coarse)
    return torch.where(known > 0, colour, filled)


@dataclass(frozen=True)
class PreparedImage:
    """Network input plus what is needed to rebuild the request's format."""

    tensor: torch.Tensor
    """3 (colour) or 4 (colour + alpha) x H x W float32 in [0, 1]."""
    gray: bool
    has_alpha: bool
    mapping: ValueMapping
    dtype: np.dtype
    normal_map: bool


def prepare(request: UpscaleRequest) -> PreparedImage:
    """Request image -> network input tensor (colour in [0, 1], optional alpha)."""
    image = check_request(request)
    channels = image.shape[2]
    has_alpha = channels in (2, 4)
    values = to_unit_float(image)
    colour = values[:, :, : channels - 1] if has_alpha else values
    mapping = ValueMapping()
    if request.args.normal_map:
        mapping = ValueMapping("affine", -1.0, 1.0) if colour.min() < 0 else ValueMapping()
    elif image.dtype.kind == "f":
        mapping = value_mapping_for(colour)
    colour = np.clip(mapping.forward(colour), 0.0, 1.0)
    if colour.shape[2] == 1:
        colour = np.repeat(colour, 3, axis=2)
    tensor = torch.from_numpy(np.ascontiguousarray(colour.transpose(2, 0, 1)))
    if has_alpha:
        alpha = torch.from_numpy(np.ascontiguousarray(np.clip(values[:, :, -1], 0.0, 1.0)))[None]
        tensor = torch.cat([bleed_colour(tensor, alpha), alpha])
    return PreparedImage(tensor, channels in (1, 2), has_alpha, mapping, image.dtype, request.args.normal_map)


def tile_function(core: UpscaleCore) -> Callable[[torch.Tensor], torch.Tensor]:
    """Upscale a 1 x (3|4) x h x w tile: colour through the network, alpha with bicubic."""
    dtype = autocast_dtype(core.precision)
    device_type = "cuda" if core.device.startswith("cuda") else "cpu"

    def upscale_tile(tile: torch.Tensor) -> torch.Tensor:
        # NHWC lets oneDNN (CPU) and cuDNN pick their fast convolution kernels: 1.5x on this CPU.
        colour = tile[:, :3].to(core.device, memory_format=torch.channels_last)
        with torch.inference_mode():
            with torch.autocast(device_type, dtype=dtype or torch.bfloat16, enabled=dtype is not None):
                output = core.network(colour).float()
            output = output.cpu().contiguous()
            if tile.shape[1] == 3:
                return output
            alpha = F.interpolate(tile[:, 3:], scale_factor=core.scale, mode="bicubic", align_corners=False)
            return torch.cat([output, alpha.clamp(0.0, 1.0)], dim=1)

    return upscale_tile


def renormalise_normals(band: torch.Tensor) -> torch.Tensor:
    """Encoded normals (first 3 channels, (n + 1) / 2) -> unit length, re-encoded."""
    vectors = band[:3] * 2.0 - 1.0
    length = vectors.norm(dim=0, keepdim=True)
    flat = torch.tensor([0.0, 0.0, 1.0]).view(3, 1, 1).expand_as(vectors)
    vectors = torch.where(length > 1e-6, vectors / length.clamp_min(1e-6), flat)
    return torch.cat([(vectors + 1.0) * 0.5, band[3:]])


def finish_band(band: torch.Tensor, prepared: PreparedImage) -> np.ndarray:
    """Network-space band (C x rows x W) -> rows x W x C' in the request's dtype and layout."""
    if prepared.normal_map:
        band = renormalise_normals(band)
    colour, alpha = band[:3], band[3:]
    if prepared.gray:
        colour = colour.mean(dim=0, keepdim=True)
    colour = prepared.mapping.inverse(colour) if prepared.mapping.kind != "identity" else colour
    band = torch.cat([colour, alpha]) if prepared.has_alpha else colour
    return to_dtype(band.permute(1, 2, 0), prepared.dtype, prepared.mapping.kind == "identity")


def to_dtype(values: torch.Tensor, dtype: np.dtype, clamp: bool) -> np.ndarray:
    """Float values -> numpy array of `dtype` (integers: [0, 1] scaled and rounded).

    May modify `values` in place (it is always a scratch band here).
    """
    if dtype == np.uint8:
        return values.clamp_(0, 1).mul_(255.0).round_().to(torch.uint8).numpy()
    if dtype == np.uint16:
        return values.clamp_(0, 1).mul_(65535.0).round_().to(torch.int32).numpy().astype(np.uint16)
    if clamp:
        values = values.clamp(0, 1)
    return values.numpy().astype(dtype, copy=False)


def output_size(request: UpscaleRequest, height: int, width: int) -> tuple[int, int]:
    """(height, width) of the final output."""
    if request.args.size is not None:
        return request.args.size[1], request.args.size[0]
    return height * request.args.scale, width * request.args.scale


def upscale_request(request: UpscaleRequest, core: UpscaleCore, context: JobContext) -> np.ndarray:
    """Upscale `request` with `core`, tiled; the result has the request's dtype and channels."""
    prepared = prepare(request)
    channels, height, width = prepared.tensor.shape
    final_height, final_width = output_size(request, height, width)
    out_channels = (1 if prepared.gray else 3) + (1 if prepared.has_alpha else 0)
    tile = core.tile or choose_tile_size(core.device, core.scale, core.bytes_per_input_pixel)
    output = np.empty((final_height, final_width, out_channels), dtype=prepared.dtype)

    def write_finished(row: int, band: torch.Tensor) -> None:
        output[row:row + band.shape[1]] = finish_band(band, prepared)

    direct = (final_height, final_width) == (height * core.scale, width * core.scale)
    if direct:
        sink = write_finished
    else:
        network_output = torch.empty(channels, height * core.scale, width * core.scale)

        def sink(row: int, band: torch.Tensor) -> None:
            network_output[:, row:row + band.shape[1]] = band

    upscale_tiled_with_retry(prepared.tensor, tile_function(core), core.scale, sink, context,
                             tile=tile, margin=core.margin, wrap=request.args.tileable)
    if not direct:
        resample_banded(network_output, final_height, final_width, request.args.tileable, write_finished)
    return output[:, :, 0] if request.image.ndim == 2 else output
