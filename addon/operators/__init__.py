"""One operator per module; `classes` is registered in order and unregistered in reverse."""

from .cancel_jobs import TEXFORGE_OT_cancel_jobs
from .install_server import TEXFORGE_OT_install_server
from .make_seamless import TEXFORGE_OT_make_seamless
from .material_from_image import TEXFORGE_OT_material_from_image
from .material_from_photos import TEXFORGE_OT_material_from_photos
from .multiply_image import TEXFORGE_OT_multiply_image
from .multiply_material import TEXFORGE_OT_multiply_material
from .open_server_log import TEXFORGE_OT_open_server_log
from .remove_server import TEXFORGE_OT_remove_server
from .start_server import TEXFORGE_OT_start_server
from .stop_server import TEXFORGE_OT_stop_server
from .test_connection import TEXFORGE_OT_test_connection
from .update_server import TEXFORGE_OT_update_server
from .upscale_image import TEXFORGE_OT_upscale_image
from .upscale_material_textures import TEXFORGE_OT_upscale_material_textures

classes = (
    TEXFORGE_OT_test_connection,
    TEXFORGE_OT_start_server,
    TEXFORGE_OT_stop_server,
    TEXFORGE_OT_install_server,
    TEXFORGE_OT_update_server,
    TEXFORGE_OT_remove_server,
    TEXFORGE_OT_open_server_log,
    TEXFORGE_OT_cancel_jobs,
    TEXFORGE_OT_upscale_image,
    TEXFORGE_OT_upscale_material_textures,
    TEXFORGE_OT_material_from_photos,
    TEXFORGE_OT_material_from_image,
    TEXFORGE_OT_multiply_image,
    TEXFORGE_OT_multiply_material,
    TEXFORGE_OT_make_seamless,
)
