"""Grouped and depthwise convolutions through the ops, run by the direct kernels
(kernels/conv_direct.py, chosen by kernels/conv_algo.py for few channels per group): values,
gradients and double backward against PyTorch and float64 central differences, plus
conv_transpose2d / conv1d with groups and an empty batch."""
import numpy as np
import pytest

import autodiff as ad
from autodiff.kernels import conv_algo as A
from autodiff.ops.conv import Geometry, conv1d, conv2d, conv_transpose2d

# (x shape, w shape, kwargs): C/groups from 1 to 8, depthwise, strides, dilation, N = 1
CASES = [
    ((2, 8, 6, 7), (8, 2, 3, 3), dict(padding=1, groups=4)),
    ((3, 6, 7, 6), (6, 1, 3, 3), dict(stride=2, padding=1, groups=6)),  # depthwise
    ((1, 4, 9, 8), (8, 1, 3, 2), dict(stride=(1, 2), dilation=(2, 1), groups=4)),
    ((2, 16, 5, 5), (4, 8, 3, 3), dict(padding="same", groups=2)),  # C/groups 8
    ((2, 9, 6, 5), (6, 3, 1, 1), dict(groups=3)),
    ((1, 12, 8, 8), (12, 4, 5, 5), dict(padding=3, groups=3)),  # padding past the kernel
]


def _t(a, grad=True):
    return ad.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def _data(xs, ws, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])


def _geom(kw):
    s = kw.get("stride", 1)
    return Geometry((s, s) if isinstance(s, int) else s, (1, 1, 1, 1), (1, 1),
                    kw.get("groups", 1), None)


@pytest.mark.parametrize("case", CASES)
def test_dispatched_to_direct(case):
    xs, ws, kw = case
    assert A.choose(xs, ws, _geom(kw)) == A.DIRECT


@pytest.fixture(params=[None, A.DIRECT])
def force(request, monkeypatch):
    """The dispatch's choice, and the direct kernels forced on every case (strides too)."""
    monkeypatch.setattr(A, "FORCE", request.param)
    return request.param


@pytest.mark.parametrize("case", CASES)
def test_matches_torch_with_double_backward(force, case):
    torch = pytest.importorskip("torch")
    xs, ws, kw = case
    x, w, b = _data(xs, ws, seed=1)
    X, W, B = _t(x), _t(w), _t(b)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    out, ot = conv2d(X, W, B, **kw), torch.nn.functional.conv2d(xt, wt, bt, **kw)
    np.testing.assert_allclose(out._data, ot.detach().numpy(), rtol=1e-10, atol=1e-12)
    go = np.random.default_rng(2).standard_normal(ot.shape)
    gs = ad.grad(out, [X, W, B], ad.tensor(go), create_graph=True)
    tgs = torch.autograd.grad(ot, [xt, wt, bt], torch.tensor(go), create_graph=True)
    for g, tg in zip(gs, tgs):
        np.testing.assert_allclose(g._data, tg.detach().numpy(), rtol=1e-10, atol=1e-12)
    s = (gs[0] * gs[0]).sum() + (gs[1] ** 3).sum()
    ts = (tgs[0] * tgs[0]).sum() + (tgs[1] ** 3).sum()
    for g, tg in zip(ad.grad(s, [X, W]), torch.autograd.grad(ts, [xt, wt])):
        np.testing.assert_allclose(g._data, tg.numpy(), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("case", CASES[:4])
def test_gradcheck_float64(force, case):
    xs, ws, kw = case
    x, w, b = (_t(a) for a in _data(xs, ws, seed=3))
    ad.gradcheck(lambda x, w, b: conv2d(x, w, b, **kw), (x, w, b))
    ad.gradgradcheck(lambda x, w: conv2d(x, w, **kw), (x, w))


@pytest.mark.parametrize("xs, ws, kw", [
    ((4, 16, 10, 10), (32, 4, 3, 3), dict(padding=1, groups=4)),
    ((4, 32, 14, 14), (32, 1, 3, 3), dict(stride=2, padding=1, groups=32)),  # polyphase
])
def test_float32_matches_torch(xs, ws, kw):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x = rng.standard_normal(xs).astype(np.float32)
    w = rng.standard_normal(ws).astype(np.float32)
    X, W = ad.tensor(x, requires_grad=True), ad.tensor(w, requires_grad=True)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    out = conv2d(X, W, **kw)
    ot = torch.nn.functional.conv2d(xt, wt, **kw)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out._data, ot.detach().numpy(), rtol=1e-4, atol=1e-4)
    go = rng.standard_normal(ot.shape).astype(np.float32)
    for g, tg in zip(ad.grad(out, [X, W], ad.tensor(go)),
                     torch.autograd.grad(ot, [xt, wt], torch.tensor(go))):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g._data, tg.numpy(), rtol=1e-4, atol=1e-3)


def test_transpose_and_1d_with_groups_match_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(5)
    x, w, b = (rng.standard_normal((2, 6, 5, 4)), rng.standard_normal((6, 2, 3, 3)),
               rng.standard_normal(6))
    X, W, B = _t(x), _t(w), _t(b)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    kw = dict(stride=2, padding=1, output_padding=1, groups=3)
    out, ot = conv_transpose2d(X, W, B, **kw), F.conv_transpose2d(xt, wt, bt, **kw)
    np.testing.assert_allclose(out._data, ot.detach().numpy(), rtol=1e-10, atol=1e-12)
    go = rng.standard_normal(ot.shape)
    gs = ad.grad(out, [X, W, B], ad.tensor(go), create_graph=True)
    tgs = torch.autograd.grad(ot, [xt, wt, bt], torch.tensor(go), create_graph=True)
    for g, tg in zip(gs, tgs):
        np.testing.assert_allclose(g._data, tg.detach().numpy(), rtol=1e-10, atol=1e-12)
    for g, tg in zip(ad.grad((gs[0] ** 2).sum() + (gs[1] ** 2).sum(), [X, W]),
                     torch.autograd.grad((tgs[0] ** 2).sum() + (tgs[1] ** 2).sum(), [xt, wt])):
        np.testing.assert_allclose(g._data, tg.numpy(), rtol=1e-9, atol=1e-10)
    x1, w1 = rng.standard_normal((3, 8, 11)), rng.standard_normal((8, 1, 5))
    X1, W1 = _t(x1), _t(w1)
    xt1, wt1 = torch.tensor(x1, requires_grad=True), torch.tensor(w1, requires_grad=True)
    o1, ot1 = conv1d(X1, W1, padding=2, groups=8), F.conv1d(xt1, wt1, padding=2, groups=8)
    np.testing.assert_allclose(o1._data, ot1.detach().numpy(), rtol=1e-10, atol=1e-12)
    go1 = rng.standard_normal(ot1.shape)
    for g, tg in zip(ad.grad(o1, [X1, W1], ad.tensor(go1)),
                     torch.autograd.grad(ot1, [xt1, wt1], torch.tensor(go1))):
        np.testing.assert_allclose(g._data, tg.numpy(), rtol=1e-10, atol=1e-12)


def test_empty_batch_gives_empty_output_and_zero_gradients():
    X = _t(np.zeros((0, 8, 5, 5)))
    W = _t(np.random.default_rng(6).standard_normal((8, 1, 3, 3)))
    out = conv2d(X, W, padding=1, groups=8)
    assert out.shape == (0, 8, 5, 5)
    gx, gw = ad.grad(out.sum(), [X, W])
    assert gx.shape == (0, 8, 5, 5)
    np.testing.assert_array_equal(gw._data, np.zeros((8, 1, 3, 3)))


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_non_finite_values_give_the_im2col_results(monkeypatch):
    # the direct gradients would multiply an inf by the zeros past the row ends
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal((2, 4, 5, 5)), rng.standard_normal((4, 2, 3, 3))
    x[0, 1, 2, 4], w[1, 0, 1, 2] = np.inf, np.inf
    go = rng.standard_normal((2, 4, 5, 5))

    def grads():
        X, W = _t(x), _t(w)
        return [g._data for g in ad.grad(conv2d(X, W, padding=1, groups=2), [X, W],
                                          ad.tensor(go))]
    got = grads()
    monkeypatch.setattr(A, "FORCE", A.IM2COL)
    for a, b in zip(got, grads()):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, equal_nan=True)
