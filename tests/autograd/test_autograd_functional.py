"""``autodiff.autograd``: the engine's objects under PyTorch's names, and
``autograd.functional`` (jacobian, hessian, vjp, jvp, hvp, vhp) against torch 2.13 in float64."""
from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff.autograd import functional as AF


def test_same_objects():
    assert ad.autograd.grad is ad.grad and ad.autograd.Function is ad.Function
    assert ad.autograd.gradcheck is ad.gradcheck
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    assert ad.autograd.Variable(x) is x
    y = (x * x).sum()
    z = (x * 3).sum()
    ad.autograd.backward([y, z])
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 7.0])


def _f1(x):
    return (x.sin() * x.exp()).reshape(2, 3)[:, :2] * 2


def _f2(x, y):
    return (x[:, None] * y[None, :]).tanh(), (x ** 3).sum() + y.sum()


def _scalar(x, y):
    return (x.exp() * y.sum() + (x * x).sum() * y[0]).sum()


def _both(lib):
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal(6), dtype=lib.float64)
    a = lib.tensor(rng.standard_normal(3), dtype=lib.float64)
    b = lib.tensor(rng.standard_normal(2), dtype=lib.float64)
    return x, a, b


def _cmp(ours, theirs):
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            _cmp(o, t)
        return
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10,
                               atol=1e-12)


def test_functional_matches_torch():
    torch = pytest.importorskip("torch")
    TF = torch.autograd.functional
    x, a, b = _both(ad)
    tx, ta, tb = _both(torch)
    _cmp(AF.jacobian(_f1, x), TF.jacobian(_f1, tx))
    _cmp(AF.jacobian(_f2, (a, b)), TF.jacobian(_f2, (ta, tb)))
    _cmp(AF.hessian(lambda v: (v.sin() * v).sum(), x),
         TF.hessian(lambda v: (v.sin() * v).sum(), tx))
    _cmp(AF.hessian(_scalar, (a, b)), TF.hessian(_scalar, (ta, tb)))
    v = _f1(x).detach() * 0 + 0.5
    _cmp(AF.vjp(_f1, x, v), TF.vjp(_f1, tx, torch.full((2, 2), 0.5, dtype=torch.float64)))
    _cmp(AF.jvp(_f1, x, x * 0 + 1), TF.jvp(_f1, tx, torch.ones(6, dtype=torch.float64)))
    _cmp(AF.jvp(_f2, (a, b), (a, b)), TF.jvp(_f2, (ta, tb), (ta, tb)))
    _cmp(AF.vhp(_scalar, (a, b), (a, b)), TF.vhp(_scalar, (ta, tb), (ta, tb)))
    _cmp(AF.hvp(_scalar, (a, b), (a, b)), TF.hvp(_scalar, (ta, tb), (ta, tb)))
    # unused inputs give zeros (strict=False), as torch
    _cmp(AF.jacobian(lambda p, q: p * 2, (a, b)), TF.jacobian(lambda p, q: p * 2, (ta, tb)))
    with pytest.raises(RuntimeError):
        AF.jacobian(lambda p, q: p * 2, (a, b), strict=True)


def test_create_graph_gives_differentiable_results():
    x = ad.tensor([0.3, -1.2], dtype=ad.float64, requires_grad=True)
    J = AF.jacobian(lambda v: v ** 3, x, create_graph=True)
    J.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.detach().numpy())
    J2 = AF.jacobian(lambda v: v ** 3, x)
    assert not J2.requires_grad
