"""texforge for Blender: upscale textures and create materials from photos with a texforge server.

Network I/O runs in worker threads (the vendored `protocol` client, never bpy); results are
applied on the main thread by `runtime.poll()`, which a timer calls in the UI.

The local server that the add-on starts is stopped when Blender quits: by `unregister` (Blender
disables add-ons on exit) and, as a backstop, by an `atexit` handler.
"""

from __future__ import annotations

import atexit

import bpy

from . import operators, panels, preferences, runtime

classes = (preferences.TexforgePreferences, *operators.classes, *panels.classes)

poll = runtime.poll
"""Apply finished background jobs now (headless scripts and tests: timers never fire there)."""


def register() -> None:
    for cls in classes:
        bpy.utils.register_class(cls)
    bpy.types.Scene.texforge = bpy.props.PointerProperty(type=panels.TexforgeSceneSettings)
    runtime.LOCAL.keep_running = runtime.preferences().keep_server_running
    atexit.register(runtime.LOCAL.stop_at_exit)


def unregister() -> None:
    atexit.unregister(runtime.LOCAL.stop_at_exit)
    runtime.shutdown()
    del bpy.types.Scene.texforge
    for cls in reversed(classes):
        bpy.utils.unregister_class(cls)
