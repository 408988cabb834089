"""Install, update and remove the local server environment (no bpy: runs in a job's thread).

Every install is built in `env.partial/` and renamed to `env/` only after the check step
imported the server and torch there; a failure or a cancel removes `env.partial/`, so no
half-installed environment is ever left where it would look valid. An update copies the
working environment into `env.partial/`, upgrades the copy and swaps it in the same way: the old
one keeps working until then. Each command's output goes to `install.log`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from .jobs import ProgressCallback
from .server_env import (
    EnvironmentLayout,
    InstallRecord,
    PackageSources,
    ServerWheel,
    SetupError,
    Step,
    install_steps,
    subprocess_environment,
    upgrade_steps,
)

CANCEL_POLL_S = 0.2
STOP_GRACE_S = 10.0


class InstallCancelled(Exception):
    """The user cancelled; nothing was left behind."""


def install(layout: EnvironmentLayout, base_python: str, sources: PackageSources, wheel: ServerWheel,
            progress: ProgressCallback, cancel_event: threading.Event) -> InstallRecord:
    """A new environment made by `base_python` with torch and `wheel`; replaces any installed one when it works."""
    steps = install_steps(base_python, layout.partial, layout.python(layout.partial), sources, wheel)
    return build_environment(layout, steps, wheel, progress, cancel_event)


def update(layout: EnvironmentLayout, sources: PackageSources, wheel: ServerWheel, progress: ProgressCallback,
           cancel_event: threading.Event, before_swap: Callable[[], None]) -> InstallRecord:
    """The installed environment with `wheel` installed; `before_swap` stops a server that runs from it."""
    if not layout.python().exists():
        raise SetupError("no local server is installed: use Install local server")
    steps = upgrade_steps(layout.python(layout.partial), sources, wheel)

    def copy_installed() -> None:
        progress(0, 1, "Copying the installed environment")
        shutil.copytree(layout.env, layout.partial, symlinks=True, copy_function=link_or_copy)

    return build_environment(layout, steps, wheel, progress, cancel_event, prepare=copy_installed, before_swap=before_swap)


def remove(layout: EnvironmentLayout) -> None:
    """Delete the environment and anything an interrupted install left (the logs stay)."""
    for folder in (layout.env, layout.partial, layout.retired):
        remove_tree(folder)


def build_environment(layout: EnvironmentLayout, steps: list[Step], wheel: ServerWheel, progress: ProgressCallback,
                      cancel_event: threading.Event, prepare: Callable[[], None] | None = None,
                      before_swap: Callable[[], None] | None = None) -> InstallRecord:
    """Run `steps` into `layout.partial`, record what the last one reported, swap it in; clean up on any failure."""
    layout.root.mkdir(parents=True, exist_ok=True)
    remove_tree(layout.partial)  # what a Blender that quit mid-install left
    remove_tree(layout.retired)
    with layout.install_log.open("w", encoding="utf-8") as log:
        try:
            if prepare is not None:
                prepare()
            record = record_from_check(run_steps(steps, log, progress, cancel_event), wheel)
            layout.record_path(layout.partial).write_text(json.dumps(dataclasses.asdict(record), indent=1))
            if before_swap is not None:
                before_swap()
            swap_in(layout)
        except BaseException:
            remove_tree(layout.partial)
            raise
    return record


def run_steps(steps: list[Step], log: IO[str], progress: ProgressCallback, cancel_event: threading.Event) -> str:
    """Run each step in turn; return the last one's output."""
    total, done, output = sum(step.weight for step in steps), 0, ""
    for step in steps:
        progress(done, total, step.label)
        output = run_step(step, log, _line_reporter(progress, done, total, step.label), cancel_event)
        done += step.weight
    progress(done, total, "Done")
    return output


def _line_reporter(progress: ProgressCallback, done: int, total: int, label: str) -> Callable[[str], None]:
    """Shows a step's latest output line as the job's stage."""
    def report(line: str) -> None:
        progress(done, total, f"{label}: {line}")
    return report


def run_step(step: Step, log: IO[str], on_line: Callable[[str], None], cancel_event: threading.Event) -> str:
    """Run one command, its output into `log`; stop it when `cancel_event` is set. Returns its output."""
    log.write(f"$ {shlex.join(step.argv)}\n")
    log.flush()
    try:
        process = subprocess.Popen(step.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, encoding="utf-8", errors="replace", env=subprocess_environment(),
                                   **no_console_window())
    except OSError as error:
        raise SetupError(f"{step.label} failed: cannot run {step.argv[0]}: {error}") from error
    lines: list[str] = []
    reader = threading.Thread(target=_copy_output, args=(process, log, lines, on_line), daemon=True)
    reader.start()
    while process.poll() is None:
        if cancel_event.wait(CANCEL_POLL_S):
            stop_process(process)
            reader.join(STOP_GRACE_S)
            raise InstallCancelled(f"{step.label}: cancelled")
    reader.join(STOP_GRACE_S)
    if process.returncode != 0:
        raise SetupError(f"{step.label} failed (exit status {process.returncode}): {failure_reason(lines)} "
                         f"(the full output is in {log.name})")
    return "".join(lines)


def _copy_output(process: subprocess.Popen, log: IO[str], lines: list[str], on_line: Callable[[str], None]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        log.write(line)
        log.flush()
        if line.strip():
            on_line(line.strip()[:120])


def failure_reason(lines: list[str]) -> str:
    """pip's last `ERROR:` line, else the last line of output."""
    meaningful = [line.strip() for line in lines if line.strip()]
    errors = [line for line in meaningful if line.startswith("ERROR:")]
    reason = (errors or meaningful or ["no output"])[-1]
    return reason[:400]


def record_from_check(output: str, wheel: ServerWheel) -> InstallRecord:
    """The install record from the check step's JSON line; refuses an environment that runs another version."""
    try:
        facts: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    except (ValueError, IndexError) as error:
        raise SetupError(f"the environment check printed no report: {output[-400:]!r}") from error
    if facts.get("version") != wheel.version:
        raise SetupError(f"the new environment runs texforge {facts.get('version')}, not {wheel.version} from {wheel.path.name}")
    return InstallRecord(version=wheel.version, torch=str(facts.get("torch")), cuda=bool(facts.get("cuda")),
                         python=str(facts.get("python")), wheel=wheel.path.name)


def swap_in(layout: EnvironmentLayout) -> None:
    """`env.partial` becomes `env`; a previous `env` is removed."""
    if layout.env.exists():
        os.replace(layout.env, layout.retired)
    os.replace(layout.partial, layout.env)
    remove_tree(layout.retired)


def link_or_copy(source: str, destination: str) -> None:
    """A hard link where the file system allows one (instant, no space), else a copy.

    Safe for an environment that pip then upgrades: pip writes every file it installs to a
    temporary name and renames it over, so no shared file is ever modified in place.
    """
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def remove_tree(folder: Path) -> None:
    """Delete `folder` if it exists (a symlink is unlinked, never followed)."""
    if folder.is_symlink():
        folder.unlink()
    elif folder.exists():
        shutil.rmtree(folder)


def stop_process(process: subprocess.Popen) -> None:
    """Terminate, wait, kill if needed."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def no_console_window() -> dict[str, int]:
    """Popen keywords that keep Windows from opening a console window for a child process."""
    return {"creationflags": subprocess.CREATE_NO_WINDOW} if os.name == "nt" else {}
