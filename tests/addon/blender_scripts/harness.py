"""Shared by the Blender-side test scripts: arguments, a clean Blender, the installed extension.

Runs inside the child process, with bpy. Each scenario records facts into a dict that the
script writes as JSON for the pytest side to assert on.
"""

from __future__ import annotations

import importlib
import json
import sys
import traceback
from collections.abc import Callable
from types import ModuleType
from typing import Any

import bpy

MODULE = "bl_ext.user_default.texforge"


def arguments() -> dict[str, Any]:
    """The JSON object the test passed as the first argument."""
    return json.loads(sys.argv[1])


def install_extension(zip_path: str) -> ModuleType:
    """Factory settings, then install and enable the built zip as a user would; return the module."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    result = bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default", enable_on_install=True)
    if result != {'FINISHED'}:
        raise RuntimeError(f"install failed: {result}")
    return importlib.import_module(MODULE)


def preferences() -> Any:
    """The extension's preferences."""
    return bpy.context.preferences.addons[MODULE].preferences


def run_scenarios(scenarios: dict[str, Callable[[], dict[str, Any]]], result_path: str) -> None:
    """Run each scenario, keeping its facts or its traceback, and write them all as JSON."""
    results: dict[str, Any] = {}
    for name, scenario in scenarios.items():
        try:
            results[name] = scenario()
        except Exception:  # the pytest side shows the traceback of the scenario that broke
            results[name] = {"traceback": traceback.format_exc()}
    with open(result_path, "w") as handle:
        json.dump(results, handle, indent=1, default=str)


def image_names() -> list[str]:
    """Names of all images, sorted."""
    return sorted(image.name for image in bpy.data.images)


def operator_error(call: Callable[[], Any]) -> str | None:
    """Run an operator call; return the error it reported (RuntimeError), or None."""
    try:
        call()
    except RuntimeError as error:
        return str(error)
    return None
