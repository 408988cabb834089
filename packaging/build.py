"""Build the texforge Blender extension: `python packaging/build.py` -> dist/texforge-<version>.zip.

Stages `addon/`, the vendored `protocol/` package, the pyzmq + msgpack wheels of every
platform and Python version and the texforge server wheel (`server_wheels/`: not a manifest
wheel, Blender never installs it; "Install local server" puts it into a private environment),
writes the wheel list into the staged manifest, and zips it the way
Blender's extension builder (`blender_ext.py build`) does: the package's files at the zip root,
wheels stored, the rest deflated, the manifest's `[build] paths_exclude_pattern` honoured. With
several platforms it also writes one zip per platform, as `--split-platforms` does. Downloads are
cached in `packaging/.cache/wheels/`. Building needs no Blender; where a Python with bpy is found
(`--blender-python`, `$TEXFORGE_BLENDER_PYTHON`, this interpreter or `.venv-blender/bin/python`),
Blender's own validator (`blender_ext.py validate`, inside the bpy wheel) checks every zip.

    python packaging/build.py                                       # every platform, cp311 + cp313
    python packaging/build.py --platform linux-x64 --python 3.11    # fast, for tests
    python packaging/build.py --server-wheel-only                   # dist/texforge-<version>-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Collection, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

log = logging.getLogger("texforge.packaging")

REPO = Path(__file__).resolve().parent.parent
ADDON = REPO / "addon"
PROTOCOL = REPO / "protocol"
CACHE = Path(__file__).resolve().parent / ".cache" / "wheels"
BLENDER_VENV_PYTHON = REPO / ".venv-blender" / "bin" / "python"
MANIFEST = "blender_manifest.toml"
VERSION_MODULE = PROTOCOL / "version.py"
SERVER_SOURCES = ("pyproject.toml", "README.md", "protocol", "server")
"""What `pip wheel` needs to build the server wheel (copied out first: no build/ or egg-info in the tree)."""
SERVER_WHEELS_FOLDER = "server_wheels"
"""Where the staged extension carries the server wheel (addon/server_env.py looks there)."""

BUNDLED_REQUIREMENTS = ("pyzmq==27.3.0", "msgpack==1.2.4")
"""The versions the tests run against; both are pure wheels from PyPI, unmodified."""

PIP_PLATFORM_TAGS = {
    "windows-x64": "win_amd64",
    "macos-arm64": "macosx_11_0_arm64",
    "macos-x64": "macosx_10_15_x86_64",
    "linux-x64": "manylinux_2_28_x86_64",
}
PYTHON_VERSIONS = ("3.11", "3.13")
"""Blender 4.2-5.0 embed Python 3.11; Blender 5.1+ embeds Python 3.13."""

DEFAULT_EXCLUDE_PATTERNS = ("__pycache__/", ".*", "/*.zip", "*.blend[1-9]")
"""What Blender's builder leaves out when the manifest declares no `[build] paths_exclude_pattern`."""
STORED_SUFFIXES = (".whl", ".zip", ".gz", ".bz2", ".xz", ".lz4", ".lzma", ".zst", ".rar", ".tgz", ".tbz2", ".txz", ".tzst")
"""Already compressed: stored as they are, as Blender's builder does."""
REQUIRED_KEYS = ("schema_version", "id", "version", "name", "tagline", "maintainer", "type", "blender_version_min", "license")
BPY_LOCATION = ("import importlib.util; spec = importlib.util.find_spec('bpy'); "
                "print(next(iter(spec.submodule_search_locations or ()), '') if spec else '')")
"""Prints the bpy package folder without importing bpy (0.5 s and 430 MB saved)."""


def download_wheels(platform: str, python: str) -> list[Path]:
    """The bundled wheels for one platform and Python version, from the cache or PyPI."""
    folder = CACHE / platform / python
    wheels = sorted(folder.glob("*.whl"))
    if len(wheels) == len(BUNDLED_REQUIREMENTS):
        return wheels
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--no-deps",
               "--platform", PIP_PLATFORM_TAGS[platform], "--python-version", python, "-d", str(folder),
               *BUNDLED_REQUIREMENTS]
    log.info("downloading wheels for %s, Python %s", platform, python)
    subprocess.run(command, check=True)
    return sorted(folder.glob("*.whl"))


def release_version() -> str:
    """`__version__` of protocol/version.py, read without importing it: the one definition of the version."""
    for node in ast.parse(VERSION_MODULE.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(target, "id", "") == "__version__" for target in node.targets):
            return str(ast.literal_eval(node.value))
    raise ValueError(f"{VERSION_MODULE} defines no __version__")


def build_server_wheel(output_dir: Path, version: str | None = None) -> Path:
    """`pip wheel --no-deps` of the server (weights and cards as package data) into `output_dir`.

    Built from a copy of the sources so the tree gets no build/ or egg-info; without build
    isolation where this Python has setuptools (offline), else pip fetches the build backend.
    `version` replaces the release version in the copy (tests: a newer wheel to update to).
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="texforge-wheel-") as scratch:
        source = Path(scratch) / "src"
        source.mkdir()
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.state.safetensors")
        for name in SERVER_SOURCES:
            if (REPO / name).is_dir():
                shutil.copytree(REPO / name, source / name, ignore=ignore)
            else:
                shutil.copy2(REPO / name, source / name)
        if version is not None:
            (source / VERSION_MODULE.relative_to(REPO)).write_text(f'__version__ = "{version}"\n')
        isolation = [] if importlib.util.find_spec("setuptools") is None else ["--no-build-isolation"]
        log.info("building the server wheel")
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", *isolation, "-w", scratch + "/out",
                        str(source)], check=True)
        built = next(Path(scratch, "out").glob("texforge-*.whl"))
        target = output_dir / built.name
        shutil.copy2(built, target)
    return target


def stage(destination: Path, wheels: list[Path], platforms: list[str], server_wheel: Path | None = None) -> Path:
    """Copy the add-on, the vendored protocol, the wheels and the server wheel; write the final manifest."""
    source = destination / "texforge"
    shutil.copytree(ADDON, source, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (source / "protocol").mkdir()
    for module in sorted(PROTOCOL.glob("*.py")):  # top level only: protocol/testing/ is bench/test tooling
        shutil.copy2(module, source / "protocol" / module.name)
    (source / "wheels").mkdir()
    names = sorted({wheel.name: wheel for wheel in wheels}.items())
    for name, wheel in names:
        shutil.copy2(wheel, source / "wheels" / name)
    if server_wheel is not None:
        (source / SERVER_WHEELS_FOLDER).mkdir()
        shutil.copy2(server_wheel, source / SERVER_WHEELS_FOLDER / server_wheel.name)
    manifest = source / MANIFEST
    manifest.write_text(with_wheels(manifest.read_text(), [name for name, _ in names], platforms))
    return source


def with_wheels(manifest: str, wheel_names: list[str], platforms: list[str]) -> str:
    """The manifest with top-level `platforms` and `wheels` inserted before the first table."""
    lines = [f"platforms = [{', '.join(json.dumps(p) for p in platforms)}]",
             "wheels = [", *(f'  "./wheels/{name}",' for name in wheel_names), "]", ""]
    head, separator, tables = manifest.partition("\n[")
    return head.rstrip("\n") + "\n\n" + "\n".join(lines) + separator + tables


def generated_table(platform: str, wheel_names: list[str]) -> str:
    """The `[build.generated]` block that Blender's builder appends to a per-platform zip's manifest."""
    wheels = ", ".join(json.dumps(f"./wheels/{name}") for name in wheel_names)
    return ("\n\n# BEGIN GENERATED CONTENT.\n# This must not be included in source manifests.\n[build.generated]\n"
            f"platforms = [{json.dumps(platform)}]\nwheels = [{wheels}]\n# END GENERATED CONTENT.\n")


def pattern_matches(pattern: str, path: PurePosixPath, is_dir: bool) -> bool:
    """gitignore-style match of one exclude pattern: `name`, `*.ext`, `folder/`, `/anchored`."""
    if "**" in pattern or pattern.startswith("!"):
        raise ValueError(f"unsupported paths_exclude_pattern {pattern!r}: no `**` or `!` (build.py is not Blender)")
    if pattern.endswith("/") and not is_dir:
        return False
    body = pattern.rstrip("/")
    if "/" not in body:
        return fnmatch.fnmatchcase(path.name, body)
    parts = body.lstrip("/").split("/")
    return len(parts) == len(path.parts) and all(map(fnmatch.fnmatchcase, path.parts, parts))


def package_files(folder: Path, patterns: list[str], root: Path | None = None) -> Iterator[PurePosixPath]:
    """Files under `folder` (relative to `root`, sorted) that no exclude pattern matches; no symlinks."""
    for entry in sorted(folder.iterdir()):
        path = PurePosixPath(entry.relative_to(root or folder).as_posix())
        if entry.is_symlink() or any(pattern_matches(pattern, path, entry.is_dir()) for pattern in patterns):
            continue
        if entry.is_dir():
            yield from package_files(entry, patterns, root or folder)
        else:
            yield path


def check_manifest(manifest: dict[str, Any]) -> None:
    """The checks that must hold even where Blender's validator cannot run."""
    missing = [key for key in REQUIRED_KEYS if not manifest.get(key)]
    if missing:
        raise ValueError(f"{MANIFEST} lacks {', '.join(missing)}")
    if "paths" in manifest.get("build", {}) or "generated" in manifest.get("build", {}):
        raise ValueError(f"{MANIFEST}: [build] paths and [build.generated] are not supported")
    if manifest["version"] != release_version():
        raise ValueError(f"{MANIFEST} says version {manifest['version']} but {VERSION_MODULE.relative_to(REPO)} says "
                         f"{release_version()}: the extension and its server must be one release, change both")


def write_zip(source: Path, destination: Path, platform: str | None = None,
              platform_wheels: Collection[str] = ()) -> Path:
    """Zip the staged package as `blender_ext.py build` does: manifest, wheels, then the other files.

    With `platform`, only the wheels named in `platform_wheels` are packed and the manifest gets
    the `[build.generated]` block, as in one zip of `--split-platforms`.
    """
    manifest = tomllib.loads((source / MANIFEST).read_text())
    listed = [PurePosixPath(wheel.removeprefix("./")) for wheel in manifest.get("wheels", [])]
    wheels = listed if platform is None else [path for path in listed if path.name in platform_wheels]
    patterns = manifest.get("build", {}).get("paths_exclude_pattern", list(DEFAULT_EXCLUDE_PATTERNS))
    others = [path for path in package_files(source, patterns) if path not in {PurePosixPath(MANIFEST), *listed}]
    temporary = destination.with_name("." + destination.name)
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        if platform is None:
            archive.write(source / MANIFEST, MANIFEST)
        else:
            archive.writestr(MANIFEST, (source / MANIFEST).read_text() + generated_table(platform, [w.name for w in wheels]))
        for path in [*wheels, *others]:
            stored = path.name.lower().endswith(STORED_SUFFIXES)
            archive.write(source / path, str(path), compress_type=zipfile.ZIP_STORED if stored else None)
    os.replace(temporary, destination)
    return destination


def extension_cli(python: str) -> Path | None:
    """`blender_ext.py` inside the bpy wheel that `python` can import, or None."""
    try:
        found = subprocess.run([python, "-c", BPY_LOCATION], capture_output=True, text=True, timeout=60)
    except OSError:
        return None
    if found.returncode != 0 or not found.stdout.strip():
        return None
    clis = sorted(Path(found.stdout.strip()).glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
    return clis[-1] if clis else None


def find_validator(requested: str | None) -> tuple[str, Path] | None:
    """(python, blender_ext.py) for Blender's validator: the requested Python, else this one or .venv-blender."""
    if requested:
        cli = extension_cli(requested)
        if cli is None:
            raise SystemExit(f"{requested} cannot import bpy: pip install bpy==5.0.1 there (Python 3.11), or pass --no-validate")
        return requested, cli
    for python in (sys.executable, str(BLENDER_VENV_PYTHON)):
        if cli := extension_cli(python):
            return python, cli
    return None


def validate(zips: list[Path], requested_python: str | None) -> None:
    """Run Blender's own validator on every zip where a Python with bpy exists; log a skip otherwise."""
    validator = find_validator(requested_python)
    if validator is None:
        log.info("Blender's validator skipped: no Python with bpy (see --blender-python)")
        return
    python, cli = validator
    for path in zips:
        subprocess.run([python, str(cli), "validate", str(path)], check=True)


def build(platforms: list[str], pythons: list[str], output_dir: Path, split: bool,
          blender_python: str | None = None, validate_zips: bool = True) -> list[Path]:
    """Stage, zip and (where bpy exists) validate; return the zips written."""
    wheels = {platform: [wheel for python in pythons for wheel in download_wheels(platform, python)] for platform in platforms}
    output_dir.mkdir(parents=True, exist_ok=True)
    manifest = tomllib.loads((ADDON / MANIFEST).read_text())
    check_manifest(manifest)
    stem = f"{manifest['id']}-{manifest['version']}"
    with tempfile.TemporaryDirectory(prefix="texforge-ext-") as scratch:
        server_wheel = build_server_wheel(Path(scratch) / "server")
        source = stage(Path(scratch), [wheel for found in wheels.values() for wheel in found], platforms, server_wheel)
        built = [write_zip(source, output_dir / f"{stem}.zip")]
        for platform in platforms if split else ():
            built.append(write_zip(source, output_dir / f"{stem}-{platform.replace('-', '_')}.zip", platform,
                                   sorted({wheel.name for wheel in wheels[platform]})))
    if validate_zips:
        validate(built, blender_python)
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--platform", action="append", choices=sorted(PIP_PLATFORM_TAGS),
                        help="build for this platform only (repeatable; default: all)")
    parser.add_argument("--python", action="append", choices=PYTHON_VERSIONS,
                        help="bundle wheels for this Python only (repeatable; default: all)")
    parser.add_argument("--output-dir", type=Path, default=REPO / "dist")
    parser.add_argument("--no-split", action="store_true", help="skip the per-platform zips")
    parser.add_argument("--blender-python", default=os.environ.get("TEXFORGE_BLENDER_PYTHON") or None,
                        help="a Python with bpy for Blender's validator (default: $TEXFORGE_BLENDER_PYTHON, "
                             "else this Python or .venv-blender/bin/python if either has bpy, else no validation)")
    parser.add_argument("--no-validate", action="store_true", help="skip Blender's validator")
    parser.add_argument("--server-wheel-only", action="store_true",
                        help="only build the server wheel, texforge-<version>-py3-none-any.whl, into --output-dir")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.server_wheel_only:
        log.info("built %s", build_server_wheel(args.output_dir))
        return 0
    platforms = args.platform or list(PIP_PLATFORM_TAGS)
    try:
        built = build(platforms, args.python or list(PYTHON_VERSIONS), args.output_dir,
                      split=len(platforms) > 1 and not args.no_split, blender_python=args.blender_python,
                      validate_zips=not args.no_validate)
    except subprocess.CalledProcessError as error:
        log.error("build failed: `%s` exited with status %d", " ".join(map(str, error.cmd)), error.returncode)
        return 1
    except ValueError as error:
        log.error("build failed: %s", error)
        return 1
    for path in built:
        log.info("built %s", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
