"""SVBRDF estimation network: a U-Net with a global-feature path (after Deschaintre et al. 2018).

Every encoder and decoder stage feeds the spatial mean of its features into a small fully
connected "global track"; the track's state is broadcast back as a per-channel bias of the
next stage. This lets distant pixels exchange information (where the highlight is, the
overall exposure) without a huge receptive field, and keeps the network fully convolutional:
any input size works (it is padded to a multiple of ``2 ** depth`` and cropped back).

Input: a flash photo (3 channels) or flash + guide (6 channels), sRGB-encoded in [0, 1], and, for
networks with ``fov_input`` or ``view_input``, the photo's field of view when it is known
(``half_fov_tangent``).
Output: an ``SVBRDF`` (linear maps; see ``render.py`` for the conventions).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .render import SVBRDF, srgb_to_linear


@dataclass(frozen=True)
class NetworkConfig:
    """Architecture hyper-parameters; stored as JSON in the weights' metadata."""

    in_channels: int = 3
    base_channels: int = 32
    max_channels: int = 256
    depth: int = 5
    global_dim: int = 128
    photo_skip: int = 0
    """1: the output head also sees the input photos, not only the instance-normalised features.

    Instance norm removes every channel's mean, so without this the overall colour of a map can
    only come back through the global track's bias; the first CPU-trained models read coloured
    photos as grey materials. The skip hands the head each pixel's colour directly.
    """
    fov_input: int = 0
    """1: the global track starts from the photo's field of view when it is known.

    One photo cannot tell a broad highlight at a narrow field of view (a zoom lens) from a rougher
    surface at a wide one; a network trained on both hedges between them (material-1shot card,
    "Stage 10 attempt"). Told the field of view, it need not. Unknown reads as code (0, 0).
    """
    view_input: int = 0
    """1: the stem also reads each pixel's view direction when the field of view is known.

    Three planes (``view_planes``): the tangents of the pixel's view angle across and up the
    photo, and a known flag; all zero when unknown. Where the highlight should sit and how fast
    the flash falls off follow from these per pixel, as coordinate channels do in Deschaintre et
    al. 2018; a single global code (``fov_input``) was not learned in 35 minutes of fine-tuning.
    """

    def to_json(self) -> str:
        """JSON for safetensors metadata."""
        return json.dumps(asdict(self), sort_keys=True)

    @staticmethod
    def from_json(text: str) -> "NetworkConfig":
        """Inverse of ``to_json``; unknown keys are ignored, bad values raise ValueError."""
        raw = json.loads(text)
        known = {k: int(v) for k, v in raw.items() if k in NetworkConfig.__dataclass_fields__}
        config = NetworkConfig(**known)
        if config.in_channels not in (3, 6):
            raise ValueError(f"in_channels must be 3 or 6, got {config.in_channels}")
        if config.photo_skip not in (0, 1):
            raise ValueError(f"photo_skip must be 0 or 1, got {config.photo_skip}")
        if config.fov_input not in (0, 1):
            raise ValueError(f"fov_input must be 0 or 1, got {config.fov_input}")
        if config.view_input not in (0, 1):
            raise ValueError(f"view_input must be 0 or 1, got {config.view_input}")
        if not 1 <= config.depth <= 8:
            raise ValueError(f"depth must be in 1..8, got {config.depth}")
        return config


class GlobalTrack(nn.Module):
    """One stage of the global path: absorb a stage's mean features, emit a bias for the next."""

    def __init__(self, feature_channels: int, global_dim: int, out_channels: int) -> None:
        super().__init__()
        self.absorb = nn.Linear(feature_channels + global_dim, global_dim)
        self.emit = nn.Linear(global_dim, out_channels)

    def forward(self, features: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(features (B, C, H, W), state (B, G)) -> (new state, bias (B, C_out, 1, 1))."""
        pooled = features.mean(dim=(2, 3))
        state = F.selu(self.absorb(torch.cat([pooled, state], dim=1)))
        return state, self.emit(state)[:, :, None, None]


def _instance_norm(x: torch.Tensor) -> torch.Tensor:
    if x.shape[2] * x.shape[3] == 1:
        return x - x.mean(dim=(2, 3), keepdim=True)
    return F.instance_norm(x)


class EncoderStage(nn.Module):
    """Strided convolution, instance norm, global bias, leaky ReLU."""

    def __init__(self, in_channels: int, out_channels: int, global_dim: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 4, stride=2, padding=1)
        self.refine = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.track = GlobalTrack(out_channels, global_dim, out_channels)

    def forward(self, x: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Halve the resolution; returns (features, global state)."""
        y = self.conv(x)
        state, bias = self.track(y, state)
        y = F.leaky_relu(_instance_norm(y) + bias, 0.2)
        return F.leaky_relu(y + self.refine(y), 0.2), state


class DecoderStage(nn.Module):
    """Upsample, convolve with the skip connection, instance norm, global bias, leaky ReLU."""

    def __init__(self, in_channels: int, skip_channels: int, out_channels: int, global_dim: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels + skip_channels, out_channels, 3, padding=1)
        self.track = GlobalTrack(out_channels, global_dim, out_channels)

    def forward(self, x: torch.Tensor, skip: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Double the resolution to the skip's; returns (features, global state)."""
        x = F.interpolate(x, size=skip.shape[2:], mode="nearest")
        y = self.conv(torch.cat([x, skip], dim=1))
        state, bias = self.track(y, state)
        return F.leaky_relu(_instance_norm(y) + bias, 0.2), state


def half_fov_tangent(fov_degrees: float | None, height: int, width: int) -> float:
    """tan of half the field of view across the photo's longer side, from the horizontal one
    (0.0: unknown). The longer side is what stays put when the self-ensemble transposes a photo."""
    if fov_degrees is None:
        return 0.0
    return math.tan(math.radians(fov_degrees) / 2) * max(height, width) / width


def view_code(tangents: torch.Tensor) -> torch.Tensor:
    """``(B,)`` ``half_fov_tangent`` values (0: unknown) -> ``(B, 2)`` (known, tangent) network input."""
    known = (tangents > 0).to(tangents.dtype)
    return torch.stack([known, tangents * known], dim=1)


VIEW_PLANES = 3
"""x and y view-angle tangents per pixel, and the known flag (``view_planes``)."""


def view_planes(tangents: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """``(B,)`` ``half_fov_tangent`` values (0: unknown) -> ``(B, 3, height, width)``: each pixel
    centre's view-angle tangent across (+x right) and up (+y up) the photo, and 1; zero where unknown.

    Measured from the photo's centre, scaled so that the longer side spans the field of view.
    """
    longer = max(height, width)
    xs = (torch.arange(width, dtype=torch.float32) + 0.5 - width / 2) * (2 / longer)
    ys = (height / 2 - torch.arange(height, dtype=torch.float32) - 0.5) * (2 / longer)
    grid = torch.stack([xs[None, :].expand(height, width), ys[:, None].expand(height, width),
                        torch.ones(height, width)])
    t = tangents.to(torch.float32)
    scale = torch.stack([t, t, (t > 0).to(torch.float32)], dim=1)
    return grid[None] * scale[:, :, None, None]


OUTPUT_CHANNELS = 9
"""normal x, y (2), diffuse (3), roughness (1), specular (3)."""


class MaterialNet(nn.Module):
    """Photo(s) -> SVBRDF maps; fully convolutional U-Net with a global-feature track."""

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        self.config = config
        widths = [min(config.base_channels * 2 ** i, config.max_channels) for i in range(config.depth)]
        self.stem = nn.Conv2d(config.in_channels, config.base_channels, 3, padding=1)
        self.stem_track = GlobalTrack(config.base_channels, config.global_dim, config.base_channels)
        self.encoders = nn.ModuleList()
        previous = config.base_channels
        for width in widths:
            self.encoders.append(EncoderStage(previous, width, config.global_dim))
            previous = width
        skips = [config.base_channels] + widths[:-1]
        self.decoders = nn.ModuleList()
        for skip in reversed(skips):
            out = max(skip, config.base_channels)
            self.decoders.append(DecoderStage(previous, skip, out, config.global_dim))
            previous = out
        head_inputs = previous + (config.in_channels if config.photo_skip else 0)
        self.head = nn.Conv2d(head_inputs, OUTPUT_CHANNELS, 3, padding=1)
        if config.fov_input:
            # zero: a net grown from one without the input starts out computing exactly what it did
            self.fov_embed = nn.Linear(2, config.global_dim)
            nn.init.zeros_(self.fov_embed.weight)
            nn.init.zeros_(self.fov_embed.bias)
        if config.view_input:
            # zero for the same reason; a module of its own so that training can give it its own rate
            self.view_stem = nn.Conv2d(VIEW_PLANES, config.base_channels, 3, padding=1, bias=False)
            nn.init.zeros_(self.view_stem.weight)

    @property
    def multiple(self) -> int:
        """Input sizes are padded to a multiple of this."""
        return 2 ** self.config.depth

    def forward(self, photos: torch.Tensor, tangents: torch.Tensor | None = None) -> SVBRDF:
        """``(B, in_channels, H, W)`` photos in [0, 1] -> linear SVBRDF of the same size.

        ``tangents``: ``(B,)`` ``half_fov_tangent`` of each photo (0 or None: unknown); only
        networks with ``fov_input`` or ``view_input`` read it.
        """
        h, w = photos.shape[2:]
        m = self.multiple
        pad_h, pad_w = (-h) % m, (-w) % m
        if tangents is None:
            tangents = photos.new_zeros(photos.shape[0])
        tangents = tangents.to(device=photos.device, dtype=torch.float32)
        x = photos * 2.0 - 1.0
        views = view_planes(tangents.cpu(), h, w).to(device=x.device, dtype=x.dtype) if self.config.view_input else None
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")
            views = F.pad(views, (0, pad_w, 0, pad_h), mode="replicate") if views is not None else None
        raw = self._unet(x, tangents, views)[:, :, :h, :w]
        return maps_from_raw(raw)

    def _initial_state(self, x: torch.Tensor, tangents: torch.Tensor) -> torch.Tensor:
        if not self.config.fov_input:
            return x.new_zeros(x.shape[0], self.config.global_dim)
        return self.fov_embed(view_code(tangents))

    def _unet(self, x: torch.Tensor, tangents: torch.Tensor, views: torch.Tensor | None) -> torch.Tensor:
        state = self._initial_state(x, tangents)
        y = self.stem(x)
        if views is not None:
            y = y + self.view_stem(views)
        state, bias = self.stem_track(y, state)
        y = F.leaky_relu(y + bias, 0.2)
        skips = [y]
        for encoder in self.encoders:
            y, state = encoder(y, state)
            skips.append(y)
        skips.pop()
        for decoder in self.decoders:
            y, state = decoder(y, skips.pop(), state)
        if self.config.photo_skip:
            y = torch.cat([y, x], dim=1)
        return self.head(y)


def load_grown_state(net: MaterialNet, source: MaterialNet) -> None:
    """Copy ``source``'s weights into ``net``, whose head may take extra (photo) inputs, whose
    stem may take a guide photo ``source`` had none of (1-shot -> 2-shot) and which may read the
    field of view ``source`` did not (``fov_input``, ``view_input``).

    Every extra input starts at zero weight, so the grown net computes what ``source`` did from
    the flash photo, whatever the guide or field of view; training then teaches it to use them.
    """
    target = net.state_dict()
    for name, tensor in source.state_dict().items():
        if name not in target:
            raise ValueError(f"cannot grow from a net with parameter {name!r} that this one lacks")
        if target[name].shape == tensor.shape:
            target[name] = tensor.clone()
        elif name in ("head.weight", "stem.weight") and target[name].shape[1] > tensor.shape[1] \
                and target[name].shape[0] == tensor.shape[0] and target[name].shape[2:] == tensor.shape[2:]:
            target[name] = _with_zero_inputs(tensor, target[name], name == "head.weight", source.config, net.config)
        else:
            raise ValueError(f"{name}: shape {tuple(tensor.shape)} does not fit {tuple(target[name].shape)}")
    net.load_state_dict(target)


def _with_zero_inputs(weight: torch.Tensor, like: torch.Tensor, head: bool, source: NetworkConfig,
                      grown: NetworkConfig) -> torch.Tensor:
    """``weight`` placed in a zero tensor shaped ``like``: the stem's photo channels come first
    and the guide after them; the head's inputs are the features, then the photo skip's channels."""
    out = torch.zeros_like(like)
    if not head:
        out[:, :weight.shape[1]] = weight
        return out
    features = weight.shape[1] - (source.in_channels if source.photo_skip else 0)
    out[:, :features] = weight[:, :features]
    if source.photo_skip:
        out[:, features:features + source.in_channels] = weight[:, features:]
    return out


def maps_from_raw(raw: torch.Tensor) -> SVBRDF:
    """Unconstrained 9-channel network output -> valid linear SVBRDF."""
    slopes = 2.0 * torch.tanh(raw[:, 0:2])
    normal = F.normalize(torch.cat([slopes, torch.ones_like(raw[:, :1])], dim=1), dim=1)
    diffuse = srgb_to_linear(torch.sigmoid(raw[:, 2:5]))
    roughness = torch.sigmoid(raw[:, 5:6]).clamp(0.02, 1.0)
    specular = srgb_to_linear(torch.sigmoid(raw[:, 6:9]))
    return SVBRDF(normal, diffuse, roughness, specular)
