"""Operator: upscale one image into a new `<name>_x<scale>` image."""

from __future__ import annotations

import bpy

from .. import blender_images, runtime, upscale
from ..jobs import Job, JobState
from ..protocol import UpscaleArgs

SCALE_ITEMS = (("2", "2x", "Twice the width and height"), ("4", "4x", "Four times the width and height"))


class UpscaleSettings:
    """Properties shared by the upscale operators (a mix-in: no bpy base class)."""

    scale: bpy.props.EnumProperty(name="Scale", items=SCALE_ITEMS, default="2")
    model: bpy.props.StringProperty(name="Model", default="",
                                    description="Server model name; empty uses the server's default")
    tileable: bpy.props.BoolProperty(name="Tileable", default=False,
                                     description="Wrap around the edges so a seamless texture stays seamless")
    detail: bpy.props.FloatProperty(name="Detail", default=upscale.DETAIL_DEFAULT,
                                    min=UpscaleArgs.spec("detail").low or 0.0,
                                    max=UpscaleArgs.spec("detail").high or 1.0,
                                    description="0 = smooth (PSNR model), 1 = sharp (GAN model), where the model has both")
    replace_usages: bpy.props.BoolProperty(name="Replace in materials", default=True,
                                           description="Use the new image in every node that shows the original")
    synchronous: bpy.props.BoolProperty(name="Synchronous", default=False, options={'SKIP_SAVE'},
                                        description="Wait for the result (scripts, tests); the UI runs it in the background")

    def request_for(self, image_name: str) -> upscale.UpscaleOrder:
        """This operator's settings for one image ('' model: the server's default)."""
        args = UpscaleArgs(scale=int(self.scale), model=self.model or None, tileable=self.tileable, detail=self.detail)
        return upscale.UpscaleOrder(image_name, args, self.replace_usages)


def context_image(context: bpy.types.Context) -> bpy.types.Image | None:
    """The Image Editor's image, or the active Image Texture node's image."""
    space = getattr(context, "space_data", None)
    if space is not None and space.type == 'IMAGE_EDITOR' and space.image is not None:
        return space.image
    node = getattr(context, "active_node", None)
    return getattr(node, "image", None) if node is not None else None


def operand_image(name: str, context: bpy.types.Context) -> bpy.types.Image | None:
    """The image an operator named, else the one in the editor or active node."""
    return bpy.data.images.get(name) if name else context_image(context)


def poll_one_image(operator: type[bpy.types.Operator], context: bpy.types.Context) -> bool:
    """`poll` of the operators that work on one image: it must be shown, or there must be images to name."""
    if context_image(context) is None and not bpy.data.images:
        operator.poll_message_set("Open an image in the Image Editor or select an Image Texture node")
        return False
    return True


class TEXFORGE_OT_upscale_image(UpscaleSettings, bpy.types.Operator):
    """Upscale the image with the texforge server into a new image (the original is kept)"""

    bl_idname = "texforge.upscale_image"
    bl_label = "Upscale texture"
    bl_options = {'REGISTER', 'UNDO'}

    image_name: bpy.props.StringProperty(name="Image", default="",
                                         description="Image to upscale; empty uses the image in the editor or active node")

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return poll_one_image(cls, context)

    def execute(self, context: bpy.types.Context) -> set[str]:
        image = operand_image(self.image_name, context)
        if image is None:
            self.report({'ERROR'}, f"no image named {self.image_name!r}" if self.image_name else "no image to upscale")
            return {'CANCELLED'}
        if not blender_images.has_pixels(image):
            self.report({'ERROR'}, f"{image.name} has no pixels (missing file?)")
            return {'CANCELLED'}
        job = upscale.upscale_job(self.request_for(image.name), upscale.snapshot(image), runtime.server_settings())
        return start_and_report(self, job, self.synchronous)


def start_and_report(operator: bpy.types.Operator, job: Job, synchronous: bool) -> set[str]:
    """Run `job` (in the background unless `synchronous`) and report it; the operator's return value."""
    runtime.start(job, synchronous)
    return report_started_or_finished(operator, job, synchronous)


def report_started_or_finished(operator: bpy.types.Operator, job: Job, synchronous: bool) -> set[str]:
    """Report a synchronous job's outcome, or that a background job started."""
    if not synchronous:
        operator.report({'INFO'}, f"texforge: {job.label} started")
        return {'FINISHED'}
    if job.state is JobState.SUCCEEDED:
        operator.report({'INFO'}, job.message)
        return {'FINISHED'}
    operator.report({'ERROR'}, job.message)
    return {'CANCELLED'}
