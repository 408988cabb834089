"""Operator: create a Principled BSDF material from a flash photo (and an optional guide photo)."""

from __future__ import annotations

import bpy

from .. import material, runtime
from ..protocol import MaterialArgs
from .upscale_image import start_and_report


class MaterialSettings:
    """Properties shared by the material operators (a mix-in: no bpy base class)."""

    model: bpy.props.StringProperty(name="Model", default="",
                                    description="Server material model; empty uses the server's default")
    size: bpy.props.IntProperty(name="Size", default=1024, min=0, max=int(MaterialArgs.spec("size").high or 0),
                                description="Longer side of the maps in pixels (0 keeps the photo's size)")
    refine_steps: bpy.props.IntProperty(name="Refine steps", default=0, min=0,
                                        max=int(MaterialArgs.spec("refine_steps").high or 0),
                                        description="Test-time refinement of the maps against the photo (slower, closer)")
    tileable: bpy.props.BoolProperty(name="Tileable", default=False,
                                     description="Make the maps tile seamlessly")
    field_of_view: bpy.props.FloatProperty(name="Field of view", default=0.0, min=0.0,
                                           max=MaterialArgs.spec("fov_degrees").high or 0.0, precision=1,
                                           description=material.FIELD_OF_VIEW_TIP)
    synchronous: bpy.props.BoolProperty(name="Synchronous", default=False, options={'SKIP_SAVE'},
                                        description="Wait for the result (scripts, tests); the UI runs it in the background")

    def request_for(self, context: bpy.types.Context, material_name: str, guide_aligned: bool = False,
                    recorded_fov: float | None = None) -> material.MaterialOrder:
        """This operator's settings, for a material called `material_name` (0 and '' mean the server's default;
        a field of view of 0 takes the photo's `recorded_fov`, from its EXIF)."""
        target = context.active_object.name if getattr(context, "active_object", None) else ""
        fov = self.field_of_view or recorded_fov
        if not self.field_of_view and recorded_fov:
            self.report({'INFO'}, f"texforge: field of view {recorded_fov:.1f} degrees from the photo's EXIF")
        args = MaterialArgs(model=self.model or None, size=self.size or None, refine_steps=self.refine_steps,
                            tileable=self.tileable, fov_degrees=fov or None, guide_aligned=guide_aligned)
        return material.MaterialOrder(material_name, args, target)


class TEXFORGE_OT_material_from_photos(MaterialSettings, bpy.types.Operator):
    """Estimate albedo, specular, roughness and normal maps from photos and wire them into a new material"""

    bl_idname = "texforge.material_from_photos"
    bl_label = "Create material from photos"
    bl_options = {'REGISTER', 'UNDO'}

    flash_path: bpy.props.StringProperty(name="Flash photo", subtype='FILE_PATH',
                                         description=material.FLASH_PHOTO_TIPS)
    guide_path: bpy.props.StringProperty(name="Guide photo", subtype='FILE_PATH',
                                         description="Optional photo of the same surface without flash (2-shot)")
    guide_aligned: bpy.props.BoolProperty(name="Guide aligned (tripod)", default=False,
                                          description="The guide photo was taken from exactly the same position "
                                                      "(tripod): use it as it is instead of aligning it")

    def execute(self, context: bpy.types.Context) -> set[str]:
        if not self.flash_path:
            self.report({'ERROR'}, "choose a flash photo first")
            return {'CANCELLED'}
        try:
            flash = material.load_photo(self.flash_path)
            guide = material.load_photo(self.guide_path) if self.guide_path else None
            request = self.request_for(context, material.material_name_for(self.flash_path), self.guide_aligned,
                                       material.recorded_field_of_view(self.flash_path, flash))
        except (OSError, ValueError, RuntimeError) as error:
            self.report({'ERROR'}, str(error))
            return {'CANCELLED'}
        job = material.material_job(request, flash, guide, runtime.server_settings())
        return start_and_report(self, job, self.synchronous)
