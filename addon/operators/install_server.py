"""Operator: install the local server into a private environment (Python venv + PyTorch + the texforge wheel)."""

from __future__ import annotations

import dataclasses
import sys
import threading

import bpy

from .. import runtime, server_env, server_install
from ..jobs import Job, ProgressCallback
from ..setup_jobs import describe_record, explain_setup, offered_wheel
from .upscale_image import start_and_report


class TEXFORGE_OT_install_server(bpy.types.Operator):
    """Create the local server's own environment (nothing goes into Blender's Python) and install the server and PyTorch"""

    bl_idname = "texforge.install_server"
    bl_label = "Install local server"
    bl_options = {'REGISTER'}

    synchronous: bpy.props.BoolProperty(name="Synchronous", default=False, options={'SKIP_SAVE'},
                                        description="Wait until it is installed (scripts, tests)")

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if runtime.setup_running():
            cls.poll_message_set("An install, update or removal is under way")
            return False
        if runtime.environment_layout().installed() is not None:
            cls.poll_message_set("The local server is installed: use Update server or Remove local server")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        wheel = offered_wheel()
        if wheel is None:
            self.report({'ERROR'}, "no texforge server wheel: this build of the extension carries none and the "
                                   "Server wheels folder has none (build one with packaging/build.py --server-wheel-only)")
            return {'CANCELLED'}
        prefs, layout = runtime.preferences(), runtime.environment_layout()
        configured_python = bpy.path.abspath(prefs.server_python) if prefs.server_python else ""
        torch_choice, sources = prefs.torch_build.lower(), runtime.package_sources("cpu")

        def work(progress: ProgressCallback, cancel_event: threading.Event) -> server_env.InstallRecord:
            progress(0, 0, "Checking Python")
            python = server_env.choose_python(configured_python, sys.executable)
            chosen = dataclasses.replace(sources, torch_build=server_env.resolve_torch_build(torch_choice))
            return server_install.install(layout, python, chosen, wheel, progress, cancel_event)

        job = Job("Install local server", work, describe_record, explain_setup)
        return start_and_report(self, job, self.synchronous)
