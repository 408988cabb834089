"""Operator: create a material from the image of the selected Image Texture node (1-shot)."""

from __future__ import annotations

import bpy

from .. import blender_images, material, runtime
from .material_from_photos import MaterialSettings
from .upscale_image import start_and_report


def active_node_image(context: bpy.types.Context) -> bpy.types.Image | None:
    """The image of the active Image Texture node, if any."""
    node = getattr(context, "active_node", None)
    if node is None or node.bl_idname != "ShaderNodeTexImage":
        return None
    return node.image


class TEXFORGE_OT_material_from_image(MaterialSettings, bpy.types.Operator):
    """Treat this image as a flash photo and build a new material from it (1-shot)"""

    bl_idname = "texforge.material_from_image"
    bl_label = "Create material from this image"
    bl_options = {'REGISTER', 'UNDO'}

    image_name: bpy.props.StringProperty(name="Image", default="",
                                         description="Flash photo image; empty uses the active Image Texture node's image")

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if active_node_image(context) is None and not bpy.data.images:
            cls.poll_message_set("Select an Image Texture node that shows a photo")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        image = bpy.data.images.get(self.image_name) if self.image_name else active_node_image(context)
        if image is None or not blender_images.has_pixels(image):
            self.report({'ERROR'}, "select an Image Texture node whose image has pixels")
            return {'CANCELLED'}
        photo = material.photo_pixels(image)
        source = image.filepath if image.source == 'FILE' and image.packed_file is None else ""
        try:
            request = self.request_for(context, material.material_name_for(image.name),
                                       recorded_fov=material.recorded_field_of_view(source, photo))
        except ValueError as error:
            self.report({'ERROR'}, str(error))
            return {'CANCELLED'}
        job = material.material_job(request, photo, None, runtime.server_settings())
        return start_and_report(self, job, self.synchronous)
