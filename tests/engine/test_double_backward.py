"""Double backward: Hessian-vector products and gradient penalties."""
import numpy as np
import pytest

import autodiff as ad


def t64(x, rg=False):
    return ad.tensor(np.asarray(x, dtype=np.float64), requires_grad=rg)


def _mlp_loss(w1, w2, x):
    return ((x @ w1).tanh() @ w2).tanh().sum()


def _flat_grad(w1v, w2v, xv):
    w1, w2 = t64(w1v, True), t64(w2v, True)
    g1, g2 = ad.grad(_mlp_loss(w1, w2, t64(xv)), [w1, w2])
    return np.concatenate([g1._data.ravel(), g2._data.ravel()])


def test_hessian_vector_product_of_mlp_matches_finite_differences():
    rng = np.random.RandomState(0)
    xv = rng.randn(5, 3)
    w1v, w2v = rng.randn(3, 4) * 0.7, rng.randn(4, 2) * 0.7
    v1, v2 = rng.randn(3, 4), rng.randn(4, 2)
    w1, w2 = t64(w1v, True), t64(w2v, True)
    loss = _mlp_loss(w1, w2, t64(xv))
    g1, g2 = ad.grad(loss, [w1, w2], create_graph=True)
    assert g1.requires_grad and g2.requires_grad
    gv = (g1 * t64(v1)).sum() + (g2 * t64(v2)).sum()
    h1, h2 = ad.grad(gv, [w1, w2])
    hvp = np.concatenate([h1._data.ravel(), h2._data.ravel()])
    eps = 1e-5
    fd = (_flat_grad(w1v + eps * v1, w2v + eps * v2, xv)
          - _flat_grad(w1v - eps * v1, w2v - eps * v2, xv)) / (2 * eps)
    np.testing.assert_allclose(hvp, fd, rtol=1e-6, atol=1e-8)
    assert np.abs(hvp).max() > 1e-2      # not trivially zero


def test_hvp_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.RandomState(3)
    xv, w1v, w2v = rng.randn(5, 3), rng.randn(3, 4), rng.randn(4, 2)
    v1, v2 = rng.randn(3, 4), rng.randn(4, 2)
    w1, w2 = t64(w1v, True), t64(w2v, True)
    g1, g2 = ad.grad(_mlp_loss(w1, w2, t64(xv)), [w1, w2], create_graph=True)
    ((g1 * t64(v1)).sum() + (g2 * t64(v2)).sum()).backward()
    tw1 = torch.tensor(w1v, requires_grad=True)
    tw2 = torch.tensor(w2v, requires_grad=True)
    tl = torch.tanh(torch.tanh(torch.tensor(xv) @ tw1) @ tw2).sum()
    tg1, tg2 = torch.autograd.grad(tl, [tw1, tw2], create_graph=True)
    ((tg1 * torch.tensor(v1)).sum() + (tg2 * torch.tensor(v2)).sum()).backward()
    np.testing.assert_allclose(w1.grad._data, tw1.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w2.grad._data, tw2.grad.numpy(), rtol=1e-10, atol=1e-12)


def _penalty(w1v, w2v, xv):
    """P(w) = (||d out / d x|| - 1)^2 (WGAN-GP style) with out = sum(tanh(tanh(x w1) w2))."""
    w1, w2 = t64(w1v, True), t64(w2v, True)
    x = t64(xv, True)
    gx, = ad.grad(_mlp_loss(w1, w2, x), x, create_graph=True)
    return (gx.norm() - 1) ** 2, w1, w2


def test_gradient_penalty_backpropagates_into_weights():
    rng = np.random.RandomState(1)
    xv, w1v, w2v = rng.randn(4, 3), rng.randn(3, 4) * 0.8, rng.randn(4, 2) * 0.8
    pen, w1, w2 = _penalty(w1v, w2v, xv)
    pen.backward()
    assert w1.grad is not None and w2.grad is not None
    eps = 1e-6
    for w, base, name in ((w1, w1v, "w1"), (w2, w2v, "w2")):
        num = np.zeros_like(base)
        for idx in np.ndindex(base.shape):
            d = np.zeros_like(base)
            d[idx] = eps
            args_p = (w1v + d, w2v, xv) if name == "w1" else (w1v, w2v + d, xv)
            args_m = (w1v - d, w2v, xv) if name == "w1" else (w1v, w2v - d, xv)
            num[idx] = (_penalty(*args_p)[0].item() - _penalty(*args_m)[0].item()) / (2 * eps)
        np.testing.assert_allclose(w.grad._data, num, rtol=1e-5, atol=1e-8)
        assert np.abs(num).max() > 1e-3


def test_second_derivative_through_scalar_ops():
    x = t64([0.7], True)
    y = (x.exp() * x.sin()).sum()
    g, = ad.grad(y, x, create_graph=True)
    g2, = ad.grad(g.sum(), x)
    v = 0.7
    np.testing.assert_allclose(g2._data, [2 * np.exp(v) * np.cos(v)], rtol=1e-12)


def test_zero_d_tensor_double_backward_through_saved_output():
    x = ad.tensor(np.float64(2.0), requires_grad=True)
    g, = ad.grad(x.exp(), x, create_graph=True)
    g2, = ad.grad(g, x)
    np.testing.assert_allclose(g2._data, np.exp(2.0), rtol=1e-15)
