"""Every convolution algorithm of kernels/conv_algo.py through the ops: values, gradients,
double backward (float64 central differences and PyTorch), the float32 error against a
float64 reference, the dispatch table, and forward-only runs that keep nothing."""
import numpy as np
import pytest

import autodiff as ad
from autodiff.kernels import conv as K
from autodiff.kernels import conv_algo as A
from autodiff.ops.conv import conv1d, conv2d, conv_transpose2d
from tests.ops.conv_parity import assert_conv_matches_torch

ALGOS = [A.IM2COL, A.WINOGRAD]

# (x shape, w shape, kwargs): every one is 3x3 at stride 1, so Winograd applies to it
CASES = [
    ((2, 3, 5, 6), (4, 3, 3, 3), dict(padding=1)),
    ((1, 4, 7, 4), (6, 2, 3, 3), dict(padding=(0, 2), groups=2)),
    ((3, 2, 4, 4), (2, 2, 3, 3), dict()),
    ((1, 1, 1, 1), (1, 1, 3, 3), dict(padding=1)),
    ((2, 4, 6, 5), (4, 1, 3, 3), dict(padding="same", groups=4)),
]


@pytest.fixture(params=ALGOS)
def algo(request, monkeypatch):
    monkeypatch.setattr(A, "FORCE", request.param)
    return request.param


def _t(a, grad=True):
    return ad.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def _data(xs, ws, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])


@pytest.mark.parametrize("case", CASES)
def test_forced_algorithm_runs(algo, case):
    xs, ws, kw = case
    geom = ((1, 1), (1, 1, 1, 1), (1, 1), kw.get("groups", 1), None)
    assert A.choose(xs, ws, geom) == algo


@pytest.mark.parametrize("case", CASES)
def test_gradients_and_double_backward(algo, case):
    xs, ws, kw = case
    x, w, b = (_t(a) for a in _data(xs, ws))
    ad.gradcheck(lambda x, w, b: conv2d(x, w, b, **kw), (x, w, b))
    ad.gradgradcheck(lambda x, w: conv2d(x, w, **kw), (x, w))
    wt = _t(np.random.default_rng(1).standard_normal((ws[0], ws[1], 3, 3)))
    pad = kw.get("padding", 0)
    if not isinstance(pad, str) and max(np.atleast_1d(pad)) <= 1:
        xt = _t(np.random.default_rng(2).standard_normal((2, ws[0], 5, 4)))
        ad.gradgradcheck(lambda x, w: conv_transpose2d(x, w, padding=pad,
                                                       groups=kw.get("groups", 1)), (xt, wt))


@pytest.mark.parametrize("case", CASES)
def test_matches_torch_with_double_backward(algo, case):
    xs, ws, kw = case
    x, w, b = _data(xs, ws, seed=3)
    assert_conv_matches_torch("conv2d", x, w, b, kw, rtol=1e-10, atol=1e-12, seed=4)


def test_transpose_and_1d_match_torch(algo):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((2, 4, 6, 5)), rng.standard_normal((4, 3, 3, 3))
    X, W = _t(x), _t(w)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    out = conv_transpose2d(X, W, padding=1)
    ot = torch.nn.functional.conv_transpose2d(xt, wt, padding=1)
    np.testing.assert_allclose(out._data, ot.detach().numpy(), rtol=1e-10, atol=1e-12)
    go = rng.standard_normal(ot.shape)
    for g, tg in zip(ad.grad(out, [X, W], ad.tensor(go)),
                     torch.autograd.grad(ot, [xt, wt], torch.tensor(go))):
        np.testing.assert_allclose(g._data, tg.numpy(), rtol=1e-10, atol=1e-12)
    x1, w1 = rng.standard_normal((2, 4, 9)), rng.standard_normal((6, 4, 3))
    np.testing.assert_allclose(conv1d(_t(x1), _t(w1), padding=1)._data,
                               torch.nn.functional.conv1d(torch.tensor(x1), torch.tensor(w1),
                                                          padding=1).numpy(), rtol=1e-10,
                               atol=1e-12)


# float32 error bound relative to the sum of |terms| of each output (documented in
# kernels/conv_algo.py, where both algorithms measure 2e-8 .. 4e-7, as torch's own)
REL_BOUND = {A.IM2COL: 1e-6, A.WINOGRAD: 1e-6}


@pytest.mark.parametrize("case", CASES + [((4, 16, 14, 14), (8, 16, 3, 3), dict(padding=1))])
def test_float32_error_against_float64(algo, case):
    xs, ws, kw = case
    x, w, b = _data(xs, ws, seed=6)
    x32, w32 = x.astype(np.float32), w.astype(np.float32)
    X, W = ad.tensor(x32, requires_grad=True), ad.tensor(w32, requires_grad=True)
    out = conv2d(X, W, **kw)
    go = np.random.default_rng(7).standard_normal(out.shape).astype(np.float32)
    gx, gw = ad.grad(out, [X, W], ad.tensor(go))
    assert out.dtype == gx.dtype == gw.dtype == np.float32
    absval = [conv2d(_t(np.abs(x32)), _t(np.abs(w32)), **kw)]
    Xa, Wa = _t(np.abs(x32)), _t(np.abs(w32))
    absval += ad.grad(conv2d(Xa, Wa, **kw), [Xa, Wa], _t(np.abs(go), False))
    with pytest.MonkeyPatch.context() as m:  # the float64 references by im2col
        m.setattr(A, "FORCE", A.IM2COL)
        exact = [conv2d(_t(x32), _t(w32), **kw)]
        Xe, We = _t(x32), _t(w32)
        exact += ad.grad(conv2d(Xe, We, **kw), [Xe, We], _t(go, False))
    for got, ref, scale in zip((out, gx, gw), exact, absval):
        err = np.abs(got._data - ref._data) / (scale._data + 1e-30)
        assert err.max() <= REL_BOUND[algo]


def test_dispatch_table(monkeypatch):
    # the table without the thread split (tests/kernels/test_conv_dispatch_split.py: with it)
    from autodiff.kernels import _launch
    from autodiff.ops.conv import Geometry
    monkeypatch.setattr(_launch, "SPLIT", False)
    geom = Geometry((1, 1), (1, 1, 1, 1), (1, 1), 1, None)
    assert A.choose((64, 32, 14, 14), (64, 32, 3, 3), geom) == A.WINOGRAD
    assert A.choose((64, 64, 14, 14), (64, 16, 3, 3), geom._replace(groups=4)) == A.DIRECT
    assert A.choose((64, 64, 14, 14), (64, 32, 3, 3), geom._replace(groups=2)) == A.WINOGRAD
    assert A.choose((64, 32, 14, 14), (64, 8, 3, 3), geom._replace(groups=4)) == A.DIRECT
    assert A.choose((4, 64, 28, 28), (64, 64, 3, 3), geom) == A.WINOGRAD
    assert A.choose((64, 32, 7, 7), (64, 32, 3, 3), geom) == A.IM2COL  # 8x8 for 7x7
    assert A.choose((1, 64, 64, 64), (64, 64, 3, 3), geom) == A.IM2COL  # runs of 32
    assert A.choose((1, 32, 4, 4), (64, 32, 3, 3), geom) == A.IM2COL  # too few tiles
    assert A.choose((64, 8, 14, 14), (8, 8, 3, 3), geom) == A.IM2COL  # too few channels
    assert A.choose((64, 32, 14, 14), (64, 32, 3, 3), geom._replace(stride=(2, 2))) == A.IM2COL
    assert A.choose((64, 32, 14, 14), (64, 32, 5, 5), geom) == A.IM2COL
    assert A.choose((64, 32, 14, 14), (64, 32, 3, 3), geom._replace(out_hw=(15, 14))) == A.IM2COL


def test_forward_only_keeps_nothing(algo, monkeypatch):
    kept = []
    real = A.forward

    def spy(x, w, geom, bias=None, keep=False, memo=None):
        out, saved = real(x, w, geom, bias, keep, memo)
        kept.append(saved)
        return out, saved

    monkeypatch.setattr(A, "forward", spy)
    rng = np.random.default_rng(8)
    X = ad.tensor(rng.standard_normal((2, 3, 6, 6)).astype(np.float32), requires_grad=True)
    W = ad.tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), requires_grad=True)
    with ad.no_grad():
        out = conv2d(X, W, padding=1)
    assert out.grad_fn is None and not out.requires_grad and kept == [None]
    out = conv2d(X, W, padding=1)
    assert out.grad_fn is not None
    # im2col keeps its columns for the weight gradient; blocked Winograd keeps nothing (its
    # backward transforms x again, block by block: kernels/winograd_blocked.py)
    geom = ((1, 1), (1, 1, 1, 1), (1, 1), 1, None)
    blocked = algo == A.WINOGRAD and A._blocked(X.shape, W.shape, geom, np.float32)
    assert (kept[-1] is None) == blocked


def test_read_only_inputs(algo):
    # the kernels that both read and write an image (pad/crop, Winograd's plane buffers) get
    # read-only arrays too (a broadcast or a zero-size tensor from elsewhere)
    rng = np.random.default_rng(9)
    x, w, g = (rng.standard_normal(s) for s in ((2, 16, 6, 6), (16, 16, 3, 3), (2, 16, 6, 6)))
    for a in (x, w, g):
        a.flags.writeable = False
    geom = ((1, 1), (1, 1, 1, 1), (1, 1), 1, None)
    ref = K.conv2d_forward_ref(x, w, *geom[:4])
    np.testing.assert_allclose(A.forward(x, w, geom)[0], ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(A.backward_input(g, w, x.shape, geom),
                               K.conv2d_backward_input_ref(g, w, x.shape, *geom[:4]),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(A.backward_weight(x, g, w.shape, geom),
                               K.conv2d_backward_weight_ref(x, g, w.shape, *geom[:4]),
                               rtol=1e-10, atol=1e-12)
