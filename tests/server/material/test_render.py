"""Renderer: analytic cases of the Cook-Torrance GGX + Lambert BRDF, and gradients."""

from __future__ import annotations

import math

import pytest
import torch

from texforge.server.material.render import (
    SVBRDF,
    CaptureSetup,
    FlashRenderer,
    brdf,
    decode_normal,
    encode_normal,
    ggx_distribution,
    linear_to_srgb,
    render_point_light,
    schlick_fresnel,
    srgb_to_linear,
)


def _uniform_svbrdf(diffuse: float, specular: float, roughness: float, size: int = 1,
                    dtype: torch.dtype = torch.float64) -> SVBRDF:
    normal = torch.zeros(1, 3, size, size, dtype=dtype)
    normal[:, 2] = 1
    return SVBRDF(normal, torch.full((1, 3, size, size), diffuse, dtype=dtype),
                  torch.full((1, 1, size, size), roughness, dtype=dtype),
                  torch.full((1, 3, size, size), specular, dtype=dtype))


def _direction(theta: float, phi: float) -> torch.Tensor:
    return torch.tensor([math.sin(theta) * math.cos(phi), math.sin(theta) * math.sin(phi), math.cos(theta)],
                        dtype=torch.float64).reshape(1, 3, 1, 1)


def _directional_albedo(svbrdf: SVBRDF, wo: torch.Tensor, samples: int = 200) -> float:
    """Integral of f * cos over the hemisphere of incoming directions (midpoint rule)."""
    thetas = (torch.arange(samples, dtype=torch.float64) + 0.5) / samples * (math.pi / 2)
    phis = (torch.arange(2 * samples, dtype=torch.float64) + 0.5) / (2 * samples) * 2 * math.pi
    tt, pp = torch.meshgrid(thetas, phis, indexing="ij")
    wi = torch.stack([tt.sin() * pp.cos(), tt.sin() * pp.sin(), tt.cos()])[None]
    h, w = tt.shape
    expanded = svbrdf.map(lambda t: t.expand(-1, -1, h, w))
    f = brdf(expanded, wi, wo.expand(-1, -1, h, w))[0, 0]
    d_omega = (math.pi / 2 / samples) * (2 * math.pi / (2 * samples)) * tt.sin()
    return float((f * tt.cos() * d_omega).sum())


def test_white_lambertian_reflects_everything() -> None:
    albedo = _directional_albedo(_uniform_svbrdf(1.0, 0.0, 0.5), _direction(0.3, 0.0))
    assert albedo == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("roughness", [0.3, 0.6, 1.0])
@pytest.mark.parametrize("view_theta", [0.0, 0.7, 1.2])
def test_white_furnace_specular_never_creates_energy(roughness: float, view_theta: float) -> None:
    albedo = _directional_albedo(_uniform_svbrdf(0.0, 1.0, roughness), _direction(view_theta, 0.4))
    assert 0.2 < albedo <= 1.01  # single scattering loses energy at high roughness, never gains


def test_reciprocity() -> None:
    maps = _uniform_svbrdf(0.4, 0.3, 0.45)
    a, b = _direction(0.5, 0.2), _direction(1.0, 2.5)
    assert torch.allclose(brdf(maps, a, b), brdf(maps, b, a), rtol=1e-10)


def test_normal_incidence_closed_form() -> None:
    roughness, f0 = 0.5, 0.04
    maps = _uniform_svbrdf(0.0, f0, roughness)
    n = _direction(0.0, 0.0)
    alpha = roughness ** 2
    expected = f0 / (4 * math.pi * alpha ** 2)  # D = 1/(pi a^2), G = 1, F = F0
    assert float(brdf(maps, n, n)[0, 0]) == pytest.approx(expected, rel=1e-6)


def test_fresnel_at_normal_incidence_is_f0_and_one_at_grazing() -> None:
    f0 = torch.tensor([0.04, 0.5, 0.9])
    assert torch.allclose(schlick_fresnel(f0, torch.ones(3)), f0)
    assert torch.allclose(schlick_fresnel(f0, torch.zeros(3)), torch.ones(3))


def test_ggx_distribution_is_normalised() -> None:
    alpha = torch.tensor(0.3, dtype=torch.float64)
    thetas = (torch.arange(20000, dtype=torch.float64) + 0.5) / 20000 * (math.pi / 2)
    integrand = ggx_distribution(thetas.cos(), alpha) * thetas.cos() * thetas.sin() * 2 * math.pi
    assert float(integrand.sum() * (math.pi / 2 / 20000)) == pytest.approx(1.0, abs=1e-3)


def test_flash_render_is_brightest_in_the_centre_and_symmetric() -> None:
    photo = FlashRenderer(CaptureSetup()).photo(_uniform_svbrdf(0.5, 0.04, 0.5, size=33, dtype=torch.float32))
    centre = photo[0, 0, 16, 16]
    assert centre == photo[0, 0].max()
    assert torch.allclose(photo, photo.flip(3), atol=1e-5)
    assert torch.allclose(photo, photo.flip(2), atol=1e-5)


def test_encodings_round_trip() -> None:
    x = torch.rand(1, 3, 5, 5, dtype=torch.float64)
    assert torch.allclose(linear_to_srgb(srgb_to_linear(x)), x, atol=1e-6)
    n = torch.nn.functional.normalize(torch.randn(1, 3, 5, 5, dtype=torch.float64).abs() + 0.1, dim=1)
    assert torch.allclose(decode_normal(encode_normal(n)), n, atol=1e-6)


def test_gradcheck_point_light_render() -> None:
    torch.manual_seed(0)
    normal = torch.nn.functional.normalize(torch.randn(1, 3, 2, 2, dtype=torch.float64) * 0.2
                                           + torch.tensor([0, 0, 1.0], dtype=torch.float64).reshape(1, 3, 1, 1), dim=1)
    inputs = (normal.requires_grad_(), (torch.rand(1, 3, 2, 2, dtype=torch.float64) * 0.8 + 0.1).requires_grad_(),
              (torch.rand(1, 1, 2, 2, dtype=torch.float64) * 0.6 + 0.3).requires_grad_(),
              (torch.rand(1, 3, 2, 2, dtype=torch.float64) * 0.5 + 0.02).requires_grad_())
    light = torch.tensor([0.3, -0.2, 2.0], dtype=torch.float64)
    camera = torch.tensor([-0.1, 0.2, 2.5], dtype=torch.float64)

    def render(n: torch.Tensor, d: torch.Tensor, r: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        return render_point_light(SVBRDF(n, d, r, s), light, camera, 3.0)

    assert torch.autograd.gradcheck(render, inputs, eps=1e-6, atol=1e-5)
