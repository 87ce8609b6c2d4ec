"""Winograd F(2x2, 3x3) (autodiff/kernels/winograd.py) against the direct twins of conv.py:
forward, input gradient and weight gradient, float64 to round-off and float32 within
PyTorch's float32 conv tolerance against a float64 reference."""
import numpy as np
import pytest

from autodiff.kernels import conv as K
from autodiff.kernels import winograd as Wn

CASES = [  # N, C, O, H, W, padding (top, bottom, left, right), groups
    (2, 3, 4, 5, 6, (1, 1, 1, 1), 1),
    (2, 4, 6, 6, 7, (0, 1, 2, 0), 2),
    (1, 1, 1, 1, 1, (1, 1, 1, 1), 1),
    (3, 2, 2, 4, 4, (0, 0, 0, 0), 1),
    (2, 8, 4, 9, 8, (1, 1, 1, 1), 1),
]


def _case(c, dtype, seed=0):
    N, C, O, H, W, p, g = c
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W))
    w = rng.standard_normal((O, C // g, 3, 3))
    b = rng.standard_normal(O)
    gy = rng.standard_normal((N, O, H + p[0] + p[1] - 2, W + p[2] + p[3] - 2))
    return [a.astype(dtype) for a in (x, w, b, gy)], p, g


@pytest.mark.parametrize("c", CASES)
def test_float64_matches_direct_twins(c):
    (x, w, b, gy), p, g = _case(c, np.float64)
    geo = ((1, 1), p, (1, 1), g)
    ref = K.conv2d_forward_ref(x, w, *geo) + b.reshape(1, -1, 1, 1)
    np.testing.assert_allclose(Wn.forward(x, w, p, g, b), ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Wn.forward_ref(x, w, p, g, b), ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Wn.input_transform(x, p, gy.shape[2:]),
                               Wn.input_transform_ref(x, p, gy.shape[2:]), rtol=0, atol=1e-14)
    np.testing.assert_allclose(Wn.backward_input(gy, w, x.shape, p, g),
                               K.conv2d_backward_input_ref(gy, w, x.shape, *geo),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Wn.backward_weight(x, gy, w.shape, p, g),
                               K.conv2d_backward_weight_ref(x, gy, w.shape, *geo),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("c", CASES)
def test_float32_error_against_float64(c):
    # PyTorch's float32 conv tolerance in its own tests is ~1e-5 relative / 1e-4 absolute on
    # unit-variance data; measured here the error stays below 2e-6 times the sum of |terms|
    (x, w, b, gy), p, g = _case(c, np.float32)
    geo = ((1, 1), p, (1, 1), g)
    f64 = [a.astype(np.float64) for a in (x, w, gy)]
    pairs = [
        (Wn.forward(x, w, p, g), K.conv2d_forward_ref(f64[0], f64[1], *geo),
         K.conv2d_forward_ref(np.abs(f64[0]), np.abs(f64[1]), *geo)),
        (Wn.backward_input(gy, w, x.shape, p, g),
         K.conv2d_backward_input_ref(f64[2], f64[1], x.shape, *geo),
         K.conv2d_backward_input_ref(np.abs(f64[2]), np.abs(f64[1]), x.shape, *geo)),
        (Wn.backward_weight(x, gy, w.shape, p, g),
         K.conv2d_backward_weight_ref(f64[0], f64[2], w.shape, *geo),
         K.conv2d_backward_weight_ref(np.abs(f64[0]), np.abs(f64[2]), w.shape, *geo)),
    ]
    for got, ref, scale in pairs:
        assert got.dtype == np.float32
        assert np.all(np.abs(got - ref) <= 2e-6 * scale + 1e-6)
