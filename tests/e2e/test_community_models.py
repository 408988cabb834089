"""An operator adds a community ESRGAN-family file at start-up; clients pick it by name."""

from __future__ import annotations

import numpy as np
import torch

from texforge.protocol import Client
from texforge.server.launch import start_server_process
from texforge.server.sr.archs import get_family
from texforge.server.sr.archs.rrdb import RRDBParams


def test_extra_model_file_is_served_by_name(tmp_path) -> None:
    torch.manual_seed(0)
    network = get_family("rrdb").build(2, RRDBParams(features=8, blocks=1, growth=4))
    path = tmp_path / "MyTextures_x2.pth"
    torch.save(network.state_dict(), path)
    with start_server_process(extra_args=["--device", "cpu", "--extra-model", str(path)]) as server:
        with Client(server.address, timeout=60) as client:
            listed = {m["name"]: m for m in client.models()["models"]}
            assert listed["MyTextures_x2"]["architecture"] == "rrdb" and listed["MyTextures_x2"]["scales"] == [2]
            out = client.upscale(np.full((10, 12, 3), 128, np.uint8), scale=2, model="MyTextures_x2")
            assert out.shape == (20, 24, 3)


def test_an_unloadable_extra_model_stops_start_up_with_a_clear_message(tmp_path) -> None:
    import subprocess
    import sys

    bad = tmp_path / "broken.pth"
    bad.write_bytes(b"not a checkpoint")
    result = subprocess.run([sys.executable, "-m", "texforge.server.cli", "serve", "--bind", "tcp://127.0.0.1:*",
                             "--device", "cpu", "--extra-model", str(bad)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "broken.pth" in result.stderr and "Traceback" not in result.stderr
