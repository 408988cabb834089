"""Each op's arguments are defined once: validation, wire form, bounds and the spec's tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from texforge.protocol import ArgumentError, ErrorCode, MaterialArgs, ProtocolError, UpscaleArgs
from texforge.protocol.arguments import OP_ARGS, MultiplyArgs, SeamlessArgs


def test_wire_form_round_trips_and_omits_defaults() -> None:
    args = UpscaleArgs(scale=4, tileable=True, size=(300, 200), detail=0.25)
    wire = args.to_wire()
    assert wire == {"scale": 4, "tileable": True, "size": [300, 200], "detail": 0.25}
    assert UpscaleArgs.from_wire(wire) == args
    assert UpscaleArgs().to_wire() == {}


def test_missing_or_nil_arguments_take_defaults_and_unknown_keys_are_ignored() -> None:
    args = MaterialArgs.from_wire({"refine_steps": None, "from_the_future": 3, "fov_degrees": 24})
    assert args == MaterialArgs(fov_degrees=24.0)
    assert isinstance(args.fov_degrees, float) and args.refine_steps == 0


@pytest.mark.parametrize("wire,name", [
    ({"scale": True}, "scale"),
    ({"scale": 0}, "scale"),
    ({"detail": 1.5}, "detail"),
    ({"tileable": "yes"}, "tileable"),
    ({"size": [0, 10]}, "size"),
    ({"size": [10]}, "size"),
    ({"model": 4}, "model"),
])
def test_bad_upscale_arguments_are_bad_requests_naming_the_argument(wire: dict, name: str) -> None:
    with pytest.raises(ProtocolError, match=name) as excinfo:
        UpscaleArgs.from_wire(wire)
    assert excinfo.value.code == ErrorCode.BAD_REQUEST


def test_constructing_bad_arguments_in_python_raises_a_value_error_too() -> None:
    with pytest.raises(ValueError, match="refine_steps"):
        MaterialArgs(refine_steps=2001)
    with pytest.raises(ArgumentError, match="16..8192"):
        MaterialArgs(size=8)


def test_bounds_come_from_the_one_definition() -> None:
    spec = MaterialArgs.spec("refine_steps")
    assert (spec.low, spec.high) == (0, 2000)
    with pytest.raises(KeyError):
        MaterialArgs.spec("no_such_argument")


def test_keyword_fields_or_an_instance_but_not_both() -> None:
    assert UpscaleArgs.of(None, {"scale": 4}) == UpscaleArgs(scale=4)
    given = UpscaleArgs(scale=4)
    assert UpscaleArgs.of(given, {}) is given
    with pytest.raises(TypeError):
        UpscaleArgs.of(given, {"scale": 2})
    with pytest.raises(TypeError):
        UpscaleArgs.of(None, {"scael": 2})


def test_the_spec_document_shows_every_op_table_as_generated() -> None:
    readme = (Path(__file__).resolve().parents[2] / "protocol" / "README.md").read_text()
    for op_args in OP_ARGS:
        assert op_args.spec_table() in readme, f"protocol/README.md is out of date for {op_args.op}"


def test_multiply_arguments_round_trip_and_are_bounded() -> None:
    args = MultiplyArgs(count=3, size=(1024, 512), tileable=True, seed=42)
    assert args.to_wire() == {"count": 3, "size": [1024, 512], "tileable": True, "seed": 42}
    assert MultiplyArgs.from_wire(args.to_wire()) == args
    assert MultiplyArgs().seed is None and MultiplyArgs().count == 1
    for wire, name in (({"count": 0}, "count"), ({"count": 17}, "count"), ({"size": [4, 512]}, "size"),
                       ({"size": [8193, 16]}, "size"), ({"seed": -1}, "seed"), ({"tileable": 1}, "tileable")):
        with pytest.raises(ProtocolError, match=name) as excinfo:
            MultiplyArgs.from_wire(wire)
        assert excinfo.value.code == ErrorCode.BAD_REQUEST


def test_seamless_arguments_bound_the_border() -> None:
    assert SeamlessArgs.from_wire({"border": 0.25}).border == 0.25
    assert SeamlessArgs().to_wire() == {}
    with pytest.raises(ArgumentError, match="border"):
        SeamlessArgs(border=0.6)
    assert (SeamlessArgs.spec("border").low, SeamlessArgs.spec("border").high) == (0.02, 0.5)


def test_large_integer_bounds_are_shown_in_full() -> None:
    assert "int 0..2147483647" in MultiplyArgs.spec_table()
