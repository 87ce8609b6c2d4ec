"""Pooling kernels on read-only arrays: the kernels whose two modes swap which array they
write (the average kernels, the max route kernel) get writable copies, and the results equal
the NumPy twins."""
import numpy as np
import pytest

from autodiff.kernels import pool as K


def _readonly(a):
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


@pytest.mark.parametrize("kernel,stride,padding", [((2, 2), (2, 2), (0, 0)),
                                                   ((3, 3), (2, 2), (1, 1))])
def test_pools_accept_readonly_inputs_and_gradients(kernel, stride, padding):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 7, 8))
    out = K.avg_pool2d_forward(_readonly(x), kernel, stride, padding)
    np.testing.assert_allclose(out, K.avg_pool2d_forward_ref(x, kernel, stride, padding))
    g = rng.standard_normal(out.shape)
    dx = K.avg_pool2d_backward(_readonly(g), x.shape, kernel, stride, padding)
    np.testing.assert_allclose(dx, K.avg_pool2d_backward_ref(g, x.shape, kernel, stride, padding))

    mout, loc = K.max_pool2d_forward(_readonly(x), kernel, stride, padding)
    ref_out, ref_idx = K.max_pool2d_forward_ref(x, kernel, stride, padding)
    np.testing.assert_array_equal(mout, ref_out)
    dx = K.max_pool2d_backward(_readonly(g), _readonly(loc), x.shape, kernel, stride, padding)
    np.testing.assert_allclose(dx, K.max_pool2d_backward_ref(g, ref_idx, x.shape))
    picked = K.max_pool2d_gather(_readonly(x), _readonly(loc), kernel, stride, padding)
    np.testing.assert_array_equal(picked, ref_out)
