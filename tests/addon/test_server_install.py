"""Running an install (bpy-free), with small stand-in commands: the environment appears only when it works."""

from __future__ import annotations

import json
import shutil
import sys
import threading
import time
from pathlib import Path

import pytest

from .pure_modules import load

server_env = load("server_env")
server_install = load("server_install")

WHEEL = server_env.ServerWheel(Path("/wheels/texforge-0.1.0-py3-none-any.whl"), "0.1.0")
REPORT = {"version": "0.1.0", "torch": "2.13.0+cpu", "cuda": False, "python": "3.11.7"}


def python_step(label: str, code: str, weight: int = 1) -> object:
    return server_env.Step(label, (sys.executable, "-c", code), weight)


def make_partial(layout) -> object:
    return python_step("Creating the environment", f"import os; os.makedirs({str(layout.partial / 'bin')!r})")


def check(report: dict = REPORT) -> object:
    return python_step("Checking the environment", f"import json; print('noise'); print(json.dumps({report!r}))")


class Progress:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int, str]] = []

    def __call__(self, done: int, total: int, stage: str) -> None:
        self.calls.append((done, total, stage))


def run(layout, steps, cancel_event=None, **keywords):
    return server_install.build_environment(layout, steps, WHEEL, Progress(), cancel_event or threading.Event(), **keywords)


def test_a_working_install_becomes_env_with_its_record_and_a_log(tmp_path: Path) -> None:
    layout = server_env.EnvironmentLayout(tmp_path)
    progress = Progress()
    record = server_install.build_environment(layout, [make_partial(layout), python_step("pip", "print('Collecting torch')", 6),
                                                       check()], WHEEL, progress, threading.Event())
    assert record == server_env.InstallRecord(wheel=WHEEL.path.name, **REPORT)
    assert not layout.partial.exists()
    assert json.loads(layout.record_path().read_text())["torch"] == "2.13.0+cpu"
    assert "Collecting torch" in layout.install_log.read_text() and "$ " in layout.install_log.read_text()
    assert (1, 8, "pip: Collecting torch") in progress.calls and progress.calls[-1] == (8, 8, "Done")


def test_a_step_failing_midway_leaves_no_environment_and_names_pips_error(tmp_path: Path) -> None:
    layout = server_env.EnvironmentLayout(tmp_path)
    failing = python_step("Installing PyTorch (CPU)", "import sys; print('Looking in links: /w'); "
                          "print('ERROR: No matching distribution found for sympy>=1.13'); sys.exit(1)")
    with pytest.raises(server_env.SetupError) as caught:
        run(layout, [make_partial(layout), failing, check()])
    message = str(caught.value)
    assert message.startswith("Installing PyTorch (CPU) failed (exit status 1): ERROR: No matching distribution found for sympy")
    assert str(layout.install_log) in message
    assert not layout.partial.exists() and not layout.env.exists() and layout.installed() is None


def test_cancel_stops_the_running_command_and_removes_the_partial_environment(tmp_path: Path) -> None:
    layout = server_env.EnvironmentLayout(tmp_path)
    cancel = threading.Event()
    threading.Timer(1.0, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(server_install.InstallCancelled):
        run(layout, [make_partial(layout), python_step("Installing PyTorch (CPU)", "import time; time.sleep(60)"), check()],
            cancel)
    assert time.monotonic() - started < 10
    assert not layout.partial.exists() and not layout.env.exists()


def test_an_environment_that_runs_another_version_is_refused(tmp_path: Path) -> None:
    layout = server_env.EnvironmentLayout(tmp_path)
    with pytest.raises(server_env.SetupError, match="runs texforge 0.0.1, not 0.1.0"):
        run(layout, [make_partial(layout), check({**REPORT, "version": "0.0.1"})])
    assert not layout.partial.exists() and not layout.env.exists()


def test_a_missing_program_is_a_setup_error(tmp_path: Path) -> None:
    layout = server_env.EnvironmentLayout(tmp_path)
    with pytest.raises(server_env.SetupError, match="cannot run /no/such/python"):
        run(layout, [server_env.Step("Creating the environment", ("/no/such/python", "-m", "venv", "x"), 1)])


def test_what_a_quit_blender_left_is_cleared_before_the_next_install(tmp_path: Path) -> None:
    layout = server_env.EnvironmentLayout(tmp_path)
    (layout.partial / "lib").mkdir(parents=True)
    (layout.partial / "lib" / "half-unpacked-torch").write_text("")
    run(layout, [make_partial(layout), check()])
    assert not (layout.env / "lib" / "half-unpacked-torch").exists() and layout.record_path().exists()


def installed(layout) -> None:
    run(layout, [make_partial(layout), check()])
    (layout.env / "bin" / "python").write_text("")
    (layout.env / "old-marker").write_text("")


def copy_installed(layout):
    return lambda: shutil.copytree(layout.env, layout.partial, symlinks=True)


def test_an_update_swaps_in_the_upgraded_copy_after_stopping_the_server(tmp_path: Path) -> None:
    layout = server_env.EnvironmentLayout(tmp_path)
    installed(layout)
    stopped = []
    newer = {**REPORT, "version": "0.1.0"}
    upgrade = python_step("Installing texforge 0.1.0", f"open({str(layout.partial / 'new-marker')!r}, 'w')")
    run(layout, [upgrade, check(newer)], prepare=copy_installed(layout), before_swap=lambda: stopped.append(True))
    assert stopped == [True]
    assert (layout.env / "new-marker").exists() and (layout.env / "old-marker").exists()
    assert not layout.partial.exists() and not layout.retired.exists()


def test_a_failed_update_keeps_the_working_environment(tmp_path: Path) -> None:
    layout = server_env.EnvironmentLayout(tmp_path)
    installed(layout)
    with pytest.raises(server_env.SetupError):
        run(layout, [python_step("Installing texforge 0.2.0", "import sys; sys.exit(2)"), check()],
            prepare=copy_installed(layout), before_swap=lambda: pytest.fail("the server must not be stopped"))
    assert layout.installed() is not None and (layout.env / "old-marker").exists() and not layout.partial.exists()


def test_update_needs_an_installed_environment(tmp_path: Path) -> None:
    with pytest.raises(server_env.SetupError, match="Install local server"):
        server_install.update(server_env.EnvironmentLayout(tmp_path), server_env.PackageSources(), WHEEL,
                              Progress(), threading.Event(), before_swap=lambda: None)


def test_remove_deletes_every_environment_folder_and_keeps_the_logs(tmp_path: Path) -> None:
    layout = server_env.EnvironmentLayout(tmp_path)
    installed(layout)
    layout.partial.mkdir()
    server_install.remove(layout)
    assert not layout.env.exists() and not layout.partial.exists() and layout.install_log.exists()
    server_install.remove(layout)  # nothing left: no error


def test_the_update_copy_shares_files_until_a_file_is_replaced_as_pip_does(tmp_path: Path) -> None:
    original, copy = tmp_path / "env" / "module.py", tmp_path / "env.partial" / "module.py"
    original.parent.mkdir()
    original.write_text("old")
    shutil.copytree(original.parent, copy.parent, copy_function=server_install.link_or_copy)
    assert copy.stat().st_ino == original.stat().st_ino  # a hard link: no second 1.2 GB
    replacement = copy.with_suffix(".tmp")
    replacement.write_text("new")
    replacement.replace(copy)
    assert original.read_text() == "old" and copy.read_text() == "new"
