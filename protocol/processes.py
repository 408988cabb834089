"""Whether a process runs, on POSIX and Windows (no third-party package)."""

from __future__ import annotations

import os


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs (also when it belongs to another user); ids <= 0 name
    process groups, not processes, and are never alive."""
    if pid <= 0:
        return False
    if os.name == "nt":
        return _windows_process_alive(pid)
    try:
        os.kill(pid, 0)  # signal 0: only the existence and permission checks
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _windows_process_alive(pid: int) -> bool:
    # os.kill(pid, 0) would terminate the process on Windows: ask the kernel instead
    import ctypes

    synchronize, wait_timeout = 0x00100000, 0x102
    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined,unused-ignore]
    handle = kernel32.OpenProcess(synchronize, False, pid)
    if not handle:
        return False
    try:
        return bool(kernel32.WaitForSingleObject(handle, 0) == wait_timeout)
    finally:
        kernel32.CloseHandle(handle)
