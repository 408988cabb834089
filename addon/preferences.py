"""Add-on preferences: server address, timeout, local server command, connection status."""

from __future__ import annotations

import os

import bpy

from . import remote, runtime

DEFAULT_ADDRESS = "tcp://127.0.0.1:5555"


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
        description="Command line that starts a server, e.g. `/path/to/.venv/bin/texforge serve --device cuda`",
    )

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        column = layout.column()
        column.prop(self, "server_address")
        if os.environ.get(remote.ADDRESS_ENV_VAR):
            column.label(text=f"Overridden by $TEXFORGE_SERVER = {os.environ[remote.ADDRESS_ENV_VAR]}", icon="INFO")
        column.prop(self, "timeout")
        row = column.row(align=True)
        row.prop(self, "server_command")
        row.operator("texforge.start_server", text="", icon="PLAY")
        draw_connection_status(layout)


def draw_connection_status(layout: bpy.types.UILayout) -> None:
    """The Disconnected / Connecting / Connected line and the Test connection button."""
    status = runtime.CONNECTION
    icon = {"Connected": "CHECKMARK", "Connecting": "SORTTIME"}.get(status.state, "ERROR")
    row = layout.row()
    row.label(text=f"{status.state} {status.detail}".strip(), icon=icon)
    row.operator("texforge.test_connection", icon="URL")
