"""kernels/conv1d_winograd.py's filter transforms (numba, float64 sums) against NumPy, and
offsets below zero (left padding past the filter: the input gradient starts inside the row)."""
import numpy as np
import pytest

from autodiff.kernels import conv1d as S
from autodiff.kernels import conv1d_winograd as Wg
from autodiff.kernels._blas import GEMM

pytestmark = pytest.mark.skipif(not GEMM, reason="NumPy's BLAS is not an OpenBLAS")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("flip", [False, True])
def test_weight_transform_matches_numpy(dtype, flip):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((5, 3, 5)).astype(dtype)
    G = Wg.matrices(5)[1]
    wf = w[:, :, ::-1].transpose(1, 0, 2) if flip else w
    want = np.einsum("xk,ock->xoc", G, wf.astype(np.float64))
    U = Wg.weight_transform(w, G, dtype, flip)
    assert U.dtype == dtype and U.shape == want.shape
    tol = 1e-13 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(U, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_weight_adjoint_matches_numpy_and_reports_non_finite(dtype):
    rng = np.random.default_rng(1)
    dU = rng.standard_normal((8, 4, 3)).astype(dtype)
    G = Wg.matrices(5)[1]
    dw, finite = Wg.weight_adjoint(dU, G, dtype)
    want = np.einsum("xk,xoc->ock", G, dU.astype(np.float64))
    tol = 1e-13 if dtype == np.float64 else 1e-6
    assert finite and dw.dtype == dtype
    np.testing.assert_allclose(dw, want, rtol=tol, atol=tol)
    for bad in (np.inf, np.nan):
        dU[3, 2, 1] = bad
        assert not Wg.weight_adjoint(dU, G, dtype)[1]
    big = np.full((8, 1, 1), np.finfo(np.float32).max, np.float32)  # overflows in the cast
    assert not Wg.weight_adjoint(big, G, np.float32)[1]


@pytest.mark.parametrize("pad", [(6, 0), (7, 2)])
def test_left_padding_past_the_filter_matches_shift(monkeypatch, pad):
    monkeypatch.setattr(S, "WINOGRAD_MIN_C", 1)
    monkeypatch.setattr(S, "WINOGRAD_MIN_NL", 1)
    monkeypatch.setattr(S, "WINOGRAD_SPLIT_ONLY", False)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 4, 11))
    w = rng.standard_normal((5, 4, 5))
    Lo = 11 + pad[0] + pad[1] - 4
    g = rng.standard_normal((3, 5, Lo))
    assert S.winograd(x.shape, w.shape, 1, 1, 1)
    tol = dict(rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(S.forward(x, w, 1, pad), S.conv1d_forward_ref(x, w, 1, pad), **tol)
    dx, dw = S.backward_input(g, w, x.shape, 1, pad, x=x)
    np.testing.assert_allclose(dx, S.conv1d_backward_input_ref(g, w, x.shape, 1, pad), **tol)
    np.testing.assert_allclose(dw, S.conv1d_backward_weight_ref(x, g, w.shape, 1, pad), **tol)
