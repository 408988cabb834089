"""The local server's environment as data (bpy-free): layout, pip commands, Python choice, wheels, versions."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from .pure_modules import load

server_env = load("server_env")
remote = load("remote")


def fake_program(folder: Path, name: str, body: str) -> Path:
    """An executable shell script `name` in `folder`."""
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def wheel(version: str = "0.1.0", folder: str = "/w") -> object:
    return server_env.ServerWheel(Path(folder) / f"texforge-{version}-py3-none-any.whl", version)


def test_offline_install_uses_only_the_wheels_folder_for_every_pip_step() -> None:
    sources = server_env.PackageSources(torch_build="cpu", wheels_folder="/wheels", offline=True)
    steps = server_env.install_steps("/blender/python", Path("/env.partial"), Path("/env.partial/bin/python"),
                                     sources, wheel())
    assert [step.label for step in steps] == ["Creating the environment", "Installing PyTorch (CPU)",
                                              "Installing texforge 0.1.0", "Checking the environment"]
    assert steps[0].argv == ("/blender/python", "-m", "venv", "/env.partial")
    for step in steps[1:3]:
        assert step.argv[:4] == ("/env.partial/bin/python", "-m", "pip", "install")
        assert step.argv[-4:-1] == ("--no-index", "--find-links", "/wheels")
        assert "--index-url" not in step.argv
    assert steps[1].argv[-1] == "torch" and steps[2].argv[-1] == "/w/texforge-0.1.0-py3-none-any.whl"
    assert steps[3].argv[:2] == ("/env.partial/bin/python", "-c") and "texforge.server" in steps[3].argv[2]


@pytest.mark.parametrize(("build", "index"), [("cpu", "https://download.pytorch.org/whl/cpu"),
                                              ("cuda", "https://download.pytorch.org/whl/cu128")])
def test_online_torch_comes_from_pytorchs_index_for_the_build_and_the_rest_from_pypi(build: str, index: str) -> None:
    sources = server_env.PackageSources(torch_build=build)
    assert sources.for_torch() == ["--index-url", index]
    assert sources.for_server() == []


def test_preference_indexes_and_folder_replace_the_defaults() -> None:
    sources = server_env.PackageSources(torch_build="cpu", wheels_folder="/w", package_index="https://mirror/simple",
                                        torch_index="https://mirror/torch")
    assert sources.for_torch() == ["--index-url", "https://mirror/torch", "--find-links", "/w"]
    assert sources.for_server() == ["--index-url", "https://mirror/simple", "--find-links", "/w"]


def test_pips_own_configuration_and_other_pythons_stay_out_of_the_private_environment(monkeypatch) -> None:
    monkeypatch.setenv("PIP_FIND_LINKS", "/opt/elsewhere")
    monkeypatch.setenv("PYTHONPATH", "/blender/scripts")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy:3128")
    environment = server_env.subprocess_environment()
    assert "PIP_FIND_LINKS" not in environment and "PYTHONPATH" not in environment
    assert environment["PIP_CONFIG_FILE"] == os.devnull and environment["PYTHONNOUSERSITE"] == "1"
    assert environment["HTTPS_PROXY"] == "http://proxy:3128"


def test_blenders_python_makes_the_environment_unless_one_is_configured(tmp_path: Path) -> None:
    configured = fake_program(tmp_path, "python3.12", 'echo "3 12"')
    assert server_env.choose_python("", sys.executable) == sys.executable
    assert server_env.choose_python(str(configured), sys.executable) == str(configured)


def test_an_old_or_broken_python_is_refused_with_what_to_set(tmp_path: Path) -> None:
    old = fake_program(tmp_path, "python3.10", 'echo "3 10"')
    broken = fake_program(tmp_path, "nopython", "exit 1")
    with pytest.raises(server_env.SetupError, match=r"is Python 3\.10: set 'Python for the server'"):
        server_env.choose_python(str(old))
    with pytest.raises(server_env.SetupError, match="Blender's Python .* does not run or lacks venv"):
        server_env.choose_python("", str(broken))
    with pytest.raises(server_env.SetupError, match="configured Python"):
        server_env.choose_python(str(tmp_path / "missing"), sys.executable)


def test_cuda_is_chosen_automatically_only_where_nvidia_smi_lists_a_gpu(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert server_env.resolve_torch_build("auto") == "cpu"
    fake_program(tmp_path, "nvidia-smi", 'echo "GPU 0: NVIDIA RTX A4000 (UUID: GPU-1)"')
    assert server_env.resolve_torch_build("auto") == "cuda"
    assert server_env.resolve_torch_build("cpu") == "cpu"
    with pytest.raises(ValueError, match="rocm"):
        server_env.resolve_torch_build("rocm")


def test_the_newest_texforge_wheel_of_the_folders_is_offered(tmp_path: Path) -> None:
    bundled, folder = tmp_path / "bundled", tmp_path / "folder"
    for path in (bundled / "texforge-0.9.1-py3-none-any.whl", folder / "texforge-0.10.0-py3-none-any.whl",
                 folder / "numpy-2.4.6-cp311-cp311-manylinux_2_28_x86_64.whl", folder / "texforge-notes.txt"):
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"")
    assert server_env.newest_wheel([bundled, "", tmp_path / "missing"]).version == "0.9.1"
    newest = server_env.newest_wheel([bundled, folder])
    assert newest.version == "0.10.0" and newest.path.parent == folder
    assert server_env.newest_wheel([]) is None


def test_an_update_is_offered_only_for_a_newer_wheel() -> None:
    installed = server_env.InstallRecord("0.2.0", "2.13.0+cpu", False, "3.11.7", "texforge-0.2.0-py3-none-any.whl")
    assert server_env.update_available(installed, wheel("0.10.0"))
    assert not server_env.update_available(installed, wheel("0.2.0"))
    assert not server_env.update_available(installed, wheel("0.2.0rc1"))
    assert not server_env.update_available(None, wheel("9.0.0"))


def test_only_a_complete_environment_counts_as_installed(tmp_path: Path) -> None:
    layout = server_env.EnvironmentLayout(tmp_path)
    record = {"version": "0.1.0", "torch": "2.13.0+cpu", "cuda": False, "python": "3.11.7", "wheel": "w.whl"}
    layout.partial.mkdir()
    layout.record_path(layout.partial).write_text(json.dumps(record))
    assert layout.installed() is None  # a partial environment never counts
    layout.env.mkdir()
    layout.record_path().write_text(json.dumps(record))
    assert layout.installed() is None  # no interpreter
    layout.python().parent.mkdir()
    layout.python().write_text("")
    assert layout.installed() == server_env.InstallRecord(**record)
    assert layout.installed().device == "CPU"
    layout.record_path().write_text("{")
    assert layout.installed() is None


@pytest.mark.parametrize(("server", "local", "expected"), [
    ("0.1.0", True, ""),
    ("0.1.0+local", True, "server 0.1.0+local, extension 0.1.0: update"),
    ("0.0.9", True, "server 0.0.9, extension 0.1.0: update the local server"),
    ("0.0.9", False, "server 0.0.9, extension 0.1.0: update the server"),
    ("0.2.0", True, "server 0.2.0, extension 0.1.0: update the extension"),
])
def test_a_version_mismatch_says_which_side_to_update(server: str, local: bool, expected: str) -> None:
    message = remote.version_mismatch(server, local=local, extension_version="0.1.0")
    assert message.startswith(expected) and bool(message) == bool(expected)


def test_the_device_says_gpu_or_shows_the_cpu() -> None:
    assert remote.describe_server({"server": "texforge", "version": "0.1.0", "device": "cpu (2 threads)"}) == \
        "texforge 0.1.0 on cpu (2 threads)"
    assert remote.describe_server({"version": "0.1.0", "device": "cuda:0 (NVIDIA A4000)"}).endswith("on GPU cuda:0 (NVIDIA A4000)")


def test_only_loopback_addresses_get_a_local_server() -> None:
    assert remote.is_loopback("tcp://127.0.0.1:5555") and remote.is_loopback("tcp://localhost:1")
    assert remote.is_loopback("tcp://[::1]:5555")
    assert not remote.is_loopback("tcp://gpubox:5555") and not remote.is_loopback("ipc:///tmp/x")
