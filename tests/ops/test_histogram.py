"""``histogram`` and ``histc`` against torch 2.13 (float64 and float32)."""
from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_histogram_as_torch(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal(2000).astype(dtype)
    w = rng.random(2000).astype(dtype)
    a, t = ad.tensor(x), torch.tensor(x)
    cases = [((7,), {}), ((5,), {"range": (-1.0, 1.0)}), ((4,), {"weight": "w"}),
             ((6,), {"density": True}),
             (("edges",), {"density": True})]
    for args, kw in cases:
        args_a = tuple(ad.tensor(np.array([-1.0, 0.0, 0.5, 2.0], dtype)) if v == "edges" else v
                       for v in args)
        args_t = tuple(torch.tensor(np.array([-1.0, 0.0, 0.5, 2.0], dtype)) if v == "edges"
                       else v for v in args)
        kw_a = {k: (ad.tensor(w) if v == "w" else v) for k, v in kw.items()}
        kw_t = {k: (torch.tensor(w) if v == "w" else v) for k, v in kw.items()}
        h, e = ad.histogram(a, *args_a, **kw_a)
        th, te = torch.histogram(t, *args_t, **kw_t)
        assert h.dtype == getattr(ad, dtype) and e.dtype == getattr(ad, dtype)
        rtol = 1e-12 if dtype == "float64" else 1e-5
        np.testing.assert_allclose(h.numpy(), th.numpy(), rtol=rtol)
        np.testing.assert_array_equal(e.numpy(), te.numpy())
        r = a.histogram(*args_a, **kw_a)
        assert r.hist.shape == h.shape and r.bin_edges.shape == e.shape
    one = ad.tensor([1.0, 1.0, 1.0])
    np.testing.assert_array_equal(ad.histogram(one, 3).bin_edges.numpy(),
                               torch.histogram(torch.ones(3), 3).bin_edges.numpy())
    with pytest.raises(NotImplementedError):
        ad.histogram(ad.tensor([1, 2]), 2)


def test_histc_as_torch():
    torch = pytest.importorskip("torch")
    x = np.array([0.0, 1.0, 2.0, 5.0, -3.0, 4.0, 4.0])
    for kw in [{}, {"bins": 4, "min": 0, "max": 4}, {"bins": 3}, {"bins": 5, "min": -1, "max": 1}]:
        np.testing.assert_array_equal(ad.histc(ad.tensor(x), **kw).numpy(),
                                      torch.histc(torch.tensor(x), **kw).numpy())
    np.testing.assert_array_equal(ad.histc(ad.ones(3), 3).numpy(),
                                  torch.histc(torch.ones(3), 3).numpy())


def test_default_bins_as_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).standard_normal(1000).astype(np.float32)
    h, e = ad.histogram(ad.tensor(x), density=True)
    th, te = torch.histogram(torch.tensor(x), density=True)
    assert h.shape == th.shape == (100,)
    np.testing.assert_array_equal(e.numpy(), te.numpy())
    np.testing.assert_allclose(h.numpy(), th.numpy(), rtol=1e-5)
