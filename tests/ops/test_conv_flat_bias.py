"""Stride-1 grouped / depthwise convolutions through the ops, whose weight gradient runs on
flat planes (kernels/conv_flat.py) or shared-padding planes (kernels/conv_grouped.py) and
brings the bias gradient along (ops/conv.py Conv2d.backward then skips its own sum): values,
gradients and double backward against PyTorch, float64 central differences, non-finite
inputs."""
import numpy as np
import pytest

import autodiff as ad
from autodiff.kernels import conv_algo as A
from autodiff.kernels import conv_flat as F
from autodiff.kernels import conv_fused as Fu
from autodiff.kernels import conv_grouped as G
from autodiff.ops.conv import conv2d
from tests.ops.conv_parity import assert_conv_matches_torch

CASES = [
    ((2, 6, 9, 8), (6, 1, 3, 3), dict(padding=1, groups=6)),  # depthwise
    ((2, 8, 7, 6), (12, 2, 3, 3), dict(padding=1, groups=4)),
    ((1, 6, 8, 9), (6, 2, 3, 3), dict(padding=2, dilation=2, groups=3)),
    ((2, 32, 5, 6), (4, 16, 3, 3), dict(padding=1, groups=2)),  # C/groups 16
]


def _t(a, grad=True):
    return ad.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


@pytest.fixture
def calls(monkeypatch):
    """The bias_grad flags the flat (or, for kernels of more than one row, the
    shared-padding: kernels/conv_grouped.py) weight gradient was called with, or the pass of
    both gradients (kernels/conv_fused.py)."""
    seen = []
    for mod, real in ((F, F.conv2d_backward_weight), (G, G.conv2d_backward_weight),
                      (Fu, Fu.conv2d_backward)):
        def spy(*args, _real=real):
            seen.append(args[-1])
            return _real(*args)
        monkeypatch.setattr(mod, real.__name__, spy)
    return seen


@pytest.mark.parametrize("case", CASES)
def test_bias_gradient_comes_from_the_weight_gradient_pass(case, calls):
    xs, ws, kw = case
    rng = np.random.default_rng(4)
    x, w, b = (_t(rng.standard_normal(s)) for s in (xs, ws, ws[0]))
    out = conv2d(x, w, b, **kw)
    go = rng.standard_normal(out.shape)
    out.backward(ad.tensor(go))
    assert calls == [True]
    np.testing.assert_allclose(b.grad._data, go.sum((0, 2, 3)), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES)
def test_matches_torch_with_double_backward(case, calls):
    xs, ws, kw = case
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    assert_conv_matches_torch("conv2d", x, w, b, kw, rtol=1e-10, atol=1e-12, seed=2)
    assert calls and True not in calls  # create_graph: Conv2d.backward sums g itself
    _plain_backward_matches_torch(x, w, b, kw, rng)  # the fused bias gradient
    assert calls[-1] is True


def _plain_backward_matches_torch(x, w, b, kw, rng):
    torch = pytest.importorskip("torch")
    X, W, B = _t(x), _t(w), _t(b)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    out, ot = conv2d(X, W, B, **kw), torch.nn.functional.conv2d(xt, wt, bt, **kw)
    go = rng.standard_normal(out.shape)
    out.backward(ad.tensor(go))
    ot.backward(torch.tensor(go))
    for a, t in zip((X, W, B), (xt, wt, bt)):
        np.testing.assert_allclose(a.grad._data, t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", CASES[:3])
def test_gradcheck_float64(case):
    xs, ws, kw = case
    rng = np.random.default_rng(3)
    x, w, b = (_t(rng.standard_normal(s)) for s in (xs, ws, ws[0]))
    ad.gradcheck(lambda x, w, b: conv2d(x, w, b, **kw), (x, w, b))
    ad.gradgradcheck(lambda x, w, b: conv2d(x, w, b, **kw), (x, w, b))


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("where", ["x", "g"])
def test_non_finite_values_give_the_im2col_results(where, monkeypatch):
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal((2, 4, 7, 8)), rng.standard_normal((4, 1, 3, 3))
    go = rng.standard_normal((2, 4, 7, 8))
    if where == "x":
        x[0, 1, 2, 7] = np.inf  # last column: its wrap-round reads are masked
    else:
        go[1, 2, 0, 0] = np.inf  # a corner: its taps past the plane read the zero margins

    def grads():
        X, W, B = _t(x), _t(w), _t(np.zeros(4))
        out = conv2d(X, W, B, padding=1, groups=4)
        out.backward(ad.tensor(go))
        return [t.grad._data for t in (X, W, B)]
    got = grads()
    monkeypatch.setattr(A, "FORCE", A.IM2COL)
    for a, b in zip(got, grads()):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, equal_nan=True)


def test_strided_depthwise_bias_gradient_from_the_polyphase_pass(monkeypatch):
    seen, real = [], Fu.conv2d_backward  # both gradients in one polyphase pass

    def spy(*args):
        seen.append(args[-1])
        return real(*args)
    monkeypatch.setattr(Fu, "conv2d_backward", spy)
    rng = np.random.default_rng(6)
    x, w, b = (rng.standard_normal(s) for s in ((2, 6, 9, 8), (6, 1, 3, 3), (6,)))
    _plain_backward_matches_torch(x, w, b, dict(stride=2, padding=1, groups=6), rng)
    assert seen == [True]
