"""The 2x2 stride-2 max-pool kernels for small planes (``pool_2x2._max_pool2d_2x2_fwd_small``
and ``_bwd_small``, rows of fewer than SMALL_WO outputs: LeNet's 8x8 and 4x4 maps) against
their NumPy twins and the row kernels, and through the ops against PyTorch (forward, backward,
double backward)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kernel_cases import DTYPES, SETTINGS

from autodiff.kernels import pool as K
from autodiff.kernels import pool_2x2 as K2x2

K2 = ((2, 2), (2, 2), (0, 0), (1, 1))  # kernel, stride, padding, dilation


def _same(a, b):
    """Equal values, NaN where NaN, and the same sign of zero."""
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.signbit(a[a == 0]), np.signbit(b[b == 0]))


@st.composite
def small_cases(draw):
    N, C = draw(st.integers(0, 3)), draw(st.integers(1, 4))  # N = 0: an empty batch
    H = draw(st.integers(2, 9))  # odd H: a cropped last row
    W = 2 * draw(st.integers(1, K2x2.SMALL_WO - 1))
    dtype = draw(DTYPES)
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    x = np.round(rng.standard_normal((N, C, H, W)), 0)  # many exact ties
    special = rng.random(x.shape)
    x[special < draw(st.sampled_from([0.0, 0.1, 0.4]))] = np.nan
    x[special > 0.96] = np.inf
    x[(special > 0.92) & (special <= 0.96)] = -np.inf
    x[(special > 0.88) & (special <= 0.92)] = -0.0
    g = rng.standard_normal((N, C, H // 2, W // 2))
    g[rng.random(g.shape) < 0.2] = -0.0
    return x.astype(dtype), g.astype(dtype)


def test_small_path_is_taken_for_short_even_rows_only():
    assert K2x2._small((32, 16, 8, 8), (4, 4)) and K2x2._small((32, 32, 4, 4), (2, 2))
    assert K2x2._small((1, 1, 3, 14), (1, 7))
    assert not K2x2._small((32, 16, 8, 7), (4, 3))  # odd width: the row kernels
    assert not K2x2._small((1, 1, 16, 16), (8, 8))  # rows of SMALL_WO outputs
    assert not K2x2._small((4096, 2, 8, 8), (4, 4))  # parallel-sized work


@SETTINGS
@given(small_cases())
def test_small_kernels_match_twin_and_row_kernels(case):
    x, g = case
    N, C, H, W = x.shape
    Ho, Wo = H // 2, W // 2
    out = np.empty((N, C, Ho, Wo), x.dtype)
    loc = np.empty(out.shape, np.int8)
    K2x2._max_pool2d_2x2_fwd_small(x, out, loc)
    ref, ref_loc = K2x2.max_pool2d_2x2_forward_ref(x)
    _same(out, ref)
    np.testing.assert_array_equal(loc, ref_loc)
    # the row kernel (serial twin) on the same input: bit-identical values and positions
    row_out, row_loc = np.empty_like(out), np.empty_like(loc)
    K2x2._max_fwd_2x2(0, x, row_out, row_loc)
    _same(out, row_out)
    np.testing.assert_array_equal(loc, row_loc)
    dx = np.full(x.shape, 7.0, x.dtype)  # every element is written
    K2x2._max_pool2d_2x2_bwd_small(g, loc, dx, x.dtype.type(0))
    _same(dx, K2x2.max_pool2d_2x2_backward_ref(g, loc, x.shape))
    row_dx = np.empty_like(dx)
    K2x2._max_bwd_2x2(0, g, loc, row_dx, x.dtype.type(0))
    _same(dx, row_dx)
    # through the dispatching functions
    o2, l2 = K.max_pool2d_forward(x, *K2)
    _same(o2, ref)
    _same(K.max_pool2d_backward(g, l2, x.shape, *K2), dx)


def test_small_kernels_ties_and_nans_by_hand():
    x = np.array([[[[1, 1, 0, 2, np.nan, 5, 3, 3],
                    [1, 1, 2, 2, 5, np.nan, 4, 3],
                    [9, 9, 9, 9, 9, 9, 9, 9]]]], np.float32)
    out, loc = K.max_pool2d_forward(x, *K2)
    np.testing.assert_array_equal(out[0, 0, 0], [1, 2, np.nan, 4])
    np.testing.assert_array_equal(loc[0, 0, 0], [0, 1, 3, 2])  # first max; last NaN
    dx = K.max_pool2d_backward(np.array([[[[5, 6, 7, -0.0]]]], np.float32), loc, x.shape, *K2)
    expected = np.zeros(x.shape, np.float32)
    expected[0, 0, 0, 0], expected[0, 0, 0, 3], expected[0, 0, 1, 5] = 5, 6, 7
    _same(dx, expected)  # -0.0 lands as +0.0


@pytest.mark.parametrize("shape", [(32, 16, 8, 8), (32, 32, 4, 4), (2, 3, 5, 6)])
def test_small_path_matches_torch_to_double_backward(shape):
    torch = pytest.importorskip("torch")
    from autodiff.ops.pool import max_pool2d
    from tests.torch_parity import double_backward
    x = np.round(np.random.default_rng(1).standard_normal(shape), 1)  # ties
    assert K2x2._small(shape, (shape[2] // 2, shape[3] // 2))
    double_backward(lambda X: max_pool2d(X, 2), lambda X: torch.nn.functional.max_pool2d(X, 2),
                    x, torch)
