"""Fixtures for the Blender extension tests: the built zip, and Blender scripts in subprocesses.

Blender-side code runs in a child process per test module (`python script.py` with `import bpy`),
never in the pytest process: bpy and torch in one process is asking for trouble, and bpy always
starts from factory settings anyway.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = Path(__file__).resolve().parent / "blender_scripts"
BLENDER_SCRIPT_TIMEOUT_S = 150


def bpy_available() -> bool:
    """bpy (the Blender Python module, Python 3.11) is installed in this interpreter's environment."""
    return importlib.util.find_spec("bpy") is not None


requires_bpy = pytest.mark.skipif(not bpy_available(), reason="bpy is not installed (pip install bpy==5.0.1 on Python 3.11)")


@pytest.fixture(scope="session")
def extension_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The extension built by packaging/build.py for linux-x64 / cp311 only (fast)."""
    if not bpy_available():
        pytest.skip("bpy is not installed (pip install bpy==5.0.1 on Python 3.11)")
    output = tmp_path_factory.mktemp("dist")
    completed = subprocess.run(
        [sys.executable, str(REPO / "packaging" / "build.py"), "--platform", "linux-x64", "--python", "3.11",
         "--output-dir", str(output)], capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    zips = sorted(output.glob("texforge-*.zip"))
    assert len(zips) == 1, zips
    return zips[0]


def blender_environment(home: Path) -> dict[str, str]:
    """Environment that keeps Blender's user files in `home`, never in the real $HOME."""
    environment = {key: value for key, value in os.environ.items() if key != "TEXFORGE_SERVER"}
    environment.update(HOME=str(home), BLENDER_USER_RESOURCES=str(home / "blender"),
                       XDG_CONFIG_HOME=str(home / "config"), XDG_CACHE_HOME=str(home / "cache"))
    return environment


def scenario(outcome: dict[str, Any], name: str) -> dict[str, Any]:
    """One scenario's facts from a Blender script's outcome; fails with its traceback if it raised."""
    facts = outcome[name]
    assert "traceback" not in facts, facts.get("traceback")
    return facts


def run_blender_script(script: str, tmp_path: Path, **arguments: Any) -> dict[str, Any]:
    """Run `blender_scripts/<script>` with bpy in a child process; return the JSON it writes."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    result_path = tmp_path / "result.json"
    arguments = {**arguments, "result_path": str(result_path), "work_dir": str(tmp_path)}
    completed = subprocess.run(
        [sys.executable, str(SCRIPTS / script), json.dumps(arguments)], cwd=tmp_path, capture_output=True,
        text=True, env=blender_environment(home), timeout=BLENDER_SCRIPT_TIMEOUT_S)
    assert completed.returncode == 0 and result_path.exists(), (
        f"{script} failed with status {completed.returncode}:\n{completed.stdout[-4000:]}\n{completed.stderr[-6000:]}")
    return json.loads(result_path.read_text())


@pytest.fixture(scope="module")
def module_tmp(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Path]:
    """A temporary folder shared by one test module (one Blender process per module)."""
    yield tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
