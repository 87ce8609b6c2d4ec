"""kernels/conv_inner.py's ``transpose`` (8x8 vector blocks, the copies between (N, C, H, W)
arrays and image-innermost blocks) against NumPy: every block size and overlap, strides
wider than a block, with and without the added bias, both dtypes; nothing outside the
target touched."""
import numpy as np
import pytest

from autodiff.kernels import conv_inner as I


def _twin(dst, d, dstep, src, s, sstep, rows, cols, bias, add):
    out = dst.copy()
    for i in range(rows):
        for j in range(cols):
            out[d + j * dstep + i] = src[s + i * sstep + j] + (bias if add else 0)
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows, cols", [(1, 1), (7, 9), (8, 8), (9, 8), (8, 13), (16, 16),
                                        (17, 23), (32, 49), (11, 7)])
@pytest.mark.parametrize("add", [False, True])
def test_transpose_matches_numpy(dtype, rows, cols, add):
    rng = np.random.default_rng(rows * 100 + cols)
    sstep, dstep = cols + 3, rows + 5
    s, d = 2, 4
    src = rng.standard_normal(s + rows * sstep + 8).astype(dtype)
    dst = np.full(d + cols * dstep + 8, 7.0, dtype)
    bias = dtype(0.5)
    want = _twin(dst, d, dstep, src, s, sstep, rows, cols, bias, add)
    I.transpose(dst, d, dstep, src, s, sstep, rows, cols, bias, add)
    np.testing.assert_array_equal(dst, want)


def test_transpose_keeps_negative_zero_without_bias():
    """A plain copy (add False) moves -0.0 as it is."""
    src = np.full(64, -0.0, np.float32)
    dst = np.ones(64, np.float32)
    I.transpose(dst, 0, 8, src, 0, 8, 8, 8, np.float32(0), False)
    assert np.signbit(dst).all()
