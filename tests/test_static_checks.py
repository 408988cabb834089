"""Static checks, run with the tests so that CI runs them: ruff over the repository, mypy on the packages.

Both read their settings from pyproject.toml: ruff's rule selection, and mypy's per-module options
(`texforge.protocol` held to --strict, `texforge.server` checked plainly).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE_FOLDERS = {"protocol": "texforge.protocol", "server": "texforge.server"}
"""Repository folder -> installed package name (setuptools package-dir in pyproject.toml)."""
TOOL_TIMEOUT_S = 120


def _require(tool: str) -> None:
    if importlib.util.find_spec(tool) is None:
        pytest.skip(f"{tool} is not installed; `pip install -e '.[test]'` brings it")


def _run_tool(arguments: list[str], cwd: Path) -> tuple[int, str]:
    result = subprocess.run([sys.executable, "-m", *arguments], cwd=cwd, capture_output=True, text=True,
                            timeout=TOOL_TIMEOUT_S, check=False)
    return result.returncode, result.stdout + result.stderr


def _package_layout(root: Path) -> Path:
    """`root/texforge/<folder>` links to each package folder: the layout mypy needs to see
    `protocol/` as `texforge.protocol` (it cannot follow the editable install's import hook)."""
    namespace = root / "texforge"
    namespace.mkdir(parents=True)
    for folder in PACKAGE_FOLDERS:
        (namespace / folder).symlink_to(REPO / folder, target_is_directory=True)
    return root


def test_ruff_reports_nothing() -> None:
    _require("ruff")
    code, output = _run_tool(["ruff", "check", "."], REPO)
    assert code == 0, f"ruff check found problems:\n{output}"


def test_mypy_strict_on_protocol_and_plain_on_server(tmp_path: Path) -> None:
    _require("mypy")
    packages = [arg for name in PACKAGE_FOLDERS.values() for arg in ("-p", name)]
    arguments = ["mypy", "--config-file", str(REPO / "pyproject.toml"), "--cache-dir", str(REPO / ".mypy_cache"), *packages]
    code, output = _run_tool(arguments, _package_layout(tmp_path))
    assert code == 0, f"mypy found problems:\n{output}"
