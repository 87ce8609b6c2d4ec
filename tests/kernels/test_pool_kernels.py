"""Pooling kernels versus their NumPy twins."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kernel_cases import SETTINGS, pool_cases, tol

from autodiff.kernels import pool as K


def _max(c):
    return c["kernel"], c["stride"], c["padding"], c["dilation"]


@SETTINGS
@given(pool_cases())
def test_max_pool_forward_and_indices_match_twin(c):
    out, loc = K.max_pool2d_forward(c["x"], *_max(c), c["ceil_mode"])
    ref, ref_idx = K.max_pool2d_forward_ref(c["x"], *_max(c), c["ceil_mode"])
    assert out.dtype == c["x"].dtype and out.shape == c["g"].shape
    assert loc.dtype == np.int8
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_array_equal(K.max_pool2d_indices(loc, c["x"].shape, *_max(c)), ref_idx)


@SETTINGS
@given(pool_cases())
def test_max_pool_backward_and_gather(c):
    out, loc = K.max_pool2d_forward(c["x"], *_max(c), c["ceil_mode"])
    idx = K.max_pool2d_indices(loc, c["x"].shape, *_max(c))
    dx = K.max_pool2d_backward(c["g"], loc, c["x"].shape, *_max(c))
    np.testing.assert_allclose(dx, K.max_pool2d_backward_ref(c["g"], idx, c["x"].shape),
                               **tol(dx.dtype))
    # gathering x at the maxima gives the forward output; gather is scatter's adjoint
    np.testing.assert_array_equal(K.max_pool2d_gather(c["x"], loc, *_max(c)), out)
    y = np.random.default_rng(1).standard_normal(c["x"].shape).astype(c["x"].dtype)
    np.testing.assert_allclose(np.vdot(dx.astype(float), y),
                               np.vdot(c["g"].astype(float),
                                       K.max_pool2d_gather(y, loc, *_max(c))),
                               rtol=1e-5, atol=1e-5)


@SETTINGS
@given(pool_cases(max_only=False), st.booleans(), st.sampled_from([None, 1, 4]))
def test_avg_pool_matches_twin(c, count_include_pad, divisor_override):
    args = (c["kernel"], c["stride"], c["padding"], c["ceil_mode"], count_include_pad,
            divisor_override)
    out = K.avg_pool2d_forward(c["x"], *args)
    np.testing.assert_allclose(out, K.avg_pool2d_forward_ref(c["x"], *args), **tol(out.dtype))
    dx = K.avg_pool2d_backward(c["g"], c["x"].shape, *args)
    np.testing.assert_allclose(dx, K.avg_pool2d_backward_ref(c["g"], c["x"].shape, *args),
                               **tol(dx.dtype))


def test_ties_nan_and_large_windows():
    x = np.array([[[[1.0, 3.0, 3.0, 2.0]]]])
    out, loc = K.max_pool2d_forward(x, (1, 4), (1, 4))
    assert out[0, 0, 0, 0] == 3.0 and loc[0, 0, 0, 0] == 1  # the first maximum wins
    x = np.array([[[[np.nan, 1.0, np.nan, 2.0]]]])
    out, loc = K.max_pool2d_forward(x, (1, 4), (1, 4))
    assert np.isnan(out[0, 0, 0, 0]) and loc[0, 0, 0, 0] == 2  # NaN propagates (last NaN)
    # windows of more than 127 elements store int32 positions
    x = np.random.default_rng(0).standard_normal((1, 1, 12, 12))
    out, loc = K.max_pool2d_forward(x, (12, 12), (12, 12))
    assert loc.dtype == np.int32 and out[0, 0, 0, 0] == x.max()
    assert K.max_pool2d_indices(loc, x.shape, (12, 12), (12, 12))[0, 0, 0, 0] == x.argmax()


@pytest.mark.parametrize("size,k,s,p,d,ceil,expected", [
    (5, 2, 2, 0, 1, False, 2), (5, 2, 2, 0, 1, True, 3), (6, 3, 2, 1, 1, True, 4),
    (4, 2, 3, 1, 1, True, 2),  # the last window would start in the right padding: dropped
    (7, 3, 2, 1, 2, False, 3),
])
def test_output_size(size, k, s, p, d, ceil, expected):
    assert K.pool_output_size(size, k, s, p, d, ceil) == expected


def test_bad_geometry_raises():
    with pytest.raises(ValueError, match="half the kernel"):
        K.max_pool2d_forward(np.zeros((1, 1, 4, 4)), (2, 2), (2, 2), (2, 2))
    with pytest.raises(ValueError, match="too small"):
        K.avg_pool2d_forward(np.zeros((1, 1, 1, 1)), (3, 3), (1, 1))
