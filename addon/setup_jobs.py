"""Shared by the local-server operators (install, update, remove): the wheel on offer and their messages."""

from __future__ import annotations

import bpy

from . import remote, runtime, server_env, server_install


def offered_wheel() -> server_env.ServerWheel | None:
    """The newest texforge wheel of the extension's own and the preferences' Server wheels folder."""
    folder = runtime.preferences().wheels_folder
    return server_env.offered_wheel(bpy.path.abspath(folder) if folder else "")


def describe_record(record: server_env.InstallRecord) -> str:
    """Main thread, after an install or update: the summary line."""
    return f"local server ready to start: texforge {record.version}, PyTorch {record.torch} ({record.device})"


def explain_setup(error: BaseException) -> str:
    """One line for a failed install, update or removal (their own errors are phrased already)."""
    if isinstance(error, (server_env.SetupError, server_install.InstallCancelled)):
        return str(error)
    if isinstance(error, OSError):
        return f"{error.strerror or error} ({error.filename})" if error.filename else str(error)
    return remote.explain(error)

