"""The node graph of a material made from photos, as plain data (no bpy).

`plan_material` decides every node, its place, its image and colour space, and every link;
`apply_plan.apply_material_plan` only creates what the plan says. The conventions follow Node
Wrangler's Principled Texture Setup: colour maps sRGB, data maps Non-Color, the normal map through
a Normal Map node (tangent space, OpenGL), one shared Texture Coordinate -> Mapping chain.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

SRGB = "sRGB"
NON_COLOR = "Non-Color"

PRINCIPLED = "Principled BSDF"
OUTPUT = "Material Output"
TEXTURE_COORDINATE = "Texture Coordinate"
MAPPING = "Mapping"
NORMAL_MAP = "Normal Map"

_COLUMN_X = {"coords": -1300.0, "mapping": -1100.0, "images": -800.0, "normal_map": -420.0,
             "shader": -150.0, "output": 250.0}
_ROW_STEP = 290.0
_TOP_Y = 440.0


@dataclass(frozen=True)
class MapSlot:
    """Where one generated map goes."""

    key: str
    """Map name in the material result (`albedo`, `roughness`, ...)."""
    label: str
    colorspace: str
    target_socket: str
    """Principled BSDF input fed by the map (the normal map goes through a Normal Map node)."""


MAP_SLOTS: tuple[MapSlot, ...] = (
    MapSlot("albedo", "Albedo", SRGB, "Base Color"),
    MapSlot("specular_level", "Specular Level", NON_COLOR, "Specular IOR Level"),
    MapSlot("specular_tint", "Specular Tint", SRGB, "Specular Tint"),
    MapSlot("roughness", "Roughness", NON_COLOR, "Roughness"),
    MapSlot("normal", "Normal", NON_COLOR, "Normal"),
)
"""Top-to-bottom order of the image nodes (the order of the Principled BSDF's inputs)."""


@dataclass(frozen=True)
class PlannedNode:
    """One node to create."""

    name: str
    """Unique node name in the tree (also its label)."""
    bl_idname: str
    location: tuple[float, float]
    image_key: str | None = None
    """For image nodes: which map's image to show."""
    colorspace: str | None = None
    """For image nodes: the image's colour space."""
    input_values: Mapping[str, float] = field(default_factory=dict)
    """Unlinked input defaults, by socket name."""


@dataclass(frozen=True)
class PlannedLink:
    """One link, by node name and socket name."""

    from_node: str
    from_socket: str
    to_node: str
    to_socket: str


@dataclass(frozen=True)
class MaterialPlan:
    """Everything `apply_material_plan` needs: the material's name, nodes and links."""

    material_name: str
    nodes: tuple[PlannedNode, ...]
    links: tuple[PlannedLink, ...]

    def node(self, name: str) -> PlannedNode:
        """The planned node called `name`; KeyError if there is none."""
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)

    def image_nodes(self) -> tuple[PlannedNode, ...]:
        """The Image Texture nodes, top to bottom."""
        return tuple(node for node in self.nodes if node.image_key is not None)


def plan_material(material_name: str, available_maps: Iterable[str], ior: float = 1.5) -> MaterialPlan:
    """Plan a Principled BSDF material fed by the `available_maps` (keys of MAP_SLOTS)."""
    available = set(available_maps)
    unknown = available - {slot.key for slot in MAP_SLOTS}
    if unknown:
        raise ValueError(f"unknown material maps {sorted(unknown)}")
    slots = [slot for slot in MAP_SLOTS if slot.key in available]
    nodes = [*_fixed_nodes(ior, len(slots)), *(_image_node(slot, row) for row, slot in enumerate(slots))]
    links = [PlannedLink(TEXTURE_COORDINATE, "UV", MAPPING, "Vector"),
             PlannedLink(PRINCIPLED, "BSDF", OUTPUT, "Surface")]
    for row, slot in enumerate(slots):
        links.append(PlannedLink(MAPPING, "Vector", slot.label, "Vector"))
        if slot.key == "normal":
            nodes.append(PlannedNode(NORMAL_MAP, "ShaderNodeNormalMap", (_COLUMN_X["normal_map"], _row_y(row))))
            links += [PlannedLink(slot.label, "Color", NORMAL_MAP, "Color"),
                      PlannedLink(NORMAL_MAP, "Normal", PRINCIPLED, "Normal")]
        else:
            links.append(PlannedLink(slot.label, "Color", PRINCIPLED, slot.target_socket))
    return MaterialPlan(material_name, tuple(nodes), tuple(links))


def image_name(material_name: str, map_key: str) -> str:
    """Name of the image holding `map_key` for `material_name`."""
    return f"{material_name}_{map_key}"


def _row_y(row: int) -> float:
    return _TOP_Y - row * _ROW_STEP


def _fixed_nodes(ior: float, rows: int) -> list[PlannedNode]:
    middle_y = _row_y(max(rows - 1, 0)) / 2 + _TOP_Y / 2
    return [
        PlannedNode(TEXTURE_COORDINATE, "ShaderNodeTexCoord", (_COLUMN_X["coords"], middle_y)),
        PlannedNode(MAPPING, "ShaderNodeMapping", (_COLUMN_X["mapping"], middle_y)),
        PlannedNode(PRINCIPLED, "ShaderNodeBsdfPrincipled", (_COLUMN_X["shader"], _TOP_Y),
                    input_values={"IOR": ior, "Metallic": 0.0}),
        PlannedNode(OUTPUT, "ShaderNodeOutputMaterial", (_COLUMN_X["output"], _TOP_Y)),
    ]


def _image_node(slot: MapSlot, row: int) -> PlannedNode:
    return PlannedNode(slot.label, "ShaderNodeTexImage", (_COLUMN_X["images"], _row_y(row)),
                       image_key=slot.key, colorspace=slot.colorspace)
