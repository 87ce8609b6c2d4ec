"""conv2d's forward through F(4x4, 3x3) (kernels/winograd4.py): where conv_algo dispatches it
(Winograd blocked, split over threads, 4x4 tiles wasting at most WINOGRAD4_MAX_WASTE), and
through the ops against torch 2.13: forward, both gradients (F(2x2, 3x3)), double backward
(its forward convs run F(4x4, 3x3) again), float64 central differences; float32 values."""
import numpy as np
import pytest

import autodiff as ad
from autodiff.kernels import conv_algo as A
from autodiff.kernels import winograd4 as W4
from autodiff.kernels import winograd_blocked as Wb
from autodiff.ops.conv import conv2d
from tests.kernels.test_winograd import _case
from tests.ops.conv_parity import assert_conv_matches_torch


@pytest.fixture
def split(monkeypatch):
    """2 threads and no size floor on the split, so Winograd runs blocked."""
    numba = pytest.importorskip("numba")
    from autodiff.kernels import _launch
    if (_launch._set_blas_local is None or numba.config.NUMBA_NUM_THREADS < 2
            or not W4.available(np.float64)):
        pytest.skip("no split here: Winograd runs stage-wise")
    monkeypatch.setattr(_launch, "PARALLEL_MIN", 0)
    monkeypatch.setattr(A, "FORCE", A.WINOGRAD)
    numba.set_num_threads(2)


def _spy(monkeypatch):
    calls = []
    for mod, name in ((W4, "_forward"), (Wb, "_forward"), (Wb, "_backward")):
        real = getattr(mod, name)
        monkeypatch.setattr(mod, name, lambda *a, _r=real, _n=(mod.__name__, name):
                            calls.append(_n) or _r(*a))
    return calls


@pytest.mark.parametrize("hw, four", [((14, 14), True), ((7, 7), True), ((8, 8), True),
                                      ((13, 13), False), ((10, 10), False), ((6, 6), False)])
def test_dispatch_by_waste(split, monkeypatch, hw, four):
    calls = _spy(monkeypatch)
    x = np.random.default_rng(0).standard_normal((4, 8, *hw))
    w = np.random.default_rng(1).standard_normal((8, 8, 3, 3))
    with ad.no_grad():
        conv2d(ad.tensor(x), ad.tensor(w), padding=1)
    assert calls == [("autodiff.kernels.winograd4" if four else
                      "autodiff.kernels.winograd_blocked", "_forward")] * 2
    calls.clear()
    monkeypatch.setattr(A, "FORWARD_F4", False)
    with ad.no_grad():
        conv2d(ad.tensor(x), ad.tensor(w), padding=1)
    assert calls == [("autodiff.kernels.winograd_blocked", "_forward")] * 2


CASES = [(7, 8, 4, 9, 8, (1, 1, 1, 1), 1), (4, 6, 9, 8, 5, (2, 0, 0, 1), 3),
         (3, 4, 6, 14, 14, (1, 1, 1, 1), 2)]


@pytest.mark.parametrize("c", CASES)
def test_ops_match_torch_with_double_backward(split, monkeypatch, c):
    monkeypatch.setattr(A, "WINOGRAD4_MAX_WASTE", 4.0)  # F(4x4, 3x3) on every size here
    calls = _spy(monkeypatch)
    (x, w, b, _), p, g = _case(c, np.float64)
    kw = dict(padding=(p[0], p[2]), groups=g) if p[0] == p[1] and p[2] == p[3] else None
    if kw is None:  # asymmetric padding: pad first, then a valid conv
        x = np.pad(x, ((0, 0), (0, 0), p[:2], p[2:]))
        kw = dict(groups=g)
    assert_conv_matches_torch("conv2d", x, w, b, kw, rtol=1e-10, atol=1e-10)
    assert ("autodiff.kernels.winograd4", "_forward") in calls
    assert ("autodiff.kernels.winograd_blocked", "_forward") not in calls
    assert ("autodiff.kernels.winograd_blocked", "_backward") in calls
    X, W = (ad.tensor(a, requires_grad=True) for a in (x, w))
    ad.gradcheck(lambda x, w: conv2d(x, w, **kw), (X, W))


def test_float32_matches_torch(split):
    torch = pytest.importorskip("torch")
    (x, w, b, gy), p, g = _case((16, 16, 32, 14, 14, (1, 1, 1, 1), 1), np.float32, seed=3)
    X, W, B = (ad.tensor(a, requires_grad=True) for a in (x, w, b))
    out = conv2d(X, W, B, padding=1)
    out.backward(ad.tensor(gy))
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ot = torch.nn.functional.conv2d(xt, wt, bt, padding=1)
    ot.backward(torch.tensor(gy))
    assert out._data.dtype == np.float32
    # outputs ~ +-20 (sums of 144 terms ~ 1): F(4x4, 3x3)'s error reaches ~2.5e-6 of the
    # sum of |terms| (conv_algo.py), i.e. up to ~3e-4 here
    np.testing.assert_allclose(out._data, ot.detach().numpy(), rtol=1e-4, atol=1e-3)
    for a, t in ((X, xt), (W, wt), (B, bt)):
        np.testing.assert_allclose(a.grad._data, t.grad.numpy(), rtol=1e-4, atol=1e-3)
