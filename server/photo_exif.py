"""The horizontal field of view a photo's EXIF records, for material requests that were given none.

Phones store the 35 mm-equivalent focal length (``FocalLengthIn35mmFilm``): the focal length that
would give the same diagonal field of view on a 36 x 24 mm frame. The pipeline wants the
horizontal field of view of the pixels as stored (the decoder ignores the EXIF orientation, as
the sensor does), so the diagonal tangent is scaled by width over diagonal.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

from PIL import Image

from ..protocol.arguments import MaterialArgs

FULL_FRAME_DIAGONAL_MM = math.hypot(36.0, 24.0)
EXIF_IFD = 0x8769
FOCAL_LENGTH_IN_35MM = 0xA405


def fov_from_35mm_focal_length(focal_35mm: float, width: int, height: int) -> float:
    """Horizontal field of view in degrees of a ``width`` x ``height`` frame."""
    half_diagonal_tangent = FULL_FRAME_DIAGONAL_MM / (2 * focal_35mm)
    return math.degrees(2 * math.atan(half_diagonal_tangent * width / math.hypot(width, height)))


def exif_fov_degrees(path: str | Path) -> float | None:
    """The horizontal field of view ``path``'s EXIF records, or None (no EXIF, no such tag, not a
    format PIL reads, or a value outside the request's bounds: then the tag is likelier wrong
    than the lens)."""
    try:
        with warnings.catch_warnings(), Image.open(path) as image:
            warnings.simplefilter("ignore")
            focal = image.getexif().get_ifd(EXIF_IFD).get(FOCAL_LENGTH_IN_35MM)
            width, height = image.size
    except (OSError, ValueError, SyntaxError, TypeError, KeyError, AttributeError):
        return None
    if not isinstance(focal, (int, float)) or focal <= 0 or width <= 0 or height <= 0:
        return None
    fov = fov_from_35mm_focal_length(float(focal), width, height)
    bounds = MaterialArgs.spec("fov_degrees")
    low, high = bounds.low or 0.0, bounds.high or 180.0
    return fov if low <= fov <= high else None
