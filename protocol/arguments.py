"""Each op's arguments, written once: fields, defaults, bounds, wire form.

The Python client builds its requests from these types, the server parses requests into them,
the Blender add-on builds its requests and its property bounds from them, and the tables of
`protocol/README.md` are tested against `spec_table`. A new argument is one field here.

Wire rules (protocol v1): arguments travel in the header's `args` map; a missing or nil
argument takes its default; unknown keys are ignored (newer clients, older servers).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from .constants import ErrorCode
from .errors import ProtocolError

ArgsT = TypeVar("ArgsT", bound="OpArgs")

SIZE_PAIR = "size pair"
"""Kind of an argument that travels as [width, height] of positive integers."""

_KIND_TYPES: dict[str, tuple[type[Any], ...]] = {"int": (int,), "float": (int, float), "bool": (bool,), "str": (str,)}


class ArgumentError(ProtocolError, ValueError):
    """An op argument has the wrong type or lies outside its bounds (`bad_request` on the wire)."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.BAD_REQUEST, message)


@dataclass(frozen=True)
class ArgSpec:
    """What the wire, the validator and the documentation know about one argument."""

    kind: str
    """'int', 'float', 'bool', 'str' or SIZE_PAIR."""
    doc: str
    low: float | None = None
    high: float | None = None
    """Inclusive bounds of a number (or of each side of a size pair)."""


def arg(default: Any, kind: str, doc: str, low: float | None = None, high: float | None = None) -> Any:
    """A dataclass field carrying its ArgSpec."""
    return field(default=default, metadata={"spec": ArgSpec(kind, doc, low, high)})


def _spec(item: dataclasses.Field[Any]) -> ArgSpec:
    spec = item.metadata["spec"]
    assert isinstance(spec, ArgSpec)
    return spec


def _checked_scalar(name: str, value: Any, spec: ArgSpec) -> Any:
    allowed = _KIND_TYPES[spec.kind]
    if isinstance(value, bool) and spec.kind != "bool" or not isinstance(value, allowed):
        raise ArgumentError(f"argument {name!r} must be {spec.kind}, got {type(value).__name__}")
    if spec.kind == "float":
        value = float(value)
    out_of_range = (spec.low is not None and value < spec.low) or (spec.high is not None and value > spec.high)
    if out_of_range:
        raise ArgumentError(f"argument {name!r} must be in {_range_text(spec)}, got {value:g}")
    return value


def _checked_size(name: str, value: Any, spec: ArgSpec) -> tuple[int, int]:
    pair = isinstance(value, (list, tuple)) and len(value) == 2
    if not pair or not all(isinstance(n, int) and not isinstance(n, bool) for n in value):
        raise ArgumentError(f"argument {name!r} must be [width, height] with positive integers")
    width, height = value
    if min(width, height) < (spec.low or 1) or (spec.high is not None and max(width, height) > spec.high):
        raise ArgumentError(f"argument {name!r} sides must be in {_range_text(spec)}, got {width}x{height}")
    return int(width), int(height)


def checked_value(name: str, value: Any, spec: ArgSpec) -> Any:
    """`value` converted to the argument's type; ArgumentError when it does not fit the spec."""
    if spec.kind == SIZE_PAIR:
        return _checked_size(name, value, spec)
    return _checked_scalar(name, value, spec)


def _range_text(spec: ArgSpec) -> str:
    if spec.high is None:
        return f"{_number_text(spec.low)} or more"
    return f"{_number_text(spec.low)}..{_number_text(spec.high)}"


def _number_text(value: float | None) -> str:
    """A bound as the spec shows it: integers in full (2147483647, not 2.14748e+09)."""
    if value is None:
        return "nil"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@dataclass(frozen=True)
class OpArgs:
    """Base of every op's argument type: validation on construction, wire form both ways."""

    op: ClassVar[str] = ""

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            value = item.default if value is None else checked_value(item.name, value, _spec(item))
            object.__setattr__(self, item.name, value)

    @classmethod
    def from_wire(cls: type[ArgsT], args: Mapping[str, Any]) -> ArgsT:
        """Arguments from a request's `args` map: missing or nil keys take defaults, unknown keys are ignored."""
        return cls(**{item.name: args.get(item.name) for item in dataclasses.fields(cls)})

    @classmethod
    def of(cls: type[ArgsT], given: ArgsT | None, fields: Mapping[str, Any]) -> ArgsT:
        """`given`, or arguments built from keyword `fields` (TypeError for both, or for unknown names)."""
        if given is not None and fields:
            raise TypeError(f"pass {cls.__name__} or keyword arguments, not both")
        return given if given is not None else cls(**fields)

    def to_wire(self) -> dict[str, Any]:
        """The `args` map: only the arguments that differ from their defaults."""
        wire: dict[str, Any] = {}
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if value != item.default:
                wire[item.name] = list(value) if isinstance(value, tuple) else value
        return wire

    @classmethod
    def spec(cls, name: str) -> ArgSpec:
        """The spec of argument `name` (bounds for UIs, docs)."""
        for item in dataclasses.fields(cls):
            if item.name == name:
                return _spec(item)
        raise KeyError(f"{cls.op} has no argument {name!r}")

    @classmethod
    def spec_table(cls) -> str:
        """The Markdown table of the op's arguments, as `protocol/README.md` shows it."""
        rows = ["| argument | type | default | meaning |", "|---|---|---|---|"]
        for item in dataclasses.fields(cls):
            spec = _spec(item)
            kind = "[width, height]" if spec.kind == SIZE_PAIR else spec.kind
            if spec.low is not None:
                kind += f" {_range_text(spec)}"
            default = "nil" if item.default is None else str(item.default).lower()
            rows.append(f"| `{item.name}` | {kind} | {default} | {spec.doc} |")
        return "\n".join(rows)


MAX_SCALE = 16
MAX_REFINE_STEPS = 2000
MAX_MATERIAL_SIDE = 8192
MAX_VARIATIONS = 16
MAX_MULTIPLY_SIDE = 8192
MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class UpscaleArgs(OpArgs):
    """Arguments of `upscale` (image `image`)."""

    op: ClassVar[str] = "upscale"

    model: str | None = arg(None, "str", "model name; nil: the server's default for the scale")
    scale: int = arg(2, "int", "integer scale factor the model must support", 1, MAX_SCALE)
    tileable: bool = arg(False, "bool", "wrap around the edges so that the output tiles seamlessly")
    normal_map: bool = arg(False, "bool", "tangent-space normal map: decode, upscale, renormalise to unit length")
    size: tuple[int, int] | None = arg(None, SIZE_PAIR, "exact output size; the network scale is applied first, "
                                       "then an antialiased resample", 1)
    detail: float | None = arg(None, "float", "0 faithful .. 1 sharp, for models with a sharp partner", 0.0, 1.0)
    jpeg_source: bool = arg(False, "bool", "the image was decoded from a JPEG file: models with a JPEG-robust "
                            "partner run it, which removes the 8x8 block grid instead of sharpening it")


@dataclass(frozen=True)
class MaterialArgs(OpArgs):
    """Arguments of `material` (images `flash`, optional `guide`)."""

    op: ClassVar[str] = "material"

    model: str | None = arg(None, "str", "model name; nil: the default (a 2-shot model when a guide is sent)")
    size: int | None = arg(None, "int", "longer side of the maps; nil: the photo's own size", 16, MAX_MATERIAL_SIDE)
    refine_steps: int = arg(0, "int", "test-time refinement steps of the maps against the photo", 0, MAX_REFINE_STEPS)
    tileable: bool = arg(False, "bool", "make the maps tile seamlessly")
    fov_degrees: float | None = arg(None, "float", "the camera's horizontal field of view, e.g. from the photo's EXIF "
                                    "(2 atan(sensor width / (2 focal length))); nil: the model's calibrated capture", 5.0, 120.0)
    guide_aligned: bool = arg(False, "bool", "the guide is pixel-aligned with the flash photo (tripod) and has its "
                              "size: used as it is, without alignment or same-surface check")
    linear_photo: bool = arg(False, "bool", "the photos hold linear light (a render, a RAW development, an EXR) "
                             "rather than display-encoded values; the server encodes them before estimating")


@dataclass(frozen=True)
class MultiplyArgs(OpArgs):
    """Arguments of `multiply` (image `image`, optional maps `map:NAME`)."""

    op: ClassVar[str] = "multiply"

    model: str | None = arg(None, "str", "model name; nil: the server's default texture synthesiser")
    count: int = arg(1, "int", "variations to make; variation K uses seed + K - 1", 1, MAX_VARIATIONS)
    size: tuple[int, int] | None = arg(None, SIZE_PAIR, "output size, at the exemplar's pixel scale; nil: the "
                                       "exemplar's size", 8, MAX_MULTIPLY_SIDE)
    tileable: bool = arg(False, "bool", "wrap around the edges so that every variation tiles seamlessly")
    seed: int | None = arg(None, "int", "seed of the first variation (same seed, same result); nil: the server "
                           "picks one and returns the seeds in `data`", 0, MAX_SEED)


@dataclass(frozen=True)
class SeamlessArgs(OpArgs):
    """Arguments of `seamless` (image `image`, optional maps `map:NAME`)."""

    op: ClassVar[str] = "seamless"

    model: str | None = arg(None, "str", "model name; nil: the server's default texture synthesiser")
    border: float = arg(0.15, "float", "width of the band along each edge that may change, as a fraction of "
                        "that side; the rest keeps the input's pixels", 0.02, 0.5)
    seed: int = arg(0, "int", "seed of the synthesis in the band", 0, MAX_SEED)


OP_ARGS: tuple[type[OpArgs], ...] = (UpscaleArgs, MaterialArgs, MultiplyArgs, SeamlessArgs)
"""Every op that takes typed arguments."""
