"""im2col's image-innermost blocks (kernels/conv_inner.py): each kernel against its NumPy
twin, conv2d_pass in that layout against the conv twins (split and whole, kept columns reused,
whatever the thread count between the two passes), the float32 error of the bench's two rows
that run it, and torch parity through the ops with double backward."""
import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kernel_cases import SETTINGS, conv_cases, tol

from autodiff.kernels import _launch
from autodiff.kernels import conv as K
from autodiff.kernels import conv_algo as A
from autodiff.kernels import conv_inner as I
from tests.ops.conv_parity import assert_conv_matches_torch


@pytest.fixture(params=[False, True], ids=["y=w@cols", "y=cols.T@w.T"])
def inner(split, monkeypatch, request):
    """Every pass runs image-innermost blocks (of 1+ images), split over 2 threads or not
    (conftest.py's ``split``), the forward's GEMM in either orientation (K.FORWARD_T)."""
    monkeypatch.setattr(K, "INNER_MIN_IMAGES", 1)
    monkeypatch.setattr(K, "FORWARD_T", request.param)
    monkeypatch.setattr(A, "FORCE", A.IM2COL)
    return split


def _geo(c):
    return c["stride"], c["padding"], c["dilation"], c["groups"]


@SETTINGS
@given(c=conv_cases(), lo=st.integers(0, 2), c0=st.integers(0, 3))
def test_kernels_match_twins(c, lo, c0):
    _check_kernels(c, lo, c0)


@SETTINGS
@given(c=conv_cases(n=(9, 21), hw=(6, 19)), lo=st.integers(0, 2), c0=st.integers(0, 3))
def test_kernels_match_twins_in_8x8_blocks(c, lo, c0):
    """Blocks of 8+ images and rows of 8+: the copies run as 8x8 transposes (the last block
    of a row or column overlapping), rows under 8 wide one element at a time."""
    _check_kernels(c, lo, c0)


def _check_kernels(c, lo, c0):
    x, w, g = c["x"], c["w"], c["g"]
    N = x.shape[0]
    n0, nb = min(lo, N - 1), N - min(lo, N - 1)
    u = K._Unfold(x.shape, w.shape[2:], c["stride"], c["padding"], c["dilation"], g.shape[2:])
    L = u.Ho * u.Wo
    ref = I.inner_order(K.im2col_ref(x[n0:], w.shape[2:], *_geo(c)[:3]), nb)
    cols = np.full((u.rows, c0 + nb * L + 2), 7.0, x.dtype)
    I.im2col(x, n0, nb, cols, c0, *u.args)
    np.testing.assert_array_equal(cols[:, c0:c0 + nb * L], ref)
    assert (cols[:, :c0] == 7).all() and (cols[:, c0 + nb * L:] == 7).all()

    dcols = np.random.default_rng(0).standard_normal(ref.shape).astype(x.dtype)
    bias = np.arange(x.shape[1], dtype=x.dtype)
    dx = np.full(x.shape, 7.0, x.dtype)
    I.col2im(dcols, dx, n0, nb, *u.args, bias)
    want = K.col2im_ref(I.outer_order(dcols, nb), (nb, *x.shape[1:]), w.shape[2:],
                        *_geo(c)[:3]) + bias.reshape(1, -1, 1, 1)
    np.testing.assert_allclose(dx[n0:], want, **tol(x.dtype))
    assert (dx[:n0] == 7).all()

    gt = np.empty((g.shape[1], u.Ho, u.Wo, nb), g.dtype)
    I.pack(g, n0, gt)
    np.testing.assert_array_equal(gt, g[n0:].transpose(1, 2, 3, 0))
    y = np.full(g.shape, 7.0, g.dtype)
    I.unpack(gt, y, n0, np.zeros(0, g.dtype))
    np.testing.assert_array_equal(y[n0:], g[n0:])
    I.unpack(gt, y, n0, np.ones(g.shape[1], g.dtype))
    np.testing.assert_array_equal(y[n0:], g[n0:] + 1)
    assert (y[:n0] == 7).all()
    O, L = g.shape[1], u.Ho * u.Wo
    for G in {1, x.shape[1] // w.shape[1]}:  # one group, and the conv's groups
        # g as the forward GEMM's result in its rows orientation: (G, (oh, ow, n), O/G)
        yt = np.ascontiguousarray(g[n0:].reshape(nb, G, O // G, L).transpose(1, 3, 0, 2))
        y = np.full(g.shape, 7.0, g.dtype)
        I.unpack_rows(yt.reshape(G, L * nb, O // G), y, n0, np.zeros(0, g.dtype))
        np.testing.assert_array_equal(y[n0:], g[n0:])
        bias = np.arange(O, dtype=g.dtype)
        I.unpack_rows(yt.reshape(G, L * nb, O // G), y, n0, bias)
        np.testing.assert_array_equal(y[n0:], g[n0:] + bias.reshape(-1, 1, 1))
        assert (y[:n0] == 7).all()


@pytest.mark.parametrize("want", [("y", "dw"), ("dx", "dw"), ("y", "dx", "dw"), ("dx",)])
def test_pass_matches_twins(inner, want):
    @SETTINGS
    @given(c=conv_cases())
    def check(c):
        x, w, g, geo = c["x"], c["w"], c["g"], _geo(c)
        args = (x.shape, w.shape, *geo)
        r = K.conv2d_pass(*args, out_hw=g.shape[2:], w=w, x=x, g=g, keep=True,
                          **{k: True for k in want})
        refs = {"y": lambda: K.conv2d_forward_ref(x, w, *geo),
                "dx": lambda: K.conv2d_backward_input_ref(g, w, x.shape, *geo),
                "dw": lambda: K.conv2d_backward_weight_ref(x, g, w.shape, *geo)}
        for k in want:
            out = getattr(r, k)
            assert out.dtype == x.dtype
            np.testing.assert_allclose(out, refs[k](), **tol(x.dtype))
        if "dw" in want:  # the kept columns serve a second pass
            again = K.conv2d_pass(*args, out_hw=g.shape[2:], x=x[:0], g=g, cols=r.cols, dw=True)
            np.testing.assert_allclose(again.dw, r.dw, **tol(x.dtype))
    check()


def test_kept_columns_do_not_depend_on_the_threads(monkeypatch):
    """Blocks are fixed by the shapes: columns kept by a split pass serve a pass on 1 thread
    (and the other way round)."""
    monkeypatch.setattr(A, "FORCE", A.IM2COL)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((40, 3, 9, 8))
    w = rng.standard_normal((5, 3, 3, 3))
    g = rng.standard_normal((40, 5, 5, 4))
    geo = ((2, 2), (1, 1, 1, 1), (1, 1), 1)
    monkeypatch.setattr(K, "COLS_BLOCK", 27 * 20 * 8)  # 5 blocks of 8 images, 6 when split
    monkeypatch.setattr(K, "INNER_MIN_IMAGES", 1)
    monkeypatch.setattr(_launch, "PARALLEL_MIN", 0)
    want = K.conv2d_backward_weight_ref(x, g, w.shape, *geo)
    old = numba.get_num_threads()
    try:
        for first, second in ((2, 1), (1, 2)):
            numba.set_num_threads(min(first, numba.config.NUMBA_NUM_THREADS))
            cols = K.conv2d_pass(x.shape, w.shape, *geo, w=w, x=x, y=True, keep=True).cols
            numba.set_num_threads(min(second, numba.config.NUMBA_NUM_THREADS))
            dw = K.conv2d_backward_weight(x, g, w.shape, *geo, cols=cols)
            np.testing.assert_allclose(dw, want, rtol=1e-12, atol=1e-12)
    finally:
        numba.set_num_threads(old)


@pytest.mark.parametrize("xs, ws, geo, documented", [
    ((64, 32, 14, 14), (64, 32, 3, 3), ((2, 2), (1, 1, 1, 1), (1, 1), 1), (4e-7, 4e-7, 1e-7)),
    ((64, 16, 14, 14), (32, 16, 4, 4), ((2, 2), (1, 1, 1, 1), (1, 1), 1), (4e-7, 4e-7, 1e-7)),
])
def test_float32_error_of_the_bench_rows(xs, ws, geo, documented):
    """bench/conv.py's stride-2 row and its transposed row (as the conv whose input gradient
    it is) in float32, image-innermost blocks as they run by default, against float64 of the
    same inputs: per element, relative to the sum of |terms|, below conv_algo.py's figures."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xs).astype(np.float32)
    w = rng.standard_normal(ws).astype(np.float32)
    u = K._Unfold(xs, ws[2:], *geo[:3])
    g = rng.standard_normal((xs[0], ws[0], u.Ho, u.Wo)).astype(np.float32)
    r = K.conv2d_pass(xs, ws, *geo, w=w, x=x, g=g, y=True, dx=True, dw=True)
    x64, w64, g64 = (a.astype(np.float64) for a in (x, w, g))
    ax, aw, ag = np.abs(x64), np.abs(w64), np.abs(g64)
    for out, ref, scale, bound in (
            (r.y, K.conv2d_forward_ref(x64, w64, *geo), K.conv2d_forward_ref(ax, aw, *geo),
             documented[0]),
            (r.dx, K.conv2d_backward_input_ref(g64, w64, xs, *geo),
             K.conv2d_backward_input_ref(ag, aw, xs, *geo), documented[1]),
            (r.dw, K.conv2d_backward_weight_ref(x64, g64, ws, *geo),
             K.conv2d_backward_weight_ref(ax, ag, ws, *geo), documented[2])):
        assert out.dtype == np.float32
        assert np.max(np.abs(out - ref) / scale) < bound


@pytest.mark.parametrize("name, xs, ws, kw", [
    ("conv2d", (16, 4, 9, 8), (6, 4, 3, 3), dict(stride=2, padding=1)),
    ("conv2d", (9, 4, 7, 6), (6, 2, 3, 2), dict(stride=(1, 2), padding=(1, 0), dilation=2,
                                               groups=2)),
    ("conv_transpose2d", (16, 4, 4, 3), (4, 3, 4, 4), dict(stride=2, padding=1)),
    ("conv_transpose2d", (8, 4, 3, 3), (4, 1, 3, 2), dict(stride=(2, 3), padding=(1, 0),
                                                          output_padding=(1, 2), groups=2)),
])
def test_ops_match_torch_with_double_backward(inner, monkeypatch, name, xs, ws, kw):
    """Through the ops, every pass of a step and of its double backward image-innermost."""
    ran = []

    def counted(kernel):
        return lambda *args: ran.append(kernel(*args))
    monkeypatch.setattr(I, "im2col", counted(I.im2col))
    monkeypatch.setattr(I, "col2im", counted(I.col2im))
    cout = ws[1] * kw.get("groups", 1) if name == "conv_transpose2d" else ws[0]
    rng = np.random.default_rng(2)
    assert_conv_matches_torch(name, rng.standard_normal(xs), rng.standard_normal(ws),
                              rng.standard_normal(cout), kw, rtol=1e-10, atol=1e-10)
    assert len(ran) >= 4


@pytest.mark.parametrize("name, xs, ws, kw", [
    ("conv2d", (9, 4, 7, 6), (6, 4, 3, 3), dict(stride=2, padding=1)),
    ("conv_transpose2d", (9, 4, 4, 3), (4, 3, 4, 4), dict(stride=2, padding=1)),
    ("conv2d", (0, 4, 7, 6), (6, 4, 3, 3), dict(stride=2, padding=1)),
])
def test_bias_gradient_and_its_gradient_match_torch(name, xs, ws, kw):
    """ops/conv.py's _ChannelSum (the bias gradient) and its own gradient with respect to the
    output gradient, against torch (an empty batch included)."""
    torch = pytest.importorskip("torch")
    import autodiff as ad
    from autodiff.ops import conv
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    b = rng.standard_normal(ws[1] if name == "conv_transpose2d" else ws[0])
    X, W, B = (ad.tensor(a, requires_grad=True) for a in (x, w, b))
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    out = getattr(conv, name)(X, W, B, **kw)
    ot = getattr(torch.nn.functional, name)(xt, wt, bt, **kw)
    go = rng.standard_normal(ot.shape)
    G, gt = ad.tensor(go, requires_grad=True), torch.tensor(go, requires_grad=True)
    (gb,) = ad.grad(out, [B], G, create_graph=True)
    (gbt,) = torch.autograd.grad(ot, [bt], gt, create_graph=True)
    np.testing.assert_allclose(gb._data, gbt.detach().numpy(), rtol=1e-12, atol=1e-12)
    (dg,) = ad.grad((gb * gb).sum(), [G])
    (dgt,) = torch.autograd.grad((gbt * gbt).sum(), [gt])
    np.testing.assert_allclose(dg._data, dgt.numpy(), rtol=1e-12, atol=1e-12)
