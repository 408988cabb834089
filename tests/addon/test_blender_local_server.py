"""Install local server, then Upscale texture through the managed server: headless bpy 5.0.1, offline.

Nothing but the built extension zip (which carries the texforge wheel) and a local folder of
dependency wheels: pip runs with `--no-index --find-links`. The dependency folder (~280 MB:
torch 2.13.0 CPU and the rest, pinned to the versions installed in this venv) is built once into
packaging/.cache/server-deps/ and reused by later sessions. One Blender session walks the
failure paths, the install, the server's life, Update, Remove and a second install (a few
minutes: two real installs of torch into a fresh environment); two short sessions check Keep
server running across a quit.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from texforge.protocol.processes import process_alive

from ..conftest import free_tcp_port
from .conftest import (
    BLENDER_SCRIPT_TIMEOUT_S,
    REPO,
    SCRIPTS,
    blender_environment,
    blender_python,
    requires_bpy,
    run_blender_script,
    scenario,
)

sys.path.insert(0, str(REPO / "packaging"))
import build  # noqa: E402
import server_wheels  # noqa: E402

pytestmark = [requires_bpy, pytest.mark.slow, pytest.mark.timeout(1800)]

SESSION_TIMEOUT_S = 1500
RELEASE = build.release_version()
NEWER = ".".join([*RELEASE.split(".")[:-1], str(int(RELEASE.split(".")[-1]) + 1)])
BLENDER_PYTHON_VERSION = "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"


@pytest.fixture(scope="session")
def dependency_wheels(extension_zip: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The server's dependencies as wheels for the Blender interpreter's Python (cached across sessions)."""
    folder = tmp_path_factory.mktemp("bundled")
    with zipfile.ZipFile(extension_zip) as archive:
        name = next(name for name in archive.namelist() if name.startswith(f"{build.SERVER_WHEELS_FOLDER}/"))
        wheel = Path(archive.extract(name, folder))
    version = subprocess.run([str(blender_python()), "-c", BLENDER_PYTHON_VERSION], capture_output=True, text=True,
                             check=True).stdout.strip()
    return server_wheels.cached_dependencies(wheel, version, server_wheels.installed_pins())


@pytest.fixture(scope="module")
def wheel_folders(dependency_wheels: Path, module_tmp: Path) -> dict[str, str]:
    """The full folder, one without sympy (torch needs it), and one with only a newer texforge wheel."""
    broken = module_tmp / "broken-wheels"
    broken.mkdir()
    for wheel in dependency_wheels.glob("*.whl"):
        if not wheel.name.startswith("sympy-"):
            (broken / wheel.name).symlink_to(wheel)
    newer = build.build_server_wheel(module_tmp / "newer-wheels", version=NEWER)
    return {"wheels": str(dependency_wheels), "broken_wheels": str(broken), "newer_wheels": str(newer.parent)}


@pytest.fixture(scope="module")
def artist(extension_zip: Path, wheel_folders: dict[str, str], diagnostic_server: Any, module_tmp: Path) -> dict[str, Any]:
    """Every scenario of the artist's session (local_server_scenarios.py, mode "artist")."""
    session = module_tmp / "artist"
    session.mkdir()
    started = time.perf_counter()
    outcome = run_blender_script("local_server_scenarios.py", session, home=module_tmp / "home", timeout_s=SESSION_TIMEOUT_S,
                                 mode="artist", zip=str(extension_zip), address=f"tcp://127.0.0.1:{free_tcp_port()}",
                                 external=diagnostic_server.address, **wheel_folders)
    outcome["session_seconds"] = time.perf_counter() - started
    return outcome


def test_no_suitable_python_is_refused_before_anything_is_created(artist: dict[str, Any]) -> None:
    facts = scenario(artist, "no_python")
    assert "is Python 3.10: set 'Python for the server'" in facts["error"]
    assert not (facts["env"] or facts["partial"] or facts["installed"])


def test_a_wheel_folder_missing_a_dependency_fails_and_leaves_no_environment(artist: dict[str, Any]) -> None:
    facts = scenario(artist, "missing_dependency")
    assert "Install local server: Installing PyTorch (CPU) failed (exit status 1): ERROR: " in facts["error"]
    assert "sympy" in facts["error"] and "install.log" in facts["error"] and facts["log_exists"]
    assert not (facts["env"] or facts["partial"] or facts["installed"])


def test_cancelling_the_install_leaves_no_environment(artist: dict[str, Any]) -> None:
    facts = scenario(artist, "cancel")
    assert facts["stage_before_cancel"].startswith("Installing PyTorch")
    assert facts["state"] == "cancelled" and facts["seconds_after_cancel"] < 20
    assert not (facts["env"] or facts["partial"] or facts["installed"])


def test_install_from_the_extension_and_a_local_wheel_folder(artist: dict[str, Any]) -> None:
    facts = scenario(artist, "install")
    assert facts["error"] is None and facts["installed"] and not facts["partial"]
    assert facts["record"]["version"] == RELEASE and facts["record"]["torch"].startswith("2.13.0")
    assert facts["record"]["wheel"] == f"texforge-{RELEASE}-py3-none-any.whl"
    assert "operator: texforge.install_server" in facts["shown_before"]
    assert "label: No local server yet: Preferences > Add-ons > texforge > Install local server" in facts["shown_before"]
    assert "operator: texforge.install_server" not in facts["shown_after"]
    assert "operator: texforge.remove_server" in facts["shown_after"]
    assert f"label: Installed: texforge {RELEASE}, PyTorch {facts['record']['torch']} (CPU)" in facts["shown_after"]
    print(f"install: {facts['seconds']:.0f} s, environment {facts['environment_mib']:.0f} MiB")


def test_the_first_upscale_starts_the_managed_server_and_shows_its_device(artist: dict[str, Any]) -> None:
    facts = scenario(artist, "upscale")
    assert facts["error"] is None and facts["size"] == [32, 16]
    assert facts["state"] == "Connected" and f"texforge {RELEASE} on cpu" in facts["detail"]
    assert facts["warning"] == "" and facts["pid"] is not None
    print(f"first upscale, server start included: {facts['seconds']:.1f} s")


def test_the_next_job_uses_the_same_server(artist: dict[str, Any]) -> None:
    assert scenario(artist, "second_job")["pid"] == scenario(artist, "upscale")["pid"]
    assert scenario(artist, "second_job")["size"] == [32, 16]


def test_a_crashed_server_is_reported_and_started_again_by_the_next_job(artist: dict[str, Any]) -> None:
    facts = scenario(artist, "crash")
    assert facts["error"] is None and facts["size"] == [32, 16]
    assert facts["pid"] not in (None, facts["first_pid"])
    assert "exit status -9" in facts["last_exit"] and "listening on" in facts["last_exit"]
    assert "started again" in facts["detail"]


def test_a_texforge_server_already_running_at_the_address_is_reused(artist: dict[str, Any], diagnostic_server: Any) -> None:
    facts = scenario(artist, "external")
    assert facts["error"] is None and facts["size"] == [32, 16]
    assert facts["pid"] is None and facts["hello_pid"] == diagnostic_server.pid
    assert facts["detail"].endswith("(already running)")


def test_the_precision_preference_restarts_the_managed_server_with_it(artist: dict[str, Any]) -> None:
    facts = scenario(artist, "precision")
    assert facts["error"] is None and facts["size"] == [32, 16]
    assert facts["pid_before"] is not None
    assert facts["precision"] == "fp32" and facts["pid"] not in (None, facts["pid_before"])
    assert "prop: server_precision" in facts["shown"]


def test_a_port_held_by_another_program_is_reported_truthfully(artist: dict[str, Any]) -> None:
    facts = scenario(artist, "busy")
    assert "in use by another program that is not a texforge server" in facts["error"]
    assert facts["size"] is None and facts["pid"] is None


def test_update_switches_to_the_newer_wheel_and_the_status_names_the_mismatch(artist: dict[str, Any]) -> None:
    facts = scenario(artist, "update")
    assert facts["offered"] == NEWER and facts["error"] is None
    assert facts["version"] == NEWER and facts["installed"] and not facts["partial"]
    assert facts["upscale"]["size"] == [32, 16] and "started again" not in facts["upscale"]["detail"]
    assert f"operator: texforge.update_server Update server to {NEWER}" in facts["shown_before"]
    assert not [line for line in facts["shown_after"] if "update_server" in line]
    assert f"label: server {NEWER}, extension {RELEASE}: update the extension" in facts["shown_after"]
    assert facts["upscale"]["warning"] == f"server {NEWER}, extension {RELEASE}: update the extension"
    print(f"update: {facts['seconds']:.0f} s")


def test_remove_stops_the_server_and_deletes_the_environment(artist: dict[str, Any]) -> None:
    facts = scenario(artist, "remove")
    assert facts["error"] is None and facts["server_pid"] is not None and not facts["server_alive"]
    assert not (facts["env"] or facts["partial"] or facts["installed"])


def test_installing_again_after_remove_gives_a_working_server(artist: dict[str, Any]) -> None:
    facts = scenario(artist, "reinstall")
    assert facts["error"] is None and facts["record"]["version"] == RELEASE
    assert scenario(artist, "upscale_again")["size"] == [32, 16]
    print(f"second install: {facts['seconds']:.0f} s; whole Blender session {artist['session_seconds']:.0f} s")


def test_quitting_blender_stops_the_managed_server(artist: dict[str, Any]) -> None:
    pid = scenario(artist, "quit")["pid"]
    assert pid is not None and not process_alive(pid)


def test_keep_server_running_outlives_blender_and_the_next_blender_reuses_it(
        artist: dict[str, Any], extension_zip: Path, wheel_folders: dict[str, str], module_tmp: Path) -> None:
    address = f"tcp://127.0.0.1:{free_tcp_port()}"
    common = {"zip": str(extension_zip), "address": address, "external": "", **wheel_folders}
    runs = []
    for mode in ("keep", "reuse"):
        (module_tmp / mode).mkdir()
        runs.append(scenario(run_blender_script("local_server_scenarios.py", module_tmp / mode, home=module_tmp / "home",
                                                mode=mode, **common), "upscale"))
    kept, reused = runs
    try:
        assert kept["error"] is None and kept["pid"] is not None
        assert process_alive(kept["pid"]), "Keep server running: the server must outlive Blender"
        assert reused["error"] is None and reused["pid"] is None and reused["hello_pid"] == kept["pid"]
        assert process_alive(kept["pid"]), "a reused server is not this Blender's to stop"
    finally:
        if kept["pid"] is not None and process_alive(kept["pid"]):
            os.kill(kept["pid"], signal.SIGTERM)


def test_a_blender_crash_leaves_no_managed_server_behind(
        artist: dict[str, Any], extension_zip: Path, wheel_folders: dict[str, str], module_tmp: Path) -> None:
    address = f"tcp://127.0.0.1:{free_tcp_port()}"
    arguments = {"zip": str(extension_zip), "address": address, "external": "", "mode": "crash", **wheel_folders}
    work = module_tmp / "crash"
    work.mkdir()
    arguments.update(result_path=str(work / "result.json"), work_dir=str(work))
    completed = subprocess.run([str(blender_python()), str(SCRIPTS / "local_server_scenarios.py"), json.dumps(arguments)],
                               cwd=work, capture_output=True, text=True, env=blender_environment(module_tmp / "home"),
                               timeout=BLENDER_SCRIPT_TIMEOUT_S)
    assert completed.returncode == -signal.SIGKILL, completed.stderr[-4000:]  # reaped here, as a desktop reaps a crash
    facts = scenario(json.loads((work / "result.json").read_text()), "upscale")
    assert facts["error"] is None and facts["pid"] is not None
    deadline = time.monotonic() + 15
    while process_alive(facts["pid"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        assert not process_alive(facts["pid"]), "the managed server outlived the Blender that crashed"
    finally:
        if process_alive(facts["pid"]):
            os.kill(facts["pid"], signal.SIGTERM)
