"""Add-on preferences: the local server (install, update, remove, managed start), server address, status."""

from __future__ import annotations

import os

import bpy

from . import remote, runtime, server_env
from .protocol.constants import PRECISIONS

DEFAULT_ADDRESS = "tcp://127.0.0.1:5555"
TORCH_BUILD_ITEMS = (
    ("AUTO", "Automatic", "CUDA where an NVIDIA GPU is found (nvidia-smi), otherwise CPU"),
    ("CPU", "CPU", "PyTorch's CPU build (about 200 MB)"),
    ("CUDA", "CUDA (NVIDIA GPU)", "PyTorch's CUDA build (about 3 GB)"),
)

PRECISION_TIPS = {
    "auto": "bf16 where the GPU or CPU computes it natively, else fp16 on CUDA and fp32 on the CPU",
    "fp32": "Full precision everywhere (the reference; slowest on GPUs)",
    "bf16": "bfloat16: fast on GPUs and on CPUs with AVX512-BF16 or AMX, slow elsewhere",
    "fp16": "Half precision (CUDA GPUs)",
    "int8": "Upscale networks' body in int8 on x86 CPUs: about 2x faster than fp32 on CPUs without bf16, "
            "pixels differ slightly (about 0.02 dB)",
}
PRECISION_ITEMS = tuple((name.upper(), "Automatic" if name == "auto" else name, PRECISION_TIPS[name]) for name in PRECISIONS)


def _keep_running_changed(prefs: bpy.types.AddonPreferences, context: bpy.types.Context) -> None:
    runtime.LOCAL.keep_running = prefs.keep_server_running


class TexforgePreferences(bpy.types.AddonPreferences):
    """Where the texforge server is, and how to start one."""

    bl_idname = __package__

    server_address: bpy.props.StringProperty(
        name="Server address", default=DEFAULT_ADDRESS,
        description="ZeroMQ address of the texforge server; $TEXFORGE_SERVER overrides it",
    )
    timeout: bpy.props.FloatProperty(
        name="Timeout", default=30.0, min=0.5, max=3600.0, unit="TIME_ABSOLUTE",
        description="Give up when the server stays silent this long (seconds)",
    )
    server_command: bpy.props.StringProperty(
        name="Local server command", default="",
        description="Command line that starts a server instead of the installed one, "
                    "e.g. `/path/to/.venv/bin/texforge serve --device cuda`",
    )
    managed_server: bpy.props.BoolProperty(
        name="Managed local server", default=True,
        description="Start the local server when a job needs one and none answers at a local address; "
                    "stop it when Blender quits",
    )
    keep_server_running: bpy.props.BoolProperty(
        name="Keep server running", default=False, update=_keep_running_changed,
        description="Leave the local server running when Blender quits (the next Blender reuses it). Off, the "
                    "server also stops by itself if Blender crashes. A change applies from the next job, which "
                    "restarts the server",
    )
    server_precision: bpy.props.EnumProperty(
        name="Precision", items=PRECISION_ITEMS, default="AUTO",
        description="What the installed local server's networks compute in; a running one restarts with the next job",
    )
    torch_build: bpy.props.EnumProperty(name="PyTorch", items=TORCH_BUILD_ITEMS, default="AUTO",
                                        description="Which PyTorch build Install local server puts into the environment")
    server_python: bpy.props.StringProperty(
        name="Python for the server", default="", subtype='FILE_PATH',
        description="A Python 3.11+ that makes the server's environment; empty: Blender's own",
    )
    wheels_folder: bpy.props.StringProperty(
        name="Server wheels folder", default="", subtype='DIR_PATH',
        description="A local folder of wheels (a newer texforge wheel, or all dependencies for an offline install)",
    )
    offline: bpy.props.BoolProperty(
        name="Wheels folder only (offline)", default=False,
        description="Install from the wheels folder alone and download nothing",
    )
    package_index: bpy.props.StringProperty(
        name="Package index", default="",
        description="Index for the server's dependencies; empty: PyPI (pip's own configuration is not used)",
    )
    torch_index: bpy.props.StringProperty(
        name="PyTorch index", default="",
        description="Index for PyTorch; empty: download.pytorch.org for the chosen build",
    )

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        draw_local_server(self, layout.box())
        column = layout.column()
        column.prop(self, "server_address")
        if os.environ.get(remote.ADDRESS_ENV_VAR):
            column.label(text=f"Overridden by $TEXFORGE_SERVER = {os.environ[remote.ADDRESS_ENV_VAR]}", icon="INFO")
        column.prop(self, "timeout")
        row = column.row(align=True)
        row.prop(self, "server_command")
        row.operator("texforge.start_server", text="", icon="PLAY")
        row.operator("texforge.stop_server", text="", icon="SNAP_FACE")
        draw_connection_status(layout)


def draw_local_server(prefs: bpy.types.AddonPreferences, box: bpy.types.UILayout) -> None:
    """Install / Update / Remove, the setup job's progress, and the local server's settings."""
    layout = runtime.environment_layout()
    installed = layout.installed()
    offered = server_env.offered_wheel(bpy.path.abspath(prefs.wheels_folder) if prefs.wheels_folder else "")
    box.label(text="Local server", icon="CONSOLE")
    if installed is None:
        box.label(text="Not installed: Install local server sets it up (no terminal needed)")
    else:
        box.label(text=f"Installed: texforge {installed.version}, PyTorch {installed.torch} ({installed.device})")
    draw_setup_progress(box)
    row = box.row(align=True)
    if installed is None:
        row.operator("texforge.install_server", icon="IMPORT")
    elif server_env.update_available(installed, offered):
        row.operator("texforge.update_server", text=f"Update server to {offered.version}", icon="FILE_REFRESH")
    if installed is not None or layout.partial.exists():
        row.operator("texforge.remove_server", icon="TRASH")
    row.operator("texforge.open_server_log", text="Install log", icon="TEXT").log = "INSTALL"
    row.operator("texforge.open_server_log", text="Server log", icon="TEXT").log = "SERVER"
    column = box.column()
    column.prop(prefs, "managed_server")
    column.prop(prefs, "keep_server_running")
    column.prop(prefs, "server_precision")
    column.prop(prefs, "torch_build")
    column.prop(prefs, "wheels_folder")
    column.prop(prefs, "offline")
    column.prop(prefs, "server_python")
    column.prop(prefs, "package_index")
    column.prop(prefs, "torch_index")


def draw_setup_progress(layout: bpy.types.UILayout) -> None:
    """The install / update / removal under way, with Cancel."""
    for job in runtime.RUNNER.active():
        if job.label in runtime.SETUP_LABELS:
            layout.progress(factor=job.fraction, type='BAR', text=f"{job.label}: {job.stage}")
            layout.operator("texforge.cancel_jobs", icon="CANCEL")


def draw_connection_status(layout: bpy.types.UILayout) -> None:
    """The Disconnected / Connecting / Starting / Connected line, any warning, and the Test connection button."""
    status = runtime.CONNECTION
    icon = {"Connected": "CHECKMARK", "Connecting": "SORTTIME", "Starting": "SORTTIME"}.get(status.state, "ERROR")
    row = layout.row()
    row.label(text=f"{status.state} {status.detail}".strip(), icon=icon)
    row.operator("texforge.test_connection", icon="URL")
    if status.warning:
        layout.label(text=status.warning, icon="ERROR")
    elif status.state == "Disconnected" and runtime.local_launch() is None and remote.is_loopback(runtime.server_settings().address):
        layout.label(text="No local server yet: Preferences > Add-ons > texforge > Install local server", icon="INFO")
