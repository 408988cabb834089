"""Operator: upgrade the local server to the newer wheel that the extension or the wheels folder brings."""

from __future__ import annotations

import threading

import bpy

from .. import runtime, server_env, server_install
from ..jobs import Job, ProgressCallback
from ..setup_jobs import describe_record, explain_setup, offered_wheel
from .upscale_image import start_and_report


class TEXFORGE_OT_update_server(bpy.types.Operator):
    """Install the newer texforge wheel into a copy of the local server's environment and switch to it when it works"""

    bl_idname = "texforge.update_server"
    bl_label = "Update server"
    bl_options = {'REGISTER'}

    synchronous: bpy.props.BoolProperty(name="Synchronous", default=False, options={'SKIP_SAVE'},
                                        description="Wait until it is updated (scripts, tests)")

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if runtime.setup_running():
            cls.poll_message_set("An install, update or removal is under way")
            return False
        if not server_env.update_available(runtime.environment_layout().installed(), offered_wheel()):
            cls.poll_message_set("No newer texforge wheel than the installed server (extension or Server wheels folder)")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        wheel, layout = offered_wheel(), runtime.environment_layout()
        installed = layout.installed()
        if wheel is None or installed is None:
            self.report({'ERROR'}, "nothing to update: install the local server first")
            return {'CANCELLED'}
        sources = runtime.package_sources("cuda" if installed.cuda else "cpu")

        def work(progress: ProgressCallback, cancel_event: threading.Event) -> server_env.InstallRecord:
            return server_install.update(layout, sources, wheel, progress, cancel_event, before_swap=runtime.LOCAL.stop)

        return start_and_report(self, Job("Update local server", work, describe_record, explain_setup), self.synchronous)
