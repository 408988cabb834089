"""Operator: open the local server's install log or server log in the system's text viewer."""

from __future__ import annotations

import bpy

from .. import runtime

LOG_ITEMS = (("INSTALL", "Install log", "pip's output of the latest install, update or removal"),
             ("SERVER", "Server log", "The local server's output since it last started"))


class TEXFORGE_OT_open_server_log(bpy.types.Operator):
    """Open the local server's install log or server log"""

    bl_idname = "texforge.open_server_log"
    bl_label = "Open log"
    bl_options = {'REGISTER'}

    log: bpy.props.EnumProperty(name="Log", items=LOG_ITEMS, default="INSTALL")

    def execute(self, context: bpy.types.Context) -> set[str]:
        layout = runtime.environment_layout()
        path = layout.install_log if self.log == "INSTALL" else layout.server_log
        if not path.exists():
            self.report({'ERROR'}, f"there is no {path.name} yet ({path})")
            return {'CANCELLED'}
        bpy.ops.wm.path_open(filepath=str(path))
        return {'FINISHED'}
