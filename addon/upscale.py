"""Upscale one Blender image through the server: snapshot, work, apply (bpy on the main thread)."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, replace

import bpy
import numpy as np

from . import blender_images, remote
from .jobs import Job, ProgressCallback
from .pixels import decode_from_wire, encode_for_wire, has_meaningful_alpha, looks_like_normal_map
from .protocol import UpscaleArgs
from .texture_roles import TextureFacts, TextureRole, texture_role, upscaled_name, wire_encoding

DETAIL_DEFAULT = 0.0
"""The Detail slider starts faithful (the PSNR model); sliding it blends in the sharp GAN partner."""


@dataclass(frozen=True)
class UpscaleOrder:
    """What the user asked for one image: the op's arguments and what to do with the result."""

    image_name: str
    args: UpscaleArgs
    """`normal_map` is decided per image from its role (see `upscale_job`)."""
    replace_usages: bool


@dataclass(frozen=True)
class SourceSnapshot:
    """An image's pixels and facts, copied on the main thread before the work starts."""

    name: str
    wire_image: np.ndarray
    role: TextureRole
    colorspace_name: str
    is_float: bool
    wire_colorspace: str
    jpeg_source: bool = False
    """Decoded from a JPEG file: the server runs the model's JPEG-robust partner where it has one."""


def snapshot(image: bpy.types.Image) -> SourceSnapshot:
    """Read `image` and decide how it travels."""
    rgba = blender_images.read_rgba(image)
    is_data = blender_images.is_data_colorspace(image)
    facts = TextureFacts(
        name=image.name, is_data=is_data, is_float=image.is_float, file_format=image.file_format,
        feeds_normal_map=blender_images.feeds_normal_map(image), has_alpha=has_meaningful_alpha(rgba),
        pixels_look_like_normals=is_data and looks_like_normal_map(rgba),
    )
    role = texture_role(facts)
    encoding = wire_encoding(facts, role)
    return SourceSnapshot(image.name, encode_for_wire(rgba, encoding), role,
                          image.colorspace_settings.name, image.is_float, encoding.colorspace,
                          jpeg_source=image.file_format == 'JPEG')


def upscale_job(request: UpscaleOrder, source: SourceSnapshot, settings: remote.ServerSettings) -> Job:
    """A job that upscales `source` and, on the main thread, creates the new image."""
    args = replace(request.args, normal_map=source.role is TextureRole.NORMAL, jpeg_source=source.jpeg_source)

    def work(progress: ProgressCallback, cancel_event: threading.Event) -> np.ndarray:
        return remote.upscale(settings, source.wire_image, args, source.wire_colorspace, progress, cancel_event)

    return Job(label=f"Upscale {source.name} x{args.scale}", work=work,
               apply=functools.partial(apply_upscaled, request, source), explain=remote.explain)


def apply_upscaled(request: UpscaleOrder, source: SourceSnapshot, result: np.ndarray) -> str:
    """Create `<name>_x<scale>`, store it, and optionally swap it in where the original is used."""
    colorspace = source.colorspace_name
    if source.is_float and source.role is TextureRole.COLOR:
        colorspace = blender_images.LINEAR
    image = blender_images.new_image(upscaled_name(source.name, request.args.scale), decode_from_wire(result),
                                     float_buffer=source.is_float, colorspace=colorspace)
    try:
        blender_images.store_image(image)
    except RuntimeError:
        bpy.data.images.remove(image)  # no half-made image stays behind
        raise
    replaced = 0
    original = bpy.data.images.get(source.name)
    if request.replace_usages and original is not None:
        replaced = blender_images.replace_image_users(original, image)
    width, height = image.size
    suffix = f", replaced in {replaced} node(s)" if request.replace_usages else ""
    return f"created {image.name} ({width}x{height}){suffix}"
