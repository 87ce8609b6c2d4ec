"""Both gradients of a direct (grouped / depthwise) conv in one pass over g
(autodiff/kernels/conv_fused.py, conv_direct._backward_kernel): against the NumPy twins of
conv.py in float64 to round-off and float32 within 1e-6 of the float64 result's scale, with
and without the bias gradient and an input-gradient bias; which geometries take it; that the
ops run it when both gradients are wanted; torch parity (forward, backward, double backward)
of the bench rows' shapes through the ops."""
import numpy as np
import pytest

import autodiff as ad
from autodiff.kernels import conv as K
from autodiff.kernels import conv_direct as D
from autodiff.kernels import conv_fused as Fu
from autodiff.ops.conv import conv2d
from tests.kernels.conv_cases import direct_case

# N, C, O, (H, W), (kh, kw), padding (top, bottom, left, right), dilation, groups, stride
CASES = [
    (2, 8, 8, (7, 9), (3, 3), (1, 1, 1, 1), (1, 1), 4, (1, 1)),  # C/groups 2
    (7, 4, 4, (5, 6), (3, 3), (1, 1, 1, 1), (1, 1), 2, (1, 1)),  # blocks, partial last
    (3, 8, 8, (6, 5), (3, 3), (1, 1, 1, 1), (1, 1), 8, (1, 1)),  # depthwise
    (2, 16, 6, (8, 7), (5, 5), (2, 2, 2, 2), (1, 1), 2, (1, 1)),  # odd O/groups, 5x5
    (3, 6, 4, (9, 13), (3, 3), (2, 2, 2, 2), (2, 2), 2, (1, 1)),  # dilated
    (20, 32, 64, (14, 14), (3, 3), (1, 1, 1, 1), (1, 1), 4, (1, 1)),  # the g4 row, fewer N
    (3, 8, 8, (9, 9), (3, 3), (1, 1, 1, 1), (1, 1), 8, (2, 2)),  # depthwise s2
    (5, 4, 6, (11, 8), (3, 3), (1, 0, 2, 1), (1, 2), 2, (2, 3)),  # asymmetric, dilated
    (4, 6, 6, (10, 10), (3, 3), (1, 1, 1, 1), (1, 1), 1, (2, 2)),  # dense
    (9, 16, 16, (28, 28), (3, 3), (1, 1, 1, 1), (1, 1), 16, (2, 2)),  # the s2 row, fewer N
]


@pytest.mark.parametrize("c", CASES)
def test_applicable(c):
    (x, w, gy, _), (s, p, d, _) = direct_case(c, np.float64)
    assert Fu.applicable(x.shape, w.shape, s, p, d, gy.shape[2:])


def test_not_applicable():
    # stride 1 where the input gradient's padded layout differs from the input's (padding on
    # one side only: rows W + 2 wide against W + 0)
    assert not Fu.applicable((2, 4, 8, 8), (4, 1, 3, 3), (1, 1), (0, 0, 2, 0))
    assert not Fu.applicable((2, 4, 8, 8), (4, 1, 1, 1), (1, 1), (0, 0, 0, 0))  # 1x1


@pytest.mark.parametrize("c", CASES)
def test_float64_matches_numpy_twins(c):
    (x, w, gy, bx), (s, p, d, g) = direct_case(c, np.float64)
    rdx = K.conv2d_backward_input_ref(gy, w, x.shape, s, p, d, g)
    rdw = K.conv2d_backward_weight_ref(x, gy, w.shape, s, p, d, g)
    dx, dw, db = Fu.conv2d_backward(x, gy, w, s, p, d, g, bias=bx, bias_grad=True)
    np.testing.assert_allclose(dx, rdx + bx.reshape(1, -1, 1, 1), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dw, rdw, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(db, gy.sum((0, 2, 3)), rtol=1e-12, atol=1e-12)
    dx2, dw2 = Fu.conv2d_backward(x, gy, w, s, p, d, g)
    np.testing.assert_allclose(dx2, rdx, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(dw2, dw)


@pytest.mark.parametrize("c", [c for c in CASES if c[-1] != (1, 1)])
def test_strided_single_gradients_match_numpy_twins(c):
    # conv_direct's input and weight gradients alone run the same kernel with the other half
    # switched off
    (x, w, gy, bx), (s, p, d, g) = direct_case(c, np.float64, seed=3)
    np.testing.assert_allclose(D.conv2d_backward_input(gy, w, x.shape, s, p, d, g, bias=bx),
                               K.conv2d_backward_input_ref(gy, w, x.shape, s, p, d, g)
                               + bx.reshape(1, -1, 1, 1), rtol=1e-12, atol=1e-12)
    dw, db = D.conv2d_backward_weight(x, gy, w.shape, s, p, d, g, bias_grad=True)
    np.testing.assert_allclose(dw, K.conv2d_backward_weight_ref(x, gy, w.shape, s, p, d, g),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(db, gy.sum((0, 2, 3)), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("c", CASES)
def test_float32_error_against_float64(c):
    (x, w, gy, _), (s, p, d, g) = direct_case(c, np.float32, seed=1)
    x64, w64, gy64 = (a.astype(np.float64) for a in (x, w, gy))
    dx, dw = Fu.conv2d_backward(x, gy, w, s, p, d, g)
    pairs = [
        (dx, K.conv2d_backward_input_ref(gy64, w64, x.shape, s, p, d, g),
         K.conv2d_backward_input_ref(np.abs(gy64), np.abs(w64), x.shape, s, p, d, g)),
        (dw, K.conv2d_backward_weight_ref(x64, gy64, w.shape, s, p, d, g),
         K.conv2d_backward_weight_ref(np.abs(x64), np.abs(gy64), w.shape, s, p, d, g)),
    ]
    for got, ref, scale in pairs:
        assert got.dtype == np.float32
        assert (np.abs(got - ref) / (scale + 1e-30)).max() <= 1e-6


@pytest.mark.parametrize("kw", [dict(padding=1, groups=4), dict(stride=2, padding=1, groups=8)])
def test_ops_run_it_for_both_gradients_only(kw, monkeypatch):
    calls, real = [], Fu.conv2d_backward
    monkeypatch.setattr(Fu, "conv2d_backward",
                        lambda *a, **k: calls.append(a[-1]) or real(*a, **k))
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((3, 8, 7, 7)), rng.standard_normal((8, 8 // kw["groups"], 3, 3))
    X, W = ad.tensor(x, requires_grad=True), ad.tensor(w, requires_grad=True)
    conv2d(X, W, **kw).sum().backward()
    assert calls == [False]  # no bias: its gradient is not asked of the pass
    B = ad.tensor(rng.standard_normal(8), requires_grad=True)
    go = rng.standard_normal(conv2d(X, W, **kw).shape)
    X.grad = W.grad = None
    conv2d(X, W, B, **kw).backward(ad.tensor(go))
    assert calls == [False, True]
    np.testing.assert_allclose(B.grad._data, go.sum((0, 2, 3)), rtol=1e-12, atol=1e-12)
    s = kw.get("stride", 1)
    np.testing.assert_allclose(
        W.grad._data, K.conv2d_backward_weight_ref(x, go, w.shape, (s, s), (1, 1, 1, 1), (1, 1),
                                                   kw["groups"]), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        X.grad._data, K.conv2d_backward_input_ref(go, w, x.shape, (s, s), (1, 1, 1, 1), (1, 1),
                                                  kw["groups"]), rtol=1e-12, atol=1e-12)
    conv2d(ad.tensor(x), W, **kw).sum().backward()  # one gradient: the separate kernels
    conv2d(X, ad.tensor(w), **kw).sum().backward()
    assert calls == [False, True]


@pytest.mark.parametrize("xs, ws, kw", [
    ((3, 64, 28, 28), (64, 1, 3, 3), dict(padding=1, groups=64)),
    ((3, 64, 28, 28), (64, 1, 3, 3), dict(stride=2, padding=1, groups=64)),
    ((3, 64, 14, 14), (64, 8, 3, 3), dict(padding=1, groups=8)),
    ((3, 32, 14, 14), (64, 8, 3, 3), dict(padding=1, groups=4)),
])
@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-10), (np.float32, 1e-4)])
def test_bench_rows_match_torch_with_double_backward(xs, ws, kw, dtype, tol):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in (xs, ws, (ws[0],)))
    X, W, B = (ad.tensor(a, requires_grad=True) for a in (x, w, b))
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    out = conv2d(X, W, B, **kw)
    ot = torch.nn.functional.conv2d(xt, wt, bt, **kw)
    np.testing.assert_allclose(out._data, ot.detach().numpy(), rtol=tol, atol=tol)
    go = rng.standard_normal(ot.shape).astype(dtype)
    out.backward(ad.tensor(go))  # the fused pass (no create_graph)
    ot.backward(torch.tensor(go))
    for a, t in ((X, xt), (W, wt), (B, bt)):
        assert a.grad.dtype == dtype
        np.testing.assert_allclose(a.grad._data, t.grad.numpy(), rtol=tol, atol=10 * tol)
    if dtype == np.float32:
        return
    gs = ad.grad(conv2d(X, W, B, **kw), [X, W], ad.tensor(go), create_graph=True)
    tgs = torch.autograd.grad(torch.nn.functional.conv2d(xt, wt, bt, **kw), [xt, wt],
                              torch.tensor(go), create_graph=True)
    s = (gs[0] * gs[0]).sum() + (gs[1] ** 3).sum()
    ts = (tgs[0] * tgs[0]).sum() + (tgs[1] ** 3).sum()
    for g, tg in zip(ad.grad(s, [X, W]), torch.autograd.grad(ts, [xt, wt])):
        np.testing.assert_allclose(g._data, tg.numpy(), rtol=10 * tol, atol=100 * tol)


def test_gradcheck_float64():
    rng = np.random.default_rng(7)
    for kw in (dict(padding=1, groups=2), dict(stride=2, padding=1, groups=4)):
        x = ad.tensor(rng.standard_normal((2, 4, 5, 6)), requires_grad=True)
        w = ad.tensor(rng.standard_normal((4, 4 // kw["groups"], 3, 3)), requires_grad=True)
        b = ad.tensor(rng.standard_normal(4), requires_grad=True)
        assert ad.gradcheck(lambda x, w, b, kw=kw: conv2d(x, w, b, **kw), (x, w, b))
