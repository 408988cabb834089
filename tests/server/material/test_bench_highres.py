"""bench/material_highres.py runs end to end on a tiny held-out set and scores every policy it lists."""

from __future__ import annotations

from .bench_run import bench_result


def test_highres_bench_scores_each_working_and_context_side() -> None:
    fields = bench_result("material_highres.py", "--count", "1", "--photo-size", "64", "--working", "32", "64",
                          "--context", "0", "32", "--threads", "1")
    assert fields["source"] == "generated" and fields["photos"] == "1"
    # working 32 with context 32 is no second reading and is skipped; the other three are scored
    policies = {key.rsplit(".", 1)[0] for key in fields if key.endswith(".albedo")}
    assert policies == {"w32.c0.bilinear", "w64.c0.bilinear", "w64.c32.bilinear"}
    for policy in policies:
        for name in ("normal", "albedo", "roughness", "specular", "render"):
            assert 0.0 <= float(fields[f"{policy}.{name}"]) < 1.0
        assert float(fields[f"{policy}.seconds"]) > 0.0
    # the second reading changes the maps
    assert fields["w64.c0.bilinear.albedo"] != fields["w64.c32.bilinear.albedo"]
