"""Operator: upscale every image texture of the active material."""

from __future__ import annotations

import bpy

from .. import blender_images, runtime, upscale
from ..jobs import JobState
from .upscale_image import UpscaleSettings, report_started_or_finished


def material_images(material: bpy.types.Material | None) -> list[bpy.types.Image]:
    """Distinct images shown by the material's Image Texture nodes, in node order."""
    if material is None or material.node_tree is None:
        return []
    images: list[bpy.types.Image] = []
    for node in material.node_tree.nodes:
        image = getattr(node, "image", None)
        if node.bl_idname == "ShaderNodeTexImage" and image is not None and image not in images:
            images.append(image)
    return images


class TEXFORGE_OT_upscale_material_textures(UpscaleSettings, bpy.types.Operator):
    """Upscale every image texture of the active material (one job per image)"""

    bl_idname = "texforge.upscale_material_textures"
    bl_label = "Upscale all textures of the active material"
    bl_options = {'REGISTER', 'UNDO'}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if not material_images(getattr(context, "material", None)):
            cls.poll_message_set("The active material has no Image Texture nodes with images")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        images = [image for image in material_images(context.material) if blender_images.has_pixels(image)]
        if not images:
            self.report({'ERROR'}, "none of the material's images has pixels")
            return {'CANCELLED'}
        settings = runtime.server_settings()
        snapshots = [(image.name, upscale.snapshot(image)) for image in images]
        outcomes = [runtime.start(upscale.upscale_job(self.request_for(name), source, settings), self.synchronous)
                    for name, source in snapshots]
        if not self.synchronous:
            self.report({'INFO'}, f"texforge: upscaling {len(outcomes)} texture(s) in the background")
            return {'FINISHED'}
        failed = [job for job in outcomes if job.state is not JobState.SUCCEEDED]
        if failed:
            return report_started_or_finished(self, failed[0], True)
        self.report({'INFO'}, f"upscaled {len(outcomes)} texture(s)")
        return {'FINISHED'}
