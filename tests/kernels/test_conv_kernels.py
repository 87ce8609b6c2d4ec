"""Convolution kernels versus their NumPy twins."""
import numpy as np
import pytest
from hypothesis import given
from kernel_cases import SETTINGS, conv_cases, tol

from autodiff.kernels import conv as K


def _geom(c):
    return c["stride"], c["padding"], c["dilation"], c["groups"]


# kernel -> (its array arguments, the array whose shape and dtype the result has)
TWINS = {
    "forward": lambda c: ((c["x"], c["w"]), c["g"]),
    "backward_input": lambda c: ((c["g"], c["w"], c["x"].shape), c["x"]),
    "backward_weight": lambda c: ((c["x"], c["g"], c["w"].shape), c["w"]),
}


@pytest.mark.parametrize("kernel", list(TWINS))
@SETTINGS
@given(c=conv_cases())
def test_kernel_matches_twin(kernel, c):
    args, like = TWINS[kernel](c)
    out = getattr(K, f"conv2d_{kernel}")(*args, *_geom(c))
    ref = getattr(K, f"conv2d_{kernel}_ref")(*args, *_geom(c))
    assert out.dtype == like.dtype and out.shape == like.shape
    np.testing.assert_allclose(out, ref, **tol(out.dtype))


@SETTINGS
@given(conv_cases())
def test_im2col_col2im_twins_and_adjoint(c):
    x, k = c["x"], c["w"].shape[2:]
    args = (k, c["stride"], c["padding"], c["dilation"])
    cols = K.im2col(x, *args)
    np.testing.assert_array_equal(cols, K.im2col_ref(x, *args))
    r = np.random.default_rng(0).standard_normal(cols.shape).astype(x.dtype)
    back = K.col2im(r, x.shape, *args)
    np.testing.assert_allclose(back, K.col2im_ref(r, x.shape, *args), **tol(x.dtype))
    # col2im is the adjoint of im2col: <im2col(x), r> == <x, col2im(r)>
    np.testing.assert_allclose(np.vdot(cols.astype(np.float64), r),
                               np.vdot(x.astype(np.float64), back), rtol=1e-4, atol=1e-4)


def test_layout_helpers_roundtrip():
    a = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    c = K.nchw_to_cnhw(a)
    np.testing.assert_array_equal(c, a.transpose(1, 0, 2, 3).reshape(3, -1))
    np.testing.assert_array_equal(K.cnhw_to_nchw(c, a.shape), a)


def test_explicit_output_size_bigger_than_padded_input():
    # a transposed conv with output_padding >= stride needs rows beyond the padded input
    rng = np.random.default_rng(3)
    x_shape, w = (1, 2, 5, 4), rng.standard_normal((3, 2, 2, 2))
    g = rng.standard_normal((1, 3, 4, 3))
    geom = ((1, 1), (0, 0, 0, 0), (2, 2), 1)
    dx = K.conv2d_backward_input(g, w, x_shape, *geom)
    np.testing.assert_allclose(dx, K.conv2d_backward_input_ref(g, w, x_shape, *geom),
                               rtol=1e-10, atol=1e-10)
    x = rng.standard_normal(x_shape)
    out = K.conv2d_forward(x, w, *geom, out_hw=(4, 3))
    ref = K.conv2d_forward_ref(x, w, *geom, out_hw=(4, 3))
    assert out.shape == (1, 3, 4, 3)
    np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-10)


def test_known_values():
    x = np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4)
    w = np.ones((1, 1, 2, 2))
    out = K.conv2d_forward(x, w, (2, 2))
    np.testing.assert_array_equal(out[0, 0], [[10, 18], [42, 50]])
    dx = K.conv2d_backward_input(np.ones((1, 1, 2, 2)), w, x.shape, (2, 2))
    np.testing.assert_array_equal(dx, np.ones_like(x))


def test_shape_mismatch_raises():
    with pytest.raises(ValueError, match="groups"):
        K.conv2d_forward(np.zeros((1, 3, 4, 4)), np.zeros((2, 2, 1, 1)))
    with pytest.raises(ValueError, match="too small"):
        K.conv2d_forward(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 3, 3)))


def test_forward_with_bias():
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((2, 3, 5, 5)), rng.standard_normal((4, 3, 3, 3))
    b = rng.standard_normal(4)
    out = K.conv2d_forward(x, w, padding=(1, 1, 1, 1), bias=b)
    ref = K.conv2d_forward_ref(x, w, padding=(1, 1, 1, 1)) + b.reshape(1, 4, 1, 1)
    np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-10)


def test_results_do_not_depend_on_thread_count():
    import numba

    from autodiff.kernels import pool as P
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((3, 4, 9, 9)), rng.standard_normal((5, 4, 3, 3))
    geom = ((1, 2), (1, 1, 0, 2), (2, 1), 1)
    before = numba.get_num_threads()
    try:
        results = []
        for n in sorted({1, before}):
            numba.set_num_threads(n)
            out = K.conv2d_forward(x, w, *geom)
            dx = K.conv2d_backward_input(out, w, x.shape, *geom)
            mp, loc = P.max_pool2d_forward(x, (3, 3), (2, 2), (1, 1))
            results.append((out, dx, mp, loc, P.max_pool2d_backward(mp, loc, x.shape, (3, 3),
                                                                    (2, 2), (1, 1))))
    finally:
        numba.set_num_threads(before)
    for a, b in zip(results[0], results[-1]):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(results[0][0], K.conv2d_forward_ref(x, w, *geom), rtol=1e-10,
                               atol=1e-10)
