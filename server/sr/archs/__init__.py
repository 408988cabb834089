"""Super-resolution network families, one per module, in one explicit registry.

Order matters for detection: the first family whose `detect` accepts a state dict wins, so
families with more specific key layouts come first.
"""

from __future__ import annotations

from . import edsr, fast, rrdb, srcae
from .base import ArchFamily, StateDict

FAMILIES: tuple[ArchFamily, ...] = (edsr.FAMILY, fast.FAMILY, srcae.FAMILY, rrdb.FAMILY)


class UnknownArchitectureError(ValueError):
    """No registered family has this name or recognises this state dict."""


def get_family(name: str) -> ArchFamily:
    """The family called `name`."""
    for family in FAMILIES:
        if family.name == name:
            return family
    known = ", ".join(family.name for family in FAMILIES)
    raise UnknownArchitectureError(f"unknown architecture {name!r}; known: {known}")


def detect_family(state_dict: StateDict) -> ArchFamily:
    """The first family whose key layout matches `state_dict`."""
    for family in FAMILIES:
        if family.detect(state_dict):
            return family
    raise UnknownArchitectureError("no known architecture matches this state dict")


__all__ = ["FAMILIES", "ArchFamily", "UnknownArchitectureError", "detect_family", "get_family"]
