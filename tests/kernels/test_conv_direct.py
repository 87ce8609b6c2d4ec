"""Direct grouped / depthwise convolution kernels (autodiff/kernels/conv_direct.py) against the
NumPy twins of conv.py: forward, input gradient and weight gradient in float64 to round-off,
float32 within the error bound documented in kernels/conv_algo.py, odd geometries (stride,
asymmetric padding, dilation, C/groups = 1..8, groups = C, N = 1, blocks of images with a
partial last block, an empty batch) and a fixed output size (conv_transpose2d's)."""
import numpy as np
import pytest

from autodiff.kernels import conv as K
from autodiff.kernels import conv_direct as D

# N, C, O, (H, W), (kh, kw), stride, padding (top, bottom, left, right), dilation, groups
CASES = [
    (2, 8, 8, (7, 9), (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 4),  # C/groups 2, stride 1
    (3, 6, 6, (9, 8), (3, 2), (2, 1), (0, 1, 2, 0), (1, 2), 6),  # depthwise, stride (2, 1)
    (1, 4, 8, (10, 11), (3, 3), (2, 3), (1, 1, 0, 2), (2, 1), 1),  # one group, N = 1
    (2, 12, 6, (6, 6), (1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 3),  # 1x1, C/groups 4
    (7, 4, 4, (5, 6), (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 2),  # blocks of images
    (5, 3, 6, (9, 7), (3, 3), (1, 1), (2, 0, 1, 3), (2, 1), 3),  # dilated, asymmetric
    (2, 16, 6, (8, 7), (5, 5), (1, 1), (2, 2, 2, 2), (1, 1), 2),  # C/groups 8, odd O/groups
    (2, 5, 10, (6, 5), (2, 3), (1, 2), (1, 0, 0, 1), (1, 1), 5),  # C/groups 1, O/groups 2
    (1, 4, 4, (5, 5), (3, 3), (1, 1), (3, 3, 2, 2), (1, 1), 4),  # padding past the kernel
    (3, 14, 7, (4, 13), (1, 3), (3, 1), (0, 0, 1, 1), (1, 3), 7),  # C/groups 2, O/groups 1
    # strides (the polyphase planes), C/groups 16
    (3, 8, 8, (14, 14), (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 8),  # depthwise s2, odd pl
    (2, 8, 8, (13, 11), (3, 3), (2, 2), (0, 1, 2, 2), (1, 1), 4),  # odd W, even pl
    (2, 6, 12, (10, 9), (3, 3), (2, 2), (1, 1, 1, 1), (2, 2), 3),  # dilation 2 at stride 2
    (2, 4, 4, (11, 12), (5, 5), (3, 3), (2, 1, 1, 3), (1, 1), 2),  # stride 3, 5x5
    (2, 6, 6, (9, 10), (3, 2), (1, 2), (1, 0, 1, 0), (1, 2), 6),  # stride (1, 2)
    (2, 6, 6, (10, 9), (2, 3), (3, 1), (0, 2, 1, 1), (2, 1), 3),  # stride (3, 1)
    (5, 32, 8, (8, 8), (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 2),  # C/groups 16, blocks
]


def _case(c, dtype, seed=0):
    N, C, O, hw, k, s, p, d, g = c
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C) + hw)
    w = rng.standard_normal((O, C // g) + k)
    b = rng.standard_normal(O)
    out = K.conv2d_forward_ref(x, w, s, p, d, g)
    gy = rng.standard_normal(out.shape)
    return [a.astype(dtype) for a in (x, w, b, gy)], (s, p, d, g)


@pytest.mark.parametrize("c", CASES)
def test_float64_matches_numpy_twins(c):
    (x, w, b, gy), geo = _case(c, np.float64)
    ref = K.conv2d_forward_ref(x, w, *geo)
    np.testing.assert_allclose(D.conv2d_forward(x, w, *geo), ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(D.conv2d_forward(x, w, *geo, bias=b),
                               ref + b.reshape(1, -1, 1, 1), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(D.conv2d_backward_input(gy, w, x.shape, *geo),
                               K.conv2d_backward_input_ref(gy, w, x.shape, *geo),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(D.conv2d_backward_weight(x, gy, w.shape, *geo),
                               K.conv2d_backward_weight_ref(x, gy, w.shape, *geo),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("c", CASES)
def test_float32_error_against_float64(c):
    (x, w, b, gy), geo = _case(c, np.float32, seed=1)
    x64, w64, gy64 = (a.astype(np.float64) for a in (x, w, gy))
    pairs = [
        (D.conv2d_forward(x, w, *geo), K.conv2d_forward_ref(x64, w64, *geo),
         K.conv2d_forward_ref(np.abs(x64), np.abs(w64), *geo)),
        (D.conv2d_backward_input(gy, w, x.shape, *geo),
         K.conv2d_backward_input_ref(gy64, w64, x.shape, *geo),
         K.conv2d_backward_input_ref(np.abs(gy64), np.abs(w64), x.shape, *geo)),
        (D.conv2d_backward_weight(x, gy, w.shape, *geo),
         K.conv2d_backward_weight_ref(x64, gy64, w.shape, *geo),
         K.conv2d_backward_weight_ref(np.abs(x64), np.abs(gy64), w.shape, *geo)),
    ]
    for got, ref, scale in pairs:
        assert got.dtype == np.float32
        assert (np.abs(got - ref) / (scale + 1e-30)).max() <= 1e-6


def test_fixed_output_size_and_input_gradient_bias():
    # conv_transpose2d's forward: the input gradient of a conv whose output size is given
    # (output_padding), plus a bias over the input channels
    rng = np.random.default_rng(2)
    x_shape, w = (2, 6, 9, 8), rng.standard_normal((6, 2, 3, 3))
    geo = ((2, 2), (1, 1, 1, 1), (1, 1), 3)
    gy = rng.standard_normal((2, 6, 5, 4))  # PyTorch's formula gives (5, 4) too
    b = rng.standard_normal(6)
    got = D.conv2d_backward_input(gy, w, x_shape, *geo, bias=b)
    ref = K.conv2d_backward_input_ref(gy, w, x_shape, *geo) + b.reshape(1, -1, 1, 1)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)
    x = rng.standard_normal((2, 6, 10, 9))  # one extra row and column: out_hw fixes (5, 4)
    out = D.conv2d_forward(x, w, *geo, out_hw=(5, 4))
    np.testing.assert_allclose(out, K.conv2d_forward_ref(x, w, *geo, out_hw=(5, 4)),
                               rtol=1e-12, atol=1e-12)
    gw = D.conv2d_backward_weight(x, gy, w.shape, *geo)
    np.testing.assert_allclose(gw, K.conv2d_backward_weight_ref(x, gy, w.shape, *geo),
                               rtol=1e-12, atol=1e-12)


def test_empty_batch():
    geo = ((1, 1), (1, 1, 1, 1), (1, 1), 4)
    x, w = np.zeros((0, 8, 5, 5)), np.ones((8, 2, 3, 3))
    assert D.conv2d_forward(x, w, *geo).shape == (0, 8, 5, 5)
    assert D.conv2d_backward_input(np.zeros((0, 8, 5, 5)), w, x.shape, *geo).shape == x.shape
    gw = D.conv2d_backward_weight(x, np.zeros((0, 8, 5, 5)), w.shape, *geo)
    assert gw.shape == w.shape and not gw.any()


def test_non_contiguous_and_mixed_inputs():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 5, 8, 4)).transpose(0, 1, 3, 2)  # (3, 5, 4, 8), strided
    w = rng.standard_normal((5, 1, 3, 3)).astype(np.float32)
    geo = ((1, 1), (1, 1, 1, 1), (1, 1), 5)
    out = D.conv2d_forward(x, w, *geo)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, K.conv2d_forward_ref(x, w.astype(np.float64), *geo),
                               rtol=1e-12, atol=1e-12)


def test_shape_mismatch_raises():
    with pytest.raises(ValueError, match="groups=3"):
        D.conv2d_forward(np.zeros((1, 4, 5, 5)), np.zeros((6, 2, 3, 3)), groups=3)
