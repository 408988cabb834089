"""Operator: make one image tileable at its own size, as `<name>_seamless` (Texture Multiplier)."""

from __future__ import annotations

import bpy

from .. import blender_images, multiply, runtime, upscale
from ..protocol import SeamlessArgs
from .upscale_image import operand_image, poll_one_image, start_and_report


class TEXFORGE_OT_make_seamless(bpy.types.Operator):
    """Make the image tile seamlessly: only a band along its edges is re-synthesised from its own patches"""

    bl_idname = "texforge.make_seamless"
    bl_label = "Make seamless"
    bl_options = {'REGISTER', 'UNDO'}

    image_name: bpy.props.StringProperty(name="Image", default="",
                                         description="Image to make tileable; empty uses the image in the editor or active node")
    border: bpy.props.FloatProperty(name="Border", default=SeamlessArgs().border,
                                    min=SeamlessArgs.spec("border").low or 0.0, max=SeamlessArgs.spec("border").high or 1.0,
                                    description=SeamlessArgs.spec("border").doc)
    replace_usages: bpy.props.BoolProperty(name="Replace in materials", default=True,
                                           description="Use the seamless image in every node that shows the original")
    synchronous: bpy.props.BoolProperty(name="Synchronous", default=False, options={'SKIP_SAVE'},
                                        description="Wait for the result (scripts, tests); the UI runs it in the background")

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return poll_one_image(cls, context)

    def execute(self, context: bpy.types.Context) -> set[str]:
        image = operand_image(self.image_name, context)
        if image is None or not blender_images.has_pixels(image):
            self.report({'ERROR'}, "no image with pixels to make seamless")
            return {'CANCELLED'}
        job = multiply.seamless_job(upscale.snapshot(image), SeamlessArgs(border=self.border), self.replace_usages,
                                    runtime.server_settings())
        return start_and_report(self, job, self.synchronous)
