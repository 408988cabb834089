"""The private server environment: where it lives, which Python makes it, the pip commands (no bpy).

"Install local server" creates a virtual environment in the extension's user folder with a
Python >= 3.11 (Blender's own where it can make one), installs PyTorch and the texforge server
wheel into it, and never touches Blender's Python. Everything here is data or a small query, so
the commands can be read and tested without Blender; `server_install.py` runs them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MIN_PYTHON = (3, 11)
BUNDLED_WHEELS = Path(__file__).resolve().parent / "server_wheels"
"""The server wheel that packaging/build.py puts into the extension (absent in a source checkout)."""
TORCH_INDEXES = {
    "cpu": "https://download.pytorch.org/whl/cpu",
    "cuda": "https://download.pytorch.org/whl/cu128",
}
"""PyTorch's own package indexes: the CPU build is ~200 MB, the CUDA build ~3 GB with its libraries."""
TORCH_BUILDS = ("auto", "cpu", "cuda")
WHEEL_NAME = re.compile(r"^texforge-(?P<version>[0-9][^-]*)-py3-none-any\.whl$")
PIP_INSTALL = ("-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--progress-bar", "off")
CHECK_SCRIPT = (
    "import json, platform, torch, texforge.server.cli, texforge.server.serve\n"
    "from texforge.server.version import __version__\n"
    "print(json.dumps({'version': __version__, 'torch': torch.__version__, 'cuda': torch.cuda.is_available(),"
    " 'python': platform.python_version()}))"
)
"""Run in the new environment before it counts as installed: the server's modules and torch import."""
PYTHON_PROBE = "import sys, venv, ensurepip; print(sys.version_info[0], sys.version_info[1])"
INHERITED_VARIABLES_DROPPED = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV")


class SetupError(Exception):
    """A problem setting up the local server, phrased for the user."""


@dataclass(frozen=True)
class InstallRecord:
    """What an installed environment holds (written into it as the last step of an install)."""

    version: str
    torch: str
    cuda: bool
    """Whether that torch sees a CUDA GPU."""
    python: str
    wheel: str

    @property
    def device(self) -> str:
        """GPU or CPU, for the preferences."""
        return "GPU" if self.cuda else "CPU"


@dataclass(frozen=True)
class EnvironmentLayout:
    """The folders and files of the local server under the extension's user folder."""

    root: Path

    @property
    def env(self) -> Path:
        """The environment in use: it exists only once an install was checked."""
        return self.root / "env"

    @property
    def partial(self) -> Path:
        """Where an install or update is built; renamed to `env` when it works, removed otherwise."""
        return self.root / "env.partial"

    @property
    def retired(self) -> Path:
        """The previous environment, for the moment of an update's swap."""
        return self.root / "env.old"

    @property
    def install_log(self) -> Path:
        """pip's output of the latest install, update or removal."""
        return self.root / "install.log"

    @property
    def server_log(self) -> Path:
        """The managed server's output (its stderr), from its latest start."""
        return self.root / "server.log"

    def python(self, env: Path | None = None) -> Path:
        """The interpreter of `env` (default: the installed environment)."""
        folder = env or self.env
        return folder / "Scripts" / "python.exe" if os.name == "nt" else folder / "bin" / "python"

    def record_path(self, env: Path | None = None) -> Path:
        """The install record inside `env`."""
        return (env or self.env) / "texforge-install.json"

    def installed(self) -> InstallRecord | None:
        """The installed environment's record; None when there is none (a partial one never counts)."""
        try:
            data = json.loads(self.record_path().read_text())
            record = InstallRecord(**{key: data[key] for key in InstallRecord.__dataclass_fields__})
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return record if self.python().exists() else None


@dataclass(frozen=True)
class PackageSources:
    """Where pip finds packages: the preferences' folder and indexes (pip's own configuration is ignored)."""

    torch_build: str = "cpu"
    """cpu or cuda (resolve "auto" with `resolve_torch_build` first)."""
    wheels_folder: str = ""
    """A local folder of wheels (`--find-links`): the texforge wheel and/or its dependencies."""
    offline: bool = False
    """Only the wheels folder (`--no-index`): nothing is downloaded."""
    package_index: str = ""
    """Index for the server's other dependencies; empty: PyPI."""
    torch_index: str = ""
    """Index for PyTorch; empty: PyTorch's own index for `torch_build`."""

    def links(self) -> list[str]:
        """`--find-links FOLDER` when a wheels folder is set."""
        return ["--find-links", self.wheels_folder] if self.wheels_folder else []

    def for_torch(self) -> list[str]:
        """pip options for the torch step."""
        if self.offline:
            return ["--no-index", *self.links()]
        return ["--index-url", self.torch_index or TORCH_INDEXES[self.torch_build], *self.links()]

    def for_server(self) -> list[str]:
        """pip options for the texforge step (its dependencies other than torch)."""
        if self.offline:
            return ["--no-index", *self.links()]
        return [*(["--index-url", self.package_index] if self.package_index else []), *self.links()]


@dataclass(frozen=True)
class Step:
    """One command of an install, with its share of the progress bar."""

    label: str
    argv: tuple[str, ...]
    weight: int


@dataclass(frozen=True)
class ServerWheel:
    """A texforge server wheel file and its version."""

    path: Path
    version: str


def install_steps(base_python: str, target: Path, python: Path, sources: PackageSources, wheel: ServerWheel) -> list[Step]:
    """Make a venv at `target` with `base_python`, install torch, then the server wheel, then check it."""
    return [
        Step("Creating the environment", (base_python, "-m", "venv", str(target)), 1),
        Step(f"Installing PyTorch ({sources.torch_build.upper()})", (str(python), *PIP_INSTALL, *sources.for_torch(), "torch"), 6),
        *upgrade_steps(python, sources, wheel),
    ]


def upgrade_steps(python: Path, sources: PackageSources, wheel: ServerWheel) -> list[Step]:
    """Install `wheel` (and what it needs beyond the environment's packages) into `python`'s venv; check it."""
    return [
        Step(f"Installing texforge {wheel.version}", (str(python), *PIP_INSTALL, *sources.for_server(), str(wheel.path)), 2),
        Step("Checking the environment", (str(python), "-c", CHECK_SCRIPT), 1),
    ]


def subprocess_environment() -> dict[str, str]:
    """Blender's environment without what would mix another Python or pip's configuration into the private env."""
    environment = {key: value for key, value in os.environ.items()
                   if key not in INHERITED_VARIABLES_DROPPED and not key.startswith("PIP_")}
    environment.update(PIP_CONFIG_FILE=os.devnull, PYTHONNOUSERSITE="1", PYTHONIOENCODING="utf-8")
    return environment


def python_version(python: str) -> tuple[int, int] | None:
    """(major, minor) of `python` if it runs and has venv + ensurepip, else None."""
    try:
        probe = subprocess.run([python, "-c", PYTHON_PROBE], capture_output=True, text=True, timeout=60,
                               env=subprocess_environment())
    except (OSError, subprocess.TimeoutExpired):
        return None
    parts = probe.stdout.split()
    if probe.returncode != 0 or len(parts) != 2 or not all(part.isdigit() for part in parts):
        return None
    return int(parts[0]), int(parts[1])


def choose_python(configured: str, blender_python: str = sys.executable) -> str:
    """The Python that makes the environment: the configured one when set, else Blender's own.

    Raises SetupError saying what to set when it cannot make a venv or is older than 3.11.
    """
    python = configured.strip() or blender_python
    version = python_version(python)
    if version is not None and version >= MIN_PYTHON:
        return python
    found = "does not run or lacks venv/ensurepip" if version is None else f"is Python {version[0]}.{version[1]}"
    whose = "The configured Python" if configured.strip() else "Blender's Python"
    raise SetupError(f"{whose} ({python}) {found}: set 'Python for the server' in the texforge preferences "
                     f"to a Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer")


def has_nvidia_gpu() -> bool:
    """Whether `nvidia-smi` is on PATH and lists a GPU."""
    tool = shutil.which("nvidia-smi")
    if tool is None:
        return False
    try:
        listing = subprocess.run([tool, "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return listing.returncode == 0 and "GPU" in listing.stdout


def resolve_torch_build(choice: str) -> str:
    """cpu or cuda: "auto" is cuda where an NVIDIA GPU is found, cpu otherwise."""
    if choice not in TORCH_BUILDS:
        raise ValueError(f"torch build {choice!r} is not one of {TORCH_BUILDS}")
    if choice != "auto":
        return choice
    return "cuda" if has_nvidia_gpu() else "cpu"


def version_key(version: str) -> tuple[int, ...]:
    """The release numbers of a version, for ordering ("0.10.0" after "0.9.1"; "0.2.0rc1" counts as 0.2.0)."""
    release = re.match(r"\d+(\.\d+)*", version)
    return tuple(int(part) for part in release.group(0).split(".")) if release else ()


def server_wheels(folders: Iterable[Path | str]) -> list[ServerWheel]:
    """texforge wheels in `folders` (missing or empty names skipped)."""
    found = []
    for folder in filter(None, folders):
        if Path(folder).is_dir():
            found += [ServerWheel(path, match["version"]) for path in sorted(Path(folder).iterdir())
                      if (match := WHEEL_NAME.match(path.name))]
    return found


def newest_wheel(folders: Iterable[Path | str]) -> ServerWheel | None:
    """The texforge wheel with the highest version in `folders`; the first folder wins a tie."""
    wheels = server_wheels(folders)
    return max(reversed(wheels), key=lambda wheel: version_key(wheel.version)) if wheels else None


def offered_wheel(wheels_folder: str) -> ServerWheel | None:
    """The wheel an install or update uses: the newest of the extension's own and the wheels folder's."""
    return newest_wheel([BUNDLED_WHEELS, wheels_folder])


def update_available(installed: InstallRecord | None, offered: ServerWheel | None) -> bool:
    """Whether `offered` is newer than the installed server."""
    return installed is not None and offered is not None and version_key(offered.version) > version_key(installed.version)
