from __future__ import annotations

import pytest
import torch
from torch import nn

from texforge.server.training.ema import WeightAverage


def test_the_average_moves_a_share_of_one_minus_decay_towards_the_weights() -> None:
    network = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    average = WeightAverage(network, 0.75)
    start = {name: value.clone() for name, value in average.module.state_dict().items()}
    with torch.no_grad():
        for parameter in network.parameters():
            parameter.add_(1.0)
    network.state_dict()["1.num_batches_tracked"].fill_(7)
    average.update(network)
    averaged = average.module.state_dict()
    torch.testing.assert_close(averaged["0.weight"], start["0.weight"] + 0.25)
    assert int(averaged["1.num_batches_tracked"]) == 7  # integer buffers are copied, not averaged
    assert not any(parameter.requires_grad for parameter in average.module.parameters())


@pytest.mark.parametrize("decay", [0.0, 1.0, -0.5])
def test_a_decay_outside_the_open_unit_interval_is_refused(decay: float) -> None:
    with pytest.raises(ValueError, match="decay"):
        WeightAverage(nn.Linear(2, 2), decay)
