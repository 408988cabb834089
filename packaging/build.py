"""Build the texforge Blender extension: `python packaging/build.py` -> dist/texforge-<version>.zip.

Stages `addon/`, the vendored `protocol/` package and the pyzmq + msgpack wheels of every
platform and Python version, writes the wheel list into the staged manifest, then validates and
builds with the extension CLI that ships inside the `bpy` wheel (`blender_ext.py`). With several
platforms it also builds one zip per platform (`--split-platforms`). Downloads are cached in
`packaging/.cache/wheels/`.

    python packaging/build.py                                       # every platform, cp311 + cp313
    python packaging/build.py --platform linux-x64 --python 3.11    # fast, for tests
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

log = logging.getLogger("texforge.packaging")

REPO = Path(__file__).resolve().parent.parent
ADDON = REPO / "addon"
PROTOCOL = REPO / "protocol"
CACHE = Path(__file__).resolve().parent / ".cache" / "wheels"

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


def extension_cli() -> Path:
    """`blender_ext.py` inside the installed bpy wheel."""
    spec = importlib.util.find_spec("bpy")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("bpy is not installed: pip install bpy==5.0.1 (Python 3.11) to build the extension")
    root = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(root.glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
    if not found:
        raise SystemExit(f"no extension CLI (blender_ext.py) under {root}")
    return found[-1]


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


def stage(destination: Path, wheels: list[Path], platforms: list[str]) -> Path:
    """Copy the add-on, the vendored protocol and the wheels; write the final manifest."""
    source = destination / "texforge"
    shutil.copytree(ADDON, source, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (source / "protocol").mkdir()
    for module in sorted(PROTOCOL.glob("*.py")):
        shutil.copy2(module, source / "protocol" / module.name)
    (source / "wheels").mkdir()
    names = sorted({wheel.name: wheel for wheel in wheels}.items())
    for name, wheel in names:
        shutil.copy2(wheel, source / "wheels" / name)
    manifest = source / "blender_manifest.toml"
    manifest.write_text(with_wheels(manifest.read_text(), [name for name, _ in names], platforms))
    return source


def with_wheels(manifest: str, wheel_names: list[str], platforms: list[str]) -> str:
    """The manifest with top-level `platforms` and `wheels` inserted before the first table."""
    lines = [f"platforms = [{', '.join(repr(p).replace(chr(39), chr(34)) for p in platforms)}]",
             "wheels = [", *(f'  "./wheels/{name}",' for name in wheel_names), "]", ""]
    head, separator, tables = manifest.partition("\n[")
    return head.rstrip("\n") + "\n\n" + "\n".join(lines) + separator + tables


def run_cli(cli: Path, *arguments: str) -> None:
    """Run the extension CLI under this Python; fail loudly on a non-zero status."""
    subprocess.run([sys.executable, str(cli), *arguments], check=True)


def build(platforms: list[str], pythons: list[str], output_dir: Path, split: bool) -> list[Path]:
    """Stage, validate and build; return the zips written."""
    cli = extension_cli()
    wheels = [wheel for platform in platforms for python in pythons for wheel in download_wheels(platform, python)]
    output_dir.mkdir(parents=True, exist_ok=True)
    version = tomllib.loads((ADDON / "blender_manifest.toml").read_text())["version"]
    before = set(output_dir.glob("texforge-*.zip"))
    with tempfile.TemporaryDirectory(prefix="texforge-ext-") as scratch:
        source = stage(Path(scratch), wheels, platforms)
        run_cli(cli, "validate", str(source))
        run_cli(cli, "build", "--source-dir", str(source), "--output-filepath",
                str(output_dir / f"texforge-{version}.zip"))
        if split:
            run_cli(cli, "build", "--source-dir", str(source), "--output-dir", str(output_dir), "--split-platforms")
    built = sorted(set(output_dir.glob(f"texforge-{version}*.zip")) | (set(output_dir.glob("texforge-*.zip")) - before))
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--platform", action="append", choices=sorted(PIP_PLATFORM_TAGS),
                        help="build for this platform only (repeatable; default: all)")
    parser.add_argument("--python", action="append", choices=PYTHON_VERSIONS,
                        help="bundle wheels for this Python only (repeatable; default: all)")
    parser.add_argument("--output-dir", type=Path, default=REPO / "dist")
    parser.add_argument("--no-split", action="store_true", help="skip the per-platform zips")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    platforms = args.platform or list(PIP_PLATFORM_TAGS)
    try:
        built = build(platforms, args.python or list(PYTHON_VERSIONS), args.output_dir,
                      split=len(platforms) > 1 and not args.no_split)
    except subprocess.CalledProcessError as error:
        log.error("build failed: `%s` exited with status %d", " ".join(map(str, error.cmd)), error.returncode)
        return 1
    for path in built:
        log.info("built %s", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
