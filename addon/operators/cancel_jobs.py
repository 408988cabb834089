"""Operator: cancel every running texforge job."""

from __future__ import annotations

import bpy

from .. import runtime


class TEXFORGE_OT_cancel_jobs(bpy.types.Operator):
    """Stop the running texforge jobs (the server drops them; nothing is created)"""

    bl_idname = "texforge.cancel_jobs"
    bl_label = "Cancel"
    bl_options = {'REGISTER'}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if not runtime.RUNNER.active():
            cls.poll_message_set("No texforge job is running")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        count = runtime.RUNNER.cancel_all()
        self.report({'INFO'}, f"cancelling {count} texforge job(s)")
        return {'FINISHED'}
