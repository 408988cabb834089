"""Add-on state that lives while Blender runs: the job runner, its timer, the connection status."""

from __future__ import annotations

import logging
import subprocess
from dataclasses import dataclass, field

import bpy

from . import remote
from .jobs import Job, JobRunner, JobState

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 0.2

RUNNER = JobRunner()
"""Every texforge job of this Blender session."""


@dataclass
class ConnectionStatus:
    """What the last connection test found (shown in the preferences and panels)."""

    state: str = "Disconnected"
    """Disconnected, Connecting or Connected."""
    detail: str = ""
    models: list[dict] = field(default_factory=list)


CONNECTION = ConnectionStatus()
LOCAL_SERVER: list[subprocess.Popen] = []
"""The server process started from the preferences, if any."""


def preferences() -> bpy.types.AddonPreferences:
    """This add-on's preferences (found through `__package__`, whatever the install name)."""
    return bpy.context.preferences.addons[__package__].preferences


def server_settings() -> remote.ServerSettings:
    """Address ($TEXFORGE_SERVER wins over the preference) and timeout."""
    prefs = preferences()
    return remote.ServerSettings(remote.effective_address(prefs.server_address), float(prefs.timeout))


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
    if synchronous or job.state is not JobState.SUCCEEDED or bpy.app.background:
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
    """On unregister: stop the timer, cancel jobs, stop the server we started."""
    if bpy.app.timers.is_registered(_tick):
        bpy.app.timers.unregister(_tick)
    RUNNER.cancel_all()
    for process in LOCAL_SERVER:
        if process.poll() is None:
            process.terminate()
    LOCAL_SERVER.clear()
