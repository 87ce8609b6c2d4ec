"""im2col's one-pass products (kernels/conv.py conv2d_pass): any subset of y, dx, dw in one
pass over the batch, in blocks of images and split over threads, against the NumPy twins;
and through the ops, where a conv's two gradients (and a transposed conv's) come from one
fused pass: values, torch parity with double backward, and that the fusion really ran."""
import numba
import numpy as np
import pytest
from hypothesis import given
from kernel_cases import SETTINGS, conv_cases, tol

import autodiff as ad
from autodiff.kernels import _launch
from autodiff.kernels import conv as K
from autodiff.kernels import conv_algo as A
from autodiff.ops.conv import conv2d, conv_transpose2d
from tests.ops.conv_parity import assert_conv_matches_torch


@pytest.fixture(params=["split-blocks", "whole"])
def layout(request, monkeypatch):
    """Split over 2 threads with one image per block, or the whole batch as one block."""
    split = request.param == "split-blocks"
    if split and _launch._set_blas_local is None:
        pytest.skip("NumPy's BLAS has no openblas_set_num_threads_local: no split here")
    monkeypatch.setattr(_launch, "PARALLEL_MIN", 0 if split else 1 << 40)
    monkeypatch.setattr(K, "COLS_BLOCK", 1 if split else 1 << 40)
    monkeypatch.setattr(A, "FORCE", A.IM2COL)
    old = numba.get_num_threads()
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    yield request.param
    numba.set_num_threads(old)


def _geo(c):
    return c["stride"], c["padding"], c["dilation"], c["groups"]


@pytest.mark.parametrize("want", [("y", "dw"), ("dx", "dw"), ("y",), ("dx",), ("dw",)])
@pytest.mark.parametrize("given_cols", [False, True])
def test_pass_matches_twins(layout, want, given_cols):
    @SETTINGS
    @given(c=conv_cases())
    def check(c):
        x, w, g, geo = c["x"], c["w"], c["g"], _geo(c)
        cols = K.im2col(x, w.shape[2:], *geo[:3]) if given_cols else None
        r = K.conv2d_pass(x.shape, w.shape, *geo, out_hw=g.shape[2:], w=w, x=x, g=g, cols=cols,
                          keep=True, **{k: True for k in want})
        refs = {"y": lambda: K.conv2d_forward_ref(x, w, *geo),
                "dx": lambda: K.conv2d_backward_input_ref(g, w, x.shape, *geo),
                "dw": lambda: K.conv2d_backward_weight_ref(x, g, w.shape, *geo)}
        for k in ("y", "dx", "dw"):
            out = getattr(r, k)
            if k not in want:
                assert out is None
                continue
            ref = refs[k]()
            assert out.dtype == x.dtype and out.shape == ref.shape
            np.testing.assert_allclose(out, ref, **tol(x.dtype))
        if "y" in want or "dw" in want:
            np.testing.assert_array_equal(r.cols, K.im2col_ref(x, w.shape[2:], *geo[:3]))
    check()


def test_pass_biases_and_empty_batch(layout):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((3, 4, 6, 5)), rng.standard_normal((6, 2, 3, 2))
    g = rng.standard_normal((3, 6, 3, 3))
    by, bx = rng.standard_normal(6), rng.standard_normal(4)
    geo = ((2, 2), (1, 0, 0, 1), (1, 1), 2)
    r = K.conv2d_pass(x.shape, w.shape, *geo, w=w, x=x, g=g, y=True, dx=True, dw=True,
                      y_bias=by, dx_bias=bx)
    np.testing.assert_allclose(r.y, K.conv2d_forward_ref(x, w, *geo) + by.reshape(1, 6, 1, 1),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(r.dx, K.conv2d_backward_input_ref(g, w, x.shape, *geo)
                               + bx.reshape(1, 4, 1, 1), rtol=1e-12, atol=1e-12)
    assert r.cols is None
    e = K.conv2d_pass((0, 4, 6, 5), w.shape, *geo, w=w, x=x[:0], g=g[:0], y=True, dx=True,
                      dw=True)
    assert e.y.shape == (0, 6, 3, 3) and e.dx.shape == (0, 4, 6, 5)
    np.testing.assert_array_equal(e.dw, np.zeros(w.shape))


def _count_passes(monkeypatch):
    calls = []
    real = K.conv2d_pass

    def counted(*args, **kw):
        calls.append(tuple(k for k in ("y", "dx", "dw") if kw.get(k)))
        return real(*args, **kw)
    monkeypatch.setattr(K, "conv2d_pass", counted)
    return calls


def test_ops_fuse_the_two_gradients(layout, monkeypatch):
    """conv2d fwd+bwd: two passes (y; dx with dw); conv_transpose2d: two (dx; y with dw)."""
    rng = np.random.default_rng(1)
    calls = _count_passes(monkeypatch)
    x = ad.tensor(rng.standard_normal((3, 4, 7, 6)), requires_grad=True)
    w = ad.tensor(rng.standard_normal((5, 4, 3, 3)), requires_grad=True)
    conv2d(x, w, stride=2, padding=1).sum().backward()
    assert calls == [("y",), ("dx", "dw")]
    xr, wr = x.grad._data, w.grad._data
    go = np.ones((3, 5, 4, 3))
    np.testing.assert_allclose(xr, K.conv2d_backward_input_ref(go, w._data, x.shape, (2, 2),
                                                               (1, 1, 1, 1)), rtol=1e-12)
    np.testing.assert_allclose(wr, K.conv2d_backward_weight_ref(x._data, go, w.shape, (2, 2),
                                                                (1, 1, 1, 1)), rtol=1e-12)
    calls.clear()
    xt = ad.tensor(rng.standard_normal((3, 4, 3, 3)), requires_grad=True)
    wt = ad.tensor(rng.standard_normal((4, 2, 4, 4)), requires_grad=True)
    conv_transpose2d(xt, wt, stride=2, padding=1).sum().backward()
    assert calls == [("dx",), ("y", "dw")]


@pytest.mark.parametrize("name, xs, ws, kw", [
    ("conv2d", (3, 4, 7, 6), (6, 2, 3, 3), dict(stride=2, padding=1, groups=2)),
    ("conv2d", (2, 3, 6, 7), (4, 3, 2, 3), dict(stride=(1, 2), dilation=(2, 1), padding=(1, 0))),
    ("conv_transpose2d", (3, 4, 3, 4), (4, 3, 4, 4), dict(stride=2, padding=1)),
    ("conv_transpose2d", (2, 4, 3, 3), (4, 1, 3, 2), dict(stride=(2, 3), padding=(1, 0),
                                                          output_padding=(1, 2), groups=2)),
])
def test_ops_match_torch_with_double_backward(layout, name, xs, ws, kw):
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    b = rng.standard_normal(ws[1] * kw.get("groups", 1) if name == "conv_transpose2d" else ws[0])
    assert_conv_matches_torch(name, x, w, b, kw, rtol=1e-10, atol=1e-10)


def test_float32_error_of_split_pass(layout):
    """The bench's conv2d 3x3 stride-2 step in float32 against float64 of the same inputs:
    within the error documented in conv_algo.py (per element, relative to the sum of |terms|)."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((8, 32, 14, 14)).astype(np.float32)
    w = rng.standard_normal((64, 32, 3, 3)).astype(np.float32)
    g = rng.standard_normal((8, 64, 7, 7)).astype(np.float32)
    geo = ((2, 2), (1, 1, 1, 1), (1, 1), 1)
    r = K.conv2d_pass(x.shape, w.shape, *geo, w=w, x=x, g=g, y=True, dx=True, dw=True)
    x64, w64, g64 = (a.astype(np.float64) for a in (x, w, g))
    ax, aw, ag = np.abs(x64), np.abs(w64), np.abs(g64)
    for out, ref, scale in (
            (r.y, K.conv2d_forward_ref(x64, w64, *geo), K.conv2d_forward_ref(ax, aw, *geo)),
            (r.dx, K.conv2d_backward_input_ref(g64, w64, x.shape, *geo),
             K.conv2d_backward_input_ref(ag, aw, x.shape, *geo)),
            (r.dw, K.conv2d_backward_weight_ref(x64, g64, w.shape, *geo),
             K.conv2d_backward_weight_ref(ax, ag, w.shape, *geo))):
        assert out.dtype == np.float32
        assert np.max(np.abs(out - ref) / scale) < 1e-6
