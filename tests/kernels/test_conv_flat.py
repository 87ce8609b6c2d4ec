"""The flat-plane weight gradient (autodiff/kernels/conv_flat.py: stride 1, output rows as
wide as the input's) against the NumPy twin, its bias gradient against a plain sum, its
float32 error against float64, and split over threads against serial bit for bit."""
import numpy as np
import pytest

from autodiff.kernels import _launch
from autodiff.kernels import conv as K
from autodiff.kernels import conv_flat as F

# x shape, w shape, padding (top, bottom, left, right), dilation, groups
CASES = [
    ((3, 4, 7, 9), (8, 2, 3, 3), (1, 1, 1, 1), (1, 1), 2),
    ((2, 6, 5, 6), (6, 1, 3, 3), (1, 1, 1, 1), (1, 1), 6),  # depthwise
    ((2, 4, 6, 5), (4, 2, 3, 5), (0, 2, 2, 2), (1, 1), 2),  # 3x5, rows shrink
    ((2, 4, 8, 7), (6, 2, 2, 3), (1, 0, 2, 2), (2, 2), 2),  # dilated, asymmetric
    ((2, 3, 5, 4), (3, 1, 1, 1), (0, 0, 0, 0), (1, 1), 3),  # 1x1
    ((2, 4, 6, 3), (4, 4, 3, 5), (2, 2, 4, 4), (1, 2), 1),  # taps past both row ends
    ((2, 8, 14, 14), (16, 8, 3, 3), (1, 1, 1, 1), (1, 1), 1),
]


@pytest.mark.parametrize("case", CASES)
def test_matches_the_numpy_twin(case, split):
    xs, ws, p, d, G = case
    assert F.applicable(xs, ws, (1, 1), p, d)
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    g = rng.standard_normal(K.conv2d_forward_ref(x, w, (1, 1), p, d, G).shape)
    dw, db = F.conv2d_backward_weight(x, g, ws, p, d, G, bias_grad=True)
    np.testing.assert_allclose(dw, K.conv2d_backward_weight_ref(x, g, ws, (1, 1), p, d, G),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(db, g.sum((0, 2, 3)), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(F.conv2d_backward_weight(x, g, ws, p, d, G), dw)


def test_applicable_only_at_stride_1_with_same_width():
    assert F.applicable((2, 4, 8, 8), (4, 1, 3, 3), (1, 1), (1, 1, 1, 1))
    assert F.applicable((2, 4, 8, 8), (4, 1, 3, 3), (1, 1), (0, 0, 1, 1))  # rows shrink
    assert not F.applicable((2, 4, 8, 8), (4, 1, 3, 3), (2, 2), (1, 1, 1, 1))
    assert not F.applicable((2, 4, 8, 8), (4, 1, 3, 3), (1, 1), (1, 1, 0, 0))
    assert not F.applicable((2, 4, 8, 8), (4, 1, 3, 3), (1, 1), (1, 1, 1, 1), out_hw=(8, 9))


def test_no_images():
    dw, db = F.conv2d_backward_weight(np.zeros((0, 4, 5, 5)), np.zeros((0, 4, 5, 5)),
                                      (4, 1, 3, 3), (1, 1, 1, 1), (1, 1), 4, bias_grad=True)
    assert dw.shape == (4, 1, 3, 3) and not dw.any() and db.shape == (4,) and not db.any()


@pytest.mark.parametrize("xs, ws, G", [((64, 32, 14, 14), (64, 8, 3, 3), 4),
                                       ((32, 64, 28, 28), (64, 1, 3, 3), 64)])
def test_float32_error_against_float64(xs, ws, G):
    # the largest error / sum of |terms| of its dot product (conv_algo.py's measure)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xs, dtype=np.float32)
    g = rng.standard_normal((xs[0], ws[0]) + xs[2:], dtype=np.float32)
    p, d = (1, 1, 1, 1), (1, 1)
    dw, db = F.conv2d_backward_weight(x, g, ws, p, d, G, bias_grad=True)
    x64, g64 = x.astype(np.float64), g.astype(np.float64)
    ref = K.conv2d_backward_weight_ref(x64, g64, ws, (1, 1), p, d, G)
    scale = K.conv2d_backward_weight_ref(np.abs(x64), np.abs(g64), ws, (1, 1), p, d, G)
    assert (np.abs(dw - ref) / scale).max() < 1e-6
    assert (np.abs(db - g64.sum((0, 2, 3))) / np.abs(g64).sum((0, 2, 3))).max() < 1e-6


def test_split_over_threads_gives_the_serial_result(monkeypatch):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((16, 32, 28, 28)).astype(np.float32)
    g = rng.standard_normal((16, 32, 28, 28)).astype(np.float32)
    args = ((32, 4, 3, 3), (1, 1, 1, 1), (1, 1), 8, True)
    split = F.conv2d_backward_weight(x, g, *args)
    monkeypatch.setattr(_launch, "SPLIT", False)
    assert _launch.split_count(x.size) == 1
    for a, b in zip(split, F.conv2d_backward_weight(x, g, *args)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("stride, padding", [((2, 2), (1, 1, 1, 1)), ((1, 2), (0, 1, 2, 0)),
                                             ((1, 1), (1, 1, 1, 1))])
def test_polyphase_weight_gradient_brings_the_bias_gradient(stride, padding, split):
    # conv_direct's own weight gradient (any stride) sums g on its pass too
    from autodiff.kernels import conv_direct as D
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((5, 6, 9, 8)), rng.standard_normal((6, 2, 3, 3))
    g = rng.standard_normal(K.conv2d_forward_ref(x, w, stride, padding, (1, 1), 3).shape)
    dw, db = D.conv2d_backward_weight(x, g, w.shape, stride, padding, (1, 1), 3, True)
    np.testing.assert_allclose(dw, K.conv2d_backward_weight_ref(x, g, w.shape, stride, padding,
                                                                (1, 1), 3),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(db, g.sum((0, 2, 3)), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(
        D.conv2d_backward_weight(x, g, w.shape, stride, padding, (1, 1), 3), dw)
