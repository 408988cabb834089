"""Operator: ask the server who it is and which models it has."""

from __future__ import annotations

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
        runtime.CONNECTION.state, runtime.CONNECTION.detail = "Connecting", settings.address

        def work(progress: ProgressCallback, cancel_event: threading.Event) -> dict:
            return remote.fetch_server_info(settings)

        job = runtime.start(Job("Test connection", work, _show_connected, _explain_disconnected),
                            self.synchronous)
        if self.synchronous and job.state is JobState.FAILED:
            self.report({'ERROR'}, job.message)
            return {'CANCELLED'}
        return {'FINISHED'}


def _show_connected(info: dict) -> str:
    hello = info.get("hello", {})
    runtime.CONNECTION.state = "Connected"
    runtime.CONNECTION.detail = f"{hello.get('server', 'texforge')} {hello.get('version', '?')} on {hello.get('device', '?')}"
    runtime.CONNECTION.models = list(info.get("models", {}).get("models", []))
    return f"connected: {runtime.CONNECTION.detail}"


def _explain_disconnected(error: BaseException) -> str:
    runtime.CONNECTION.state, runtime.CONNECTION.detail = "Disconnected", ""
    runtime.CONNECTION.models = []
    return remote.explain(error)
