"""The strided input gradient by phase planes (autodiff/kernels/conv_phases.py, run by
conv_direct._backward_kernel): the tap order and shifts; against the NumPy twin of conv.py in
float64 to round-off and float32 within 1e-6 of the float64 result's scale, over strides,
dilations, groups, phases without taps (1x1 and 2x2 kernels at stride 2-3) and partial image
blocks; torch parity of the strided depthwise / grouped convs through the ops (forward,
backward, double backward) and gradcheck."""
import numba
import numpy as np
import pytest

import autodiff as ad
from autodiff.kernels import conv as K
from autodiff.kernels import conv_direct as D
from autodiff.kernels import conv_phases as P
from autodiff.ops.conv import conv2d

# N, C, O, (H, W), (kh, kw), padding (top, bottom, left, right), dilation, groups, stride
CASES = [
    (3, 8, 8, (9, 9), (3, 3), (1, 1, 1, 1), (1, 1), 8, (2, 2)),  # depthwise s2
    (9, 16, 16, (28, 28), (3, 3), (1, 1, 1, 1), (1, 1), 16, (2, 2)),  # the s2 row, fewer N
    (5, 4, 6, (11, 8), (3, 3), (1, 0, 2, 1), (1, 2), 2, (2, 3)),  # asymmetric, dilated
    (4, 8, 12, (10, 9), (3, 2), (1, 2, 0, 1), (1, 2), 4, (2, 3)),  # O/groups 3, C/groups 2
    (3, 4, 4, (12, 12), (5, 5), (2, 2, 2, 2), (1, 1), 4, (3, 2)),  # 5x5 s3: 9 phases
    (2, 6, 6, (9, 7), (1, 1), (0, 0, 0, 0), (1, 1), 3, (2, 2)),  # 1x1 s2: 3 phases empty
    (3, 4, 8, (8, 8), (2, 2), (0, 1, 0, 1), (1, 1), 4, (3, 3)),  # 2x2 s3: 5 phases empty
    (6, 4, 4, (7, 7), (3, 3), (1, 1, 1, 1), (2, 2), 4, (2, 2)),  # dilation 2 = stride: 1 phase
    (70, 4, 4, (28, 28), (3, 3), (1, 1, 1, 1), (1, 1), 4, (2, 2)),  # blocks, partial last
    (4, 6, 6, (10, 10), (3, 3), (1, 1, 1, 1), (1, 1), 1, (2, 2)),  # dense
]


def _case(c, dtype, seed=0):
    N, C, O, hw, k, p, d, g, s = c
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C) + hw)
    w = rng.standard_normal((O, C // g) + k)
    gy = rng.standard_normal(K.conv2d_forward_ref(x, w, s, p, d, g).shape)
    bx = rng.standard_normal(C)
    return [a.astype(dtype) for a in (x, w, gy, bx)], (s, p, d, g)


@numba.njit
def _tap_tables(kh, kw, Wq, sh, sw, dh, dw):
    sft, order = np.empty(kh * kw, np.int64), np.empty(kh * kw, np.int64)
    first = np.empty(sh * sw + 1, np.int64)
    P.back_taps(sft, order, first, kh, kw, Wq, sh, sw, dh, dw)
    return sft, order, first


@pytest.mark.parametrize("k, s, d", [((3, 3), (2, 2), (1, 1)), ((3, 2), (2, 3), (1, 2)),
                                     ((5, 5), (3, 2), (1, 1)), ((1, 1), (2, 2), (1, 1))])
def test_taps_by_phase_and_shift(k, s, d):
    (kh, kw), (sh, sw), (dh, dw), Wq = k, s, d, 17
    sft, order, first = _tap_tables(kh, kw, Wq, sh, sw, dh, dw)
    assert first[0] == 0 and first[-1] == kh * kw and sorted(order) == list(range(kh * kw))
    for ph in range(sh * sw):
        for j in order[first[ph]:first[ph + 1]]:
            ki, kj = divmod(j, kw)
            assert (ki * dh % sh) * sw + kj * dw % sw == ph
    for ki in range(kh):
        for kj in range(kw):
            assert sft[ki * kw + kj] == (ki * dh // sh) * Wq + kj * dw // sw


@pytest.mark.parametrize("c", CASES)
def test_float64_matches_numpy_twin(c):
    (x, w, gy, bx), (s, p, d, g) = _case(c, np.float64)
    ref = K.conv2d_backward_input_ref(gy, w, x.shape, s, p, d, g)
    dx = D.conv2d_backward_input(gy, w, x.shape, s, p, d, g)
    np.testing.assert_allclose(dx, ref, rtol=1e-12, atol=1e-12)
    dx = D.conv2d_backward_input(gy, w, x.shape, s, p, d, g, bias=bx)
    np.testing.assert_allclose(dx, ref + bx.reshape(1, -1, 1, 1), rtol=1e-12, atol=1e-12)
    dx, dw = D._backward(x, gy, w.shape, w, s, p, d, g, None, False, np.empty(x.shape),
                         np.float64)  # with the weight gradient on the same pass
    np.testing.assert_allclose(dx, ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dw, K.conv2d_backward_weight_ref(x, gy, w.shape, s, p, d, g),
                               rtol=1e-11, atol=1e-11)


def test_inf_in_g_stays_where_the_twin_puts_it():
    (x, w, gy, _), (s, p, d, g) = _case(CASES[0], np.float64)
    gy[1, 2, 3, 1] = np.inf
    ref = K.conv2d_backward_input_ref(gy, w, x.shape, s, p, d, g)
    dx = D.conv2d_backward_input(gy, w, x.shape, s, p, d, g)
    np.testing.assert_array_equal(np.isnan(dx), np.isnan(ref))
    np.testing.assert_array_equal(np.isinf(dx), np.isinf(ref))
    fin = np.isfinite(ref)
    np.testing.assert_allclose(dx[fin], ref[fin], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("c", CASES)
def test_float32_error_against_float64(c):
    (x, w, gy, _), (s, p, d, g) = _case(c, np.float32, seed=1)
    ref = K.conv2d_backward_input_ref(gy.astype(np.float64), w.astype(np.float64), x.shape, s,
                                      p, d, g)
    scale = K.conv2d_backward_input_ref(np.abs(gy).astype(np.float64),
                                        np.abs(w).astype(np.float64), x.shape, s, p, d, g)
    dx = D.conv2d_backward_input(gy, w, x.shape, s, p, d, g)
    assert dx.dtype == np.float32
    assert (np.abs(dx - ref) / np.maximum(scale, 1e-30)).max() < 1e-6


@pytest.mark.parametrize("xs, ws, kw", [
    ((3, 64, 28, 28), (64, 1, 3, 3), dict(stride=2, padding=1, groups=64)),
    ((4, 32, 14, 14), (64, 8, 3, 3), dict(stride=2, padding=1, groups=4)),
    ((3, 8, 11, 10), (8, 1, 3, 3), dict(stride=(2, 3), padding=(1, 2), dilation=(1, 2),
                                        groups=8)),
])
@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-10), (np.float32, 1e-4)])
def test_strided_convs_match_torch_with_double_backward(xs, ws, kw, dtype, tol):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in (xs, ws, (ws[0],)))
    X, W, B = (ad.tensor(a, requires_grad=True) for a in (x, w, b))
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    out = conv2d(X, W, B, **kw)
    ot = torch.nn.functional.conv2d(xt, wt, bt, **kw)
    np.testing.assert_allclose(out._data, ot.detach().numpy(), rtol=tol, atol=tol)
    go = rng.standard_normal(ot.shape).astype(dtype)
    out.backward(ad.tensor(go))
    ot.backward(torch.tensor(go))
    for a, t in ((X, xt), (W, wt), (B, bt)):
        np.testing.assert_allclose(a.grad._data, t.grad.numpy(), rtol=tol, atol=10 * tol)
    X.grad = None  # the input gradient alone (the weight's not wanted)
    conv2d(X, ad.tensor(w), **kw).backward(ad.tensor(go))
    xt.grad = None
    torch.nn.functional.conv2d(xt, wt.detach(), **kw).backward(torch.tensor(go))
    np.testing.assert_allclose(X.grad._data, xt.grad.numpy(), rtol=tol, atol=10 * tol)
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
    for kw in (dict(stride=2, padding=1, groups=4), dict(stride=(3, 2), padding=2, groups=2)):
        x = ad.tensor(rng.standard_normal((2, 4, 7, 6)), requires_grad=True)
        w = ad.tensor(rng.standard_normal((4, 4 // kw["groups"], 3, 3)), requires_grad=True)
        b = ad.tensor(rng.standard_normal(4), requires_grad=True)
        assert ad.gradcheck(lambda x, w, b, kw=kw: conv2d(x, w, b, **kw), (x, w, b))
