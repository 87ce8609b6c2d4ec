"""max_pool1d/2d, avg_pool1d/2d ops: values, gradients, double backward, PyTorch parity."""
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import autodiff as ad
from autodiff.kernels.pool import pool_output_size
from autodiff.ops.pool import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
from tests.ops.central_diff import check_grad, check_gradgrad
from tests.torch_parity import double_backward

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _t(a, grad=True):
    return ad.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def test_known_values_ties_and_gradient():
    x = _t([[[[1, 5, 5, 0], [2, 2, 3, 3], [0, 0, 1, 1], [7, 0, 1, 7]]]])
    out, idx = max_pool2d(x, 2, return_indices=True)
    np.testing.assert_array_equal(out._data[0, 0], [[5, 5], [7, 7]])
    np.testing.assert_array_equal(idx._data[0, 0], [[1, 2], [12, 15]])  # first max wins
    assert idx.dtype == np.int64
    out.sum().backward()
    expected = np.zeros((4, 4))
    expected[0, 1] = expected[0, 2] = expected[3, 0] = expected[3, 3] = 1
    np.testing.assert_array_equal(x.grad._data[0, 0], expected)
    a = avg_pool2d(_t(np.arange(16.0).reshape(1, 1, 4, 4)), 2)
    np.testing.assert_array_equal(a._data[0, 0], [[2.5, 4.5], [10.5, 12.5]])


def test_shapes_defaults_and_errors():
    x = ad.zeros(2, 3, 7, 8)
    assert max_pool2d(x, 2).shape == (2, 3, 3, 4)  # stride defaults to kernel_size
    assert max_pool2d(x, 2, ceil_mode=True).shape == (2, 3, 4, 4)
    assert max_pool2d(x, 3, 2, 1, dilation=2).shape == (2, 3, 3, 3)
    assert avg_pool2d(x, (2, 3), (1, 2), (1, 1), ceil_mode=True).shape == (2, 3, 8, 5)
    assert max_pool2d(x[0], 2).shape == (3, 3, 4)
    assert max_pool1d(ad.zeros(2, 3, 9), 2).shape == (2, 3, 4)
    assert avg_pool1d(ad.zeros(3, 9), 3, 2, 1).shape == (3, 5)
    assert max_pool2d(x, 2).dtype == np.float32
    with pytest.raises(ValueError, match="half the kernel"):
        max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="too small"):
        avg_pool2d(ad.zeros(1, 1, 2, 2), 3)
    with pytest.raises(ValueError, match="divisor"):
        avg_pool2d(x, 2, divisor_override=0)


@pytest.mark.parametrize("kw", [
    dict(kernel_size=2),
    dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), dilation=(1, 2), ceil_mode=True),
])
def test_max_pool2d_gradients(kw):
    x = _t(np.random.default_rng(0).permutation(2 * 2 * 5 * 6).reshape(2, 2, 5, 6) * 0.1)
    check_grad(lambda x: max_pool2d(x, **kw), (x,))
    check_gradgrad(lambda x: max_pool2d(x, **kw), (x,))


@pytest.mark.parametrize("kw", [
    dict(kernel_size=2),
    dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), ceil_mode=True,
         count_include_pad=False),
    dict(kernel_size=3, stride=2, padding=1, divisor_override=4),
])
def test_avg_pool2d_gradients(kw):
    x = _t(np.random.default_rng(1).standard_normal((2, 2, 5, 6)))
    check_grad(lambda x: avg_pool2d(x, **kw), (x,))
    check_gradgrad(lambda x: avg_pool2d(x, **kw), (x,))


def test_1d_gradients():
    x = _t(np.random.default_rng(2).permutation(2 * 3 * 7).reshape(2, 3, 7) * 0.1)
    check_grad(lambda x: max_pool1d(x, 3, 2, 1, 2, True), (x,))
    check_grad(lambda x: avg_pool1d(x, 3, 2, 1, True, False), (x,))


# --------------------------------------------------------------------------- torch parity


@st.composite
def pool_setups(draw, avg=False):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    d = (1, 1) if avg else (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    ceil_mode = draw(st.booleans())
    H, W = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    assume(pool_output_size(H, k[0], s[0], p[0], d[0], ceil_mode) > 0)
    assume(pool_output_size(W, k[1], s[1], p[1], d[1], ceil_mode) > 0)
    # every window must see an input element: PyTorch scatters the gradient of an all-padding
    # window outside its plane (into the next channel), which is not worth copying
    for n, ki, si, pi, di in ((H, k[0], s[0], p[0], d[0]), (W, k[1], s[1], p[1], d[1])):
        for o in range(pool_output_size(n, ki, si, pi, di, ceil_mode)):
            assume(any(0 <= o * si - pi + j * di < n for j in range(ki)))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    x = np.round(rng.standard_normal((2, 2, H, W)), 1)  # ties
    kw = dict(kernel_size=k, stride=s, padding=p, ceil_mode=ceil_mode)
    if avg:
        kw["count_include_pad"] = draw(st.booleans())
        kw["divisor_override"] = draw(st.sampled_from([None, 3]))
    else:
        kw["dilation"] = d
    return x, kw


@SETTINGS
@given(pool_setups())
def test_max_pool2d_matches_torch(setup):
    torch = pytest.importorskip("torch")
    x, kw = setup
    double_backward(lambda X: max_pool2d(X, **kw),
                    lambda X: torch.nn.functional.max_pool2d(X, **kw), x, torch)
    _, idx = max_pool2d(_t(x), **kw, return_indices=True)
    _, tidx = torch.nn.functional.max_pool2d(torch.tensor(x), **kw, return_indices=True)
    np.testing.assert_array_equal(idx._data, tidx.numpy())


@SETTINGS
@given(pool_setups(avg=True))
def test_avg_pool2d_matches_torch(setup):
    torch = pytest.importorskip("torch")
    x, kw = setup
    double_backward(lambda X: avg_pool2d(X, **kw),
                    lambda X: torch.nn.functional.avg_pool2d(X, **kw), x, torch)


def test_1d_and_nan_match_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = np.round(np.random.default_rng(3).standard_normal((2, 3, 11)), 1)
    double_backward(lambda X: max_pool1d(X, 3, 2, 1, 2, True),
                    lambda X: F.max_pool1d(X, 3, 2, 1, 2, True), x, torch)
    double_backward(lambda X: avg_pool1d(X, 3, 2, 1, True, False),
                    lambda X: F.avg_pool1d(X, 3, 2, 1, True, False), x, torch)
    _, idx = max_pool1d(_t(x), 3, 2, 1, 2, True, return_indices=True)
    _, tidx = F.max_pool1d(torch.tensor(x), 3, 2, 1, 2, True, return_indices=True)
    np.testing.assert_array_equal(idx._data, tidx.numpy())
    xn = np.array([[[[np.nan, 1.0], [np.nan, 2.0]]]])
    out, idx = max_pool2d(_t(xn), 2, return_indices=True)
    tout, tidx = F.max_pool2d(torch.tensor(xn), 2, return_indices=True)
    assert np.isnan(out._data).all() and np.isnan(tout.numpy()).all()
    np.testing.assert_array_equal(idx._data, tidx.numpy())
