"""F.interpolate and nn.Upsample against PyTorch (float64 values and gradients) and central
differences."""
from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import nn

CASES = [
    ("nearest_2x", (1, 2, 3, 4), dict(scale_factor=2, mode="nearest")),
    ("nearest_size", (2, 1, 5, 3), dict(size=(7, 2), mode="nearest")),
    ("nearest_frac", (1, 2, 5, 4), dict(scale_factor=(1.5, 0.7), mode="nearest")),
    ("nearest_recompute", (1, 1, 5, 4), dict(scale_factor=1.7, mode="nearest",
                                               recompute_scale_factor=True)),
    ("nearest_exact", (1, 2, 5, 3), dict(size=(3, 7), mode="nearest-exact")),
    ("nearest_1d", (2, 3, 5), dict(scale_factor=3, mode="nearest")),
    ("nearest_3d", (1, 1, 2, 3, 2), dict(scale_factor=2, mode="nearest")),
    ("bilinear", (1, 2, 3, 4), dict(scale_factor=2, mode="bilinear")),
    ("bilinear_size", (2, 1, 5, 3), dict(size=(4, 7), mode="bilinear")),
    ("bilinear_corners", (1, 2, 3, 4), dict(size=(5, 9), mode="bilinear", align_corners=True)),
    ("bilinear_frac", (1, 1, 5, 4), dict(scale_factor=(1.3, 2.6), mode="bilinear")),
    ("bilinear_down", (1, 1, 6, 7), dict(size=(3, 2), mode="bilinear")),
    ("bilinear_corners_to_1", (1, 1, 4, 4), dict(size=(1, 3), mode="bilinear",
                                                   align_corners=True)),
    ("linear", (2, 2, 5), dict(scale_factor=2.5, mode="linear")),
    ("linear_corners", (2, 2, 5), dict(size=8, mode="linear", align_corners=True)),
    ("trilinear", (1, 1, 2, 3, 2), dict(size=(3, 4, 5), mode="trilinear")),
]


@pytest.mark.parametrize("name,shape,kw", CASES, ids=[c[0] for c in CASES])
def test_interpolate_matches_torch(name, shape, kw):
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(0).standard_normal(shape)
    x = ad.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    out = F.interpolate(x, **kw)
    tout = torch.nn.functional.interpolate(t, **kw)
    assert out.shape == tuple(tout.shape)
    np.testing.assert_allclose(out._data, tout.detach().numpy(), rtol=1e-6, atol=1e-12)
    g = np.random.default_rng(1).standard_normal(out.shape)
    (out * ad.tensor(g)).sum().backward()
    (tout * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(x.grad._data, t.grad.numpy(), rtol=1e-6, atol=1e-12)


def test_interpolate_float32_close_to_torch():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(0).standard_normal((2, 3, 7, 5)).astype(np.float32)
    for kw in (dict(scale_factor=2, mode="bilinear"), dict(size=(4, 9), mode="nearest"),
               dict(size=(11, 3), mode="bilinear", align_corners=True)):
        out = F.interpolate(ad.tensor(a), **kw)
        tout = torch.nn.functional.interpolate(torch.tensor(a), **kw)
        assert out.dtype == np.float32
        np.testing.assert_allclose(out._data, tout.numpy(), rtol=1e-5, atol=1e-6)


def test_upsample_module_gradcheck_and_repr():
    up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
    assert repr(up) == "Upsample(scale_factor=2.0, mode='bilinear')"
    assert repr(nn.Upsample(size=(3, 4))) == "Upsample(size=(3, 4), mode='nearest')"
    x = ad.tensor(np.random.default_rng(0).standard_normal((1, 2, 3, 3)), requires_grad=True)
    assert ad.gradcheck(up, (x,))
    assert ad.gradgradcheck(lambda t: up(t) * up(t), (x,))
    assert nn.UpsamplingNearest2d(scale_factor=2)(x).shape == (1, 2, 6, 6)
    np.testing.assert_allclose(nn.UpsamplingBilinear2d(size=(5, 5))(x)._data,
                               F.interpolate(x, size=(5, 5), mode="bilinear",
                                             align_corners=True)._data)


def test_interpolate_errors():
    x = ad.zeros(1, 1, 4, 4)
    with pytest.raises(ValueError, match="exactly one"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="exactly one"):
        F.interpolate(x, size=2, scale_factor=2)
    with pytest.raises(ValueError, match="4-D"):
        F.interpolate(ad.zeros(1, 1, 4), scale_factor=2, mode="bilinear")
    with pytest.raises(ValueError, match="align_corners"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(NotImplementedError, match="bicubic"):
        F.interpolate(x, scale_factor=2, mode="bicubic")
    with pytest.raises(ValueError, match="spatial"):
        F.interpolate(x, size=(2, 2, 2))


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_interpolate_keeps_non_finite_pixels_local(mode):
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(0).standard_normal((1, 1, 4, 5))
    a[0, 0, 1, 2] = np.inf
    a[0, 0, 3, 0] = np.nan
    x = ad.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    out = F.interpolate(x, size=(7, 9), mode=mode)
    tout = torch.nn.functional.interpolate(t, size=(7, 9), mode=mode)
    np.testing.assert_allclose(out._data, tout.detach().numpy(), rtol=1e-6, atol=1e-12)
    assert np.isfinite(out._data).sum() == np.isfinite(tout.detach().numpy()).sum() > 20
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(x.grad._data, t.grad.numpy(), rtol=1e-6, atol=1e-12)
