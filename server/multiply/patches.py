"""Neighbourhood descriptors, as in texture optimisation (Kwatra et al. 2005).

A neighbourhood is the `size` x `size` patch around a pixel of the guide (the exemplar's
colours and maps, scaled; at coarse levels its pixels are `dilation` apart). Its descriptor is
its projection on the leading principal components of the exemplar's patches (a convolution),
so comparing two neighbourhoods costs a few numbers instead of `size`² x channels.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

PCA_SAMPLES = 8192
"""Patches sampled to fit the projection (enough for a stable covariance of ~150 dimensions)."""


@dataclass(frozen=True)
class PatchProjection:
    """Linear map from a `size` x `size` patch of the guide to its descriptor."""

    weight: torch.Tensor
    """D x C x size x size convolution weights: the leading principal components."""
    bias: torch.Tensor
    """D: minus the projected mean patch."""

    @property
    def size(self) -> int:
        """Side of a patch (odd)."""
        return int(self.weight.shape[-1])

    @property
    def radius(self) -> int:
        """Pixels from a patch's centre to its side."""
        return self.size // 2

    def describe_exemplar(self, guide: torch.Tensor, dilation: int) -> torch.Tensor:
        """D x h w: the descriptor of the patch (pixels `dilation` apart) around every pixel of the guide.

        Patches reaching past the border see the guide mirrored there."""
        margin = self.radius * dilation
        padded = mirrored(guide[None], margin)
        features = F.conv2d(padded, self.weight, self.bias, dilation=dilation)[0]
        return features.reshape(features.shape[0], -1).contiguous()


def fit_projection(guide: torch.Tensor, size: int, dims: int, generator: torch.Generator,
                   dilation: int = 1) -> PatchProjection:
    """Principal components of the guide's `size` x `size` patches (pixels `dilation` apart; at most `dims`)."""
    columns = F.unfold(guide[None], size, dilation=dilation)[0]
    if columns.shape[1] > PCA_SAMPLES:
        pick = torch.randperm(columns.shape[1], generator=generator, device="cpu")[:PCA_SAMPLES]
        columns = columns[:, pick.to(columns.device)]
    mean = columns.mean(dim=1)
    centred = columns - mean[:, None]
    covariance = (centred @ centred.T / max(1, columns.shape[1] - 1)).double()
    _, vectors = torch.linalg.eigh(covariance)
    top = vectors[:, -min(dims, vectors.shape[1]):].flip(1).to(guide.dtype)
    weight = top.T.reshape(top.shape[1], guide.shape[0], size, size).contiguous()
    return PatchProjection(weight, -(mean @ top))


def mirrored(image: torch.Tensor, margin: int) -> torch.Tensor:
    """1 x C x h x w padded by `margin` with reflection (repeated when the margin exceeds the image)."""
    while margin > 0:
        step = min(margin, image.shape[-2] - 1, image.shape[-1] - 1)
        if step <= 0:
            return F.pad(image, (margin,) * 4, mode="replicate")
        image = F.pad(image, (step,) * 4, mode="reflect")
        margin -= step
    return image
