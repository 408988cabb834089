"""Fixtures for the Blender extension tests: the built zip, and Blender scripts in subprocesses.

Blender-side code runs in a child process per test module (`python script.py` with `import bpy`),
never in the pytest process: bpy and torch in one process is asking for trouble, and bpy always
starts from factory settings anyway. That child runs its own interpreter, which has bpy (and the
numpy < 2 that bpy 5.0.1 wants): `$TEXFORGE_BLENDER_PYTHON`, else `.venv-blender/bin/python`. The
pytest process (the server's venv, numpy 2) never needs bpy, and builds the zip without it.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = Path(__file__).resolve().parent / "blender_scripts"
BLENDER_SCRIPT_TIMEOUT_S = 150
FIND_BPY = "import importlib.util,sys; sys.exit(importlib.util.find_spec('bpy') is None)"
"""Exits 0 where bpy can be imported, without importing it (0.5 s and 430 MB saved)."""


def blender_python() -> Path:
    """The interpreter for Blender scripts: `$TEXFORGE_BLENDER_PYTHON`, else `.venv-blender/bin/python`."""
    override = os.environ.get("TEXFORGE_BLENDER_PYTHON")
    if not override:
        return REPO / ".venv-blender" / "bin" / "python"
    return Path(shutil.which(override) or override)


@functools.cache
def bpy_available() -> bool:
    """The Blender interpreter exists and can import bpy (checked once per session)."""
    python = blender_python()
    if not python.is_file():
        return False
    return subprocess.run([str(python), "-c", FIND_BPY], capture_output=True, timeout=60).returncode == 0


NO_BPY_REASON = (f"no Python with bpy at {blender_python()}: create it with `python3.11 -m venv .venv-blender && "
                 ".venv-blender/bin/pip install bpy==5.0.1`, or point $TEXFORGE_BLENDER_PYTHON at one")
requires_bpy = pytest.mark.skipif(not bpy_available(), reason=NO_BPY_REASON)


def without_bpy(folder: Path) -> dict[str, str]:
    """An environment whose Python cannot import bpy: a `bpy` module that refuses comes first on PYTHONPATH."""
    (folder / "bpy.py").write_text('raise ImportError("building the extension must not need bpy")\n')
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))}


@pytest.fixture(scope="session")
def extension_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The extension built by packaging/build.py for linux-x64 / cp311 only (fast), in this venv, bpy blocked.

    Blender's validator runs in test_packaging.py, through the Blender interpreter.
    """
    output = tmp_path_factory.mktemp("dist")
    completed = subprocess.run(
        [sys.executable, str(REPO / "packaging" / "build.py"), "--platform", "linux-x64", "--python", "3.11",
         "--output-dir", str(output), "--no-validate"], capture_output=True, text=True, timeout=300,
        env=without_bpy(tmp_path_factory.mktemp("no_bpy")))
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


def run_blender_script(script: str, tmp_path: Path, *, home: Path | None = None,
                       timeout_s: float = BLENDER_SCRIPT_TIMEOUT_S, **arguments: Any) -> dict[str, Any]:
    """Run `blender_scripts/<script>` in a child process of the Blender interpreter; return the JSON it writes.

    `home` (default `tmp_path/home`) holds Blender's user files: pass the same one to continue a session.
    """
    home = home or tmp_path / "home"
    home.mkdir(exist_ok=True)
    result_path = tmp_path / "result.json"
    arguments = {**arguments, "result_path": str(result_path), "work_dir": str(tmp_path)}
    completed = subprocess.run(
        [str(blender_python()), str(SCRIPTS / script), json.dumps(arguments)], cwd=tmp_path, capture_output=True,
        text=True, env=blender_environment(home), timeout=timeout_s)
    assert completed.returncode == 0 and result_path.exists(), (
        f"{script} failed with status {completed.returncode}:\n{completed.stdout[-4000:]}\n{completed.stderr[-6000:]}")
    return json.loads(result_path.read_text())


@pytest.fixture(scope="module")
def module_tmp(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Path]:
    """A temporary folder shared by one test module (one Blender process per module)."""
    yield tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
