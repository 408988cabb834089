"""Sidebar panels (Image Editor, Shader Editor) and the Material properties panel."""

from __future__ import annotations

import bpy

from . import runtime
from .material import FIELD_OF_VIEW_TIP, FLASH_PHOTO_TIPS
from .preferences import draw_connection_status
from .protocol import MaterialArgs, MultiplyArgs, SeamlessArgs, UpscaleArgs
from .protocol.arguments import MAX_MULTIPLY_SIDE, MAX_SEED
from .upscale import DETAIL_DEFAULT

CATEGORY = "texforge"


class TexforgeSceneSettings(bpy.types.PropertyGroup):
    """What the panels remember between clicks (stored in the scene)."""

    scale: bpy.props.EnumProperty(name="Scale", items=(("2", "2x", ""), ("4", "4x", "")), default="2")
    tileable: bpy.props.BoolProperty(name="Tileable", default=False)
    detail: bpy.props.FloatProperty(name="Detail", default=DETAIL_DEFAULT, min=UpscaleArgs.spec("detail").low or 0.0,
                                    max=UpscaleArgs.spec("detail").high or 1.0)
    replace_usages: bpy.props.BoolProperty(name="Replace in materials", default=True)
    flash_path: bpy.props.StringProperty(name="Flash photo", subtype='FILE_PATH', description=FLASH_PHOTO_TIPS)
    guide_path: bpy.props.StringProperty(name="Guide photo (optional)", subtype='FILE_PATH')
    guide_aligned: bpy.props.BoolProperty(name="Guide aligned (tripod)", default=False,
                                          description="The guide was shot from the flash photo's exact position")
    size: bpy.props.IntProperty(name="Size", default=1024, min=0, max=int(MaterialArgs.spec("size").high or 0))
    refine_steps: bpy.props.IntProperty(name="Refine steps", default=0, min=0,
                                        max=int(MaterialArgs.spec("refine_steps").high or 0))
    material_tileable: bpy.props.BoolProperty(name="Tileable", default=False)
    field_of_view: bpy.props.FloatProperty(name="Field of view", default=0.0, min=0.0,
                                           max=MaterialArgs.spec("fov_degrees").high or 0.0, precision=1,
                                           description=FIELD_OF_VIEW_TIP)
    multiply_count: bpy.props.IntProperty(name="Variations", default=4, min=1,
                                          max=int(MultiplyArgs.spec("count").high or 1))
    multiply_width: bpy.props.IntProperty(name="Width", default=0, min=0, max=MAX_MULTIPLY_SIDE,
                                          description="Width of each variation; 0: the source's")
    multiply_height: bpy.props.IntProperty(name="Height", default=0, min=0, max=MAX_MULTIPLY_SIDE,
                                           description="Height of each variation; 0: the source's")
    multiply_tileable: bpy.props.BoolProperty(name="Tileable", default=True)
    multiply_seed: bpy.props.IntProperty(name="Seed", default=0, min=0, max=MAX_SEED,
                                         description="The same seed gives the same variations")
    seamless_border: bpy.props.FloatProperty(name="Border", default=SeamlessArgs().border,
                                             min=SeamlessArgs.spec("border").low or 0.0,
                                             max=SeamlessArgs.spec("border").high or 1.0,
                                             description=SeamlessArgs.spec("border").doc)


def settings(context: bpy.types.Context) -> TexforgeSceneSettings:
    """The scene's texforge panel settings."""
    return context.scene.texforge


def draw_jobs(layout: bpy.types.UILayout) -> None:
    """Progress of running jobs with a Cancel button, and the last outcome."""
    active = runtime.RUNNER.active()
    for job in active:
        layout.progress(factor=job.fraction, type='BAR', text=f"{job.label}: {job.stage}")
    if active:
        layout.operator("texforge.cancel_jobs", icon="CANCEL")
    elif runtime.RUNNER.last_message:
        layout.label(text=runtime.RUNNER.last_message, icon="INFO")


def draw_upscale(layout: bpy.types.UILayout, context: bpy.types.Context, image_name: str) -> None:
    """Upscale settings and buttons."""
    values = settings(context)
    column = layout.column(align=True)
    column.row(align=True).prop(values, "scale", expand=True)
    column.prop(values, "tileable")
    column.prop(values, "detail")
    column.prop(values, "replace_usages")
    for operator_id in ("texforge.upscale_image", "texforge.upscale_material_textures"):
        operator = column.operator(operator_id, icon="IMAGE_PLANE" if operator_id.endswith("image") else "MATERIAL")
        operator.scale, operator.tileable, operator.detail = values.scale, values.tileable, values.detail
        operator.replace_usages = values.replace_usages
        if operator_id.endswith("image"):
            operator.image_name = image_name


def draw_material(layout: bpy.types.UILayout, context: bpy.types.Context) -> None:
    """Create-material settings and buttons."""
    values = settings(context)
    column = layout.column(align=True)
    column.prop(values, "flash_path")
    column.prop(values, "guide_path")
    if values.guide_path:
        column.prop(values, "guide_aligned")
    column.prop(values, "size")
    column.prop(values, "refine_steps")
    column.prop(values, "material_tileable")
    column.prop(values, "field_of_view")
    operator = column.operator("texforge.material_from_photos", icon="MATERIAL")
    operator.flash_path, operator.guide_path = values.flash_path, values.guide_path
    operator.guide_aligned = values.guide_aligned
    operator.size, operator.refine_steps, operator.tileable = values.size, values.refine_steps, values.material_tileable
    operator.field_of_view = values.field_of_view
    node = getattr(context, "active_node", None)
    if node is not None and node.bl_idname == "ShaderNodeTexImage" and node.image is not None:
        from_image = column.operator("texforge.material_from_image", icon="NODE_TEXTURE")
        from_image.image_name = node.image.name
        from_image.size, from_image.tileable = values.size, values.material_tileable


def draw_multiply(layout: bpy.types.UILayout, context: bpy.types.Context, image_name: str) -> None:
    """Texture Multiplier settings and buttons: variations of the image (or the material), make seamless."""
    values = settings(context)
    layout.label(text="Texture Multiplier", icon="TEXTURE")
    column = layout.column(align=True)
    column.prop(values, "multiply_count")
    row = column.row(align=True)
    row.prop(values, "multiply_width")
    row.prop(values, "multiply_height")
    column.prop(values, "multiply_tileable")
    column.prop(values, "multiply_seed")
    targets = ["texforge.multiply_image"] if image_name else []
    if getattr(context, "material", None) is not None and context.space_data.type == 'NODE_EDITOR':
        targets.append("texforge.multiply_material")
    for operator_id in targets:
        operator = column.operator(operator_id, icon="IMAGE_DATA" if operator_id.endswith("image") else "MATERIAL")
        operator.count, operator.width, operator.height = values.multiply_count, values.multiply_width, values.multiply_height
        operator.tileable, operator.seed = values.multiply_tileable, values.multiply_seed
        if operator_id.endswith("image"):
            operator.image_name = image_name
    if not image_name:
        return
    column.separator()
    column.prop(values, "seamless_border")
    seamless = column.operator("texforge.make_seamless", icon="MOD_ARRAY")
    seamless.image_name, seamless.border = image_name, values.seamless_border
    seamless.replace_usages = values.replace_usages


class TEXFORGE_PT_image_editor(bpy.types.Panel):
    """Upscale the image shown in the Image Editor."""

    bl_space_type = 'IMAGE_EDITOR'
    bl_region_type = 'UI'
    bl_category = CATEGORY
    bl_label = "texforge"

    def draw(self, context: bpy.types.Context) -> None:
        image = context.space_data.image
        if image is None:
            self.layout.label(text="Open an image to upscale it")
        else:
            draw_upscale(self.layout, context, image.name)
            draw_multiply(self.layout.box(), context, image.name)
        draw_jobs(self.layout)
        draw_connection_status(self.layout)


class TEXFORGE_PT_shader_editor(bpy.types.Panel):
    """Upscale the active Image Texture node's image; create materials from photos."""

    bl_space_type = 'NODE_EDITOR'
    bl_region_type = 'UI'
    bl_category = CATEGORY
    bl_label = "texforge"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return context.space_data.tree_type == "ShaderNodeTree"

    def draw(self, context: bpy.types.Context) -> None:
        node = getattr(context, "active_node", None)
        image = getattr(node, "image", None) if node is not None else None
        box = self.layout.box()
        box.label(text=f"Upscale {image.name}" if image else "Upscale: select an Image Texture node")
        if image is not None:
            draw_upscale(box, context, image.name)
        draw_multiply(self.layout.box(), context, image.name if image is not None else "")
        draw_material(self.layout.box(), context)
        draw_jobs(self.layout)
        draw_connection_status(self.layout)


class TEXFORGE_PT_material_properties(bpy.types.Panel):
    """Create a material from photos, from the Material properties."""

    bl_space_type = 'PROPERTIES'
    bl_region_type = 'WINDOW'
    bl_context = "material"
    bl_label = "texforge: material from photos"
    bl_options = {'DEFAULT_CLOSED'}

    def draw(self, context: bpy.types.Context) -> None:
        draw_material(self.layout, context)
        draw_jobs(self.layout)


classes = (TexforgeSceneSettings, TEXFORGE_PT_image_editor, TEXFORGE_PT_shader_editor, TEXFORGE_PT_material_properties)
