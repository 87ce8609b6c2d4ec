"""conv_transpose2d / conv1d / strided conv2d through both copy paths of kernels/conv.py.

im2col and col2im run serially below ``COPY_PARALLEL_MIN`` elements and in parallel above it
(at 2 numba threads); each geometry below runs both ways against PyTorch (forward, backward,
double backward in float64: tests/ops/conv_parity.py) and ``ad.gradcheck`` /
``ad.gradgradcheck``."""
import numba
import numpy as np
import pytest

import autodiff as ad
from autodiff.kernels import _launch
from autodiff.kernels import conv as K
from autodiff.ops.conv import conv1d, conv2d, conv_transpose2d
from tests.ops.conv_parity import assert_conv_matches_torch

CASES = [  # op, x shape, w shape, kwargs
    ("t2d", (2, 4, 3, 4), (4, 3, 4, 4), dict(stride=2, padding=1)),
    ("t2d", (1, 4, 3, 2), (4, 1, 3, 2), dict(stride=3, padding=(1, 0), output_padding=(2, 1),
                                             groups=2)),
    ("t2d", (2, 2, 4, 3), (2, 3, 2, 3), dict(stride=(2, 1), dilation=(2, 3),
                                             output_padding=(1, 0))),
    ("c1d", (2, 4, 11), (6, 4, 5), dict(padding=2)),
    ("c1d", (1, 4, 10), (4, 2, 3), dict(stride=3, padding=1, dilation=2, groups=2)),
    ("c2d", (2, 3, 7, 6), (4, 3, 3, 3), dict(stride=2, padding=1)),
    ("c2d", (1, 4, 8, 7), (4, 2, 3, 2), dict(stride=3, padding=(2, 1), dilation=(1, 2),
                                             groups=2)),
]


OURS = {"t2d": conv_transpose2d, "c1d": conv1d, "c2d": conv2d}


def _fns(op):
    F = pytest.importorskip("torch").nn.functional
    return OURS[op], {"t2d": F.conv_transpose2d, "c1d": F.conv1d, "c2d": F.conv2d}[op]


@pytest.fixture(params=["serial", "parallel"])
def path(request, monkeypatch):
    """Both copy paths: everything serial, or every im2col / col2im in parallel (2 threads)."""
    big = request.param == "serial"
    monkeypatch.setattr(K, "COPY_PARALLEL_MIN", 1 << 40 if big else 0)
    monkeypatch.setattr(_launch, "PARALLEL_MIN", 1 << 40 if big else 0)
    old = numba.get_num_threads()
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    yield request.param
    numba.set_num_threads(old)


def _data(xs, ws, op, kw, seed=0):
    rng = np.random.default_rng(seed)
    cout = ws[1] * kw.get("groups", 1) if op == "t2d" else ws[0]
    return rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(cout)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}")
def test_matches_torch_with_double_backward(path, case):
    op, xs, ws, kw = case
    x, w, b = _data(xs, ws, op, kw)
    assert_conv_matches_torch(OURS[op].__name__, x, w, b, kw, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("case", CASES[:2] + CASES[3:5], ids=lambda c: f"{c[0]}-{c[1]}")
def test_gradcheck_float64(path, case):
    op, xs, ws, kw = case
    fn = OURS[op]
    x, w, b = (ad.tensor(a, requires_grad=True) for a in _data(xs, ws, op, kw, seed=2))
    assert ad.gradcheck(lambda x, w, b: fn(x, w, b, **kw), (x, w, b))
    assert ad.gradgradcheck(lambda x, w: fn(x, w, **kw), (x, w))


@pytest.mark.parametrize("op", ["t2d", "c1d"])
def test_empty_batch(path, op):
    torch = pytest.importorskip("torch")
    ours, theirs = _fns(op)
    xs, ws = ((0, 4, 3, 3), (4, 2, 3, 3)) if op == "t2d" else ((0, 4, 7), (3, 4, 3))
    kw = dict(stride=2, padding=1)
    x, w, b = _data(xs, ws, op, kw)
    X, W, B = (ad.tensor(a, requires_grad=True) for a in (x, w, b))
    out = ours(X, W, B, **kw)
    wt = torch.tensor(w, requires_grad=True)
    ot = theirs(torch.tensor(x), wt, torch.tensor(b), **kw)
    assert out.shape == tuple(ot.shape)
    out.sum().backward()
    ot.sum().backward()
    np.testing.assert_array_equal(W.grad._data, wt.grad.numpy())  # zeros, as torch
    assert X.grad.shape == xs


@pytest.mark.parametrize("case", [CASES[0], CASES[3], CASES[5]], ids=lambda c: c[0])
def test_float32_bench_sized(path, case):
    """A batch of 64 (the bench's) in float32 against the float64 result of the same inputs:
    the copies move every element whichever path runs."""
    op, xs, ws, kw = case
    fn = OURS[op]
    xs = (64,) + xs[1:]
    x, w, b = _data(xs, ws, op, kw, seed=3)
    out64 = fn(ad.tensor(x), ad.tensor(w), ad.tensor(b), **kw)._data
    X, W = ad.tensor(x.astype(np.float32), requires_grad=True), ad.tensor(w.astype(np.float32),
                                                                          requires_grad=True)
    out = fn(X, W, ad.tensor(b.astype(np.float32)), **kw)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out._data, out64, rtol=1e-4, atol=1e-4)
    go = np.random.default_rng(4).standard_normal(out.shape)
    out.backward(ad.tensor(go.astype(np.float32)))
    X64, W64 = ad.tensor(x, requires_grad=True), ad.tensor(w, requires_grad=True)
    fn(X64, W64, ad.tensor(b), **kw).backward(ad.tensor(go))
    np.testing.assert_allclose(X.grad._data, X64.grad._data, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(W.grad._data, W64.grad._data, rtol=1e-4, atol=2e-3)
