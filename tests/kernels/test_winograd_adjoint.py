"""winograd_tiles._adjoint_tiles (the input gradient's B dV B^T, overlapping patches summed
into _gather's padded planes) against its twin: the transform matrix applied with einsum and
the patches added into dense padded planes, in float64 to round-off and float32; both dV
layouts it reads, odd output sizes, a chunk shorter than CH, several tile rows per call and
a call adding into planes that already hold values."""
import numpy as np
import pytest

from autodiff.kernels import winograd as Wn
from autodiff.kernels import winograd_blocked as Wb
from autodiff.kernels import winograd_tiles as Wt

# N, planes, Ho, Wo
SHAPES = [(32, 3, 14, 14), (5, 2, 9, 7), (3, 4, 6, 11)]


def _adjoint_ref(dV, Hq, Wq):
    """Dense padded planes (N, planes, Hq, Wq) += B dV B^T of dV (16, planes, th, tw, N)."""
    _, planes, th, tw, N = dV.shape
    B = Wn.BT.T.astype(np.float64)
    patches = np.einsum("ra,abpijn,qb->npijrq", B, dV.reshape(4, 4, planes, th, tw, N), B)
    out = np.zeros((N, planes, Hq, Wq))
    for i in range(th):
        for j in range(tw):
            out[:, :, 2 * i:2 * i + 4, 2 * j:2 * j + 4] += patches[:, :, i, j]
    return out


@pytest.mark.parametrize("layout", ["planes-first", "gemm"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES)
def test_adjoint_tiles_match_reference(shape, dtype, layout):
    N, planes, Ho, Wo = shape
    th, tw = Wn.tiles(Ho, Wo)
    Hq, Wq = 2 * th + 2, 2 * tw + 2
    rng = np.random.default_rng(4)
    dV = rng.standard_normal((16, planes, th, tw, N)).astype(dtype)
    start = rng.standard_normal((N, planes, Hq, Wq)).astype(dtype)
    ref = _adjoint_ref(dV.astype(np.float64), Hq, Wq) + start
    P = np.empty(planes * Hq * Wq * N, dtype)
    Wb._gather(start, 0, N, P, Hq, Wq, 0, 0)  # the planes' layout, holding ``start``
    for i0, i1 in ((0, th // 2), (th // 2, th)):  # two calls, several tile rows each
        Tb = (i1 - i0) * tw * N
        block = dV[:, :, i0:i1].reshape(16, planes, Tb)
        if layout == "gemm":  # (16, planes, Tb)
            flat, xp, xr = np.ascontiguousarray(block).ravel(), Tb, planes * Tb
        else:  # (planes, 16, R), padded rows
            R = Wt._row(Tb)
            buf = np.full((planes, 16, R), np.nan, dtype)
            buf[:, :, :Tb] = block.transpose(1, 0, 2)
            flat, xp, xr = buf.ravel(), 16 * R, R
        Wt._adjoint_tiles(flat, xp, xr, planes, i0, i1, P, Hq, Wq, N)
    got = np.empty((N, planes, Hq, Wq), dtype)
    Wb._scatter(P, got, 0, N, Hq, Wq, 0, 0, np.zeros(0, dtype), 0, Hq)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(got, ref, rtol=tol, atol=tol)
