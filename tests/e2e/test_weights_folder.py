"""A running server offers a weights folder's models and pairs sharp partners by the one naming rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from texforge.protocol import Client
from texforge.server.launch import start_server_process
from texforge.server.weight_files import model_path, sharp_partner_path

from ..server.test_catalog import write_tiny_upscaler
from .test_cli import texforge


def test_running_server_pairs_a_sharp_partner_and_the_detail_argument_uses_it(tmp_path: Path) -> None:
    first, second, gan = {"steps": 100}, {"steps": 200}, {"steps": 50, "loss": "l1+hfen+ragan"}
    write_tiny_upscaler(model_path("fast-x4", tmp_path), 4, seed=1, stages=[first, second])
    # grown from the model's first stage: the model was trained further since
    write_tiny_upscaler(sharp_partner_path("fast-x4", tmp_path), 4, seed=2, stages=[first, gan])
    image = np.random.default_rng(0).integers(0, 255, (16, 16, 3), dtype=np.uint8)
    with start_server_process(extra_args=["--device", "cpu", "--weights-dir", str(tmp_path)]) as server:
        with Client(server.address, timeout=60) as client:
            listing = {model["name"]: model for model in client.models()["models"]}
            faithful = client.upscale(image, scale=4, detail=0.0)
            sharp = client.upscale(image, scale=4, detail=1.0)
        printed = texforge("models", server=server.address).stdout
    assert "fast-x4-sharp" not in listing
    assert listing["fast-x4"]["detail"] is True
    assert listing["fast-x4"]["card"]["partners"]["sharp"] == {"grown_from_stage": 1, "model_stages": 2, "current": False}
    assert "note: fast-x4: its sharp partner was fine-tuned from stage 1 of fast-x4's 2" in printed
    assert not np.array_equal(faithful, sharp)
