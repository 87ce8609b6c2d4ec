"""conv1d's bias gradient summed inside the Winograd backward pass (kernels/conv1d.py
``backward_input(..., db=True)``, handed to ops/conv.py's Conv2d.backward through the memo):
its value against NumPy's float64 sum and torch, and that the separate channel sum is then
skipped; the shift path (no fused sum) and create_graph still give the right gradient."""
import numpy as np
import pytest

import autodiff as ad
from autodiff.kernels import conv1d as S
from autodiff.kernels._blas import GEMM
from autodiff.ops import conv as ops_conv

pytestmark = pytest.mark.skipif(not GEMM, reason="NumPy's BLAS is not an OpenBLAS")


@pytest.fixture
def anywhere(monkeypatch):
    """Winograd for every 5-tap stride-1 ungrouped conv1d, however small."""
    monkeypatch.setattr(S, "WINOGRAD_MIN_C", 1)
    monkeypatch.setattr(S, "WINOGRAD_MIN_NL", 1)
    monkeypatch.setattr(S, "WINOGRAD_SPLIT_ONLY", False)


def _data(dtype, N=5, C=3, O=4, L=23, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, L)).astype(dtype)
    w = rng.standard_normal((O, C, 5)).astype(dtype)
    g = rng.standard_normal((N, O, L)).astype(dtype)  # padding 2: same length
    return x, w, g


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_backward_input_sums_g(split, anywhere, dtype):
    x, w, g = _data(dtype)
    dx, dw, db = S.backward_input(g, w, x.shape, 1, (2, 2), x=x, db=True)
    assert db.dtype == dtype and db.shape == (w.shape[0],)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(db, g.sum((0, 2), dtype=np.float64), rtol=tol, atol=tol)
    dx2, dw2 = S.backward_input(g, w, x.shape, 1, (2, 2), x=x)  # without: as before
    np.testing.assert_array_equal(dx, dx2)
    # (the threads claim image chunks in any order: the partial sums' order may differ)
    np.testing.assert_allclose(dw, dw2, rtol=tol, atol=tol)


def test_shift_path_gives_no_sum(split):
    x, w, g = _data(np.float32)  # too small for Winograd: the shift kernels
    assert not S.winograd(x.shape, w.shape, 1, 1, 1)
    assert S.backward_input(g, w, x.shape, 1, (2, 2), x=x, db=True)[2] is None


def _step(x, w, b, g, create_graph=False):
    X, W, B = (ad.tensor(a, requires_grad=True) for a in (x, w, b))
    G = ad.tensor(g, requires_grad=create_graph)
    ops_conv.conv1d(X, W, B, padding=2).backward(G, create_graph=create_graph)
    return X.grad, W.grad, B.grad


@pytest.mark.parametrize("winograd", [True, False])
def test_conv1d_bias_grad_matches_torch(split, anywhere, monkeypatch, winograd):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(S, "WINOGRAD", winograd)
    x, w, g = _data(np.float32, seed=3)
    b = np.arange(w.shape[0], dtype=np.float32)
    sums = []
    real = ops_conv._ChannelSum.forward
    monkeypatch.setattr(ops_conv._ChannelSum, "forward",
                        staticmethod(lambda ctx, a: sums.append(1) or real(ctx, a)))
    dx, dw, db = _step(x, w, b, g)
    assert len(sums) == (0 if winograd else 1)  # summed in the backward pass, or apart
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    torch.nn.functional.conv1d(xt, wt, bt, padding=2).backward(torch.tensor(g))
    for ours, theirs in ((dx, xt), (dw, wt), (db, bt)):
        np.testing.assert_allclose(ours.numpy(), theirs.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_create_graph_keeps_a_differentiable_bias_grad(split, anywhere):
    x, w, g = _data(np.float64, seed=4)
    b = np.zeros(w.shape[0])
    _, _, db = _step(x, w, b, g, create_graph=True)
    np.testing.assert_allclose(db.detach().numpy(), g.sum((0, 2)), rtol=1e-12)
    assert db.requires_grad  # a graph node (the channel sum), not a constant
