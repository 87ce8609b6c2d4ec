"""Stride-1 grouped convolution on shared-padding planes (autodiff/kernels/conv_grouped.py)
against the NumPy twins of conv.py: forward (with a bias), input gradient and weight
gradient (with the bias gradient) in float64 to round-off, float32 within the error bound
documented in kernels/conv_algo.py; which geometries it takes; that the dispatch runs it for
a grouped stride-1 conv; and torch parity of a g4 conv through the ops, forward, backward
and double backward."""
import numpy as np
import pytest

import autodiff as ad
from autodiff.kernels import conv as K
from autodiff.kernels import conv_algo as A
from autodiff.kernels import conv_grouped as G
from autodiff.ops.conv import conv2d

# N, C, O, (H, W), (kh, kw), padding (top, bottom, left, right), dilation, groups
CASES = [
    (2, 8, 8, (7, 9), (3, 3), (1, 1, 1, 1), (1, 1), 4),  # C/groups 2
    (7, 4, 4, (5, 6), (3, 3), (1, 1, 1, 1), (1, 1), 2),  # blocks of images, partial last
    (5, 3, 6, (9, 7), (3, 3), (2, 0, 1, 2), (2, 1), 3),  # dilated, asymmetric
    (2, 16, 6, (8, 7), (5, 5), (2, 2, 2, 2), (1, 1), 2),  # C/groups 8, odd O/groups
    (3, 8, 8, (6, 5), (3, 3), (0, 2, 2, 0), (1, 1), 8),  # depthwise, padding on one side
    (2, 12, 6, (6, 6), (1, 1), (0, 0, 0, 0), (1, 1), 3),  # 1x1
    (3, 6, 4, (4, 13), (2, 3), (1, 0, 1, 1), (1, 3), 2),  # wide dilation, even kh
    (20, 32, 64, (14, 14), (3, 3), (1, 1, 1, 1), (1, 1), 4),  # bench/conv.py's g4, fewer N
]


def _case(c, dtype, seed=0):
    N, C, O, hw, k, p, d, g = c
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C) + hw)
    w = rng.standard_normal((O, C // g) + k)
    b = rng.standard_normal(O)
    gy = rng.standard_normal(K.conv2d_forward_ref(x, w, (1, 1), p, d, g).shape)
    return [a.astype(dtype) for a in (x, w, b, gy)], (p, d, g)


@pytest.mark.parametrize("c", CASES)
def test_applicable(c):
    (x, w, _, gy), (p, d, _) = _case(c, np.float64)
    assert G.applicable(x.shape, w.shape, (1, 1), p, d)
    assert G.backward_input_applicable(x.shape, w.shape, (1, 1), p, d, gy.shape[2:])


def test_not_applicable():
    x, w = (2, 4, 8, 8), (4, 1, 3, 3)
    assert not G.applicable(x, w, (2, 2), (1, 1, 1, 1))  # stride 2
    assert not G.applicable(x, w, (1, 1), (3, 3, 1, 1))  # padding past the kernel
    assert not G.backward_input_applicable(x, w, (2, 2), (1, 1, 1, 1))
    assert not G.backward_input_applicable(x, w, (1, 1), (3, 3, 1, 1), g_hw=(10, 8))


@pytest.mark.parametrize("c", CASES)
def test_float64_matches_numpy_twins(c):
    (x, w, b, gy), (p, d, g) = _case(c, np.float64)
    ref = K.conv2d_forward_ref(x, w, (1, 1), p, d, g)
    np.testing.assert_allclose(G.conv2d_forward(x, w, p, d, g), ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(G.conv2d_forward(x, w, p, d, g, bias=b),
                               ref + b.reshape(1, -1, 1, 1), rtol=1e-12, atol=1e-12)
    dw, db = G.conv2d_backward_weight(x, gy, w.shape, p, d, g, bias_grad=True)
    np.testing.assert_allclose(dw, K.conv2d_backward_weight_ref(x, gy, w.shape, (1, 1), p, d, g),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(db, gy.sum((0, 2, 3)), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(G.conv2d_backward_weight(x, gy, w.shape, p, d, g), dw,
                               rtol=1e-12, atol=1e-12)
    bx = np.arange(x.shape[1], dtype=np.float64)
    np.testing.assert_allclose(G.conv2d_backward_input(gy, w, x.shape, p, d, g, bias=bx),
                               K.conv2d_backward_input_ref(gy, w, x.shape, (1, 1), p, d, g)
                               + bx.reshape(1, -1, 1, 1), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("c", CASES)
def test_float32_error_against_float64(c):
    (x, w, _, gy), (p, d, g) = _case(c, np.float32, seed=1)
    x64, w64, gy64 = (a.astype(np.float64) for a in (x, w, gy))
    pairs = [
        (G.conv2d_forward(x, w, p, d, g), K.conv2d_forward_ref(x64, w64, (1, 1), p, d, g),
         K.conv2d_forward_ref(np.abs(x64), np.abs(w64), (1, 1), p, d, g)),
        (G.conv2d_backward_input(gy, w, x.shape, p, d, g),
         K.conv2d_backward_input_ref(gy64, w64, x.shape, (1, 1), p, d, g),
         K.conv2d_backward_input_ref(np.abs(gy64), np.abs(w64), x.shape, (1, 1), p, d, g)),
        (G.conv2d_backward_weight(x, gy, w.shape, p, d, g),
         K.conv2d_backward_weight_ref(x64, gy64, w.shape, (1, 1), p, d, g),
         K.conv2d_backward_weight_ref(np.abs(x64), np.abs(gy64), w.shape, (1, 1), p, d, g)),
    ]
    for got, ref, scale in pairs:
        assert got.dtype == np.float32
        assert (np.abs(got - ref) / (scale + 1e-30)).max() <= 1e-6


def test_dispatch_runs_it(monkeypatch):
    calls = []
    for name in ("conv2d_forward", "conv2d_backward_input", "conv2d_backward_weight"):
        f = getattr(G, name)
        monkeypatch.setattr(G, name, lambda *a, _f=f, _n=name, **k: calls.append(_n) or _f(*a, **k))
    rng = np.random.default_rng(4)
    X = ad.tensor(rng.standard_normal((2, 8, 6, 6)), requires_grad=True)
    W = ad.tensor(rng.standard_normal((8, 2, 3, 3)), requires_grad=True)
    conv2d(X, W, padding=1, groups=4).sum().backward()
    # both gradients: one pass of kernels/conv_fused.py
    assert calls == ["conv2d_forward"]
    calls.clear()
    conv2d(X, ad.tensor(W._data), padding=1, groups=4).sum().backward()
    # the input gradient alone is a forward of g with the flipped weight
    assert calls == ["conv2d_forward", "conv2d_backward_input", "conv2d_forward"]
    calls.clear()
    conv2d(ad.tensor(X._data), W, padding=1, groups=4).sum().backward()
    assert calls == ["conv2d_forward", "conv2d_backward_weight"]
    calls.clear()
    conv2d(X, W, stride=2, padding=1, groups=4).sum().backward()  # strided: conv_direct
    assert calls == []
    assert A.choose((2, 8, 6, 6), (8, 2, 3, 3), ((1, 1), (1, 1, 1, 1), (1, 1), 4, None)) \
        == A.DIRECT


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-10), (np.float32, 1e-4)])
def test_g4_matches_torch_with_double_backward(dtype, tol):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in ((3, 32, 14, 14), (64, 8, 3, 3),
                                                              (64,)))
    X, W, B = (ad.tensor(a, requires_grad=True) for a in (x, w, b))
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    out = conv2d(X, W, B, padding=1, groups=4)
    ot = torch.nn.functional.conv2d(xt, wt, bt, padding=1, groups=4)
    assert out.dtype == dtype
    np.testing.assert_allclose(out._data, ot.detach().numpy(), rtol=tol, atol=tol)
    go = rng.standard_normal(ot.shape).astype(dtype)
    gs = ad.grad(out, [X, W, B], ad.tensor(go), create_graph=True)
    tgs = torch.autograd.grad(ot, [xt, wt, bt], torch.tensor(go), create_graph=True)
    for g, tg in zip(gs, tgs):
        np.testing.assert_allclose(g._data, tg.detach().numpy(), rtol=tol, atol=10 * tol)
    if dtype == np.float32:  # the double backward's sums of cubes cancel in float32
        return
    s = (gs[0] * gs[0]).sum() + (gs[1] ** 3).sum()
    ts = (tgs[0] * tgs[0]).sum() + (tgs[1] ** 3).sum()
    for g, tg in zip(ad.grad(s, [X, W]), torch.autograd.grad(ts, [xt, wt])):
        np.testing.assert_allclose(g._data, tg.numpy(), rtol=10 * tol, atol=100 * tol)
