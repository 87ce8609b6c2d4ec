"""conv1d and conv_transpose1d through kernels/conv1d.py's shifted GEMMs (conv_algo's
"shift"): dispatch, gradients and double backward (float64 central differences and PyTorch),
the same values as im2col, and PyTorch's result where the weight holds an inf."""
import numpy as np
import pytest

import autodiff as ad
from autodiff.kernels import conv_algo as A
from autodiff.kernels._blas import GEMM
from autodiff.ops.conv import Geometry, conv1d
from tests.ops.conv_parity import assert_conv_matches_torch

pytestmark = pytest.mark.skipif(not GEMM, reason="NumPy's BLAS is not an OpenBLAS")

CASES = [  # x shape, w shape, kwargs
    ((2, 4, 9), (6, 4, 3), dict(padding=1)),
    ((3, 4, 11), (6, 2, 3), dict(stride=2, padding=2, dilation=2, groups=2)),
    ((1, 3, 6), (2, 3, 4), dict(padding="same")),
    ((2, 2, 7), (3, 2, 5), dict(padding="valid", stride=3)),
    ((2, 6, 8), (6, 1, 3), dict(padding=1, groups=6)),
]


def _t(a):
    return ad.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def _data(xs, ws, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])


def _spy(monkeypatch):
    """Record conv_algo.choose's answers."""
    seen = []
    real = A.choose

    def choose(*args, **kwargs):
        seen.append(real(*args, **kwargs))
        return seen[-1]
    monkeypatch.setattr(A, "choose", choose)
    return seen


@pytest.fixture(autouse=True)
def shift(monkeypatch):
    """Every 1-D conv runs the shift kernels (depthwise included, which dispatch gives to
    the direct kernels)."""
    monkeypatch.setattr(A, "FORCE", A.SHIFT)


def test_dispatch(monkeypatch):
    monkeypatch.setattr(A, "FORCE", None)
    geom = Geometry((1, 1), (0, 0, 2, 2), (1, 1), 1, None)
    assert A.choose((64, 32, 1, 128), (64, 32, 1, 5), geom) == A.SHIFT
    assert A.choose((64, 32, 1, 128), (64, 16, 1, 5), geom._replace(groups=2)) == A.SHIFT
    assert A.choose((64, 32, 1, 128), (64, 8, 1, 5), geom._replace(groups=4)) == A.DIRECT
    assert A.choose((64, 32, 1, 128), (64, 8, 1, 5),
                    geom._replace(groups=4, stride=(1, 2))) == A.DIRECT
    assert A.choose((64, 32, 1, 128), (64, 16, 1, 5),
                    geom._replace(groups=2, stride=(1, 2))) == A.SHIFT
    monkeypatch.setattr(A, "FORCE", A.IM2COL)
    assert A.choose((64, 32, 1, 128), (64, 32, 1, 5), geom) == A.IM2COL
    monkeypatch.setattr(A, "FORCE", A.SHIFT)
    assert A.choose((64, 32, 1, 128), (64, 1, 1, 5), geom._replace(groups=32)) == A.SHIFT
    assert A.choose((64, 32, 3, 128), (64, 32, 3, 5), geom) == A.IM2COL  # not 1-D
    assert A.choose((64, 32, 2, 128), (64, 32, 1, 5), geom) != A.SHIFT
    assert A.choose((64, 32, 14, 14), (64, 32, 3, 3), geom) != A.SHIFT


@pytest.mark.parametrize("case", CASES)
def test_gradients_and_double_backward(case, monkeypatch):
    seen = _spy(monkeypatch)
    xs, ws, kw = case
    x, w, b = (_t(a) for a in _data(xs, ws))
    ad.gradcheck(lambda x, w, b: conv1d(x, w, b, **kw), (x, w, b))
    ad.gradgradcheck(lambda x, w: conv1d(x, w, **kw), (x, w))
    assert seen and set(seen) == {A.SHIFT}


@pytest.mark.parametrize("case", CASES)
def test_matches_torch_with_double_backward(case, monkeypatch):
    seen = _spy(monkeypatch)
    xs, ws, kw = case
    x, w, b = _data(xs, ws, seed=1)
    assert_conv_matches_torch("conv1d", x, w, b, kw, rtol=1e-10, atol=1e-12, seed=2)
    assert set(seen) == {A.SHIFT}


@pytest.mark.parametrize("kw", [dict(stride=2, padding=1, output_padding=1),
                                dict(stride=1, padding=0, dilation=2),
                                dict(stride=3, padding=2, output_padding=1, dilation=2),
                                dict(stride=2, groups=2)])
def test_transpose_matches_torch_with_double_backward(kw, monkeypatch):
    seen = _spy(monkeypatch)
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((2, 4, 6)), rng.standard_normal((4, 3, 3)), None
    if kw.get("groups") == 2:
        b = rng.standard_normal(6)
    assert_conv_matches_torch("conv_transpose1d", x, w, b, kw, rtol=1e-10, atol=1e-12, seed=4)
    assert set(seen) == {A.SHIFT}


@pytest.mark.parametrize("case", CASES)
def test_float32_same_as_im2col(case, monkeypatch):
    xs, ws, kw = case
    x, w, b = (a.astype(np.float32) for a in _data(xs, ws, seed=5))

    def step():
        X, W, B = (ad.tensor(a, requires_grad=True) for a in (x, w, b))
        out = conv1d(X, W, B, **kw)
        return [out._data] + [g._data for g in ad.grad((out * out).sum(), [X, W, B])]
    shift = step()
    monkeypatch.setattr(A, "FORCE", A.IM2COL)
    for got, ref in zip(shift, step()):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4)


def test_inf_weight_as_torch_float32():
    # the padding is never multiplied, as in torch's float32 (oneDNN) conv1d: an inf weight
    # leaves the border outputs it only meets in the padding finite (torch's float64 path and
    # im2col multiply the zeros: nan there)
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x, w = (rng.standard_normal(s).astype(np.float32) for s in ((2, 3, 8), (4, 3, 3)))
    w[1, 2, 0] = np.inf
    ours = conv1d(ad.tensor(x), ad.tensor(w), padding=1)._data
    theirs = torch.nn.functional.conv1d(torch.tensor(x), torch.tensor(w), padding=1).numpy()
    assert np.isfinite(ours[:, 1, 0]).all() and np.isinf(ours[:, 1, 1:]).all()
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)
