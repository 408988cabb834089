"""Operator: ask the server who it is and which models it has."""

from __future__ import annotations

import functools
import threading

import bpy

from .. import remote, runtime
from ..jobs import Job, JobState, ProgressCallback


class TEXFORGE_OT_test_connection(bpy.types.Operator):
    """Ask the texforge server for its version, device and models"""

    bl_idname = "texforge.test_connection"
    bl_label = "Test connection"
    bl_options = {'REGISTER'}

    synchronous: bpy.props.BoolProperty(name="Synchronous", default=False, options={'SKIP_SAVE'},
                                        description="Wait for the answer (scripts, tests)")

    def execute(self, context: bpy.types.Context) -> set[str]:
        settings = runtime.server_settings()
        runtime.CONNECTION.show("Connecting", settings.address)

        def work(progress: ProgressCallback, cancel_event: threading.Event) -> dict:
            return remote.fetch_server_info(settings)

        job = runtime.start(Job("Test connection", work, functools.partial(_show_connected, settings.address),
                                _explain_disconnected), self.synchronous)
        if self.synchronous and job.state is JobState.FAILED:
            self.report({'ERROR'}, job.message)
            return {'CANCELLED'}
        return {'FINISHED'}


def _show_connected(address: str, info: dict) -> str:
    hello = info.get("hello", {})
    mismatch = remote.version_mismatch(str(hello.get("version", "?")), local=remote.is_loopback(address))
    runtime.CONNECTION.show("Connected", remote.describe_server(hello), mismatch)
    runtime.CONNECTION.models = list(info.get("models", {}).get("models", []))
    return f"connected: {runtime.CONNECTION.detail}" + (f" ({mismatch})" if mismatch else "")


def _explain_disconnected(error: BaseException) -> str:
    runtime.CONNECTION.show("Disconnected", "")
    runtime.CONNECTION.models = []
    return remote.explain(error)
