"""conv1d and conv_transpose1d through kernels/conv1d_winograd.py (5 taps, stride 1): gradients
and double backward against float64 central differences and PyTorch, with a spy that the
Winograd kernels ran, and PyTorch's float32 result on the benchmark's shape."""
import numpy as np
import pytest

import autodiff as ad
from autodiff.kernels import conv1d as S
from autodiff.kernels import conv1d_winograd as Wg
from autodiff.kernels._blas import GEMM
from autodiff.ops.conv import conv1d
from tests.ops.conv_parity import assert_conv_matches_torch
from tests.ops.test_conv1d_shift import _data, _t

pytestmark = pytest.mark.skipif(not GEMM, reason="NumPy's BLAS is not an OpenBLAS")

CASES = [  # x shape, w shape, kwargs
    ((2, 4, 9), (6, 4, 5), dict(padding=2)),
    ((3, 3, 14), (2, 3, 5), dict(padding="valid")),
    ((1, 2, 7), (3, 2, 5), dict(padding="same")),
    ((2, 3, 6), (4, 3, 5), dict(padding=4)),
]


@pytest.fixture
def calls(monkeypatch):
    """Winograd for every 5-tap conv1d however small; the list of its kernel calls."""
    monkeypatch.setattr(S, "WINOGRAD_MIN_C", 1)
    monkeypatch.setattr(S, "WINOGRAD_MIN_NL", 1)
    monkeypatch.setattr(S, "WINOGRAD_SPLIT_ONLY", False)
    seen = []
    for name in ("forward_block", "weight_block"):
        real = getattr(Wg, name)
        monkeypatch.setattr(Wg, name,
                            lambda *a, real=real, name=name: seen.append(name) or real(*a))
    return seen


@pytest.mark.parametrize("case", CASES)
def test_gradients_and_double_backward(case, calls):
    xs, ws, kw = case
    x, w, b = (_t(a) for a in _data(xs, ws))
    ad.gradcheck(lambda x, w, b: conv1d(x, w, b, **kw), (x, w, b))
    ad.gradgradcheck(lambda x, w: conv1d(x, w, **kw), (x, w))
    assert set(calls) == {"forward_block", "weight_block"}


@pytest.mark.parametrize("case", CASES)
def test_matches_torch(case, calls):
    xs, ws, kw = case
    assert_conv_matches_torch("conv1d", *_data(xs, ws, seed=1), kw)
    assert set(calls) == {"forward_block", "weight_block"}


def test_conv_transpose1d_matches_torch(calls):
    # a transposed conv's forward is the input-gradient pass (x (N, C_in, L), w (C_in, C_out, 5))
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((2, 3, 8)), rng.standard_normal((3, 4, 5)), rng.standard_normal(4)
    assert_conv_matches_torch("conv_transpose1d", x, w, b, dict(padding=1, output_padding=0))
    assert "forward_block" in calls


def test_benchmark_shape_float32_matches_torch(calls):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((16, 32, 128), dtype=np.float32)
    w = rng.standard_normal((64, 32, 5), dtype=np.float32) * 0.1
    g = rng.standard_normal((16, 64, 128), dtype=np.float32)
    X, W = ad.tensor(x, requires_grad=True), ad.tensor(w, requires_grad=True)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    out, ot = conv1d(X, W, padding=2), torch.nn.functional.conv1d(xt, wt, padding=2)
    np.testing.assert_allclose(out._data, ot.detach().numpy(), rtol=1e-4, atol=1e-5)
    out.backward(ad.tensor(g))
    ot.backward(torch.tensor(g))
    np.testing.assert_allclose(X.grad._data, xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    # sums of 2048 products of size ~1: float32 rounding of both is ~1e-4
    np.testing.assert_allclose(W.grad._data, wt.grad.numpy(), rtol=1e-4, atol=1e-3)
    assert set(calls) == {"forward_block", "weight_block"}


def test_backward_is_one_pass(calls, monkeypatch):
    # both gradients of a conv1d come from one pass (backward_input given x): the weight
    # gradient's own entry point never runs
    monkeypatch.setattr(S, "backward_weight", None)
    rng = np.random.default_rng(4)
    X, W = (ad.tensor(rng.standard_normal(s), requires_grad=True) for s in ((2, 4, 12), (3, 4, 5)))
    conv1d(X, W, padding=2).sum().backward()
    ones = np.ones((2, 3, 12))
    np.testing.assert_allclose(W.grad._data, S.conv1d_backward_weight_ref(
        X._data, ones, (3, 4, 5), 1, (2, 2)), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(X.grad._data, S.conv1d_backward_input_ref(
        ones, W._data, (2, 4, 12), 1, (2, 2)), rtol=1e-12, atol=1e-12)
    assert calls.count("forward_block") == 2 and calls.count("weight_block") == 1
