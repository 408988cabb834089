"""Add-on state that lives while Blender runs: the job runner, its timer, the connection status, the local server."""

from __future__ import annotations

import logging
import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import bpy

from . import remote
from .jobs import Job, JobRunner, JobState
from .local_server import Launch, LocalServer, ManagedStart
from .server_env import EnvironmentLayout, PackageSources

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 0.2

RUNNER = JobRunner()
"""Every texforge job of this Blender session."""


@dataclass
class ConnectionStatus:
    """What the last connection test found (shown in the preferences and panels)."""

    state: str = "Disconnected"
    """Disconnected, Connecting, Starting (the local server) or Connected."""
    detail: str = ""
    warning: str = ""
    """A version mismatch, or why the local server stopped."""
    models: list[dict] = field(default_factory=list)

    def show(self, state: str, detail: str, warning: str = "") -> None:
        """Set all three at once (worker threads call this through the local server)."""
        self.state, self.detail, self.warning = state, detail, warning


CONNECTION = ConnectionStatus()
LOCAL = LocalServer(on_status=CONNECTION.show)
"""The local server this Blender session starts (or reuses) and stops."""
SETUP_LABELS = ("Install local server", "Update local server", "Remove local server")
SETUP_STOP_TIMEOUT_S = 15.0
NO_UNDO_LABELS = (*SETUP_LABELS, "Start local server", "Test connection")
"""Jobs that change nothing in the .blend: no undo step for them."""


def preferences() -> bpy.types.AddonPreferences:
    """This add-on's preferences (found through `__package__`, whatever the install name)."""
    return bpy.context.preferences.addons[__package__].preferences


def server_settings() -> remote.ServerSettings:
    """Address ($TEXFORGE_SERVER wins over the preference), timeout, and the managed server when it is on."""
    prefs = preferences()
    launch = local_launch() if prefs.managed_server else None
    return remote.ServerSettings(remote.effective_address(prefs.server_address), float(prefs.timeout),
                                 ManagedStart(LOCAL, launch) if launch is not None else None)


def environment_layout() -> EnvironmentLayout:
    """The local server's folder: the extension's user folder (created on first use)."""
    return EnvironmentLayout(Path(bpy.utils.extension_path_user(__package__, create=True)))


def local_launch() -> Launch | None:
    """How to start a local server: the 'Local server command', else the installed environment (at the
    preferences' precision); None if neither.

    Only for a loopback address: the add-on never starts a server for a remote one.
    """
    prefs, layout = preferences(), environment_layout()
    address = remote.effective_address(prefs.server_address)
    if not remote.is_loopback(address):
        return None
    if prefs.server_command.strip():
        try:
            command = tuple(shlex.split(prefs.server_command))
        except ValueError:  # unbalanced quotes: the ▶ button's poll says there is nothing to start
            return None
    elif layout.installed() is not None:
        command = (str(layout.python()), "-m", "texforge.server.cli", "serve", "--bind", address,
                   "--precision", prefs.server_precision.lower())
        if not prefs.keep_server_running:  # if Blender crashes, the server stops by itself instead of lingering
            command += ("--exit-with", str(os.getpid()))
    else:
        return None
    return Launch(command, address, layout.server_log, keep_running=prefs.keep_server_running)


def package_sources(torch_build: str) -> PackageSources:
    """Where pip finds packages, from the preferences (`torch_build` resolved: cpu or cuda)."""
    prefs = preferences()
    folder = bpy.path.abspath(prefs.wheels_folder) if prefs.wheels_folder else ""
    return PackageSources(torch_build=torch_build, wheels_folder=folder, offline=prefs.offline,
                          package_index=prefs.package_index.strip(), torch_index=prefs.torch_index.strip())


def setup_running() -> bool:
    """Whether an install, update or removal of the local server is under way."""
    return any(job.label in SETUP_LABELS for job in RUNNER.active())


def start(job: Job, synchronous: bool) -> Job:
    """Run `job`; in the background, make sure the timer applies it when it finishes."""
    RUNNER.start(job, synchronous=synchronous)
    if synchronous:
        _push_undo_if_needed(job, synchronous=True)
        return job
    if not bpy.app.timers.is_registered(_tick):
        bpy.app.timers.register(_tick, first_interval=POLL_INTERVAL_S, persistent=True)
    return job


def poll() -> list[Job]:
    """Main thread: apply the jobs whose work finished. Timers call it; headless scripts call it."""
    finished = RUNNER.poll()
    for job in finished:
        _push_undo_if_needed(job, synchronous=False)
    if finished:
        _redraw()
    return finished


def _push_undo_if_needed(job: Job, synchronous: bool) -> None:
    """Background results are applied outside any operator: give them their own undo step."""
    if synchronous or job.state is not JobState.SUCCEEDED or bpy.app.background or job.label in NO_UNDO_LABELS:
        return
    bpy.ops.ed.undo_push(message=f"texforge: {job.label}")


def _tick() -> float | None:
    poll()
    active = RUNNER.active()
    _show_status(active)
    _redraw()
    return POLL_INTERVAL_S if active else None


def _show_status(active: list[Job]) -> None:
    workspace = getattr(bpy.context, "workspace", None)
    if workspace is None:
        return
    if not active:
        workspace.status_text_set(None)
        return
    job = active[0]
    workspace.status_text_set(f"texforge: {job.label} — {job.stage} {job.fraction:.0%} (Cancel in the texforge panel)")


def _redraw() -> None:
    window_manager = getattr(bpy.context, "window_manager", None)
    if window_manager is None:
        return
    for window in window_manager.windows:
        for area in window.screen.areas:
            area.tag_redraw()


def shutdown() -> None:
    """On unregister: stop the timer, cancel jobs, stop the server we started (unless it should keep running)."""
    if bpy.app.timers.is_registered(_tick):
        bpy.app.timers.unregister(_tick)
    RUNNER.cancel_all()
    for job in RUNNER.active():
        if job.label in SETUP_LABELS:
            job.wait(SETUP_STOP_TIMEOUT_S)  # its pip is stopped and env.partial removed before Blender goes
    LOCAL.stop_at_exit()
