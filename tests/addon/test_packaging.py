"""packaging/build.py and the add-on's import rules (no Blender needed, except for Blender's validator)."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import tomllib
import zipfile
from pathlib import Path, PurePosixPath

import pytest

from .conftest import blender_python, requires_bpy

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


def test_built_zip_has_the_package_at_its_root_with_the_vendored_protocol_and_its_wheels(extension_zip: Path) -> None:
    names = set(zipfile.ZipFile(extension_zip).namelist())
    manifest = tomllib.loads(zipfile.ZipFile(extension_zip).read("blender_manifest.toml").decode())
    assert {"blender_manifest.toml", "__init__.py", "operators/__init__.py"} <= names
    vendored = {name for name in names if name.startswith("protocol/")}
    assert vendored == {f"protocol/{module.name}" for module in (REPO / "protocol").glob("*.py")}  # no protocol/testing/
    wheels = {name for name in names if name.startswith("wheels/")}
    assert wheels == {wheel.removeprefix("./") for wheel in manifest["wheels"]} and len(wheels) == 2
    assert manifest["platforms"] == ["linux-x64"]
    assert not {name for name in names if "__pycache__" in name or name.endswith((".pyc", "README.md"))}


def test_one_release_version_for_the_extension_the_server_wheel_and_hello(extension_zip: Path) -> None:
    build = load_build_module()
    version = build.release_version()
    manifest = tomllib.loads((REPO / "addon" / "blender_manifest.toml").read_text())
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert manifest["version"] == version
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "texforge.protocol.version.__version__"}
    from texforge.server.version import __version__
    assert __version__ == version
    names = zipfile.ZipFile(extension_zip).namelist()
    assert f"server_wheels/texforge-{version}-py3-none-any.whl" in names


def test_the_server_wheel_carries_the_weights_and_is_no_manifest_wheel(extension_zip: Path, tmp_path: Path) -> None:
    archive = zipfile.ZipFile(extension_zip)
    name = next(name for name in archive.namelist() if name.startswith("server_wheels/"))
    manifest = tomllib.loads(archive.read("blender_manifest.toml").decode())
    assert f"./{name}" not in manifest["wheels"]  # Blender would install it into its own Python
    assert archive.getinfo(name).compress_type == zipfile.ZIP_STORED
    wheel = zipfile.ZipFile(archive.extract(name, tmp_path))
    contents = set(wheel.namelist())
    assert {"texforge/server/weights/fast-x2.safetensors", "texforge/server/weights/fast-x2.md",
            "texforge/protocol/version.py", "texforge/server/cli.py"} <= contents
    assert not [entry for entry in contents if entry.endswith(".state.safetensors") or "__pycache__" in entry]


def test_a_manifest_version_other_than_the_release_is_refused() -> None:
    build = load_build_module()
    manifest = tomllib.loads((REPO / "addon" / "blender_manifest.toml").read_text())
    with pytest.raises(ValueError, match="protocol/version.py says"):
        build.check_manifest({**manifest, "version": "9.9.9"})


@requires_bpy
def test_blenders_own_validator_accepts_the_built_zip(extension_zip: Path) -> None:
    cli = load_build_module().extension_cli(str(blender_python()))
    assert cli is not None, "the Blender interpreter has bpy but no blender_ext.py"
    completed = subprocess.run([str(blender_python()), str(cli), "validate", str(extension_zip)],
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_split_zips_keep_only_their_platforms_wheels(tmp_path: Path) -> None:
    build = load_build_module()
    wheels = {"windows-x64": tmp_path / "msgpack-1.2.4-cp311-cp311-win_amd64.whl",
              "linux-x64": tmp_path / "msgpack-1.2.4-cp311-cp311-manylinux_2_28_x86_64.whl"}
    for wheel in wheels.values():
        wheel.write_bytes(b"not a real wheel")
    source = build.stage(tmp_path / "stage", list(wheels.values()), list(wheels))
    everything = zipfile.ZipFile(build.write_zip(source, tmp_path / "all.zip"))
    windows = zipfile.ZipFile(build.write_zip(source, tmp_path / "win.zip", "windows-x64", [wheels["windows-x64"].name]))
    assert {name for name in everything.namelist() if name.startswith("wheels/")} == {f"wheels/{w.name}" for w in wheels.values()}
    assert [name for name in windows.namelist() if name.startswith("wheels/")] == [f"wheels/{wheels['windows-x64'].name}"]
    generated = tomllib.loads(windows.read("blender_manifest.toml").decode())["build"]["generated"]
    assert generated == {"platforms": ["windows-x64"], "wheels": [f"./wheels/{wheels['windows-x64'].name}"]}
    assert set(everything.namelist()) - set(windows.namelist()) == {f"wheels/{wheels['linux-x64'].name}"}
    assert everything.getinfo(f"wheels/{wheels['linux-x64'].name}").compress_type == zipfile.ZIP_STORED
    assert everything.getinfo("__init__.py").compress_type == zipfile.ZIP_DEFLATED


@pytest.mark.parametrize(("pattern", "path", "is_dir", "expected"), [
    ("README.md", "README.md", False, True),
    ("README.md", "docs/README.md", False, True),
    ("*.pyc", "operators/jobs.pyc", False, True),
    ("__pycache__/", "operators/__pycache__", True, True),
    ("__pycache__/", "__pycache__", False, False),
    ("/.git/", ".git", True, True),
    ("/.git/", "vendor/.git", True, False),
    ("/*.zip", "texforge.zip", False, True),
    ("/*.zip", "wheels/texforge.zip", False, False),
])
def test_exclude_patterns_follow_gitignore_rules(pattern: str, path: str, is_dir: bool, expected: bool) -> None:
    assert load_build_module().pattern_matches(pattern, PurePosixPath(path), is_dir) is expected


def test_exclude_patterns_the_builder_cannot_follow_are_refused() -> None:
    with pytest.raises(ValueError, match=r"\*\*"):
        load_build_module().pattern_matches("docs/**/*.md", PurePosixPath("docs/a.md"), False)
