"""Operator: start the local server now (the installed one, or the preferences' command)."""

from __future__ import annotations

import threading
from typing import Any

import bpy

from .. import remote, runtime
from ..jobs import Job, ProgressCallback
from .upscale_image import start_and_report


class TEXFORGE_OT_start_server(bpy.types.Operator):
    """Start the local texforge server (the installed one, or the Local server command), or reuse one that runs"""

    bl_idname = "texforge.start_server"
    bl_label = "Start local server"
    bl_options = {'REGISTER'}

    synchronous: bpy.props.BoolProperty(name="Synchronous", default=False, options={'SKIP_SAVE'},
                                        description="Wait until the server is ready (scripts, tests)")

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if runtime.local_launch() is None:
            cls.poll_message_set("Install the local server, or set 'Local server command' (for a tcp:// address "
                                 "on this machine), in the texforge preferences")
            return False
        if runtime.LOCAL.pid is not None:
            cls.poll_message_set("The local server is already running")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        launch = runtime.local_launch()
        if launch is None:
            self.report({'ERROR'}, "no local server to start: install it in the texforge preferences")
            return {'CANCELLED'}

        def work(progress: ProgressCallback, cancel_event: threading.Event) -> dict[str, Any]:
            return runtime.LOCAL.ensure_running(launch, progress, cancel_event)

        def ready(hello: dict[str, Any]) -> str:
            return f"local server ready: {remote.describe_server(hello)}"

        return start_and_report(self, Job("Start local server", work, ready, remote.explain), self.synchronous)
