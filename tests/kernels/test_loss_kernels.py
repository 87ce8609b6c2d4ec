"""Softmax / log-softmax / fused cross-entropy kernels versus their NumPy twins."""
import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kernel_cases import DTYPES, SETTINGS, tol

from autodiff.kernels import loss as K


@st.composite
def rows(draw):
    M, C = draw(st.integers(1, 6)), draw(st.integers(1, 7))
    dtype = draw(DTYPES)
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    scale = draw(st.sampled_from([1.0, 30.0]))
    x = (rng.standard_normal((M, C)) * scale).astype(dtype)
    t = rng.integers(0, C, M)
    if M > 1 and draw(st.booleans()):
        t[rng.integers(0, M)] = -100
    w = (rng.random(C) + 0.5) if draw(st.booleans()) else None
    eps = draw(st.sampled_from([0.0, 0.25]))
    scale_rows = rng.standard_normal(M)
    return x, t, w, eps, scale_rows


@SETTINGS
@given(rows())
def test_softmax_and_log_softmax_match_twins(case):
    x = case[0]
    ls = K.log_softmax_forward(x)
    assert ls.dtype == x.dtype
    np.testing.assert_allclose(ls, K.log_softmax_forward_ref(x), **tol(x.dtype))
    np.testing.assert_allclose(K.softmax_forward(x), K.softmax_forward_ref(x), **tol(x.dtype))
    np.testing.assert_allclose(K.softmax_forward(x).sum(-1), 1.0, rtol=1e-5)


@SETTINGS
@given(rows())
def test_cross_entropy_matches_twins(case):
    x, t, w, eps, s = case
    got = K.cross_entropy_forward(x, t, w, -100, eps)
    ref = K.cross_entropy_forward_ref(x, t, w, -100, eps)
    for a, b in zip(got, ref):
        np.testing.assert_allclose(a, b, **tol(x.dtype))
    g = K.cross_entropy_backward(x, t, s, got[3], w, -100, eps)
    assert g.dtype == x.dtype
    np.testing.assert_allclose(g, K.cross_entropy_backward_ref(x, t, s, got[3], w, -100, eps),
                               **tol(x.dtype))


def test_cross_entropy_backward_is_the_gradient():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 5))
    t = np.array([0, 4, -100, 2])
    w, eps, s = rng.random(5) + 0.5, 0.2, rng.standard_normal(4)

    def f(z):
        nll, smooth, _, _ = K.cross_entropy_forward(z, t, w, -100, eps)
        return np.dot(s, (1 - eps) * nll + eps / 5 * smooth)

    lse = K.cross_entropy_forward(x, t, w, -100, eps)[3]
    g = K.cross_entropy_backward(x, t, s, lse, w, -100, eps)
    num = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = 1e-6
        num[i] = (f(x + e) - f(x - e)) / 2e-6
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-8)
    assert np.all(g[2] == 0)  # the ignored row


def test_stable_for_huge_float32_logits():
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4 + 1.0, -1e4]], dtype=np.float32)
    ls = K.log_softmax_forward(x)
    assert np.all(np.isfinite(ls))
    np.testing.assert_allclose(ls[0], [0.0, -2e4, -1e4], rtol=1e-6)
    np.testing.assert_allclose(ls[1], [-1 - np.log1p(2 * np.exp(-1.0)), -np.log1p(2 * np.exp(-1.0)),
                                       -1 - np.log1p(2 * np.exp(-1.0))], rtol=1e-5)
    nll, _, _, lse = K.cross_entropy_forward(x, np.array([1, 1]))
    np.testing.assert_allclose(nll, [2e4, np.log1p(2 * np.exp(-1.0))], rtol=1e-5)
    g = K.cross_entropy_backward(x, np.array([1, 1]), 1.0, lse)
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g[0], [1.0, -1.0, 0.0], atol=1e-6)


def test_out_of_range_target_raises():
    with pytest.raises(IndexError, match="out of bounds"):
        K.cross_entropy_forward(np.zeros((2, 3)), np.array([0, 3]))


_exp_jit = numba.njit(lambda a: K.exp_nonpos_(a))


@pytest.mark.parametrize("dtype,cut,rtol", [(np.float64, -708.0, 4e-16),
                                            (np.float32, -87.0, 2e-7)])
def test_vectorised_exp_matches_numpy(dtype, cut, rtol):
    """exp_nonpos_ inside a kernel: within a few ulp of exp on [cut, 0]; 0 below the cut
    and at -inf; NaN stays NaN."""
    x = np.concatenate([np.linspace(2 * cut, 0.0, 100_001), [-np.inf, np.nan, -0.0]])
    x = x.astype(dtype)
    got = x.copy()
    _exp_jit(got)
    want = np.exp(x.astype(np.float64))
    ok = x >= cut
    np.testing.assert_allclose(got[ok], want[ok], rtol=rtol, atol=0)
    assert np.all(got[(x < cut) & ~np.isnan(x)] == 0) and np.isnan(got[-2]) and got[-1] == 1
    assert got.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1.0, 30.0, 1e4])
def test_cross_entropy_wide_rows_match_twins(dtype, scale):
    """Wider than the hypothesis cases (the vectorised exp and the four partial row sums run
    full vectors), with weights, ignored rows and label smoothing."""
    rng = np.random.default_rng(1)
    M, C = 37, 103
    x = (rng.standard_normal((M, C)) * scale).astype(dtype)
    t = rng.integers(0, C, M)
    t[[3, 20]] = -100
    s = rng.standard_normal(M)
    for w, eps in ((None, 0.0), (rng.random(C) + 0.5, 0.1)):
        got = K.cross_entropy_forward(x, t, w, -100, eps)
        ref = K.cross_entropy_forward_ref(x, t, w, -100, eps)
        for a, b in zip(got, ref):
            assert np.all(np.isfinite(a))
            np.testing.assert_allclose(a, b, rtol=tol(dtype)["rtol"],
                                       atol=tol(dtype)["atol"] * scale)
        g = K.cross_entropy_backward(x, t, s, got[3], w, -100, eps)
        assert g.dtype == dtype and np.all(np.isfinite(g)) and np.all(g[[3, 20]] == 0)
        np.testing.assert_allclose(g, K.cross_entropy_backward_ref(x, t, s, got[3], w, -100, eps),
                                   **tol(dtype))
