"""Build a wheels folder for an offline "Install local server": the texforge wheel and its dependencies.

    python packaging/server_wheels.py OUTDIR                  # newest allowed versions, this platform and Python
    python packaging/server_wheels.py OUTDIR --pin-installed  # exactly the versions installed in this Python
    python packaging/server_wheels.py OUTDIR --python-version 3.11 --torch-index https://download.pytorch.org/whl/cpu

Point the extension's "Server wheels folder" preference at OUTDIR and tick "Wheels folder only
(offline)": the artist's machine then downloads nothing. pip resolves the dependencies with this
machine's pip configuration; `--torch-index` adds PyTorch's own index (PyPI's Linux torch is the
~3 GB CUDA build). The tests use `dependency_wheels` with `--pin-installed` pins, cached.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from importlib.metadata import distributions
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build  # noqa: E402

log = logging.getLogger("texforge.packaging")

CACHE = Path(__file__).resolve().parent / ".cache" / "server-deps"
COMPLETE = "complete"
"""Written last into a cached folder: a folder without it was interrupted and is rebuilt."""


def installed_pins(exclude: tuple[str, ...] = ("texforge",)) -> list[str]:
    """`name==version` for every distribution installed in this Python (the versions the tests ran with)."""
    pins = {dist.metadata["Name"]: dist.version for dist in distributions() if dist.metadata["Name"]}
    return sorted(f"{name}=={version}" for name, version in pins.items() if name.lower() not in exclude)


def download_dependencies(wheel: Path, folder: Path, pins: list[str], python_version: str | None = None,
                          extra_pip_args: tuple[str, ...] = ()) -> list[Path]:
    """Every dependency of `wheel` as a wheel in `folder` (`pins` as constraints); returns the files."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as constraints:
        constraints.write("\n".join(pins) + "\n")
    target = ["--python-version", python_version] if python_version else []
    try:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", *target,
                        "-d", str(folder), "-c", constraints.name, *extra_pip_args, str(wheel)], check=True)
    finally:
        os.unlink(constraints.name)
    return sorted(folder.glob("*.whl"))


def cached_dependencies(wheel: Path, python_version: str, pins: list[str]) -> Path:
    """`download_dependencies` once per pin set, Python version and platform, under packaging/.cache/server-deps/."""
    key = hashlib.sha256("\n".join([python_version, sysconfig.get_platform(), *pins]).encode()).hexdigest()[:16]
    folder = CACHE / key
    if (folder / COMPLETE).exists():
        return folder
    CACHE.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=CACHE))
    try:
        download_dependencies(wheel, scratch, pins, python_version)
        (scratch / wheel.name).unlink(missing_ok=True)  # the cache holds the dependencies only
        (scratch / COMPLETE).write_text("\n".join(pins) + "\n")
        if not (folder / COMPLETE).exists():  # else another session finished first
            shutil.rmtree(folder, ignore_errors=True)  # an interrupted earlier attempt
            os.replace(scratch, folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return folder


def folder_mib(folder: Path) -> float:
    """Total size of the files in `folder`, MiB."""
    return sum(path.stat().st_size for path in folder.iterdir() if path.is_file()) / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output_dir", type=Path)
    parser.add_argument("--pin-installed", action="store_true", help="pin every dependency to this Python's installed version")
    parser.add_argument("--python-version", help="wheels for another Python version (e.g. 3.13 for Blender 5.1+)")
    parser.add_argument("--torch-index", help="also search this index (e.g. https://download.pytorch.org/whl/cpu)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    wheel = build.build_server_wheel(args.output_dir)
    extra = ("--extra-index-url", args.torch_index) if args.torch_index else ()
    try:
        download_dependencies(wheel, args.output_dir, installed_pins() if args.pin_installed else [],
                              args.python_version, extra)
    except subprocess.CalledProcessError as error:
        log.error("pip download failed with status %d", error.returncode)
        return 1
    log.info("wrote %s: %d wheels, %.0f MiB", args.output_dir, len(list(args.output_dir.glob("*.whl"))),
             folder_mib(args.output_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
