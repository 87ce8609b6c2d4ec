"""Strided grouped / depthwise convolutions and C/groups up to 16 through the ops, run by the
direct kernels' polyphase path (kernels/conv_direct.py, chosen by kernels/conv_algo.py):
values, gradients and double backward against PyTorch, float64 central differences, and
non-finite inputs giving PyTorch's (im2col's) answer."""
import numpy as np
import pytest

import autodiff as ad
from autodiff.kernels import conv_algo as A
from autodiff.ops.conv import Geometry, conv2d
from tests.ops.conv_parity import assert_conv_matches_torch

CASES = [
    ((2, 6, 9, 8), (6, 1, 3, 3), dict(stride=2, padding=1, groups=6)),  # depthwise s2
    ((2, 8, 8, 7), (12, 2, 3, 3), dict(stride=2, groups=4)),  # no padding, odd width
    ((1, 6, 11, 10), (6, 2, 3, 3), dict(stride=(2, 3), padding=2, dilation=2, groups=3)),
    ((2, 32, 5, 6), (4, 16, 3, 3), dict(stride=2, padding=1, groups=2)),  # C/groups 16
]


def _t(a, grad=True):
    return ad.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


@pytest.mark.parametrize("case", CASES)
def test_dispatched_to_direct(case):
    xs, ws, kw = case
    s = kw["stride"]
    geom = Geometry((s, s) if isinstance(s, int) else s, (1, 1, 1, 1), (1, 1), kw["groups"],
                    None)
    assert A.choose(xs, ws, geom) == A.DIRECT


@pytest.mark.parametrize("case", CASES)
def test_matches_torch_with_double_backward(case):
    xs, ws, kw = case
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    assert_conv_matches_torch("conv2d", x, w, b, kw, rtol=1e-10, atol=1e-12, seed=2)


@pytest.mark.parametrize("case", CASES[:3])
def test_gradcheck_float64(case):
    xs, ws, kw = case
    rng = np.random.default_rng(3)
    x, w = _t(rng.standard_normal(xs)), _t(rng.standard_normal(ws))
    ad.gradcheck(lambda x, w: conv2d(x, w, **kw), (x, w))
    ad.gradgradcheck(lambda x, w: conv2d(x, w, **kw), (x, w))


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("where", ["x", "w", "both"])
def test_non_finite_values_give_the_im2col_results(where, monkeypatch):
    # the strided input gradient multiplies the weight by zeros past the row ends, the
    # weight gradient the input: an inf there would give nan where PyTorch gives a number
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal((2, 4, 7, 8)), rng.standard_normal((4, 1, 3, 3))
    if where in ("x", "both"):
        x[0, 1, 2, 7] = np.inf  # last column: read past the row's end by the wide rows
    if where in ("w", "both"):
        w[1, 0, 1, 2] = -np.inf
    go = rng.standard_normal((2, 4, 4, 4))

    def grads():
        X, W = _t(x), _t(w)
        return [g._data for g in ad.grad(conv2d(X, W, stride=2, padding=1, groups=4),
                                          [X, W], ad.tensor(go))]
    got = grads()
    monkeypatch.setattr(A, "FORCE", A.IM2COL)
    for a, b in zip(got, grads()):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, equal_nan=True)
