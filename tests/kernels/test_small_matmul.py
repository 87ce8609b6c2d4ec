"""kernels/_launch.matmul: its products equal np.matmul's bit for bit at the thread count it
runs them with (one thread inside its range; OpenBLAS's two-thread float32 products round
differently in the last bit), and the BLAS thread count is back as it was after each call
(also while a split holds the lock, and when the product raises)."""
import threading

import numpy as np
import pytest

from autodiff.kernels import _launch

pytestmark = pytest.mark.skipif(_launch._set_blas_local is None,
                                reason="NumPy's BLAS is not an OpenBLAS with the thread call")


def _blas_threads():
    n = _launch._set_blas_local(1)
    _launch._set_blas_local(n)
    return n


@pytest.fixture
def two_threads():
    prev = _launch._set_blas_local(2)
    yield
    _launch._set_blas_local(prev)


# (a shape, b shape): below, inside and above the one-thread range of M*N*K, 2-D and batched a
SHAPES = [((16, 8), (8, 4)), ((128, 64), (64, 64)), ((64, 128), (128, 64)),
          ((4, 32, 64), (64, 64)), ((256, 128), (128, 128)), ((128, 2), (2, 64))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sa, sb", SHAPES)
def test_equals_numpy_bit_for_bit(two_threads, sa, sb, dtype):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(sa).astype(dtype)
    b = rng.standard_normal(sb).astype(dtype)
    lo, hi = _launch._ONE_THREAD_GEMM
    one_thread = lo < a.size * sb[-1] < hi
    for bb in (b, np.ascontiguousarray(b.T).T):  # C- and F-ordered operands
        out = _launch.matmul(a, bb)
        assert out.dtype == dtype and out.shape == sa[:-1] + sb[-1:]
        assert _blas_threads() == 2
        prev = _launch._set_blas_local(1 if one_thread else 2)
        try:
            expected = np.matmul(a, bb)
        finally:
            _launch._set_blas_local(prev)
        np.testing.assert_array_equal(out, expected)
        np.testing.assert_allclose(out, np.matmul(a, bb), rtol=1e-5, atol=1e-5)


def test_thread_count_restored_when_the_product_raises(two_threads):
    a, b = np.ones((128, 64), np.float32), np.ones((60, 64), np.float32)  # 64 != 60
    lo, hi = _launch._ONE_THREAD_GEMM
    assert lo < a.size * b.shape[-1] < hi  # the one-thread branch, which sets the count
    with pytest.raises(ValueError):
        _launch.matmul(a, b)
    assert _blas_threads() == 2


def test_split_holding_the_lock_keeps_its_one_thread(two_threads):
    a = np.ones((128, 64), np.float32)
    seen = []

    def task(k):
        out = _launch.matmul(a, a.T[:, :64])  # inside a split: the split's count stays
        seen.append(_blas_threads())
        return out

    outs = _launch.run_split(task, 2)
    assert seen == [1, 1] and _blas_threads() == 2
    for out in outs:
        np.testing.assert_array_equal(out, np.full((128, 64), 64, np.float32))


def test_concurrent_callers_leave_the_count_unchanged(two_threads):
    a = np.ones((64, 128), np.float32)
    b = np.ones((128, 64), np.float32)

    def work():
        for _ in range(300):
            np.testing.assert_array_equal(_launch.matmul(a, b), 128)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _blas_threads() == 2
