from __future__ import annotations

import pytest
import torch

from texforge.server.sr.losses import (
    hfen,
    log_kernel,
    pixel_loss,
    relativistic_discriminator_loss,
    relativistic_generator_loss,
)


@pytest.mark.parametrize("norm", ["l1", "l2"])
def test_hfen_is_zero_for_identical_images_and_positive_otherwise(norm: str) -> None:
    image = torch.rand(2, 3, 24, 24)
    assert hfen(image, image.clone(), norm) == 0
    assert hfen(image, image + 0.05 * torch.randn_like(image), norm) > 0


def test_hfen_ignores_constant_offsets_but_sees_detail() -> None:
    image = torch.rand(1, 3, 24, 24)
    assert hfen(image, image + 0.1) < 1e-5
    blurred = torch.nn.functional.avg_pool2d(image, 3, stride=1, padding=1, count_include_pad=False)
    assert hfen(image, blurred) > 0.01


def test_log_kernel_sums_to_zero() -> None:
    assert abs(float(log_kernel().sum())) < 1e-6


def test_pixel_losses_and_unknown_names() -> None:
    a, b = torch.zeros(1, 3, 4, 4), torch.ones(1, 3, 4, 4)
    assert pixel_loss(a, b, "l1") == 1 and pixel_loss(a, 2 * b, "mse") == 4
    with pytest.raises(ValueError):
        pixel_loss(a, b, "huber")


def test_relativistic_losses_prefer_the_right_ordering() -> None:
    real, fake = torch.full((4, 1), 3.0), torch.full((4, 1), -3.0)
    assert relativistic_discriminator_loss(real, fake) < relativistic_discriminator_loss(fake, real)
    assert relativistic_generator_loss(real, fake) > relativistic_generator_loss(fake, real)
