"""The protocol package stays light: no torch, no bpy, relative imports only."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PROTOCOL = Path(__file__).resolve().parents[2] / "protocol"
ALLOWED_THIRD_PARTY = {"numpy", "zmq", "msgpack"}


def test_importing_the_protocol_and_client_loads_neither_torch_nor_bpy() -> None:
    code = "import sys, texforge.protocol; print('torch' in sys.modules, 'bpy' in sys.modules, 'cv2' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False", "False"]


def test_protocol_modules_import_only_stdlib_allowed_packages_and_relatives() -> None:
    for path in PROTOCOL.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                top = node.module.split(".")[0]
            elif isinstance(node, ast.Import):
                top = node.names[0].name.split(".")[0]
            else:
                continue
            assert top != "texforge", f"{path.name} must import siblings relatively (the add-on vendors it)"
            assert top in ALLOWED_THIRD_PARTY or top in sys.stdlib_module_names or top == "__future__", (
                f"{path.name} imports {top}")
