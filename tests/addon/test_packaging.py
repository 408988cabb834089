"""packaging/build.py and the add-on's import rules (no Blender needed)."""

from __future__ import annotations

import ast
import importlib.util
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def load_build_module():
    spec = importlib.util.spec_from_file_location("texforge_packaging_build", REPO / "packaging" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_addon_never_imports_torch_or_the_server() -> None:
    allowed = {"bpy", "numpy", "__future__", "addon_utils"}
    for path in (REPO / "addon").rglob("*.py"):
        third_party = {root for root in imported_roots(path) if root not in allowed}
        assert not third_party & {"torch", "texforge", "server", "protocol", "zmq", "msgpack", "PIL", "cv2"}, path


def test_manifest_is_complete_and_names_no_wheels() -> None:
    manifest = tomllib.loads((REPO / "addon" / "blender_manifest.toml").read_text())
    assert manifest["id"] == "texforge" and manifest["schema_version"] == "1.0.0"
    assert manifest["blender_version_min"] == "4.2.0"
    assert manifest["license"] == ["SPDX:MIT"]
    assert set(manifest["permissions"]) == {"network", "files"}
    assert "wheels" not in manifest  # build.py adds exactly the wheels it stages


def test_staged_manifest_lists_wheels_and_platforms() -> None:
    build = load_build_module()
    source = (REPO / "addon" / "blender_manifest.toml").read_text()
    staged = tomllib.loads(build.with_wheels(source, ["a-1-cp311-cp311-win_amd64.whl"], ["windows-x64"]))
    assert staged["wheels"] == ["./wheels/a-1-cp311-cp311-win_amd64.whl"]
    assert staged["platforms"] == ["windows-x64"]
    assert staged["permissions"] == tomllib.loads(source)["permissions"]
