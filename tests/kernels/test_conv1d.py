"""kernels/conv1d.py (1-D convolution as shifted GEMMs) against its NumPy twins: every
geometry (stride, dilation, asymmetric padding, groups, taps that fall outside the input),
float32 and float64, the images split over 2 threads or not, and the float32 error against a
float64 reference."""
import numpy as np
import pytest

from autodiff.kernels import conv1d as S
from autodiff.kernels._blas import GEMM

pytestmark = pytest.mark.skipif(not GEMM, reason="NumPy's BLAS is not an OpenBLAS")

CASES = [  # N, C, O, L, K, stride, (left, right) padding, dilation, groups
    (2, 3, 4, 9, 3, 1, (1, 1), 1, 1),
    (3, 4, 6, 11, 3, 2, (2, 1), 2, 2),
    (1, 2, 2, 5, 5, 3, (0, 4), 1, 1),
    (4, 6, 6, 20, 4, 2, (3, 0), 3, 3),
    (2, 4, 4, 7, 1, 1, (0, 0), 1, 4),
    (5, 8, 16, 30, 5, 1, (2, 2), 1, 1),
    (2, 2, 3, 3, 5, 1, (2, 2), 1, 1),  # kernel wider than the input
    (3, 2, 2, 4, 3, 1, (6, 0), 3, 1),  # tap 0 reads only padding
    (7, 3, 3, 6, 2, 4, (1, 1), 1, 1),  # stride wider than the kernel: unread inputs
]


def _case(c, dtype, seed=0):
    N, C, O, L, K, s, p, d, g = c
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, L)).astype(dtype)
    w = rng.standard_normal((O, C // g, K)).astype(dtype)
    b = rng.standard_normal(O).astype(dtype)
    Lo = (L + p[0] + p[1] - d * (K - 1) - 1) // s + 1
    gy = rng.standard_normal((N, O, Lo)).astype(dtype)
    return x, w, b, gy, (s, p, d, g)


@pytest.mark.parametrize("c", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kernels_match_twins(split, c, dtype):
    x, w, b, gy, geo = _case(c, dtype)
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-5)
    out = S.forward(x, w, *geo, bias=b)
    assert out.dtype == dtype and out.shape == gy.shape
    np.testing.assert_allclose(out, S.conv1d_forward_ref(x, w, *geo) + b[:, None], **tol)
    dx = S.backward_input(gy, w, x.shape, *geo)
    assert dx.dtype == dtype
    np.testing.assert_allclose(dx, S.conv1d_backward_input_ref(gy, w, x.shape, *geo), **tol)
    bx = np.arange(x.shape[1], dtype=dtype)
    np.testing.assert_allclose(S.backward_input(gy, w, x.shape, *geo, bias=bx),
                               dx + bx[:, None], **tol)
    dw = S.backward_weight(x, gy, w.shape, *geo)
    assert dw.dtype == dtype and dw.shape == w.shape
    np.testing.assert_allclose(dw, S.conv1d_backward_weight_ref(x, gy, w.shape, *geo), **tol)


def test_out_len_fixes_the_output_and_views_are_read(split):
    # a fixed output length (a transposed conv's output_padding) and non-contiguous inputs
    x, w, _, gy, geo = _case(CASES[1], np.float64, seed=1)
    ref = S.conv1d_forward_ref(x, w, *geo)
    out = S.forward(x, w, *geo, out_len=ref.shape[2] - 1)
    np.testing.assert_allclose(out, ref[:, :, :-1], rtol=1e-12, atol=1e-12)
    xt = np.asfortranarray(x)
    np.testing.assert_allclose(S.forward(xt, np.asfortranarray(w), *geo), ref,
                               rtol=1e-12, atol=1e-12)


def test_float32_error_against_float64(split):
    # the measure of kernels/conv_algo.py's table: error / sum of |terms|, below 1e-6
    x, w, _, gy, geo = _case((6, 16, 12, 40, 5, 1, (2, 2), 1, 1), np.float32, seed=2)
    X, Wd, G = (a.astype(np.float64) for a in (x, w, gy))
    got = (S.forward(x, w, *geo), S.backward_input(gy, w, x.shape, *geo),
           S.backward_weight(x, gy, w.shape, *geo))
    ref = (S.conv1d_forward_ref(X, Wd, *geo), S.conv1d_backward_input_ref(G, Wd, X.shape, *geo),
           S.conv1d_backward_weight_ref(X, G, Wd.shape, *geo))
    scale = (S.conv1d_forward_ref(abs(X), abs(Wd), *geo),
             S.conv1d_backward_input_ref(abs(G), abs(Wd), X.shape, *geo),
             S.conv1d_backward_weight_ref(abs(X), abs(G), Wd.shape, *geo))
    for a, r, sc in zip(got, ref, scale):
        assert a.dtype == np.float32
        assert (np.abs(a - r) / sc).max() < 1e-6


def test_chunks_claimed_by_both_threads(split, monkeypatch):
    # more chunks than images per thread, and a thread that may get none: same sums
    monkeypatch.setattr(S, "CHUNKS", 3)
    x, w, _, gy, geo = _case((5, 4, 4, 9, 3, 1, (1, 1), 1, 1), np.float64, seed=3)
    np.testing.assert_allclose(S.backward_weight(x, gy, w.shape, *geo),
                               S.conv1d_backward_weight_ref(x, gy, w.shape, *geo),
                               rtol=1e-12, atol=1e-12)
    x1, g1 = x[:1], gy[:1]
    np.testing.assert_allclose(S.backward_weight(x1, g1, w.shape, *geo),
                               S.conv1d_backward_weight_ref(x1, g1, w.shape, *geo),
                               rtol=1e-12, atol=1e-12)


def test_applicable():
    geom = ((1, 1), (0, 0, 2, 2), (1, 1), 1, None)
    assert S.applicable((2, 3, 1, 9), (4, 3, 1, 5), geom)
    assert not S.applicable((2, 3, 2, 9), (4, 3, 1, 5), geom)  # two rows
    assert not S.applicable((2, 3, 1, 9), (4, 3, 2, 5), geom)
    assert not S.applicable((2, 3, 1, 9), (4, 3, 1, 5), geom[:1] + ((1, 0, 2, 2),) + geom[2:])
    assert not S.applicable((0, 3, 1, 9), (4, 3, 1, 5), geom)  # empty batch
    assert not S.applicable((2, 3, 1, 9), (4, 3, 1, 5), geom[:4] + ((2, 9),))
