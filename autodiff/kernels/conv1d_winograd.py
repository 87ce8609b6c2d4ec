"""1-D Winograd convolution F(m, r) for stride-1, undilated, ungrouped conv1d.

Each tile of ``m`` outputs of a correlation with an ``r``-tap filter reads ``n = m + r - 1``
inputs ``d`` and is (Toom-Cook on the points 0, 1, -1, 2, -2, 1/2, -1/2 and infinity)

    y = AT [(G w) * (BT d)]          AT (m, n), G (n, r), BT (n, n)

Summed over input channels the elementwise product becomes n GEMMs, one per transformed
position ``xi``, over the T tiles of a block of images:

    V[xi] (C, T)  = BT d of every channel and tile              (_input_tf)
    U[xi] (O, C)  = G w of every filter                          (float64 sums, once)
    M[xi] (O, T)  = U[xi] @ V[xi]                                (cblas gemm)
    y             = AT M of every tile, + bias                   (_output_tf)

With n = 8 (F(4, 5) for the 5-tap row of ``bench/conv.py``) that is 8 multiplies per 4 outputs
instead of 20.  The input gradient is this forward on g with the filter flipped and its
channels swapped (offset r - 1 - left padding).  The weight gradient is the adjoint:

    dM[xi] (O, T) = A dy of every output tile                    (_grad_tf)
    dU[xi] (O, C) = sum over blocks of dM[xi] @ V[xi]^T          (cblas gemm, K = T)
    dw            = G^T dU                                       (float64 sums)

Each block of images runs as one nogil numba call (transforms and the GEMMs through
``kernels/_blas.py``), on the threads of conv1d's ``_split``.  Tile t of image n reads input
positions ``m t + j - off`` (off = left padding), zero outside the row; outputs past the
row's end are computed and dropped.

Vectorisation (numba leaves LLVM's SLP vectoriser off; only loops vectorise): every transform
loop runs over all the block's tiles of one channel (length (images) x W) on 1-D C-contiguous
views indexed from 0 (an offset index keeps numba's wraparound check, which stops LLVM).  The
input side copies each row by memcpy into a zero-edged buffer and de-interleaves it with one
stride-4 loop (``_phases``); the output side stores the 4 outputs of a tile interleaved, which
LLVM turns into shuffles, and copies each row out by memcpy.  Measured (1 thread, x (64,32,128),
w (64,32,5), blocks of 8 images, ms per 64 images, before / after): input transform 0.40 /
0.25, output transform 1.1-1.5 / 0.45-0.5.

Transform points: of 455 symmetric sets {0, +-p, +-q, +-s, infinity} with p, q, s among 1/4,
1/3, 1/2, 2/3, 3/4, 5/8, 7/8, 1, 5/4, 4/3, 3/2, 2, 5/2, 3, 4, the float32 error of forward, input
and weight gradient (max relative to |x| * |w|, x (8,32,128), w (64,32,5)) was lowest for
{1/2, 1, 2} (5.7e-7 / 6.3e-7 / 5.2e-7) and {2/3, 1, 2} (5.6e-7 / 6.2e-7 / 5.4e-7): no set
lowers it materially, so the points stay.

Non-finite values: a tile mixes its n inputs, so an inf or nan spreads over its tile (and
padding zeros meet it in ``inf - inf``) where the shift kernels give PyTorch's per-output
result.  The kernels therefore report a non-finite output (forward) or any non-finite
value in the weight-gradient result; the callers in ``kernels/conv1d.py`` then recompute with
the shift kernels.  Float32 error against a float64 reference: ``kernels/conv_algo.py``.

Each kernel has a NumPy twin (``*_ref``: explicit tiles and matrices).
"""
from __future__ import annotations

import numba
import numpy as np
from numba import uint64

from ._blas import NO, ROW, TR
from ._runs import copy_run

__all__ = ["matrices", "forward_block", "weight_block", "weight_transform", "weight_adjoint",
           "forward_ref", "weight_grad_ref"]

POINTS = (0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5)  # and infinity
NPTS = 8  # n = m + r - 1: transformed positions per tile


def matrices(r, n=NPTS):
    """(AT (m, n), G (n, r), BT (n, n)) in float64 of F(m = n - r + 1, r); BT's rows scaled
    to a largest entry of 1 (their factor moved into G, which only meets the weights)."""
    m = n - r + 1
    pts = np.array(POINTS[:n - 1])

    def vander(cols):
        v = np.zeros((n, cols))
        v[:-1] = pts[:, None] ** np.arange(cols)
        v[-1, -1] = 1.0  # the point at infinity: the leading coefficient
        return v
    # correlation is the transpose of polynomial multiplication s = Vinv [(Vg w) * (Vh h)]
    bt = np.linalg.inv(vander(n)).T
    g = vander(r)
    bt[np.abs(bt) < 1e-12] = 0.0  # exact zeros: the transforms skip them
    scale = np.abs(bt).max(axis=1)
    return vander(m).T, g * scale[:, None], bt / scale[:, None]


def weight_transform(w, G, dtype, flip=False):
    """U (n, O, C) = G w of w (O, C, r), summed in float64; with ``flip`` the transform
    (n, C, O) of the input gradient's filter, w with its taps reversed and its channels
    swapped.  (numba: NumPy's G @ w and its float64 copies took 0.05-0.2 ms per call.)"""
    O, C, r = w.shape
    U = np.empty((G.shape[0], C, O) if flip else (G.shape[0], O, C), dtype)
    _transform_w(w, G, flip, U)
    return U


def weight_adjoint(dU, G, dtype):
    """(dw (O, C, r) = G^T dU of dU (n, O, C), summed in float64; True if dw is finite)."""
    n, O, C = dU.shape
    dw = np.empty((O, C, G.shape[1]), dtype)
    return dw, _adjoint(dU, G, dw)


# --------------------------------------------------------------------------- numba kernels


@numba.njit(cache=True, nogil=True)
def _transform_w(w, G, flip, U):
    # U[xi, o, c] = sum_k G[xi, k] w[o, c, k], or (flip) U[xi, c, o] = sum_k G[xi, k]
    # w[o, c, r - 1 - k], in float64 (an inf weight gives inf or nan: see the docstring).
    # Taps first (t[k] in U[xi]'s order), then per xi one vectorised sum over all filters:
    # 4-5x faster than a scalar sum per (o, c, xi), same float64 order of terms
    O, C, r = w.shape
    t = np.empty((r, O * C))
    for o in range(O):
        for c in range(C):
            j = c * O + o if flip else o * C + c
            for k in range(r):
                t[k, j] = w[o, c, r - 1 - k if flip else k]
    acc = np.empty(O * C)
    for xi in range(G.shape[0]):
        acc[:] = 0.0
        for k in range(r):
            gk, tk = G[xi, k], t[k]
            for j in range(O * C):
                acc[j] += gk * tk[j]
        dst = U[xi].ravel()
        for j in range(O * C):
            dst[j] = acc[j]


@numba.njit(cache=True, nogil=True)
def _adjoint(dU, G, dw):
    # dw[o, c, k] = sum_xi G[xi, k] dU[xi, o, c], in float64; True if every dw is finite.
    # Per k one vectorised sum over all (o, c) (same order of terms as a scalar sum)
    n, O, C = dU.shape
    r = G.shape[1]
    acc = np.empty(O * C)
    out = dw.reshape(O * C, r)
    bad = False
    for k in range(r):
        acc[:] = 0.0
        for xi in range(n):
            gk, src = G[xi, k], dU[xi].ravel()
            for j in range(O * C):
                acc[j] += gk * src[j]
        for j in range(O * C):
            out[j, k] = acc[j]
            bad |= out[j, k] - out[j, k] != 0  # inf (also after the cast) or nan
    return not bad


@numba.njit(cache=True, nogil=True)
def _addr(a, i):
    # address of element i of C-contiguous a
    return a.ctypes.data + uint64(i * a.itemsize)


@numba.njit(cache=True, nogil=True)
def _phases(a, n0, n1, c, off, W, xp, ph):
    # ph[r, k W + u] = a[n0 + k, c, 4 u + r - off] for u < W (0 outside the row; ph's extra
    # last column 0): each row goes by memcpy into the zero-edged buffer xp (4 (nw + 1)) at
    # 4 k W + off (the edges stay as the caller's zeros: off is fixed), then one stride-4
    # de-interleave over the whole block, which LLVM vectorises
    L = a.shape[2]
    lo, hi = max(0, -off), min(L, 4 * W - off)
    if hi > lo:
        for k in range(n1 - n0):
            copy_run(xp, 4 * k * W + lo + off, a[n0 + k, c], lo, hi - lo)
    p0, p1, p2, p3 = ph[0], ph[1], ph[2], ph[3]
    for u in range(ph.shape[1]):
        p0[u] = xp[4 * u]
        p1[u] = xp[4 * u + 1]
        p2[u] = xp[4 * u + 2]
        p3[u] = xp[4 * u + 3]


@numba.njit(cache=True, nogil=True)
def _input_tf(x, n0, n1, off, BT, W, V):
    # V[xi, c, k W + t] = sum_j BT[xi, j] x[n0 + k, c, 4 t + j - off] (0 outside the row) for
    # t < W: each image's W tiles (the last one unused), so one loop runs over all k and t
    C = x.shape[1]
    nw = (n1 - n0) * W
    xp = np.zeros(4 * (nw + 1), V.dtype)
    ph = np.empty((4, nw + 1), V.dtype)  # ph[r, k W + u] = x[n0 + k, c, 4 u + r - off]
    for c in range(C):
        _phases(x, n0, n1, c, off, W, xp, ph)
        p0, p1, p2, p3 = ph[0], ph[1], ph[2], ph[3]
        for xi in range(8):
            b0, b1, b2, b3 = BT[xi, 0], BT[xi, 1], BT[xi, 2], BT[xi, 3]
            b4, b5, b6, b7 = BT[xi, 4], BT[xi, 5], BT[xi, 6], BT[xi, 7]
            dst = V[xi, c]
            for i in range(nw):
                dst[i] = (b0 * p0[i] + b1 * p1[i] + b2 * p2[i] + b3 * p3[i]
                          + b4 * p0[i + 1] + b5 * p1[i + 1] + b6 * p2[i + 1] + b7 * p3[i + 1])


@numba.njit(cache=True, nogil=True)
def _row8(A, i):
    # row i of A (., 8) as a tuple: loop-invariant scalars that stay in registers
    return A[i, 0], A[i, 1], A[i, 2], A[i, 3], A[i, 4], A[i, 5], A[i, 6], A[i, 7]


@numba.njit(cache=True, nogil=True)
def _output_tf(M, n0, n1, W, AT, bias, out):
    # out[n0 + k, o, 4 t + i] = bias[o] + sum_xi AT[i, xi] M[xi, o, k W + t] inside the row
    # (bias has O entries); returns 0, or nan if an output (or one of the dropped outputs
    # past a row's end) is inf or nan.  Per o one loop over all the block's tiles reads 8
    # contiguous runs and stores 4 interleaved values (LLVM vectorises it with shuffles: 1-D
    # C views indexed from 0, no wraparound check), then each image's row is copied out
    O, Lo = out.shape[1], out.shape[2]
    nw = (n1 - n0) * W
    a0, a1, a2, a3 = _row8(AT, 0), _row8(AT, 1), _row8(AT, 2), _row8(AT, 3)  # in registers
    ob = np.empty(4 * nw, out.dtype)
    bad = False
    for o in range(O):
        b = bias[o]
        m0, m1, m2, m3 = M[0, o], M[1, o], M[2, o], M[3, o]
        m4, m5, m6, m7 = M[4, o], M[5, o], M[6, o], M[7, o]
        for j in range(nw):
            v0 = (b + a0[0] * m0[j] + a0[1] * m1[j] + a0[2] * m2[j] + a0[3] * m3[j]
                  + a0[4] * m4[j] + a0[5] * m5[j] + a0[6] * m6[j] + a0[7] * m7[j])
            v1 = (b + a1[0] * m0[j] + a1[1] * m1[j] + a1[2] * m2[j] + a1[3] * m3[j]
                  + a1[4] * m4[j] + a1[5] * m5[j] + a1[6] * m6[j] + a1[7] * m7[j])
            v2 = (b + a2[0] * m0[j] + a2[1] * m1[j] + a2[2] * m2[j] + a2[3] * m3[j]
                  + a2[4] * m4[j] + a2[5] * m5[j] + a2[6] * m6[j] + a2[7] * m7[j])
            v3 = (b + a3[0] * m0[j] + a3[1] * m1[j] + a3[2] * m2[j] + a3[3] * m3[j]
                  + a3[4] * m4[j] + a3[5] * m5[j] + a3[6] * m6[j] + a3[7] * m7[j])
            ob[4 * j] = v0
            ob[4 * j + 1] = v1
            ob[4 * j + 2] = v2
            ob[4 * j + 3] = v3
        for q in range(4 * nw):
            bad |= ob[q] - ob[q] != 0  # inf or nan; an integer or-reduction: vectorises
        for k in range(n1 - n0):
            copy_run(out, ((n0 + k) * O + o) * Lo, ob, 4 * k * W, Lo)
    return np.nan if bad else 0.0


@numba.njit(cache=True, nogil=True, fastmath={"reassoc"})
def _sum(a):
    # sum of the 1-D a, vectorised (reassociated: 8-lane partial sums in a's dtype)
    s = a.dtype.type(0)
    for i in range(a.shape[0]):
        s += a[i]
    return s


@numba.njit(cache=True, nogil=True)
def _grad_tf(g, n0, n1, W, AT, dM, db):
    # dM[xi, o, k W + t] = sum_i AT[i, xi] g[n0 + k, o, 4 t + i] (0 past the row's end and in
    # each image's unused last tile); db[o] += the sum of g[n0:n1, o] unless db is empty
    O = g.shape[1]
    nw = (n1 - n0) * W
    gp = np.zeros(4 * nw, dM.dtype)
    gph = np.empty((4, nw), dM.dtype)  # gph[i, k W + t] = g[n0 + k, o, 4 t + i]
    for o in range(O):
        _phases(g, n0, n1, o, 0, W, gp, gph)
        if db.shape[0]:
            db[o] += _sum(gp)  # the block's rows of g, zero-edged
        g0, g1, g2, g3 = gph[0], gph[1], gph[2], gph[3]
        for xi in range(8):
            a0, a1, a2, a3 = AT[0, xi], AT[1, xi], AT[2, xi], AT[3, xi]
            dst = dM[xi, o]
            for j in range(nw):
                dst[j] = a0 * g0[j] + a1 * g1[j] + a2 * g2[j] + a3 * g3[j]


@numba.njit(cache=True, nogil=True)
def _transformed(x, n0, n1, off, BT, O, Lo):
    # (W, T, V, M): V (8, C, T) the input transform of images n0:n1 for Lo outputs per image
    # (W tiles each), M an empty (8, O, T) for the output side
    W = (Lo + 3) // 4 + 1
    T = (n1 - n0) * W
    V = np.empty((8, x.shape[1], T), x.dtype)
    _input_tf(x, n0, n1, off, BT, W, V)
    return W, T, V, np.empty((8, O, T), x.dtype)


@numba.njit(cache=True, nogil=True)
def forward_block(gemm, x, n0, n1, U, off, BT, AT, bias, out):
    """out[n0:n1] (O, Lo) = Winograd correlation of x[n0:n1] (C, L) with the transformed
    filters U (8, O, C) at offset ``off``, + bias; returns 0, or nan if an output is not
    finite."""
    C, O = x.shape[1], U.shape[1]
    W, T, V, M = _transformed(x, n0, n1, off, BT, O, out.shape[2])
    for xi in range(8):
        gemm(ROW, NO, NO, O, T, C, 1.0, _addr(U, xi * O * C), C, _addr(V, xi * C * T), T, 0.0,
             _addr(M, xi * O * T), T)
    return _output_tf(M, n0, n1, W, AT, bias, out)


@numba.njit(cache=True, nogil=True)
def weight_block(gemm, x, g, n0, n1, off, BT, AT, dU, db):
    """dU (8, O, C) += the transformed weight gradient of images n0:n1 of x (C, L) and
    g (O, Lo); db (O,) += their g summed over images and positions (the bias gradient)
    unless db is empty."""
    C, O = x.shape[1], g.shape[1]
    W, T, V, dM = _transformed(x, n0, n1, off, BT, O, g.shape[2])
    _grad_tf(g, n0, n1, W, AT, dM, db)
    for xi in range(8):
        gemm(ROW, NO, TR, O, C, T, 1.0, _addr(dM, xi * O * T), T, _addr(V, xi * C * T), T, 1.0,
             _addr(dU, xi * O * C), C)


# --------------------------------------------------------------------------- NumPy twins


def _tiles(x, off, m, npts, Tn):
    """(N, C, Tn, npts) input patches of each tile, zero outside the row."""
    N, C, L = x.shape
    idx = m * np.arange(Tn)[:, None] + np.arange(npts) - off
    inside = (idx >= 0) & (idx < L)
    return np.where(inside, x[:, :, np.clip(idx, 0, L - 1)], 0)


def forward_ref(x, w, off, out_len):
    """Correlation of x (N, C, L) with w (O, C, r) at offset ``off`` -> (N, O, out_len),
    through explicit float64 tiles and matrices."""
    r = w.shape[2]
    AT, G, BT = matrices(r)
    m, npts = AT.shape
    Tn = -(-out_len // m)
    V = np.einsum("xj,nctj->xnct", BT, _tiles(x.astype(np.float64), off, m, npts, Tn))
    M = np.einsum("xoc,xnct->xnot", np.einsum("xk,ock->xoc", G, w), V)
    y = np.einsum("ix,xnot->noti", AT, M).reshape(x.shape[0], w.shape[0], Tn * m)
    return y[:, :, :out_len]


def weight_grad_ref(x, g, r, off):
    """Weight gradient (O, C, r) of :func:`forward_ref` for x (N, C, L), g (N, O, Lo)."""
    AT, G, BT = matrices(r)
    m, npts = AT.shape
    N, O, Lo = g.shape
    Tn = -(-Lo // m)
    gp = np.zeros((N, O, Tn * m))
    gp[:, :, :Lo] = g
    dM = np.einsum("ix,noti->xnot", AT, gp.reshape(N, O, Tn, m))
    V = np.einsum("xj,nctj->xnct", BT, _tiles(x.astype(np.float64), off, m, npts, Tn))
    return np.einsum("xk,xoc->ock", G, np.einsum("xnot,xnct->xoc", dM, V))
