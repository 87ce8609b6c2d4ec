"""The vector moves of autodiff/kernels/_runs.py (split2, merge2: LLVM IR shuffles) against
NumPy slicing: float32 and float64, runs shorter than a vector (the scalar path), exactly
one vector, and longer runs whose last block overlaps the one before, from and to 4-D
arrays (flat indices into C-contiguous planes, as conv_direct's phase planes use them)."""
import numba
import numpy as np
import pytest

from autodiff.kernels._runs import merge2, split2


@numba.njit
def _split(dst, de, do, src, s, m):
    split2(dst, de, do, src, s, m)


@numba.njit
def _merge(dst, d, src, se, so, m, bias):
    merge2(dst, d, src, se, so, m, bias)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m", [0, 1, 7, 8, 9, 14, 16, 23])
def test_split2_and_merge2_match_numpy_slices(dtype, m):
    rng = np.random.default_rng(m)
    src = rng.standard_normal((2, 3, 1, 2 * m + 9)).astype(dtype)
    s = (1 * 3 + 2) * (2 * m + 9) + 3  # a flat index inside image 1, channel 2
    dst = np.full(3 * m + 10, -7, dtype)
    _split(dst, 4, m + 6, src, s, m)
    want = np.full_like(dst, -7)
    flat = src.ravel()
    want[4:4 + m] = flat[s:s + 2 * m:2]
    want[m + 6:2 * m + 6] = flat[s + 1:s + 2 * m:2]
    np.testing.assert_array_equal(dst, want)

    out = np.full((2, 1, 1, 2 * m + 5), -7, dtype)
    bias = dtype(0.25)
    _merge(out, (2 * m + 5) + 1, dst, 4, m + 6, m, bias)
    back = np.full_like(out, -7).ravel()
    back[2 * m + 6:4 * m + 6] = flat[s:s + 2 * m] + bias
    np.testing.assert_array_equal(out.ravel(), back)
