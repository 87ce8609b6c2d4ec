"""``out=`` on functions and NumPy's ``axis=`` / ``keepdims=`` on reductions, against torch
2.13: values, returned object, dtype casts, resizing, and the error when grad is recorded."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad

A = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]])
B = np.array([[2.0, 1.0, -1.0], [3.0, 0.5, 2.0]])

CASES = [
    ("add", lambda m, a, b: (a, b)), ("sub", lambda m, a, b: (a, b)),
    ("mul", lambda m, a, b: (a, b)), ("div", lambda m, a, b: (a, b)),
    ("matmul", lambda m, a, b: (a, b.T)), ("mm", lambda m, a, b: (a, b.T)),
    ("exp", lambda m, a, b: (a,)), ("log", lambda m, a, b: (a.abs(),)),
    ("tanh", lambda m, a, b: (a,)), ("sqrt", lambda m, a, b: (a.abs(),)),
    ("maximum", lambda m, a, b: (a, b)), ("pow", lambda m, a, b: (a, 2)),
    ("cat", lambda m, a, b: ([a, b],)), ("stack", lambda m, a, b: ([a, b],)),
    ("sum", lambda m, a, b: (a, 1)), ("mean", lambda m, a, b: (a, 0)),
    ("prod", lambda m, a, b: (a, 1)), ("cumsum", lambda m, a, b: (a, 1)),
    ("clamp", lambda m, a, b: (a, -1.0, 1.0)), ("where", lambda m, a, b: (a > 0, a, b)),
    ("eq", lambda m, a, b: (a, b)), ("abs", lambda m, a, b: (a,)),
]


@pytest.mark.parametrize("name,make", CASES, ids=[c[0] for c in CASES])
def test_out_writes_and_returns_out(name, make):
    torch = pytest.importorskip("torch")
    ta, tb = torch.tensor(A), torch.tensor(B)
    a, b = ad.tensor(A), ad.tensor(B)
    expected = getattr(torch, name)(*make(torch, ta, tb))
    tout = torch.empty_like(expected)
    getattr(torch, name)(*make(torch, ta, tb), out=tout)
    out = ad.empty(*expected.shape, dtype=getattr(ad, str(expected.dtype)[6:]))
    version = out._version
    res = getattr(ad, name)(*make(ad, a, b), out=out)
    assert res is out and out._version > version
    np.testing.assert_allclose(out.numpy(), tout.numpy(), rtol=1e-12)


def test_out_with_grad_raises_as_torch():
    torch = pytest.importorskip("torch")
    for lib in (torch, ad):
        a = lib.ones(2, requires_grad=True)
        z = lib.zeros(2)
        with pytest.raises(RuntimeError) as e:
            lib.mul(a, lib.ones(2), out=z)
        if lib is torch:
            msg = str(e.value)
        else:
            assert str(e.value) == msg
        with pytest.raises(RuntimeError, match="out=... arguments don't support automatic"):
            lib.add(lib.ones(2), lib.ones(2), out=lib.zeros(2, requires_grad=True))
        with lib.no_grad():
            assert lib.mul(a, lib.ones(2) * 3, out=z) is z
        np.testing.assert_array_equal(np.asarray(z.detach().numpy()), [3.0, 3.0])
        assert not z.requires_grad


def test_out_dtype_and_resize_as_torch():
    torch = pytest.importorskip("torch")
    for lib in (torch, ad):
        with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                                               "output type Long"):
            lib.add(lib.ones(2), lib.ones(2), out=lib.zeros(2, dtype=lib.int64))
        x = lib.zeros(2, dtype=lib.float64)
        assert lib.add(lib.ones(2), 1, out=x).dtype == lib.float64
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            y = lib.cat([lib.ones(2), lib.ones(2)], out=lib.zeros(3))
        assert tuple(y.shape) == (4,) and any("resized" in str(m.message) for m in w)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            y = lib.cat([lib.ones(2), lib.ones(2)], out=lib.empty(0))
        assert tuple(y.shape) == (4,) and not w
        values, indices = lib.empty(2), lib.empty(2, dtype=lib.int64)
        res = lib.max(lib.tensor([[1.0, 3.0], [4.0, 2.0]]), 1, out=(values, indices))
        assert res[0] is values and res[1] is indices
        np.testing.assert_array_equal(indices.numpy(), [1, 0])
        z = lib.ones(3)
        assert lib.zeros(3, out=z) is z and z.sum().item() == 0


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin", "prod", "std", "var",
                                  "logsumexp", "argmax", "all", "any", "norm"])
def test_keepdims_and_axis_aliases(name):
    torch = pytest.importorskip("torch")
    a = ad.tensor(A)
    ta = torch.tensor(A)
    if name in ("all", "any"):
        a, ta = a > 0, ta > 0
    if name == "norm":
        expected = torch.norm(ta, 2, dim=1, keepdim=True)
        got = [ad.norm(a, 2, dim=1, keepdims=True), a.norm(2, dim=1, keepdims=True)]
    else:
        expected = getattr(ta, name)(1, keepdims=True)
        assert torch.equal(expected, getattr(torch, name)(ta, axis=1, keepdim=True))
        got = [getattr(a, name)(1, keepdims=True), getattr(ad, name)(a, axis=1, keepdims=True),
               getattr(a, name)(axis=1, keepdim=True)]
    for g in got:
        assert tuple(g.shape) == tuple(expected.shape)
        np.testing.assert_allclose(np.asarray(g.numpy(), dtype=np.float64),
                                   expected.double().numpy(), rtol=1e-12)
    with pytest.raises(TypeError):
        a.sum(1, keepdim=True, keepdims=True)
