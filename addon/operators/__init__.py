"""One operator per module; `classes` is registered in order and unregistered in reverse."""

from .cancel_jobs import TEXFORGE_OT_cancel_jobs
from .material_from_image import TEXFORGE_OT_material_from_image
from .material_from_photos import TEXFORGE_OT_material_from_photos
from .start_server import TEXFORGE_OT_start_server
from .test_connection import TEXFORGE_OT_test_connection
from .upscale_image import TEXFORGE_OT_upscale_image
from .upscale_material_textures import TEXFORGE_OT_upscale_material_textures

classes = (
    TEXFORGE_OT_test_connection,
    TEXFORGE_OT_start_server,
    TEXFORGE_OT_cancel_jobs,
    TEXFORGE_OT_upscale_image,
    TEXFORGE_OT_upscale_material_textures,
    TEXFORGE_OT_material_from_photos,
    TEXFORGE_OT_material_from_image,
)
