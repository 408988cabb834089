"""addon/README.md documents every operator by its Python name (pure: no bpy)."""

from __future__ import annotations

import ast
from pathlib import Path

ADDON = Path(__file__).resolve().parents[2] / "addon"


def operator_idnames() -> set[str]:
    """Every `bl_idname = "texforge.<name>"` assigned in a class body under addon/operators/."""
    found = set()
    for path in (ADDON / "operators").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                found |= {statement.value.value for statement in node.body
                          if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant)
                          and any(isinstance(target, ast.Name) and target.id == "bl_idname" for target in statement.targets)}
    return found


def test_operators_are_found() -> None:
    assert {"texforge.upscale_image", "texforge.material_from_photos", "texforge.cancel_jobs"} <= operator_idnames()


def test_readme_names_every_operator_as_called_from_python() -> None:
    readme = (ADDON / "README.md").read_text()
    missing = sorted(idname for idname in operator_idnames() if f"bpy.ops.{idname}(" not in readme)
    assert not missing, f"addon/README.md does not mention {missing}"
