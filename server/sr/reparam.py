"""Structural re-parameterisation: train a 3x3 convolution as a sum of linear branches, ship one 3x3.

RepVGG (Ding et al. 2021) trains each 3x3 convolution next to a 1x1 convolution and an identity;
ECBSR (Zhang et al. 2021) adds an expand-squeeze branch (a 1x1 to more channels, then a 3x3 back).
Every branch is linear, so their sum is one 3x3 convolution again: the extra branches change how
gradient descent moves through the same function class, not what the network computes, and
inference costs exactly what the plain network costs. Measured against plain training at the same
CPU time in docs/upscaler.md ("Re-parameterised training").

Here the extra branches start at zero, so re-parameterising a trained network leaves its output
unchanged (``--init`` from a shipped model keeps its quality), and the 3x3 branch keeps the plain
convolution's parameter names (``weight``, ``bias``), so weights move between the two forms by name.
A resumed run reloads its trained branches from the state file, but its weight average restarts
from the written (merged) average with zero branches: exact for ``repvgg``, whose merge is linear
in the branches, close for ``expand``, whose expand-squeeze product is not.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Literal, TypeGuard

import torch
import torch.nn.functional as F
from torch import nn

RepForm = Literal["off", "repvgg", "expand"]
REP_FORMS: tuple[RepForm, ...] = ("off", "repvgg", "expand")
"""``off``: plain; ``repvgg``: 3x3 + 1x1 + scaled identity; ``expand``: those + a 1x1 -> 3x3 branch
through ``EXPANSION`` times the channels."""
EXPANSION = 2


class RepConv3x3(nn.Module):
    """A 3x3 convolution (stride 1, padding 1) trained as a sum of mergeable linear branches."""

    def __init__(self, conv: nn.Conv2d, form: RepForm) -> None:
        super().__init__()
        if form == "off":
            raise ValueError("RepConv3x3 needs a re-parameterised form, not 'off'")
        out_channels, in_channels = conv.out_channels, conv.in_channels
        self.weight = nn.Parameter(conv.weight.detach().clone())
        self.bias = nn.Parameter(conv.bias.detach().clone() if conv.bias is not None else torch.zeros(out_channels))
        self.one = nn.Parameter(torch.zeros(out_channels, in_channels, 1, 1))
        self.identity = nn.Parameter(torch.zeros(out_channels)) if in_channels == out_channels else None
        self.expand: nn.Parameter | None = None
        self.squeeze: nn.Parameter | None = None
        if form == "expand":
            hidden = EXPANSION * in_channels
            self.expand = nn.Parameter(torch.empty(hidden, in_channels, 1, 1))
            nn.init.kaiming_uniform_(self.expand, a=5 ** 0.5)
            self.squeeze = nn.Parameter(torch.zeros(out_channels, hidden, 3, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.conv2d(x, self.weight, self.bias, padding=1) + F.conv2d(x, self.one)
        if self.identity is not None:
            out = out + x * self.identity.view(1, -1, 1, 1)
        if self.expand is not None and self.squeeze is not None:
            out = out + F.conv2d(F.conv2d(x, self.expand), self.squeeze, padding=1)
        return out

    @torch.no_grad()
    def merged_kernel(self) -> torch.Tensor:
        """The one 3x3 kernel equal to the sum of the branches."""
        kernel = self.weight.clone()
        kernel[:, :, 1, 1] += self.one[:, :, 0, 0]
        if self.identity is not None:
            kernel[:, :, 1, 1] += torch.diag(self.identity)
        if self.expand is not None and self.squeeze is not None:
            # no bias before the squeeze, so zero padding commutes with the 1x1: exact
            kernel += torch.einsum("omhw,mi->oihw", self.squeeze, self.expand[:, :, 0, 0])
        return kernel

    def merged(self) -> nn.Conv2d:
        """A plain ``nn.Conv2d`` computing the same function."""
        conv = nn.Conv2d(self.weight.shape[1], self.weight.shape[0], 3, padding=1)
        conv.weight = nn.Parameter(self.merged_kernel())
        conv.bias = nn.Parameter(self.bias.detach().clone())
        return conv


def _is_plain_3x3(module: nn.Module) -> TypeGuard[nn.Conv2d]:
    return (isinstance(module, nn.Conv2d) and module.kernel_size == (3, 3) and module.stride == (1, 1)
            and module.padding == (1, 1) and module.dilation == (1, 1) and module.groups == 1)


def _swap_children(network: nn.Module, swap: Callable[[nn.Module], nn.Module | None]) -> None:
    """Replace, at any depth, every submodule for which ``swap`` returns a module by that module."""
    for name, child in list(network.named_children()):
        replacement = swap(child)
        if replacement is not None:
            setattr(network, name, replacement)
        else:
            _swap_children(child, swap)


def reparameterise(network: nn.Module, form: RepForm) -> nn.Module:
    """``network`` with every plain 3x3 convolution replaced in place by a ``RepConv3x3`` of ``form``
    (the same function: the new branches start at zero); ``off`` returns it untouched."""
    if form != "off":
        _swap_children(network, lambda child: RepConv3x3(child, form) if _is_plain_3x3(child) else None)
    return network


def merged(network: nn.Module) -> nn.Module:
    """The inference form of ``network``: a copy with every ``RepConv3x3`` merged into a plain
    convolution (the plain network's parameter names), or ``network`` itself when it has none."""
    if not any(isinstance(module, RepConv3x3) for module in network.modules()):
        return network
    plain = copy.deepcopy(network)
    _swap_children(plain, lambda child: child.merged() if isinstance(child, RepConv3x3) else None)
    return plain
