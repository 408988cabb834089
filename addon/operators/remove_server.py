"""Operator: stop the local server and delete its environment."""

from __future__ import annotations

import threading

import bpy

from .. import runtime, server_install
from ..jobs import Job, ProgressCallback
from ..setup_jobs import explain_setup
from .upscale_image import start_and_report


class TEXFORGE_OT_remove_server(bpy.types.Operator):
    """Stop the local server and delete its environment (Install local server makes a new one)"""

    bl_idname = "texforge.remove_server"
    bl_label = "Remove local server"
    bl_options = {'REGISTER'}

    synchronous: bpy.props.BoolProperty(name="Synchronous", default=False, options={'SKIP_SAVE'},
                                        description="Wait until it is removed (scripts, tests)")

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if runtime.setup_running():
            cls.poll_message_set("An install, update or removal is under way")
            return False
        layout = runtime.environment_layout()
        if layout.installed() is None and not any(path.exists() for path in (layout.env, layout.partial, layout.retired)):
            cls.poll_message_set("No local server is installed")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        layout = runtime.environment_layout()
        runtime.LOCAL.stop()

        def work(progress: ProgressCallback, cancel_event: threading.Event) -> None:
            progress(0, 0, f"Deleting {layout.env}")
            server_install.remove(layout)

        def removed(_result: None) -> str:
            return f"removed the local server ({layout.env})"

        return start_and_report(self, Job("Remove local server", work, removed, explain_setup), self.synchronous)
