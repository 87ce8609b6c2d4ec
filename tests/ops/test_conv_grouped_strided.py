"""Strided grouped / depthwise convolutions and C/groups up to 16 through the ops, run by the
direct kernels' polyphase path (kernels/conv_direct.py, chosen by kernels/conv_algo.py):
values, gradients and double backward against PyTorch, float64 central differences, and
non-finite inputs giving PyTorch's (im2col's) answer."""
import numpy as np
import pytest

import autodiff as ad
from autodiff.kernels import conv_algo as A
from autodiff.ops.conv import Geometry, conv2d

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
    torch = pytest.importorskip("torch")
    xs, ws, kw = case
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    X, W, B = _t(x), _t(w), _t(b)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    out, ot = conv2d(X, W, B, **kw), torch.nn.functional.conv2d(xt, wt, bt, **kw)
    np.testing.assert_allclose(out._data, ot.detach().numpy(), rtol=1e-10, atol=1e-12)
    go = rng.standard_normal(ot.shape)
    gs = ad.grad(out, [X, W, B], ad.tensor(go), create_graph=True)
    tgs = torch.autograd.grad(ot, [xt, wt, bt], torch.tensor(go), create_graph=True)
    for g, tg in zip(gs, tgs):
        np.testing.assert_allclose(g._data, tg.detach().numpy(), rtol=1e-10, atol=1e-12)
    s = (gs[0] * gs[0]).sum() + (gs[1] ** 3).sum()
    ts = (tgs[0] * tgs[0]).sum() + (tgs[1] ** 3).sum()
    for g, tg in zip(ad.grad(s, [X, W]), torch.autograd.grad(ts, [xt, wt])):
        np.testing.assert_allclose(g._data, tg.numpy(), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("case", CASES[:3])
def test_gradcheck_float64(case):
    xs, ws, kw = case
    rng = np.random.default_rng(3)
    x, w = _t(rng.standard_normal(xs)), _t(rng.standard_normal(ws))
    ad.gradcheck(lambda x, w: conv2d(x, w, **kw), (x, w))
    ad.gradgradcheck(lambda x, w: conv2d(x, w, **kw), (x, w))


def test_float32_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x = rng.standard_normal((4, 32, 14, 14)).astype(np.float32)
    w = rng.standard_normal((32, 1, 3, 3)).astype(np.float32)
    X, W = ad.tensor(x, requires_grad=True), ad.tensor(w, requires_grad=True)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    out = conv2d(X, W, stride=2, padding=1, groups=32)
    ot = torch.nn.functional.conv2d(xt, wt, stride=2, padding=1, groups=32)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out._data, ot.detach().numpy(), rtol=1e-4, atol=1e-5)
    go = rng.standard_normal(ot.shape).astype(np.float32)
    for g, tg in zip(ad.grad(out, [X, W], ad.tensor(go)),
                     torch.autograd.grad(ot, [xt, wt], torch.tensor(go))):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g._data, tg.numpy(), rtol=1e-4, atol=1e-4)


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
