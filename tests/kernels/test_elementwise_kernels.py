"""ReLU kernels versus their NumPy twins: bit-identical values, NaN/inf/signed zeros included,
and the fallbacks (small, non-contiguous, integer, mixed dtype) agree too.  The backward is
PyTorch's threshold_backward select, written out exactly below."""
import numpy as np
import pytest

from autodiff.kernels import elementwise as K


def _same(a, b):
    """Equal values, dtypes, NaN positions and signs of zero."""
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.signbit(a), np.signbit(b))


def _special(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape).astype(dtype)
    flat = a.reshape(-1)
    special = [np.nan, np.inf, -np.inf, 0.0, -0.0, -np.nan]
    flat[:len(special)] = special[:flat.size]
    return a


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(128, 256), (7, 13), (10,), (2, 3, 40)])
def test_relu_forward_matches_twin(dtype, shape):
    a = _special(shape, dtype, 0)
    out = K.relu_forward(a)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, K.relu_forward_ref(a))   # NaN where NaN; 0 == -0
    flat = out.reshape(-1)
    assert np.isnan(flat[0]) and flat[1] == np.inf and flat[2] == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(128, 256), (7, 13), (2, 3, 40)])
def test_relu_backward_matches_twin(dtype, shape):
    out = K.relu_forward(_special(shape, dtype, 1))
    g = _special(shape, dtype, 2)           # NaN and -0.0 gradients where out <= 0 too
    _same(K.relu_backward(g, out), K.relu_backward_ref(g, out))


@pytest.mark.parametrize("fn", [K.relu_backward, K.relu_backward_ref], ids=["kernel", "twin"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reps", [1, 16])      # 8 elements: the NumPy fallback; 128: the kernel
def test_relu_backward_is_a_select(fn, dtype, reps):
    """0 if out <= 0 else g: a NaN output passes g; where out <= 0 the result is +0.0 even for
    g = inf, NaN or negative (a multiply by the mask gave NaN and -0.0 there)."""
    nan, inf = np.nan, np.inf
    out = np.array([nan, 0.0, 0.0, -0.0, 2.0, 0.0, 1.0, 7.0] * reps, dtype)
    g = np.array([1.0, inf, nan, -inf, 5.0, -1.0, 3.0, inf] * reps, dtype)
    want = np.array([1.0, 0.0, 0.0, 0.0, 5.0, 0.0, 3.0, inf] * reps, dtype)
    _same(fn(g, out), want)


def test_fallbacks_agree_with_twins():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((64, 32)).astype(np.float32)
    nc = a.T                                 # non-contiguous
    _same(K.relu_forward(nc), K.relu_forward_ref(nc))
    ints = rng.integers(-5, 5, (20, 10))
    _same(K.relu_forward(ints), K.relu_forward_ref(ints))
    out = K.relu_forward(a)
    g64 = rng.standard_normal(a.shape)       # mixed dtypes promote as NumPy does
    _same(K.relu_backward(g64, out), K.relu_backward_ref(g64, out))
    _same(K.relu_backward(g64.T, out.T), K.relu_backward_ref(g64.T, out.T))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(128, 256), (1, 100), (200, 1), (7, 13), (3, 5), (5, 17)])
def test_bias_kernels_match_twins(dtype, shape):
    """add_rows_ (a += b by rows) and sum_rows (add.reduce(a, 0)): bit-identical to NumPy,
    special values included."""
    a = _special(shape, dtype, 4)
    b = _special(shape[1:], dtype, 5)
    _same(K.add_rows_(a.copy(), b), K.add_rows_ref_(a.copy(), b))
    _same(K.sum_rows(a), K.sum_rows_ref(a))
    rng = np.random.default_rng(6)
    big = rng.standard_normal(shape).astype(dtype) * 1e3   # rounding order shows in sums
    _same(K.sum_rows(big), K.sum_rows_ref(big))


def test_bias_kernel_fallbacks():
    rng = np.random.default_rng(7)
    a = rng.standard_normal((64, 32)).astype(np.float32)
    b64 = rng.standard_normal(32)                           # mixed dtypes: NumPy's casting
    _same(K.add_rows_(a.copy(), b64), K.add_rows_ref_(a.copy(), b64))
    nc = rng.standard_normal((32, 64)).astype(np.float32).T  # non-contiguous
    _same(K.add_rows_(nc.copy(order="F"), a[0]), K.add_rows_ref_(nc.copy(order="F"), a[0]))
    _same(K.sum_rows(nc), K.sum_rows_ref(nc))
    a3 = rng.standard_normal((4, 5, 32)).astype(np.float32)
    _same(K.add_rows_(a3.copy(), a[0]), K.add_rows_ref_(a3.copy(), a[0]))
    _same(K.sum_rows(a3), K.sum_rows_ref(a3))
    ints = rng.integers(-5, 5, (20, 10))
    _same(K.sum_rows(ints), K.sum_rows_ref(ints))
    empty = np.zeros((0, 80), np.float32)
    _same(K.sum_rows(empty), K.sum_rows_ref(empty))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(128, 64), (7, 13), (10,), (2, 3, 40)])
@pytest.mark.parametrize("slope", [0.2, 0.01, 0.0, -0.3, 1.5])
def test_leaky_relu_forward_matches_twin(dtype, shape, slope):
    """Output and local slope bit-identical to the NumPy twin, NaN/inf/signed zeros included
    (a NaN takes the slope, so stays NaN; -0.0 gives -0.0 for a positive slope)."""
    a = _special(shape, dtype, 8)
    out, scale = K.leaky_relu_forward(a, slope)
    want_out, want_scale = K.leaky_relu_forward_ref(a, slope)
    _same(out, want_out)
    _same(scale, want_scale)
    np.testing.assert_array_equal(scale, np.where(a > 0, 1, dtype(slope)))
    flat = out.reshape(-1)
    assert np.isnan(flat[0]) and flat[1] == np.inf
    if flat.size > 4 and slope > 0:
        assert flat[2] == -np.inf and np.signbit(flat[4])


def test_leaky_relu_fallbacks_agree_with_twin():
    rng = np.random.default_rng(9)
    a = rng.standard_normal((64, 32)).astype(np.float32)
    for x in (a.T, a.astype(np.float16), a[:2, :3]):  # non-contiguous, float16, small
        out, scale = K.leaky_relu_forward(x, 0.2)
        want_out, want_scale = K.leaky_relu_forward_ref(x, 0.2)
        _same(out, want_out)
        _same(scale, want_scale)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(64, 32), (7, 13), (2, 3, 40)])
def test_sigmoid_select_matches_twin(dtype, shape):
    """The stable sigmoid's select, bit-identical to NumPy's where (NaN, +-inf, +-0 included);
    and the fallbacks (small, non-contiguous, float16) agree too."""
    a = _special(shape, dtype, 10) * 20
    e = np.exp(-np.abs(a))
    out = K.sigmoid_select(a, e)
    _same(out, K.sigmoid_select_ref(a, e))
    flat = out.reshape(-1)
    assert np.isnan(flat[0]) and flat[1] == 1 and flat[2] == 0 and flat[3] == 0.5
    for x in (a.T, a.astype(np.float16)):
        ex = np.exp(-np.abs(x))
        _same(K.sigmoid_select(x, ex), K.sigmoid_select_ref(x, ex))
