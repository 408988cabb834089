"""Blender side of test_blender_local_server.py: Install local server, then Upscale texture through it.

Headless bpy with nothing but the built extension zip and local wheel folders (offline: pip gets
`--no-index --find-links`). ARGS["mode"] picks the session: "artist" walks the failure paths, the
install, the managed server's life (reuse, crash, busy port), Update, Remove and a second install;
"keep" starts the server with Keep server running on and quits; "reuse" finds that server running;
"crash" starts the server, writes its pid and kills Blender (SIGKILL: nothing runs on the way out).
"""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import time
from typing import Any

import bpy
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

ARGS = harness.arguments()
addon = harness.install_extension(ARGS["zip"])
PREFS = harness.preferences()
PREFS.server_address = ARGS["address"]
PREFS.timeout = 20.0
PREFS.offline = True
PREFS.wheels_folder = ARGS["wheels"]
PREFS.torch_build = "CPU"
LAYOUT = addon.runtime.environment_layout()


def image(name: str) -> bpy.types.Image:
    """A small red-over-blue image."""
    pixels = np.zeros((8, 16, 4), np.float32)
    pixels[..., 3] = 1.0
    pixels[:4, :, 0] = 1.0
    pixels[4:, :, 2] = 1.0
    created = bpy.data.images.new(name, 16, 8, alpha=True)
    created.pixels.foreach_set(pixels.reshape(-1))
    return created


def upscale(name: str) -> dict[str, Any]:
    """Upscale texture on a new image; the result's size, the status line and our server's pid."""
    image(name)
    started = time.perf_counter()
    error = harness.operator_error(lambda: bpy.ops.texforge.upscale_image(image_name=name, scale="2", synchronous=True))
    result = bpy.data.images.get(f"{name}_x2")
    status = addon.runtime.CONNECTION
    return {"error": error, "seconds": time.perf_counter() - started, "size": list(result.size) if result else None,
            "state": status.state, "detail": status.detail, "warning": status.warning, "pid": addon.runtime.LOCAL.pid}


class DrawnLayout:
    """Stands in for a bpy UILayout (only the UI has real ones): records what a draw function shows."""

    def __init__(self, shown: list[str] | None = None) -> None:
        self.shown = [] if shown is None else shown

    def label(self, text: str = "", icon: str = "NONE") -> None:
        self.shown.append(f"label: {text}")

    def operator(self, idname: str, text: str = "", icon: str = "NONE") -> Any:
        self.shown.append(f"operator: {idname} {text}".strip())
        return type("OperatorProperties", (), {})()

    def prop(self, data: Any, name: str, **_options: Any) -> None:
        self.shown.append(f"prop: {name}")

    def progress(self, factor: float = 0.0, type: str = "", text: str = "") -> None:
        self.shown.append(f"progress: {text}")

    def row(self, align: bool = False) -> "DrawnLayout":
        return DrawnLayout(self.shown)

    column = box = row


def preferences_shown() -> list[str]:
    """What the preferences' local server section and the status line would show now."""
    layout = DrawnLayout()
    addon.preferences.draw_local_server(PREFS, layout.box())
    addon.preferences.draw_connection_status(layout)
    return layout.shown


def folders() -> dict[str, bool]:
    return {"env": LAYOUT.env.exists(), "partial": LAYOUT.partial.exists(), "installed": LAYOUT.installed() is not None}


def install() -> dict[str, Any]:
    started = time.perf_counter()
    error = harness.operator_error(lambda: bpy.ops.texforge.install_server(synchronous=True))
    record = LAYOUT.installed()
    return {"error": error, "seconds": time.perf_counter() - started, **folders(),
            "record": record.__dict__ if record else None, "message": addon.runtime.RUNNER.last_message}


def environment_mib() -> float:
    completed = subprocess.run(["du", "-sm", str(LAYOUT.env)], capture_output=True, text=True)
    return float(completed.stdout.split()[0]) if completed.returncode == 0 else -1.0


def no_suitable_python() -> dict[str, Any]:
    fake = os.path.join(ARGS["work_dir"], "python3.10")
    with open(fake, "w") as handle:
        handle.write('#!/bin/sh\necho "3 10"\n')
    os.chmod(fake, os.stat(fake).st_mode | stat.S_IXUSR)
    PREFS.server_python = fake
    try:
        return install()
    finally:
        PREFS.server_python = ""


def missing_dependency() -> dict[str, Any]:
    PREFS.wheels_folder = ARGS["broken_wheels"]
    try:
        facts = install()
    finally:
        PREFS.wheels_folder = ARGS["wheels"]
    return {**facts, "log_exists": LAYOUT.install_log.exists()}


def cancel_install() -> dict[str, Any]:
    bpy.ops.texforge.install_server(synchronous=False)
    job = next(job for job in addon.runtime.RUNNER.active() if job.label == "Install local server")
    deadline = time.monotonic() + 120
    while not job.stage.startswith("Installing PyTorch") and not job.work_finished and time.monotonic() < deadline:
        time.sleep(0.1)
    stage = job.stage
    time.sleep(1.5)  # pip is unpacking torch now
    bpy.ops.texforge.cancel_jobs()
    cancelled_at = time.monotonic()
    while job.state.value == "running" and time.monotonic() - cancelled_at < 60:
        addon.poll()
        time.sleep(0.05)
    return {"stage_before_cancel": stage, "state": job.state.value, "message": job.message,
            "seconds_after_cancel": time.monotonic() - cancelled_at, **folders()}


def first_install() -> dict[str, Any]:
    before = preferences_shown()
    facts = install()
    return {**facts, "environment_mib": environment_mib(), "shown_before": before, "shown_after": preferences_shown()}


def crash_and_restart() -> dict[str, Any]:
    first = addon.runtime.LOCAL.pid
    os.kill(first, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not addon.runtime.LOCAL.exit_note() and time.monotonic() < deadline:
        time.sleep(0.05)
    facts = upscale("after_crash")
    return {**facts, "first_pid": first, "last_exit": addon.runtime.LOCAL.last_exit}


def external_server() -> dict[str, Any]:
    ours = addon.runtime.LOCAL.pid
    PREFS.server_address = ARGS["external"]
    try:
        facts = upscale("on_external")
    finally:
        PREFS.server_address = ARGS["address"]
    return {**facts, "ours_before": ours, "hello_pid": addon.runtime.LOCAL.hello.get("pid")}


def busy_port() -> dict[str, Any]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        PREFS.server_address = f"tcp://127.0.0.1:{listener.getsockname()[1]}"
        try:
            return upscale("on_busy_port")
        finally:
            PREFS.server_address = ARGS["address"]


def precision() -> dict[str, Any]:
    """The preferences' precision changed while our server runs: the next job restarts it with that precision."""
    upscale("at_auto")  # our server runs at the default precision
    before = addon.runtime.LOCAL.pid
    PREFS.server_precision = "FP32"
    try:
        facts = upscale("at_fp32")
        shown = preferences_shown()
    finally:
        PREFS.server_precision = "AUTO"
    return {**facts, "pid_before": before, "precision": addon.runtime.LOCAL.hello.get("precision"), "shown": shown}


def update() -> dict[str, Any]:
    PREFS.wheels_folder = ARGS["newer_wheels"]
    try:
        shown = preferences_shown()
        offered = addon.setup_jobs.offered_wheel().version
        started = time.perf_counter()
        error = harness.operator_error(lambda: bpy.ops.texforge.update_server(synchronous=True))
        seconds = time.perf_counter() - started
    finally:
        PREFS.wheels_folder = ARGS["wheels"]
    record = LAYOUT.installed()
    return {"offered": offered, "error": error, "seconds": seconds, "version": record.version if record else None,
            **folders(), "upscale": upscale("after_update"), "shown_before": shown, "shown_after": preferences_shown()}


def remove() -> dict[str, Any]:
    pid = addon.runtime.LOCAL.pid
    error = harness.operator_error(lambda: bpy.ops.texforge.remove_server(synchronous=True))
    time.sleep(0.2)
    alive = pid is not None and addon.protocol.processes.process_alive(pid)
    return {"error": error, "server_pid": pid, "server_alive": alive, **folders()}


def artist() -> dict[str, Any]:
    return {
        "no_python": no_suitable_python,
        "missing_dependency": missing_dependency,
        "cancel": cancel_install,
        "install": first_install,
        "upscale": lambda: upscale("bricks"),
        "second_job": lambda: upscale("tiles"),
        "crash": crash_and_restart,
        "external": external_server,
        "busy": busy_port,
        "precision": precision,
        "update": update,
        "remove": remove,
        "reinstall": install,
        "upscale_again": lambda: upscale("bricks_again"),
        "quit": lambda: {"pid": addon.runtime.LOCAL.pid},
    }


def keep() -> dict[str, Any]:
    PREFS.keep_server_running = True
    return {"upscale": lambda: upscale("kept")}


def reuse() -> dict[str, Any]:
    return {"upscale": lambda: {**upscale("reused"), "hello_pid": addon.runtime.LOCAL.hello.get("pid")}}


def crash() -> None:
    facts = upscale("before_crash")
    harness.run_scenarios({"upscale": lambda: facts}, ARGS["result_path"])
    os.kill(os.getpid(), signal.SIGKILL)


if ARGS["mode"] == "crash":
    crash()
harness.run_scenarios({"artist": artist, "keep": keep, "reuse": reuse}[ARGS["mode"]](), ARGS["result_path"])
