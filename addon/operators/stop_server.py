"""Operator: stop the local server this Blender started."""

from __future__ import annotations

import bpy

from .. import runtime


class TEXFORGE_OT_stop_server(bpy.types.Operator):
    """Stop the local texforge server that this Blender started (the next job starts it again when managed)"""

    bl_idname = "texforge.stop_server"
    bl_label = "Stop local server"
    bl_options = {'REGISTER'}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if runtime.LOCAL.pid is None:
            cls.poll_message_set("No local server started by this Blender is running")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        pid = runtime.LOCAL.pid
        runtime.LOCAL.stop()
        self.report({'INFO'}, f"stopped the local server (pid {pid})")
        return {'FINISHED'}
