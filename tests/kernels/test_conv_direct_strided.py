"""The direct kernels (autodiff/kernels/conv_direct.py) split over threads
(_launch.run_split) give the serial result bit for bit, at stride 1 and on the polyphase
planes of stride 2 (their values against the NumPy twins: tests/kernels/test_conv_direct.py)."""
import numpy as np
import pytest

from autodiff.kernels import _launch
from autodiff.kernels import conv as K
from autodiff.kernels import conv_direct as D


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
