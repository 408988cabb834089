"""`texforge upscale`'s file plan and the network scale an exact size needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from texforge.server.upscale_files import aspect_change, network_scale_for, plan_jobs


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def test_one_file_in_one_file_out(tmp_path: Path) -> None:
    source = touch(tmp_path / "a.png")
    [job] = plan_jobs([str(source)], str(tmp_path / "big.png"))
    assert (job.source, job.target) == (source, tmp_path / "big.png")


def test_a_folder_or_several_files_go_into_a_folder_named_after_their_sources(tmp_path: Path) -> None:
    touch(tmp_path / "in" / "wood.jpg")
    touch(tmp_path / "in" / "notes.txt")
    extra = touch(tmp_path / "stone.png")
    jobs = plan_jobs([str(tmp_path / "in"), str(extra)], str(tmp_path / "out"))
    assert [(j.source.name, j.target) for j in jobs] == [("wood.jpg", tmp_path / "out" / "wood.jpg"),
                                                         ("stone.png", tmp_path / "out" / "stone.png")]
    assert [j.target.name for j in plan_jobs([str(tmp_path / "in")], str(tmp_path / "out"), "png")] == ["wood.png"]


def test_an_existing_folder_as_the_output_of_one_file_takes_the_file_in(tmp_path: Path) -> None:
    source = touch(tmp_path / "a.png")
    (tmp_path / "out").mkdir()
    assert plan_jobs([str(source)], str(tmp_path / "out"))[0].target == tmp_path / "out" / "a.png"


def test_plans_that_would_lose_work_are_refused_before_any_work(tmp_path: Path) -> None:
    touch(tmp_path / "x" / "a.png")
    touch(tmp_path / "y" / "a.png")
    with pytest.raises(ValueError, match="both be written"):
        plan_jobs([str(tmp_path / "x"), str(tmp_path / "y")], str(tmp_path / "out"))
    with pytest.raises(ValueError, match="overwrite its own source"):
        plan_jobs([str(tmp_path / "x")], str(tmp_path / "x"))
    with pytest.raises(ValueError, match="no such file"):
        plan_jobs([str(tmp_path / "missing.png")], str(tmp_path / "out.png"))
    with pytest.raises(ValueError, match="must be a folder"):
        plan_jobs([str(tmp_path / "x" / "a.png"), str(tmp_path / "y" / "a.png")], str(touch(tmp_path / "f.png")))


def test_an_exact_size_takes_the_smallest_network_scale_that_reaches_it() -> None:
    assert network_scale_for(512, 512, (1024, 1024)) == 2
    assert network_scale_for(512, 512, (1500, 1500)) == 4
    assert network_scale_for(512, 256, (1024, 1000)) == 4  # the tighter side decides
    assert network_scale_for(512, 512, (8192, 8192)) == 4  # beyond x4: x4, then a resample
    assert aspect_change(512, 512, (4096, 4096)) == 0.0
    assert aspect_change(512, 512, (4096, 2048)) == pytest.approx(1.0)


def test_sources_of_a_type_that_cannot_be_written_come_back_as_png_or_exr(tmp_path: Path) -> None:
    for name in ("phone.heic", "web.webp", "sky.hdr", "old.bmp", "wood.jpg"):
        touch(tmp_path / "in" / name)
    jobs = plan_jobs([str(tmp_path / "in")], str(tmp_path / "out"))
    assert sorted(j.target.name for j in jobs) == ["old.png", "phone.png", "sky.exr", "web.png", "wood.jpg"]
    # two sources that would land on one name are refused before any work
    touch(tmp_path / "in" / "phone.png")
    with pytest.raises(ValueError, match="would both be written to"):
        plan_jobs([str(tmp_path / "in")], str(tmp_path / "out"))
