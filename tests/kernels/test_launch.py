"""Sized kernels: the parallel kernel and its serial twin give the same results."""
import numba
import numpy as np
import pytest

from autodiff.kernels import _launch
from autodiff.kernels import conv as K
from autodiff.kernels import pool as P
from autodiff.kernels import pool_2x2 as P2


@pytest.mark.parametrize("threshold", [0, 1 << 40])
def test_parallel_and_serial_paths_agree_with_twins(monkeypatch, threshold):
    monkeypatch.setattr(_launch, "PARALLEL_MIN", threshold)
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 6, 7)).astype(np.float32)
    args = ((3, 3), (1, 2), (1, 0, 2, 1), (1, 1))
    cols = K.im2col(x, *args)
    np.testing.assert_array_equal(cols, K.im2col_ref(x, *args))
    np.testing.assert_allclose(K.col2im(cols, x.shape, *args), K.col2im_ref(cols, x.shape, *args),
                               rtol=1e-6, atol=1e-6)
    o, loc = P.max_pool2d_forward(x, (2, 2), (2, 2))
    np.testing.assert_array_equal(o, P2.max_pool2d_2x2_forward_ref(x)[0])
    a = P.avg_pool2d_forward(x, (3, 2), (2, 1), (1, 1))
    np.testing.assert_allclose(a, P.avg_pool2d_forward_ref(x, (3, 2), (2, 1), (1, 1)), rtol=1e-6)
