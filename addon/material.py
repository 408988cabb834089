"""Create a material from photos through the server: snapshot, work, apply (bpy on the main thread)."""

from __future__ import annotations

import functools
import os
import threading
from dataclasses import dataclass, replace

import bpy
import numpy as np

from . import apply_plan, blender_images, remote
from .jobs import Job, ProgressCallback
from .pixels import photos_for_wire, to_rgba
from .protocol import MaterialArgs
from .protocol.exif import recorded_fov_degrees, recorded_orientation, upright
from .specular import specular_inputs
from .wiring import MAP_SLOTS, NON_COLOR, image_name, plan_material

FLASH_PHOTO_TIPS = ("Photo of a flat surface lit by the phone's flash: dim the room, hold the phone parallel "
                    "to the surface, fill the frame with it; no tripod needed for one photo")
"""Tooltip of every flash-photo field: how to shoot one (the README's "How to shoot a flash photo")."""
FIELD_OF_VIEW_TIP = ("The camera's horizontal field of view in degrees, from the photo's focal length; refinement "
                     "uses it (0: the photo's EXIF focal length if it records one, else the model's default)")
"""Tooltip of every field-of-view field."""
BLENDER_UNREADABLE_PHOTOS = (".heic", ".heif", ".hif")
"""Phone photo types Blender 4.2-5.0 cannot load (iPhones' default)."""
FIELD_OF_VIEW_PROPERTY = "texforge_field_of_view"
"""Custom property of a created material: the horizontal field of view its request carried, if any."""


@dataclass(frozen=True)
class MaterialOrder:
    """What the user asked for: the op's arguments and where the material goes."""

    material_name: str
    args: MaterialArgs
    assign_to: str = ""
    """Name of the object that gets the material ('' for none)."""


def recorded_field_of_view(path: str, photo: np.ndarray) -> float | None:
    """The horizontal field of view the photo file's EXIF records (phones store it), if any."""
    if not path:
        return None
    return recorded_fov_degrees(bpy.path.abspath(path), photo.shape[1], photo.shape[0])


def photo_pixels(image: bpy.types.Image) -> np.ndarray:
    """An image's RGB: uint8 in its own (sRGB) encoding, or linear float32 for float images, as
    Blender holds them (`photos_for_wire` tells the server which)."""
    rgb = blender_images.read_rgba(image)[..., :3]
    if image.is_float:
        return np.ascontiguousarray(rgb)
    return np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8)


def load_photo(path: str) -> np.ndarray:
    """Read a photo file through Blender without leaving an image datablock behind, turned upright
    as its EXIF says (Blender's loader ignores the tag; a phone's portrait photo would lie on its side)."""
    absolute = bpy.path.abspath(path)
    if not os.path.isfile(absolute):
        raise FileNotFoundError(f"no photo at {absolute}")
    if os.path.splitext(absolute)[1].lower() in BLENDER_UNREADABLE_PHOTOS:
        raise ValueError(f"Blender cannot read {os.path.basename(absolute)} (HEIC/HEIF): save it as JPEG, "
                         "or run `texforge material` on it, which reads HEIC")
    known = {image.name for image in bpy.data.images}
    image = bpy.data.images.load(absolute, check_existing=True)
    try:
        if not blender_images.has_pixels(image):
            raise ValueError(f"Blender cannot read {absolute}")
        return upright(photo_pixels(image), recorded_orientation(absolute))
    finally:
        if image.name not in known:
            bpy.data.images.remove(image)


def material_name_for(path_or_name: str) -> str:
    """`/photos/oak_flash.jpg` -> `oak_flash`."""
    return os.path.splitext(os.path.basename(bpy.path.abspath(path_or_name)))[0] or "texforge material"


def material_job(request: MaterialOrder, flash: np.ndarray, guide: np.ndarray | None,
                 settings: remote.ServerSettings) -> Job:
    """A job that estimates the maps and, on the main thread, builds the material."""
    flash, guide, linear = photos_for_wire(flash, guide)
    args = replace(request.args, guide_aligned=request.args.guide_aligned and guide is not None,
                   linear_photo=request.args.linear_photo or linear)

    def work(progress: ProgressCallback, cancel_event: threading.Event) -> dict[str, np.ndarray]:
        return remote.estimate_material(settings, flash, guide, args, progress, cancel_event)

    shots = "2-shot" if guide is not None else "1-shot"
    return Job(label=f"Material {request.material_name} ({shots})", work=work,
               apply=functools.partial(apply_material_maps, request), explain=remote.explain)


def blender_maps(maps: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], float]:
    """Server maps -> the images of the plan (straight RGBA) and the material's IOR."""
    specular = specular_inputs(maps["specular"])
    images = {
        "albedo": to_rgba(maps["albedo"]),
        "specular_level": to_rgba(specular.level),
        "specular_tint": to_rgba(specular.tint),
        "roughness": to_rgba(maps["roughness"]),
        "normal": to_rgba(maps["normal"]),
    }
    return images, specular.ior


def apply_material_maps(request: MaterialOrder, maps: dict[str, np.ndarray]) -> str:
    """Create the images and the material, assign it; on any failure remove what was made."""
    pixels, ior = blender_maps(maps)
    plan = plan_material(request.material_name, pixels, ior)
    created_images: list[bpy.types.Image] = []
    material = None
    try:
        images = {}
        for slot in MAP_SLOTS:
            image = blender_images.new_image(image_name(request.material_name, slot.key), pixels[slot.key],
                                             float_buffer=slot.colorspace == NON_COLOR, colorspace=slot.colorspace)
            created_images.append(image)
            blender_images.store_image(image)
            images[slot.key] = image
        material = apply_plan.new_material(plan, images)
    except Exception:  # roll back every datablock made so far, then let the job report it
        if material is not None:
            bpy.data.materials.remove(material)
        for image in created_images:
            bpy.data.images.remove(image)
        raise
    if request.args.fov_degrees:
        material[FIELD_OF_VIEW_PROPERTY] = request.args.fov_degrees  # the lens the maps were estimated for
    assigned = apply_plan.assign_material(material, bpy.data.objects.get(request.assign_to))
    where = f", assigned to {request.assign_to}" if assigned else ""
    return f"created material {material.name}{where}"

