"""Values and gradients of the porting ops: against central differences (gradcheck and, where
the op is smooth, gradgradcheck) and against PyTorch in float64."""
from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from tests.porting.cases import CASES


def _inputs(case, seed=0):
    rng = np.random.default_rng(seed)
    return [make(rng) for make in case.inputs]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_gradcheck(case):
    xs = [ad.tensor(a, dtype=ad.float64, requires_grad=True) for a in _inputs(case)]
    assert ad.gradcheck(lambda *t: case.fn(ad, *t), xs, eps=1e-6, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("case", [c for c in CASES if c.double], ids=repr)
def test_gradgradcheck(case):
    xs = [ad.tensor(a, dtype=ad.float64, requires_grad=True) for a in _inputs(case, 1)]
    assert ad.gradgradcheck(lambda *t: case.fn(ad, *t), xs, eps=1e-6, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_matches_torch(case):
    torch = pytest.importorskip("torch")
    arrays = _inputs(case, 2)
    xs = [ad.tensor(a, dtype=ad.float64, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out = case.fn(ad, *xs)
    tout = case.fn(torch, *ts)
    assert out.shape == tuple(tout.shape), case.name
    assert out.dtype == np.dtype(str(tout.dtype).replace("torch.", ""))
    np.testing.assert_allclose(out._data, tout.detach().numpy(), rtol=1e-6, atol=1e-12)
    w = np.random.default_rng(3).standard_normal(out.shape)
    (out * ad.tensor(w, dtype=out.dtype)).sum().backward()
    (tout * torch.tensor(w, dtype=tout.dtype)).sum().backward()
    for x, t in zip(xs, ts):
        expect = t.grad.numpy() if t.grad is not None else np.zeros(x.shape)
        got = x.grad._data if x.grad is not None else np.zeros(x.shape)
        np.testing.assert_allclose(got, expect, rtol=1e-6, atol=1e-12)
