"""Direct kernels' polyphase path (autodiff/kernels/conv_direct.py: strided convolutions
read stride-1 phase planes) and their split over threads (_launch.run_split), against the
NumPy twins of conv.py: float64 to round-off, float32 within the bound documented in
kernels/conv_algo.py."""
import numpy as np
import pytest

from autodiff.kernels import _launch
from autodiff.kernels import conv as K
from autodiff.kernels import conv_direct as D

# N, C, O, (H, W), (kh, kw), stride, padding (top, bottom, left, right), dilation, groups
CASES = [
    (3, 8, 8, (14, 14), (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 8),  # depthwise s2, odd pl
    (2, 8, 8, (13, 11), (3, 3), (2, 2), (0, 1, 2, 2), (1, 1), 4),  # odd W, even pl
    (2, 6, 12, (10, 9), (3, 3), (2, 2), (1, 1, 1, 1), (2, 2), 3),  # dilation 2 at stride 2
    (2, 4, 4, (11, 12), (5, 5), (3, 3), (2, 1, 1, 3), (1, 1), 2),  # stride 3, 5x5
    (2, 6, 6, (9, 10), (3, 2), (1, 2), (1, 0, 1, 0), (1, 2), 6),  # stride (1, 2)
    (2, 6, 6, (10, 9), (2, 3), (3, 1), (0, 2, 1, 1), (2, 1), 3),  # stride (3, 1)
    (5, 32, 8, (8, 8), (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 2),  # C/groups 16, blocks
    (2, 4, 4, (6, 6), (3, 3), (1, 1), (3, 3, 2, 2), (1, 1), 4),  # stride 1, wide padding
]


def _case(c, dtype, seed=0):
    N, C, O, hw, k, s, p, d, g = c
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C) + hw)
    w = rng.standard_normal((O, C // g) + k)
    b = rng.standard_normal(C)
    gy = rng.standard_normal(K.conv2d_forward_ref(x, w, s, p, d, g).shape)
    return [a.astype(dtype) for a in (x, w, b, gy)], (s, p, d, g)


@pytest.mark.parametrize("c", CASES)
def test_float64_matches_numpy_twins(c):
    (x, w, b, gy), geo = _case(c, np.float64)
    np.testing.assert_allclose(D.conv2d_forward(x, w, *geo), K.conv2d_forward_ref(x, w, *geo),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(D.conv2d_backward_input(gy, w, x.shape, *geo, bias=b),
                               K.conv2d_backward_input_ref(gy, w, x.shape, *geo)
                               + b.reshape(1, -1, 1, 1), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(D.conv2d_backward_weight(x, gy, w.shape, *geo),
                               K.conv2d_backward_weight_ref(x, gy, w.shape, *geo),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("c", CASES)
def test_float32_error_against_float64(c):
    (x, w, _, gy), geo = _case(c, np.float32, seed=1)
    x64, w64, gy64 = (a.astype(np.float64) for a in (x, w, gy))
    ax, aw, ag = np.abs(x64), np.abs(w64), np.abs(gy64)
    pairs = [
        (D.conv2d_forward(x, w, *geo), K.conv2d_forward_ref(x64, w64, *geo),
         K.conv2d_forward_ref(ax, aw, *geo)),
        (D.conv2d_backward_input(gy, w, x.shape, *geo),
         K.conv2d_backward_input_ref(gy64, w64, x.shape, *geo),
         K.conv2d_backward_input_ref(ag, aw, x.shape, *geo)),
        (D.conv2d_backward_weight(x, gy, w.shape, *geo),
         K.conv2d_backward_weight_ref(x64, gy64, w.shape, *geo),
         K.conv2d_backward_weight_ref(ax, ag, w.shape, *geo)),
    ]
    for got, ref, scale in pairs:
        assert got.dtype == np.float32
        assert (np.abs(got - ref) / (scale + 1e-30)).max() <= 1e-6


@pytest.mark.parametrize("stride", [(1, 1), (2, 2)])
def test_split_over_threads_gives_the_serial_result(stride, monkeypatch):
    # large enough for split_count to split (when numba has 2+ threads); every item and the
    # weight gradient's chunks are computed alike either way, so results agree bit for bit
    rng = np.random.default_rng(2)
    x = rng.standard_normal((16, 32, 28, 28)).astype(np.float32)
    w = rng.standard_normal((32, 4, 3, 3)).astype(np.float32)
    geo = (stride, (1, 1, 1, 1), (1, 1), 8)
    out = D.conv2d_forward(x, w, *geo)
    gy = rng.standard_normal(out.shape).astype(np.float32)
    split = (out, D.conv2d_backward_input(gy, w, x.shape, *geo),
             D.conv2d_backward_weight(x, gy, w.shape, *geo))
    monkeypatch.setattr(_launch, "SPLIT", False)
    assert _launch.split_count(x.size) == 1
    serial = (D.conv2d_forward(x, w, *geo), D.conv2d_backward_input(gy, w, x.shape, *geo),
              D.conv2d_backward_weight(x, gy, w.shape, *geo))
    for a, b in zip(split, serial):
        np.testing.assert_array_equal(a, b)
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    ref = K.conv2d_forward_ref(x64, w64, *geo)
    assert np.abs(out - ref).max() <= 1e-5 * np.abs(ref).max()
