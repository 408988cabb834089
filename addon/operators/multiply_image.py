"""Operator: new variations of one image (Texture Multiplier), as `<name>_var1 ... <name>_varN`."""

from __future__ import annotations

import bpy

from .. import blender_images, multiply, runtime, upscale
from ..protocol import MultiplyArgs
from ..protocol.arguments import MAX_MULTIPLY_SIDE, MAX_SEED
from .upscale_image import operand_image, poll_one_image, start_and_report


class MultiplySettings:
    """Properties shared by the multiply operators (a mix-in: no bpy base class)."""

    count: bpy.props.IntProperty(name="Variations", default=4, min=1, max=int(MultiplyArgs.spec("count").high or 1),
                                 description=MultiplyArgs.spec("count").doc)
    width: bpy.props.IntProperty(name="Width", default=0, min=0, max=MAX_MULTIPLY_SIDE,
                                 description="Width of each variation in pixels; 0: the source's width")
    height: bpy.props.IntProperty(name="Height", default=0, min=0, max=MAX_MULTIPLY_SIDE,
                                  description="Height of each variation in pixels; 0: the source's height")
    tileable: bpy.props.BoolProperty(name="Tileable", default=True, description=MultiplyArgs.spec("tileable").doc)
    seed: bpy.props.IntProperty(name="Seed", default=0, min=0, max=MAX_SEED,
                                description="Seed of the first variation: the same seed gives the same variations")
    synchronous: bpy.props.BoolProperty(name="Synchronous", default=False, options={'SKIP_SAVE'},
                                        description="Wait for the result (scripts, tests); the UI runs it in the background")

    def args_for(self, size: tuple[int, int]) -> MultiplyArgs:
        """The op's arguments for a source of `size` (width, height): 0 keeps that side."""
        width, height = self.width or size[0], self.height or size[1]
        return MultiplyArgs(count=self.count, size=(width, height), tileable=self.tileable, seed=self.seed)


class TEXFORGE_OT_multiply_image(MultiplySettings, bpy.types.Operator):
    """Make new variations of the image that look like it without repeating it (the original is kept)"""

    bl_idname = "texforge.multiply_image"
    bl_label = "Make variations"
    bl_options = {'REGISTER', 'UNDO'}

    image_name: bpy.props.StringProperty(name="Image", default="",
                                         description="Image to vary; empty uses the image in the editor or active node")

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return poll_one_image(cls, context)

    def execute(self, context: bpy.types.Context) -> set[str]:
        image = operand_image(self.image_name, context)
        if image is None or not blender_images.has_pixels(image):
            self.report({'ERROR'}, "no image with pixels to make variations of")
            return {'CANCELLED'}
        try:
            args = self.args_for((int(image.size[0]), int(image.size[1])))
        except ValueError as error:
            self.report({'ERROR'}, str(error))
            return {'CANCELLED'}
        job = multiply.variations_job(upscale.snapshot(image), args, runtime.server_settings())
        return start_and_report(self, job, self.synchronous)
