"""Operator: start the local server command from the preferences."""

from __future__ import annotations

import shlex
import subprocess

import bpy

from .. import remote, runtime


class TEXFORGE_OT_start_server(bpy.types.Operator):
    """Start the local texforge server command set in the add-on preferences"""

    bl_idname = "texforge.start_server"
    bl_label = "Start local server"
    bl_options = {'REGISTER'}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if not runtime.preferences().server_command.strip():
            cls.poll_message_set("Set 'Local server command' in the texforge preferences first")
            return False
        if any(process.poll() is None for process in runtime.LOCAL_SERVER):
            cls.poll_message_set("The local server is already running")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        address = runtime.server_settings().address
        if remote.something_listens(address):
            self.report({'ERROR'}, f"{address} is already in use, by a running texforge server or another program: "
                                   "use 'Test connection', or set another address")
            return {'CANCELLED'}
        command = runtime.preferences().server_command
        try:
            process = subprocess.Popen(shlex.split(command), stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except (OSError, ValueError) as error:
            self.report({'ERROR'}, f"could not start `{command}`: {error}")
            return {'CANCELLED'}
        runtime.LOCAL_SERVER.append(process)
        self.report({'INFO'}, f"started the local server (pid {process.pid}); use Test connection once it is up")
        return {'FINISHED'}
