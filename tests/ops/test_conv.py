"""conv1d / conv2d / conv_transpose2d ops: values, gradients, double backward, PyTorch parity."""
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import autodiff as ad
from autodiff.ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from tests.ops.central_diff import check_grad, check_gradgrad
from tests.ops.conv_parity import assert_conv_matches_torch

SETTINGS = settings(max_examples=20, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _t(a, grad=True):
    return ad.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def test_known_values_and_bias():
    x = _t(np.arange(16.0).reshape(1, 1, 4, 4))
    w = _t(np.ones((2, 1, 2, 2)))
    b = _t([0.5, -1.0])
    out = conv2d(x, w, b, stride=2)
    np.testing.assert_array_equal(out._data[0, 0], [[10.5, 18.5], [42.5, 50.5]])
    np.testing.assert_array_equal(out._data[0, 1], [[9, 17], [41, 49]])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad._data, np.full((1, 1, 4, 4), 2.0))
    np.testing.assert_array_equal(b.grad._data, [4.0, 4.0])
    np.testing.assert_array_equal(w.grad._data[0, 0], [[0 + 2 + 8 + 10, 1 + 3 + 9 + 11],
                                                      [4 + 6 + 12 + 14, 5 + 7 + 13 + 15]])


def test_output_shapes_and_padding_modes():
    x = ad.zeros(2, 3, 7, 6)
    w = ad.zeros(4, 3, 3, 2)
    assert conv2d(x, w).shape == (2, 4, 5, 5)
    assert conv2d(x, w, padding="valid").shape == (2, 4, 5, 5)
    assert conv2d(x, w, padding="same").shape == (2, 4, 7, 6)
    assert conv2d(x, w, padding="same", dilation=2).shape == (2, 4, 7, 6)
    assert conv2d(x, w, stride=(2, 3), padding=(1, 2)).shape == (2, 4, 4, 3)
    assert conv2d(x[0], w).shape == (4, 5, 5)  # unbatched
    assert conv1d(ad.zeros(2, 3, 9), ad.zeros(5, 3, 4), padding="same").shape == (2, 5, 9)
    assert conv_transpose2d(ad.zeros(1, 3, 4, 5), ad.zeros(3, 2, 3, 3), stride=2, padding=1,
                            output_padding=1).shape == (1, 2, 8, 10)
    assert conv2d(x, w).dtype == np.float32


def test_errors():
    x, w = ad.zeros(1, 3, 5, 5), ad.zeros(2, 2, 3, 3)
    with pytest.raises(ValueError, match="conv2d"):
        conv2d(x, w)
    with pytest.raises(ValueError, match="padding"):
        conv2d(x, ad.zeros(2, 3, 3, 3), padding="full")
    with pytest.raises(ValueError, match="strided"):
        conv2d(x, ad.zeros(2, 3, 3, 3), padding="same", stride=2)
    with pytest.raises(ValueError, match="output padding"):
        conv_transpose2d(x, ad.zeros(3, 2, 3, 3), stride=2, output_padding=2)
    with pytest.raises(ValueError):
        conv2d(ad.zeros(5, 5), ad.zeros(1, 1, 3, 3))


@pytest.mark.parametrize("kw", [
    dict(),
    dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
    dict(padding="same", groups=2),
])
def test_conv2d_gradients(kw):
    rng = np.random.default_rng(0)
    g = kw.get("groups", 1)
    x, w, b = _t(rng.standard_normal((2, 2, 5, 6))), _t(rng.standard_normal((2, 2 // g, 2, 3))), \
        _t(rng.standard_normal(2))
    check_grad(lambda x, w, b: conv2d(x, w, b, **kw), (x, w, b))


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1, dilation=(2, 1), groups=2)])
def test_conv2d_double_backward(kw):
    rng = np.random.default_rng(1)
    g = kw.get("groups", 1)
    x, w = _t(rng.standard_normal((1, 2, 5, 4))), _t(rng.standard_normal((2, 2 // g, 2, 2)))
    check_gradgrad(lambda x, w: conv2d(x, w, **kw), (x, w))


def test_conv1d_and_transpose_gradients():
    rng = np.random.default_rng(2)
    x, w = _t(rng.standard_normal((2, 2, 7))), _t(rng.standard_normal((3, 2, 3)))
    check_grad(lambda x, w: conv1d(x, w, stride=2, padding=1, dilation=2), (x, w))
    x, w = _t(rng.standard_normal((1, 2, 3, 3))), _t(rng.standard_normal((2, 3, 2, 3)))
    b = _t(rng.standard_normal(3))
    check_grad(lambda x, w, b: conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
               (x, w, b))
    check_gradgrad(lambda x, w: conv_transpose2d(x, w, stride=(1, 2), output_padding=(0, 1)),
                   (x, w))
    x, w = _t(rng.standard_normal((1, 2, 4))), _t(rng.standard_normal((2, 1, 3)))
    check_grad(lambda x, w: conv_transpose1d(x, w, stride=2, groups=2), (x, w))


def test_float32_end_to_end():
    rng = np.random.default_rng(3)
    x = ad.tensor(rng.standard_normal((2, 3, 6, 6)).astype(np.float32), requires_grad=True)
    w = ad.tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), requires_grad=True)
    b = ad.tensor(np.zeros(4, np.float32), requires_grad=True)
    out = conv2d(x, w, b, padding=1)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32
    ref = conv2d(x.detach().double(), w.detach().double(), padding=1)
    np.testing.assert_allclose(out._data, ref._data, rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------------------- torch parity


@st.composite
def conv_setups(draw, transpose=False):
    groups = draw(st.integers(1, 2))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 2)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    p = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    H, W = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    kw = dict(stride=s, padding=p, dilation=d, groups=groups)
    if transpose:
        op = tuple(draw(st.integers(0, max(si, di) - 1)) for si, di in zip(s, d))
        kw["output_padding"] = op
        Ho = [(n - 1) * si - 2 * pi + di * (ki - 1) + oi + 1
              for n, si, pi, di, ki, oi in zip((H, W), s, p, d, k, op)]
        assume(min(Ho) > 0)
        wshape = (cin, cout // groups, *k)
    else:
        if draw(st.booleans()):
            kw["padding"] = draw(st.sampled_from(["same", "valid"]))
            if kw["padding"] == "same":
                kw["stride"] = 1
        pad = (0, 0) if kw["padding"] == "valid" else kw["padding"]
        if pad != "same":
            assume(all(n + 2 * pi - di * (ki - 1) - 1 >= 0
                       for n, pi, di, ki in zip((H, W), pad, d, k)))
        wshape = (cout, cin // groups, *k)
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    x = rng.standard_normal((draw(st.integers(1, 2)), cin, H, W))
    w = rng.standard_normal(wshape)
    b = rng.standard_normal(cout) if draw(st.booleans()) else None
    return x, w, b, kw


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@SETTINGS
@given(conv_setups())
def test_conv2d_matches_torch(setup):
    assert_conv_matches_torch("conv2d", *setup)


@SETTINGS
@given(conv_setups(transpose=True))
def test_conv_transpose2d_matches_torch(setup):
    assert_conv_matches_torch("conv_transpose2d", *setup)


def test_conv1d_matches_torch():
    rng = np.random.default_rng(5)
    x, w, b = rng.standard_normal((2, 4, 9)), rng.standard_normal((6, 2, 3)), rng.standard_normal(6)
    for kw in (dict(stride=2, padding=2, dilation=2, groups=2), dict(padding="same", groups=2)):
        assert_conv_matches_torch("conv1d", x, w, b, kw)
