"""Blocked Winograd (autodiff/kernels/winograd_blocked.py) against its twins: the stage-wise
pipeline of winograd.py and the direct twins of conv.py, in float64 to round-off and in
float32 against a float64 reference; blocks smaller than the batch and the tile rows, image
ranges on 2 threads, each gradient alone and both in one pass."""
import numpy as np
import pytest

from autodiff.kernels import conv as K
from autodiff.kernels import winograd as Wn
from autodiff.kernels import winograd_blocked as Wb
from tests.kernels import test_winograd as TW
from tests.kernels.test_winograd import _case

# winograd.py's cases and two with more images (several blocks) and 3 groups
CASES = TW.CASES + [(7, 8, 4, 9, 8, (1, 1, 1, 1), 1), (4, 6, 9, 8, 5, (2, 0, 0, 1), 3)]

pytestmark = pytest.mark.skipif(not Wb.available(np.float64),
                                reason="NumPy's BLAS is not an OpenBLAS: no blocked path")


@pytest.fixture(params=[(32, 32, 1), (2, 2, 1), (3, 1, 2)], ids=["default", "nb2", "nb3-rb2"])
def blocks(request, monkeypatch):
    """Images per forward / backward block and tile rows per block: the defaults and blocks
    that split the batch and the tile rows (last blocks short)."""
    nf, nbw, rb = request.param
    monkeypatch.setattr(Wb, "NB_FWD", nf)
    monkeypatch.setattr(Wb, "NB_BWD", nbw)
    monkeypatch.setattr(Wb, "RB", rb)


@pytest.mark.parametrize("parts", [1, 2])
@pytest.mark.parametrize("c", CASES)
def test_float64_matches_twins(blocks, c, parts):
    (x, w, b, gy), p, g = _case(c, np.float64)
    geo = ((1, 1), p, (1, 1), g)
    bx = np.random.default_rng(1).standard_normal(x.shape[1])
    y = Wb.forward(x, w, p, g, b, parts=parts)
    np.testing.assert_allclose(y, K.conv2d_forward_ref(x, w, *geo) + b.reshape(1, -1, 1, 1),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(y, Wn.forward(x, w, p, g, b), rtol=1e-13, atol=1e-13)
    gx_ref = K.conv2d_backward_input_ref(gy, w, x.shape, *geo) + bx.reshape(1, -1, 1, 1)
    gw_ref = K.conv2d_backward_weight_ref(x, gy, w.shape, *geo)
    gx, gw = Wb.backward(gy, x.shape, w.shape, p, g, w=w, x=x, bias=bx, parts=parts)
    np.testing.assert_allclose(gx, gx_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gw, gw_ref, rtol=1e-12, atol=1e-12)
    gx1, none = Wb.backward(gy, x.shape, w.shape, p, g, w=w, bias=bx, parts=parts)
    none2, gw1 = Wb.backward(gy, x.shape, w.shape, p, g, x=x, parts=parts)
    assert none is None and none2 is None
    np.testing.assert_array_equal(gx1, gx)
    np.testing.assert_allclose(gw1, gw, rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("c", CASES)
def test_float32_error_against_float64(blocks, c):
    # the bound of test_winograd.py's float32 test (few channels per group: the transformed
    # terms cancel, so the error / sum of |terms| reaches 1-1.5e-6 there, stage-wise alike);
    # the bench shape below stays under 1e-6 (conv_algo's docstring)
    (x, w, b, gy), p, g = _case(c, np.float32)
    geo = ((1, 1), p, (1, 1), g)
    f64 = [a.astype(np.float64) for a in (x, w, gy)]
    gx, gw = Wb.backward(gy, x.shape, w.shape, p, g, w=w, x=x, parts=2)
    pairs = [
        (Wb.forward(x, w, p, g, parts=2), K.conv2d_forward_ref(f64[0], f64[1], *geo),
         K.conv2d_forward_ref(np.abs(f64[0]), np.abs(f64[1]), *geo)),
        (gx, K.conv2d_backward_input_ref(f64[2], f64[1], x.shape, *geo),
         K.conv2d_backward_input_ref(np.abs(f64[2]), np.abs(f64[1]), x.shape, *geo)),
        (gw, K.conv2d_backward_weight_ref(f64[0], f64[2], w.shape, *geo),
         K.conv2d_backward_weight_ref(np.abs(f64[0]), np.abs(f64[2]), w.shape, *geo)),
    ]
    for got, ref, scale in pairs:
        assert got.dtype == np.float32
        assert np.all(np.abs(got - ref) <= 2e-6 * scale + 1e-6)


def test_benchmark_shape_float32_error():
    # the bench shape, split in 2 image ranges, with its default blocks (several per range)
    (x, w, b, gy), p, g = _case((64, 32, 64, 14, 14, (1, 1, 1, 1), 1), np.float32, seed=0)
    geo = ((1, 1), p, (1, 1), g)
    f64 = [a.astype(np.float64) for a in (x, w, gy)]
    y = Wb.forward(x, w, p, g, parts=2)
    gx, gw = Wb.backward(gy, x.shape, w.shape, p, g, w=w, x=x, parts=2)
    for got, ref, scale in [
            (y, K.conv2d_forward_ref(f64[0], f64[1], *geo),
             K.conv2d_forward_ref(np.abs(f64[0]), np.abs(f64[1]), *geo)),
            (gx, K.conv2d_backward_input_ref(f64[2], f64[1], x.shape, *geo),
             K.conv2d_backward_input_ref(np.abs(f64[2]), np.abs(f64[1]), x.shape, *geo)),
            (gw, K.conv2d_backward_weight_ref(f64[0], f64[2], w.shape, *geo),
             K.conv2d_backward_weight_ref(np.abs(f64[0]), np.abs(f64[2]), w.shape, *geo))]:
        assert np.max(np.abs(got - ref) / scale) < 1e-6


@pytest.mark.parametrize("c", CASES[:2] + CASES[5:])
def test_ops_run_blocked_and_match_torch(blocks, monkeypatch, c):
    # through the ops, split over 2 threads (so Winograd runs blocked: conv_algo._blocked):
    # forward, gradients (dx and dw from one pass), double backward, float64 central
    # differences and torch 2.13
    numba = pytest.importorskip("numba")
    from autodiff.kernels import _launch
    from autodiff.kernels import conv_algo as A
    from tests.ops.conv_parity import assert_conv_matches_torch
    if _launch._set_blas_local is None or numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("no split here: Winograd runs stage-wise")
    monkeypatch.setattr(_launch, "PARALLEL_MIN", 0)
    monkeypatch.setattr(A, "FORCE", A.WINOGRAD)
    numba.set_num_threads(2)
    calls = []
    for name in ("_forward", "_backward"):
        real = getattr(Wb, name)
        monkeypatch.setattr(Wb, name, lambda *a, _r=real, _n=name: calls.append(_n) or _r(*a))
    (x, w, b, _), p, g = _case(c, np.float64)
    kw = dict(padding=(p[0], p[2]), groups=g) if p[0] == p[1] and p[2] == p[3] else None
    if kw is None:  # asymmetric padding: pad first, then a valid conv
        x = np.pad(x, ((0, 0), (0, 0), p[:2], p[2:]))
        kw = dict(groups=g)
    assert_conv_matches_torch("conv2d", x, w, b, kw, rtol=1e-10, atol=1e-10)
    assert "_forward" in calls and "_backward" in calls
    import autodiff as ad
    from autodiff.ops.conv import conv2d
    X, W = (ad.tensor(a, requires_grad=True) for a in (x, w))
    ad.gradcheck(lambda x, w: conv2d(x, w, **kw), (X, W))
