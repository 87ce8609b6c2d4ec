"""Dense convolutions (groups 1) with few input channels run on the direct kernels
(kernels/conv_algo.py ``DIRECT_MAX_C_DENSE``; an image model's first layer, e.g. the CLI's
LeNet): the dispatch, both direct kernel families against the NumPy twins with one group, the
float32 error, and torch parity through the ops with double backward."""
import numpy as np
import pytest

import autodiff as ad
from autodiff.kernels import conv as K
from autodiff.kernels import conv_algo as A
from autodiff.kernels import conv_direct as D
from autodiff.kernels import conv_grouped as G
from autodiff.ops.conv import Geometry, conv2d
from tests.ops.conv_parity import assert_conv_matches_torch

GEOM = Geometry((1, 1), (1, 1, 1, 1), (1, 1), 1, None)

# N, C, O, (H, W), (kh, kw), padding (top, bottom, left, right), dilation; stride 1
CASES = [
    (4, 1, 16, (8, 8), (3, 3), (1, 1, 1, 1), (1, 1)),  # the CLI LeNet's first conv
    (3, 2, 5, (7, 6), (3, 3), (1, 1, 1, 1), (1, 1)),  # odd O
    (2, 3, 4, (9, 8), (5, 5), (2, 2, 2, 2), (1, 1)),  # 5x5
    (2, 4, 6, (8, 9), (3, 2), (2, 0, 1, 0), (2, 1)),  # dilated, asymmetric padding
    (1, 1, 3, (6, 5), (3, 3), (0, 0, 0, 0), (1, 1)),  # no padding, N = 1
]


def _case(c, dtype, seed=0):
    N, C, O, hw, k, p, d = c
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C) + hw)
    w = rng.standard_normal((O, C) + k)
    b = rng.standard_normal(O)
    gy = rng.standard_normal(K.conv2d_forward_ref(x, w, (1, 1), p, d).shape)
    return [a.astype(dtype) for a in (x, w, b, gy)], (p, d)


def test_dispatch():
    assert A.choose((32, 1, 8, 8), (16, 1, 3, 3), GEOM) == A.DIRECT  # LeNet's conv 1 -> 16
    assert A.choose((64, 3, 28, 28), (32, 3, 5, 5), GEOM._replace(padding=(2,) * 4)) == A.DIRECT
    assert A.choose((8, 4, 9, 9), (8, 4, 3, 3), GEOM._replace(stride=(2, 2))) == A.DIRECT
    assert A.choose((32, 5, 8, 8), (16, 5, 3, 3), GEOM) == A.IM2COL  # more channels
    assert A.choose((32, 16, 4, 4), (32, 16, 3, 3), GEOM) == A.IM2COL  # LeNet's conv 16 -> 32
    one_row = Geometry((1, 1), (0, 0, 2, 2), (1, 1), 1, None)
    assert A.choose((64, 1, 1, 128), (8, 1, 1, 5), one_row) == A.SHIFT  # conv1d keeps shift


@pytest.mark.parametrize("c", CASES)
def test_float64_kernels_match_numpy_twins(c):
    (x, w, b, gy), (p, d) = _case(c, np.float64)
    s, tol = (1, 1), dict(rtol=1e-12, atol=1e-12)
    ref = K.conv2d_forward_ref(x, w, s, p, d)
    dx_ref = K.conv2d_backward_input_ref(gy, w, x.shape, s, p, d)
    dw_ref = K.conv2d_backward_weight_ref(x, gy, w.shape, s, p, d)
    np.testing.assert_allclose(D.conv2d_forward(x, w, s, p, d, bias=b),
                               ref + b.reshape(1, -1, 1, 1), **tol)
    np.testing.assert_allclose(D.conv2d_backward_input(gy, w, x.shape, s, p, d), dx_ref, **tol)
    np.testing.assert_allclose(D.conv2d_backward_weight(x, gy, w.shape, s, p, d), dw_ref, **tol)
    assert G.applicable(x.shape, w.shape, s, p, d)
    np.testing.assert_allclose(G.conv2d_forward(x, w, p, d, bias=b),
                               ref + b.reshape(1, -1, 1, 1), **tol)
    dw, db = G.conv2d_backward_weight(x, gy, w.shape, p, d, bias_grad=True)
    np.testing.assert_allclose(dw, dw_ref, **tol)
    np.testing.assert_allclose(db, gy.sum((0, 2, 3)), **tol)
    if G.backward_input_applicable(x.shape, w.shape, s, p, d, gy.shape[2:]):
        np.testing.assert_allclose(G.conv2d_backward_input(gy, w, x.shape, p, d), dx_ref, **tol)


@pytest.mark.parametrize("c", CASES)
def test_float32_error_against_float64(c):
    # the measure of conv_algo.py's docstring: error / sum of the |terms|, below 1e-6
    (x, w, _, gy), (p, d) = _case(c, np.float32, seed=1)
    x64, w64, gy64 = (a.astype(np.float64) for a in (x, w, gy))
    s = (1, 1)
    pairs = [
        (G.conv2d_forward(x, w, p, d), K.conv2d_forward_ref(x64, w64, s, p, d),
         K.conv2d_forward_ref(np.abs(x64), np.abs(w64), s, p, d)),
        (D.conv2d_backward_input(gy, w, x.shape, s, p, d),
         K.conv2d_backward_input_ref(gy64, w64, x.shape, s, p, d),
         K.conv2d_backward_input_ref(np.abs(gy64), np.abs(w64), x.shape, s, p, d)),
        (G.conv2d_backward_weight(x, gy, w.shape, p, d),
         K.conv2d_backward_weight_ref(x64, gy64, w.shape, s, p, d),
         K.conv2d_backward_weight_ref(np.abs(x64), np.abs(gy64), w.shape, s, p, d)),
    ]
    for got, ref, scale in pairs:
        assert got.dtype == np.float32
        assert (np.abs(got - ref) / (scale + 1e-30)).max() <= 1e-6


@pytest.mark.parametrize("xs, ws, kw", [
    ((3, 1, 8, 8), (4, 1, 3, 3), dict(padding=1)),
    ((2, 3, 7, 6), (5, 3, 3, 3), dict(stride=2, padding=1)),
    ((2, 4, 6, 7), (3, 4, 2, 3), dict(padding=(1, 2), dilation=(2, 1))),
    ((2, 2, 5, 5), (3, 2, 3, 3), dict(padding="same")),
])
def test_matches_torch_with_double_backward(xs, ws, kw):
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    assert A.choose(xs, ws, GEOM) == A.DIRECT
    assert_conv_matches_torch("conv2d", x, w, b, kw)


def test_float32_input_without_grad_matches_torch():
    # LeNet's first layer in training: the input needs no gradient, weight and bias do
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((32, 1, 8, 8)).astype(np.float32)
    w = (rng.standard_normal((16, 1, 3, 3)) * 0.3).astype(np.float32)
    b = rng.standard_normal(16).astype(np.float32)
    gy = rng.standard_normal((32, 16, 8, 8)).astype(np.float32)
    W, B = ad.tensor(w, requires_grad=True), ad.tensor(b, requires_grad=True)
    out = conv2d(ad.tensor(x), W, B, padding=1)
    out.backward(ad.tensor(gy))
    wt, bt = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
    ot = torch.nn.functional.conv2d(torch.tensor(x), wt, bt, padding=1)
    ot.backward(torch.tensor(gy))
    np.testing.assert_allclose(out._data, ot.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(W.grad._data, wt.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(B.grad._data, bt.grad.numpy(), rtol=1e-4, atol=1e-4)
