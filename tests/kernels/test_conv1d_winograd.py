"""kernels/conv1d_winograd.py (Winograd F(4, 5) for conv1d) against its NumPy twins and the
shift twins of kernels/conv1d.py: the transform matrices, each kernel on image ranges,
offsets past either end, output lengths that are not whole tiles, float32 and float64, split
over 2 threads or not, the fall-back to shift where an inf or nan meets a tile, and the float32
error against a float64 reference."""
import numpy as np
import pytest

from autodiff.kernels import conv1d as S
from autodiff.kernels import conv1d_winograd as Wg
from autodiff.kernels._blas import GEMM

pytestmark = pytest.mark.skipif(not GEMM, reason="NumPy's BLAS is not an OpenBLAS")

CASES = [  # N, C, O, L, (left, right) padding
    (3, 4, 5, 17, (2, 2)),
    (2, 3, 4, 30, (0, 3)),   # output length 26: a partial last tile
    (1, 2, 2, 3, (2, 2)),    # a single tile, the filter wider than the row
    (2, 3, 3, 12, (4, 1)),   # padding past the filter: the first outputs read only zeros
    (4, 6, 2, 9, (0, 0)),
]


def _data(c, dtype, seed=0):
    N, C, O, L, p = c
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, L)).astype(dtype)
    w = rng.standard_normal((O, C, 5)).astype(dtype)
    Lo = L + p[0] + p[1] - 4
    g = rng.standard_normal((N, O, Lo)).astype(dtype)
    return x, w, g, p


@pytest.fixture
def anywhere(monkeypatch):
    """Winograd for every 5-tap stride-1 ungrouped conv1d, however small."""
    monkeypatch.setattr(S, "WINOGRAD_MIN_C", 1)
    monkeypatch.setattr(S, "WINOGRAD_MIN_NL", 1)
    monkeypatch.setattr(S, "WINOGRAD_SPLIT_ONLY", False)


def test_matrices_compute_a_correlation():
    AT, G, BT = Wg.matrices(5)
    assert AT.shape == (4, 8) and G.shape == (8, 5) and BT.shape == (8, 8)
    assert np.abs(BT).max(axis=1) == pytest.approx(np.ones(8))
    rng = np.random.default_rng(1)
    d, w = rng.standard_normal(8), rng.standard_normal(5)
    direct = [d[i:i + 5] @ w for i in range(4)]
    np.testing.assert_allclose(AT @ ((G @ w) * (BT @ d)), direct, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("c", CASES)
def test_twins_match_the_shift_twins(c):
    x, w, g, p = _data(c, np.float64)
    ref = S.conv1d_forward_ref(x, w, 1, p)
    np.testing.assert_allclose(Wg.forward_ref(x, w, p[0], ref.shape[2]), ref, rtol=1e-11,
                               atol=1e-11)
    np.testing.assert_allclose(Wg.weight_grad_ref(x, g, 5, p[0]),
                               S.conv1d_backward_weight_ref(x, g, w.shape, 1, p),
                               rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("c", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n0, n1", [(0, None), (1, None)])
def test_kernels_match_twins(c, dtype, n0, n1):
    x, w, g, p = _data(c, dtype)
    n1 = x.shape[0] if n1 is None else n1
    if n0 >= n1:
        n0 = 0
    tol = dict(rtol=1e-11, atol=1e-11) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-4)
    AT, G, BT = Wg.matrices(5)
    at, bt = AT.astype(dtype), BT.astype(dtype)
    U = Wg.weight_transform(w, G, dtype)
    b = np.arange(w.shape[0], dtype=dtype)
    out = np.full(g.shape, 7, dtype)
    assert Wg.forward_block(GEMM[np.dtype(dtype)], x, n0, n1, U, p[0], bt, at, b, out) == 0
    ref = Wg.forward_ref(x, w, p[0], g.shape[2]) + b[:, None]
    np.testing.assert_allclose(out[n0:n1], ref[n0:n1], **tol)
    assert (out[:n0] == 7).all()  # images outside the range untouched
    dU = np.ones((8, w.shape[0], w.shape[1]), dtype)
    db = np.full(w.shape[0], 2.0)
    Wg.weight_block(GEMM[np.dtype(dtype)], x, g, n0, n1, p[0], bt, at, dU, db)
    np.testing.assert_allclose(db - 2, g[n0:n1].sum((0, 2), dtype=np.float64), **tol)
    dw, finite = Wg.weight_adjoint(dU - 1, G, dtype)  # it adds to dU
    assert dw.dtype == dtype and finite
    np.testing.assert_allclose(dw, Wg.weight_grad_ref(x[n0:n1], g[n0:n1], 5, p[0]), **tol)


@pytest.mark.parametrize("c", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv1d_api_runs_winograd_and_matches(split, anywhere, monkeypatch, c, dtype):
    x, w, g, p = _data(c, dtype, seed=2)
    assert S.winograd(x.shape, w.shape, 1, 1, 1)
    calls = []
    for name in ("forward_block", "weight_block"):
        real = getattr(Wg, name)
        monkeypatch.setattr(Wg, name, lambda *a, real=real: calls.append(1) or real(*a))
    tol = dict(rtol=1e-11, atol=1e-11) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-4)
    b = np.arange(w.shape[0], dtype=dtype)
    out = S.forward(x, w, 1, p, bias=b)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, S.conv1d_forward_ref(x, w, 1, p) + b[:, None], **tol)
    bx = np.arange(x.shape[1], dtype=dtype)
    dx = S.backward_input(g, w, x.shape, 1, p, bias=bx)
    np.testing.assert_allclose(dx, S.conv1d_backward_input_ref(g, w, x.shape, 1, p)
                               + bx[:, None], **tol)
    dw = S.backward_weight(x, g, w.shape, 1, p)
    assert dw.dtype == dtype
    np.testing.assert_allclose(dw, S.conv1d_backward_weight_ref(x, g, w.shape, 1, p), **tol)
    assert len(calls) >= 3
    # out_len fixes the output (a transposed conv's output_padding)
    out = S.forward(x, w, 1, p, out_len=g.shape[2] + 1)
    full = S.conv1d_forward_ref(x, w, 1, (p[0], p[1] + 1))
    np.testing.assert_allclose(out, full, **tol)


def test_dispatch_rule(split):
    # the benchmark's row, only when split over threads
    assert S.winograd((64, 32, 128), (64, 32, 5), 1, 1, 1) == split
    assert not S.winograd((64, 32, 128), (64, 32, 3), 1, 1, 1)  # 3 taps
    assert not S.winograd((64, 32, 128), (64, 32, 5), 2, 1, 1)  # strided
    assert not S.winograd((64, 32, 128), (64, 32, 5), 1, 2, 1)  # dilated
    assert not S.winograd((64, 32, 128), (64, 16, 5), 1, 1, 2)  # grouped
    assert not S.winograd((64, 16, 128), (64, 16, 5), 1, 1, 1)  # few channels
    assert not S.winograd((16, 64, 64), (64, 64, 5), 1, 1, 1)   # N * L small


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_non_finite_values_give_the_shift_result(split, anywhere, monkeypatch, bad):
    x, w, g, p = _data(CASES[1], np.float64, seed=3)
    x[1, 2, 5] = bad
    wb = w.copy()
    wb[1, 0, 4] = bad
    gb = g.copy()
    gb[0, 1, 3] = bad
    got = (S.forward(x, w, 1, p), S.forward(x[:1], wb, 1, p),
           S.backward_input(gb, w, x.shape, 1, p), S.backward_weight(x, g, w.shape, 1, p),
           S.backward_weight(x[:1], gb[:1], w.shape, 1, p))
    monkeypatch.setattr(S, "WINOGRAD", False)
    want = (S.forward(x, w, 1, p), S.forward(x[:1], wb, 1, p),
            S.backward_input(gb, w, x.shape, 1, p), S.backward_weight(x, g, w.shape, 1, p),
            S.backward_weight(x[:1], gb[:1], w.shape, 1, p))
    for a, b in zip(got, want):
        assert not np.isfinite(b).all()
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_float32_error_against_float64(split, anywhere):
    # the measure of kernels/conv_algo.py's table: error / sum of |terms|, below 1e-6
    x, w, g, p = _data((6, 32, 24, 64, (2, 2)), np.float32, seed=4)
    assert S.winograd(x.shape, w.shape, 1, 1, 1)
    X, Wd, G = (a.astype(np.float64) for a in (x, w, g))
    got = (S.forward(x, w, 1, p), S.backward_input(g, w, x.shape, 1, p),
           S.backward_weight(x, g, w.shape, 1, p))
    ref = (S.conv1d_forward_ref(X, Wd, 1, p), S.conv1d_backward_input_ref(G, Wd, X.shape, 1, p),
           S.conv1d_backward_weight_ref(X, G, Wd.shape, 1, p))
    scale = (S.conv1d_forward_ref(abs(X), abs(Wd), 1, p),
             S.conv1d_backward_input_ref(abs(G), abs(Wd), X.shape, 1, p),
             S.conv1d_backward_weight_ref(abs(X), abs(G), Wd.shape, 1, p))
    for a, r, sc in zip(got, ref, scale):
        assert a.dtype == np.float32
        assert (np.abs(a - r) / sc).max() < 1e-6
