"""Operator: variations of the active material: its textures multiplied together, aligned (`<material>_varK`)."""

from __future__ import annotations

import bpy

from .. import multiply, runtime, upscale
from ..multiply_plan import plan_material
from ..protocol import Limits
from .multiply_image import MultiplySettings
from .upscale_image import start_and_report


class TEXFORGE_OT_multiply_material(MultiplySettings, bpy.types.Operator):
    """Make variations of the active material: its base colour and the maps it uses are synthesised together,
    so they stay aligned; each variation is a copy of the material wired to its own images"""

    bl_idname = "texforge.multiply_material"
    bl_label = "Make material variations"
    bl_options = {'REGISTER', 'UNDO'}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        material = getattr(context, "material", None)
        if material is None or material.node_tree is None:
            cls.poll_message_set("Select an object with a node material")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        material = context.material
        try:
            plan = plan_material(multiply.material_textures(material), Limits().max_images)
            sources = {name: upscale.snapshot(bpy.data.images[name]) for name in (plan.exemplar, *plan.maps.values())}
            exemplar = bpy.data.images[plan.exemplar]
            args = self.args_for((int(exemplar.size[0]), int(exemplar.size[1])))
        except ValueError as error:
            self.report({'ERROR'}, str(error))
            return {'CANCELLED'}
        job = multiply.material_job(material.name, plan, sources, args, runtime.server_settings())
        return start_and_report(self, job, self.synchronous)
