"""Import the add-on's bpy-free modules in the pytest process, without running its __init__ (bpy).

The add-on package is `texforge_addon_pure` here; its vendored `protocol` is the repository's.
"""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path

ADDON = Path(__file__).resolve().parents[2] / "addon"
PACKAGE = "texforge_addon_pure"


def load(name: str) -> types.ModuleType:
    """`addon/<name>.py` as `texforge_addon_pure.<name>`."""
    if PACKAGE not in sys.modules:
        package = types.ModuleType(PACKAGE)
        package.__path__ = [str(ADDON)]
        sys.modules[PACKAGE] = package
        sys.modules[f"{PACKAGE}.protocol"] = importlib.import_module("texforge.protocol")
    return importlib.import_module(f"{PACKAGE}.{name}")
