"""Winograd F(2x2, 3x3) in cache-sized blocks: transform, 16 GEMMs and back-transform per block.

``kernels/winograd.py`` runs each stage over a thread's whole image range: its transformed
input V (16, C, T) and product M (16, O, T) are 4x and 8x the input's size (3.2 and 6.4 MB
per thread for x (32, 32, 14, 14), O 64), so every stage streams them through memory, and on
2 cores the two threads' streams compete: there the transforms took 2-2.5x their time alone.
Here one nogil numba call per image range (``kernels/_launch.py`` run_split) loops over
blocks of ``nb`` images by ``rb`` tile rows; per block (tile count ``Tb = rb tw m``):

    forward:  V_b = B^T d B (from the block's padded planes), M_b[xi] = U[xi] @ V_b[xi]
              (BLAS, ``_blas.GEMM`` called from numba), y = A^T M_b A + bias
    backward: dM_b = A dY A^T; dx: dV_b[xi] = U[xi]^T @ dM_b[xi], then B dV_b B^T summed
              into the padded planes; dw: V_b again from x, dU += dM_b[xi] @ V_b[xi]^T

so V_b and M_b (or dM_b, dV_b) stay in the cache: only x, y (dy, dx) cross memory.  Both
gradients come out of one pass sharing dM_b; the weight gradient recomputes V_b from x rather
than keeping the forward's V (no (16, C, T) array per thread saved between forward and
backward).  The maths and tile layout are ``winograd.py``'s (tiles ordered (i, j, n), images
innermost, columns split by parity), so every transform loop is unit-stride over runs of
``tw m`` elements; the transforms are single-stage sums (4 terms per V, 9 per output) with
the signs in small tables.

Kernels take flat C-contiguous arrays and uint64 indices (no wraparound checks, so LLVM
vectorises the runs) and the BLAS gemm of the dtype as an argument (so they cache).  Twin:
the stage-wise ``winograd.py`` pipeline (``winograd.forward``, ``backward_input``,
``backward_weight``), which the tests compare against.  ``GEMM`` empty (not an OpenBLAS):
``available`` is False and the stage-wise pipeline runs instead.
"""
from __future__ import annotations

import numba
import numpy as np
from numba import types, uint64
from numba.core import cgutils
from numba.extending import intrinsic, overload

from ._blas import GEMM, NO, ROW, TR
from ._launch import run_split
from .winograd import BT, _ranges, tiles, weight_adjoint, weight_transform

__all__ = ["available", "forward", "backward"]

# images per block of the forward and of the backward, tile rows per block.  Measured on
# x (64,32,14,14) w (64,32,3,3), 2 threads, wall clock, paired with torch's forward (one run,
# 2026-12-07): forward (nb, rb) (32, 1) 1.07, (32, 2) 1.16, (16, 1) 1.20, (16, 2) 1.19,
# (8, 1) 1.44, (8, 2) 1.41; backward per thread (dx + dw, 32 images) nb 32: 11.1 ms, nb 16: 12.2
NB_FWD, NB_BWD, RB = 32, 32, 1


def available(dtype):
    return np.dtype(dtype) in GEMM


def _terms(L, R):
    """Nonzero terms of Y = L X R^T per output (a, b): (rows, cols, signs) of shape
    (len(L) * len(R), k), padded with zero-sign terms to the longest."""
    out = [[(r, q, L[a, r] * R[b, q]) for r in range(L.shape[1]) for q in range(R.shape[1])
            if L[a, r] * R[b, q] != 0] for a in range(L.shape[0]) for b in range(R.shape[0])]
    k = max(len(t) for t in out)
    rows = np.zeros((len(out), k), np.int64)
    cols = np.zeros((len(out), k), np.int64)
    signs = np.zeros((len(out), k))
    for i, t in enumerate(out):
        for j, (r, q, s) in enumerate(t):
            rows[i, j], cols[i, j], signs[i, j] = r, q, s
    return rows, cols, signs


_ADJ = _terms(BT.T, BT.T)  # dd[r, q] = sum of up to 9 signed dV[4a+b]


# --------------------------------------------------------------------------- numba pieces


@numba.njit(cache=True, nogil=True)
def _run(dst, d, src, o, a, k, n, acc):
    # dst[d + e] (+ dst[d + e] when acc) = sum over the k (1 to 4) terms a[t] * src[o[t] + e]
    if acc:
        if k == 1:
            for e in range(n):
                dst[d + e] += a[0] * src[o[0] + e]
        elif k == 2:
            for e in range(n):
                dst[d + e] += a[0] * src[o[0] + e] + a[1] * src[o[1] + e]
        elif k == 3:
            for e in range(n):
                dst[d + e] += (a[0] * src[o[0] + e] + a[1] * src[o[1] + e]) + a[2] * src[o[2] + e]
        else:
            for e in range(n):
                dst[d + e] += (a[0] * src[o[0] + e] + a[1] * src[o[1] + e]) + (
                    a[2] * src[o[2] + e] + a[3] * src[o[3] + e])
    elif k == 1:
        for e in range(n):
            dst[d + e] = a[0] * src[o[0] + e]
    elif k == 2:
        for e in range(n):
            dst[d + e] = a[0] * src[o[0] + e] + a[1] * src[o[1] + e]
    elif k == 3:
        for e in range(n):
            dst[d + e] = (a[0] * src[o[0] + e] + a[1] * src[o[1] + e]) + a[2] * src[o[2] + e]
    else:
        for e in range(n):
            dst[d + e] = (a[0] * src[o[0] + e] + a[1] * src[o[1] + e]) + (
                a[2] * src[o[2] + e] + a[3] * src[o[3] + e])


@numba.njit(cache=True, nogil=True)
def _sum_run(dst, od, src, base, offs, signs, row, n, acc):
    # dst[od + e] (+)= sum_t signs[row, t] * src[base + offs[row, t] + e] for e < n over the
    # terms of one table row (those with sign 0 pad the row and are left out), 4 terms per
    # pass.  Whole tables and a row index, not row views: a view costs a reference count.
    k = 0
    while k < signs.shape[1] and signs[row, k] != 0:
        k += 1
    for t0 in range(0, k, 4):
        c = min(4, k - t0)
        t1, t2, t3 = t0 + min(1, c - 1), t0 + min(2, c - 1), t0 + min(3, c - 1)
        o = (uint64(base + offs[row, t0]), uint64(base + offs[row, t1]),
             uint64(base + offs[row, t2]), uint64(base + offs[row, t3]))
        a = (dst.dtype.type(signs[row, t0]), dst.dtype.type(signs[row, t1]),
             dst.dtype.type(signs[row, t2]), dst.dtype.type(signs[row, t3]))
        _run(dst, uint64(od), src, o, a, c, uint64(n), acc or t0 > 0)


@numba.njit(cache=True, nogil=True)
def _block(planes, tl, P, Hq, Wq, pr, m, i0, i1, tw, table, to_tiles, acc):
    # One transform (a row of ``table`` per output, its terms by position) of tile rows
    # i0..i1-1 of ``planes`` planes, between the padded planes P (planes, Hq, Wq, m) holding
    # rows pr..pr+Hq-1 (columns split by parity, images innermost: _gather) and the tiles
    # tl (K, planes, Tb) (tiles in (i, j, n) order).  to_tiles: outputs are tile positions
    # k and terms plane positions (r, q); else outputs are plane positions (k // side,
    # k % side) and terms tile positions 4 r + q; acc: add into the outputs (overlaps).
    rows, cols, signs = table
    run = tw * m
    Tb = (i1 - i0) * run
    nk, kt = rows.shape
    side = 2 if nk == 4 else 4
    half = Wq // 2
    outo = np.empty(nk, np.int64)
    termo = np.empty((nk, kt), np.int64)
    for k in range(nk):
        r, q = k // side, k % side
        outo[k] = k * planes * Tb if to_tiles else (r * Wq + (q % 2) * half + q // 2) * m
        for t in range(kt):
            r, q = rows[k, t], cols[k, t]
            termo[k, t] = ((r * Wq + (q % 2) * half + q // 2) * m if to_tiles
                           else (4 * r + q) * planes * Tb)
    for p in range(planes):
        for i in range(i0, i1):
            pb = (p * Hq + 2 * i - pr) * Wq * m
            tb = p * Tb + (i - i0) * run
            for k in range(nk):
                if to_tiles:
                    _sum_run(tl, tb + outo[k], P, pb, termo, signs, k, run, acc)
                else:
                    _sum_run(P, pb + outo[k], tl, tb, termo, signs, k, run, acc)


# --------------------------------------------------------------------------- explicit transforms
# The forward's transforms as fixed formulas over chunks of CH tiles (images innermost): per
# chunk one loop reads the 16 (input) or 16 (output) terms of each tile and writes all its
# outputs to stack scratch, then short copy loops move the scratch to the tiles / planes.
# LLVM's loop vectoriser gives up on a loop writing 16 streams of one array next to reads of
# another (it would need hundreds of run-time overlap checks); stack memory cannot overlap
# an argument's, so both loops vectorise without checks.

CH = 32  # tiles per chunk: four 8-float vectors


def _scratch(n, like):
    """``n`` elements of ``like``'s dtype: stack memory inside a numba kernel (``n`` a
    constant), a NumPy array in plain Python (``NUMBA_DISABLE_JIT``)."""
    return np.empty(n, like.dtype)


@intrinsic
def _stack(typingctx, n, like):
    if not isinstance(n, types.IntegerLiteral):
        return None
    size, dt = n.literal_value, like.dtype

    def codegen(context, builder, sig, args):  # in the entry block: one slot per call site
        return cgutils.alloca_once(builder, context.get_value_type(dt), size=size)
    return types.CPointer(dt)(n, like), codegen


@overload(_scratch)
def _scratch_jit(n, like):
    if isinstance(n, types.IntegerLiteral):
        size = n.literal_value
        return lambda n, like: numba.carray(_stack(size, like), size)
    return None


@numba.njit(inline="always")
def _row(n):
    """Elements per row of an interleaved block (16 rows of n tiles per plane): n rounded up
    to 64-byte lines (16 float32), one more line when that makes a multiple of 8 lines, so
    that the 16 rows a transform reads or writes at once fall in distinct L1 sets (64 sets
    of 8 ways)."""
    lines = -(-n // 16)
    return 16 * (lines + (lines % 8 == 0))


@numba.njit(cache=True, nogil=True)
def _input_tiles(P, Hq, Wq, m, i0, i1, V, planes, R):
    # V (planes, 16, R) = B^T d B of the tile rows i0..i1-1 of the padded planes P (planes,
    # Hq, Wq, m) (_gather's layout, row 0 first), a plane's 16 transformed rows of tiles
    # (i, j, n) next to each other (one run the prefetcher follows; the GEMMs read V[:, xi]
    # with a leading dimension 16 R).  Per row r of a patch d, the four columns of the
    # tiles of a tile row are runs at offsets 0, h, m, h + m (parity split).  Heap indices
    # are uint64 throughout (a signed one gets a wraparound check that stops vectorising).
    run = (Wq // 2 - 1) * m
    q1, q2, q3 = uint64(Wq // 2 * m), uint64(m), uint64(Wq // 2 * m + m)
    r1, r2, r3 = uint64(Wq * m), uint64(2 * Wq * m), uint64(3 * Wq * m)
    S = _scratch(512, V)  # 16 CH
    for p in range(planes):
        for i in range(i0, i1):
            s0 = (p * Hq + 2 * i) * Wq * m
            d0 = p * 16 * R + (i - i0) * run
            for e0 in range(0, run, CH):
                n = min(CH, run - e0)
                a = uint64(s0 + e0)
                for j in range(n):
                    a0 = a + uint64(j)
                    a1, a2, a3 = a0 + r1, a0 + r2, a0 + r3
                    c00, c01 = P[a0] - P[a0 + q2], P[a0 + q1] + P[a0 + q2]
                    c02, c03 = P[a0 + q2] - P[a0 + q1], P[a0 + q1] - P[a0 + q3]
                    c10, c11 = P[a1] - P[a1 + q2], P[a1 + q1] + P[a1 + q2]
                    c12, c13 = P[a1 + q2] - P[a1 + q1], P[a1 + q1] - P[a1 + q3]
                    c20, c21 = P[a2] - P[a2 + q2], P[a2 + q1] + P[a2 + q2]
                    c22, c23 = P[a2 + q2] - P[a2 + q1], P[a2 + q1] - P[a2 + q3]
                    c30, c31 = P[a3] - P[a3 + q2], P[a3 + q1] + P[a3 + q2]
                    c32, c33 = P[a3 + q2] - P[a3 + q1], P[a3 + q1] - P[a3 + q3]
                    S[j], S[CH + j] = c00 - c20, c01 - c21
                    S[2 * CH + j], S[3 * CH + j] = c02 - c22, c03 - c23
                    S[4 * CH + j], S[5 * CH + j] = c10 + c20, c11 + c21
                    S[6 * CH + j], S[7 * CH + j] = c12 + c22, c13 + c23
                    S[8 * CH + j], S[9 * CH + j] = c20 - c10, c21 - c11
                    S[10 * CH + j], S[11 * CH + j] = c22 - c12, c23 - c13
                    S[12 * CH + j], S[13 * CH + j] = c10 - c30, c11 - c31
                    S[14 * CH + j], S[15 * CH + j] = c12 - c32, c13 - c33
                for k in range(16):
                    o = uint64(d0 + k * R + e0)
                    for j in range(n):
                        V[o + uint64(j)] = S[k * CH + j]


@numba.njit(cache=True, nogil=True)
def _grad_tiles(Pg, Hg, Wg, m, i0, i1, dM, planes, R):
    # dM (planes, 16, R) (_input_tiles' layout) = A dY A^T of the 2x2 tiles of tile rows
    # i0..i1-1 of the planes Pg (planes, Hg, Wg, m) (_gather's layout): dY[r, s] of a tile
    # row's tiles is the run at r Wg m + s run
    run = Wg // 2 * m
    q1, r1 = uint64(run), uint64(Wg * m)
    S = _scratch(512, dM)  # 16 CH
    for p in range(planes):
        for i in range(i0, i1):
            s0 = (p * Hg + 2 * i) * Wg * m
            d0 = p * 16 * R + (i - i0) * run
            for e0 in range(0, run, CH):
                n = min(CH, run - e0)
                a = uint64(s0 + e0)
                for j in range(n):
                    a0 = a + uint64(j)
                    y00, y01, y10, y11 = Pg[a0], Pg[a0 + q1], Pg[a0 + r1], Pg[a0 + r1 + q1]
                    c01, c02, c11, c12 = y00 + y01, y00 - y01, y10 + y11, y10 - y11
                    S[j], S[CH + j], S[2 * CH + j], S[3 * CH + j] = y00, c01, c02, -y01
                    S[4 * CH + j], S[5 * CH + j] = y00 + y10, c01 + c11
                    S[6 * CH + j], S[7 * CH + j] = c02 + c12, -(y01 + y11)
                    S[8 * CH + j], S[9 * CH + j] = y00 - y10, c01 - c11
                    S[10 * CH + j], S[11 * CH + j] = c02 - c12, y11 - y01
                    S[12 * CH + j], S[13 * CH + j] = -y10, -c11
                    S[14 * CH + j], S[15 * CH + j] = -c12, y11
                for k in range(16):
                    o = uint64(d0 + k * R + e0)
                    for j in range(n):
                        dM[o + uint64(j)] = S[k * CH + j]


@numba.njit(cache=True, nogil=True)
def _output_tiles(M, R, o, i0, i1, tw, m, y, n0, bias):
    # y[n0 + n, o] (N, O, Ho, Wo) = A^T M A (+ bias[o] when bias has O entries) of plane o's
    # tiles of tile rows i0..i1-1 in M (planes, 16, R) (_input_tiles' layout), the outputs
    # past an odd Ho or Wo left out.  Per tile column and CH images: the 2x2 outputs of each
    # tile into stack scratch (one vectorised loop), then four scalar stores per tile (the
    # images-innermost tiles meet NCHW rows here: no separate scatter pass)
    N, O, Ho, Wo = y.shape
    f = y.ravel()
    run = tw * m
    t = (uint64(0), uint64(R), uint64(2 * R), uint64(3 * R), uint64(4 * R), uint64(5 * R),
         uint64(6 * R), uint64(7 * R), uint64(8 * R), uint64(9 * R), uint64(10 * R),
         uint64(11 * R), uint64(12 * R), uint64(13 * R), uint64(14 * R), uint64(15 * R))
    bv = bias[o] if bias.shape[0] == O else y.dtype.type(0)
    S = _scratch(128, y)  # 4 CH
    img = O * Ho * Wo
    for i in range(i0, i1):
        full_r = 2 * i + 1 < Ho
        for jt in range(tw):
            full = full_r and 2 * jt + 1 < Wo
            for e0 in range(0, m, CH):
                n = min(CH, m - e0)
                a = uint64(o * 16 * R + (i - i0) * run + jt * m + e0)
                for j in range(n):
                    b = a + uint64(j)
                    m00, m01, m02, m03 = M[b], M[b + t[1]], M[b + t[2]], M[b + t[3]]
                    m10, m11, m12, m13 = M[b + t[4]], M[b + t[5]], M[b + t[6]], M[b + t[7]]
                    m20, m21, m22, m23 = M[b + t[8]], M[b + t[9]], M[b + t[10]], M[b + t[11]]
                    m30, m31, m32, m33 = (M[b + t[12]], M[b + t[13]], M[b + t[14]],
                                          M[b + t[15]])
                    u00, u01 = (m00 + m01) + m02, (m01 - m02) - m03
                    u10, u11 = (m10 + m11) + m12, (m11 - m12) - m13
                    u20, u21 = (m20 + m21) + m22, (m21 - m22) - m23
                    u30, u31 = (m30 + m31) + m32, (m31 - m32) - m33
                    S[j], S[CH + j] = (u00 + u10) + u20 + bv, (u01 + u11) + u21 + bv
                    S[2 * CH + j] = (u10 - u20) - u30 + bv
                    S[3 * CH + j] = (u11 - u21) - u31 + bv
                d = uint64(((n0 + e0) * O + o) * Ho * Wo + 2 * i * Wo + 2 * jt)
                if full:
                    for j in range(n):
                        q = d + uint64(j * img)
                        f[q], f[q + 1] = S[j], S[CH + j]
                        f[q + Wo], f[q + Wo + 1] = S[2 * CH + j], S[3 * CH + j]
                    continue
                for j in range(n):
                    q = d + uint64(j * img)
                    f[q] = S[j]
                    if 2 * jt + 1 < Wo:
                        f[q + 1] = S[CH + j]
                    if full_r:
                        f[q + Wo] = S[2 * CH + j]


@numba.njit(cache=True, nogil=True)
def _gather(a, n0, m, P, Hq, Wq, pt, pl):
    # P (planes, Hq, Wq, m) = images n0..n0+m-1 of a (N, planes, H, W), zero-padded: element
    # (n, p, h, w) at row h + pt, column q = w + pl stored at (q % 2) * Wq/2 + q // 2
    N, planes, H, W = a.shape
    f = a.ravel()
    P[:planes * Hq * Wq * m] = 0
    step = uint64(planes * H * W)
    half = Wq // 2
    for p in range(planes):
        for h in range(H):
            d0 = (p * Hq + h + pt) * Wq * m
            s0 = ((n0 * planes + p) * H + h) * W
            for w in range(W):
                q = w + pl
                d, s = uint64(d0 + ((q % 2) * half + q // 2) * m), uint64(s0 + w)
                for n in range(uint64(m)):
                    P[d + n] = f[s + n * step]


@numba.njit(cache=True, nogil=True)
def _scatter(P, a, n0, m, Hq, Wq, pt, pl, bias, r0, r1):
    # images n0..n0+m-1 of a (N, planes, H, W), the rows h with r0 <= h + pt < r1 = P's
    # elements (_gather's positions, P holding rows r0..r0+Hq-1), plus bias[p] when bias has
    # one entry per plane.  Per (plane, row) the P
    # elements read (Wq m) stay in L1.
    N, planes, H, W = a.shape
    f = a.ravel()
    half = Wq // 2
    cm = np.empty(W, np.uint64)
    for w in range(W):
        q = w + pl
        cm[w] = ((q % 2) * half + q // 2) * m
    for p in range(planes):
        b = bias[p] if bias.shape[0] == planes else a.dtype.type(0)
        for h in range(max(0, r0 - pt), min(H, r1 - pt)):
            s0 = (p * Hq + h + pt - r0) * Wq * m
            for n in range(m):
                s = uint64(s0 + n)
                d0 = uint64((((n0 + n) * planes + p) * H + h) * W)
                for w in range(uint64(W)):
                    f[d0 + w] = P[s + cm[w]] + b


@numba.njit(cache=True, nogil=True)
def _gemms(gemm, kind, U, A, B, O, C, groups, Tb, xO, lO, xC, lC):
    # the 16 x groups GEMMs of one block, U (16, O, C/groups) and the flat blocks A, B:
    # kind 0: B (16, O, Tb) = U @ A (16, C, Tb); 1: B (16, C, Tb) = U^T @ A (16, O, Tb);
    # 2: U += A (16, O, Tb) @ B (16, C, Tb)^T; element (xi, o, t) of the (16, O, Tb) block
    # at xi xO + o lO + t, (xi, c, t) of the (16, C, Tb) one at xi xC + c lC + t
    Og, Cg = O // groups, C // groups
    sz = U.itemsize
    u, a, b = U.ctypes.data, A.ctypes.data, B.ctypes.data
    for xi in range(16):
        for g in range(groups):
            uo = u + ((xi * O + g * Og) * Cg) * sz
            oo = (xi * xO + g * Og * lO) * sz
            co = (xi * xC + g * Cg * lC) * sz
            if kind == 0:
                gemm(ROW, NO, NO, Og, Tb, Cg, 1.0, uo, Cg, a + co, lC, 0.0, b + oo, lO)
            elif kind == 1:
                gemm(ROW, TR, NO, Cg, Tb, Og, 1.0, uo, Cg, a + oo, lO, 0.0, b + co, lC)
            else:
                gemm(ROW, NO, TR, Og, Cg, Tb, 1.0, a + oo, lO, b + co, lC, 1.0, uo, Cg)


@numba.njit(cache=True, nogil=True)
def _forward(gemm, x, U, y, bias, groups, pt, pl, th, tw, nb, rb):
    # y (n, O, Ho, Wo) = the convolution of x (n, C, H, W), filters transformed in U, + bias
    N, C = x.shape[0], x.shape[1]
    O = y.shape[1]
    Hq, Wq = 2 * th + 2, 2 * tw + 2
    nb = min(nb, N)
    P = np.empty(C * Hq * Wq * nb, x.dtype)
    R = _row(rb * tw * nb)
    V = np.empty(C * 16 * R, x.dtype)
    M = np.empty(O * 16 * R, x.dtype)
    for n0 in range(0, N, nb):
        m = min(nb, N - n0)
        _gather(x, n0, m, P, Hq, Wq, pt, pl)
        for i0 in range(0, th, rb):
            i1 = min(th, i0 + rb)
            Tb = (i1 - i0) * tw * m
            _input_tiles(P, Hq, Wq, m, i0, i1, V, C, R)
            _gemms(gemm, 0, U, V, M, O, C, groups, Tb, R, 16 * R, R, 16 * R)
            for o in range(O):
                _output_tiles(M, R, o, i0, i1, tw, m, y, n0, bias)


@numba.njit(cache=True, nogil=True)
def _backward(gemm, g, U, x, dx, dU, bias, C, groups, pt, pl, th, tw, nb, rb, tadj, want_dx,
              want_dw):
    # for g (n, O, Ho, Wo): dx (n, C, H, W) = the input gradient (+ bias) when want_dx;
    # dU (16, O, C/groups) += the transformed weight gradient against x when want_dw
    N, O = g.shape[0], g.shape[1]
    Hq, Wq, Hg, Wg = 2 * th + 2, 2 * tw + 2, 2 * th, 2 * tw
    nb = min(nb, N)
    Pg = np.empty(O * Hg * Wg * nb, g.dtype)
    P = np.empty(C * Hq * Wq * nb if want_dw else 0, g.dtype)
    Px = np.empty(C * Hq * Wq * nb if want_dx else 0, g.dtype)
    R = _row(rb * tw * nb)
    dM = np.empty(O * 16 * R, g.dtype)
    V = np.empty(C * 16 * R, g.dtype)  # dV (16, C, Tb) for dx, then V (C, 16, R) for dw
    for n0 in range(0, N, nb):
        m = min(nb, N - n0)
        _gather(g, n0, m, Pg, Hg, Wg, 0, 0)
        if want_dw:
            _gather(x, n0, m, P, Hq, Wq, pt, pl)
        if want_dx:
            Px[:C * Hq * Wq * m] = 0
        for i0 in range(0, th, rb):
            i1 = min(th, i0 + rb)
            Tb = (i1 - i0) * tw * m
            _grad_tiles(Pg, Hg, Wg, m, i0, i1, dM, O, R)
            if want_dx:
                _gemms(gemm, 1, U, dM, V, O, C, groups, Tb, R, 16 * R, C * Tb, Tb)
                _block(C, V, Px, Hq, Wq, 0, m, i0, i1, tw, tadj, False, True)
            if want_dw:
                _input_tiles(P, Hq, Wq, m, i0, i1, V, C, R)
                _gemms(gemm, 2, dU, dM, V, O, C, groups, Tb, R, 16 * R, R, 16 * R)
        if want_dx:
            _scatter(Px, dx, n0, m, Hq, Wq, pt, pl, bias, 0, Hq)


# --------------------------------------------------------------------------- array API


def _none(dtype):
    return np.zeros((0, 1, 1, 1), dtype)


def _parts(x_shape, w_shape, out_hw, parts):
    from .winograd import chunks
    return chunks(x_shape, w_shape, out_hw) if parts is None else parts


def forward(x, w, padding, groups=1, bias=None, parts=None):
    """winograd.forward in blocks: x (N, C, H, W), 3x3 w (O, C/groups, 3, 3), padding (top,
    bottom, left, right) -> (N, O, Ho, Wo) (+ bias (O,)); ``parts`` image ranges on as many
    threads (default ``winograd.chunks``)."""
    N, C, H, W = x.shape
    O = w.shape[0]
    Ho, Wo = H + padding[0] + padding[1] - 2, W + padding[2] + padding[3] - 2
    th, tw = tiles(Ho, Wo)
    x = np.ascontiguousarray(x)
    U = weight_transform(w)
    y = np.empty((N, O, Ho, Wo), x.dtype)
    b = np.zeros(0, x.dtype) if bias is None else np.ascontiguousarray(bias, dtype=x.dtype)
    parts = _parts(x.shape, w.shape, (Ho, Wo), parts)
    r = _ranges(N, parts)
    gemm = GEMM[x.dtype]

    def part(k):
        lo, hi = r[k]
        if hi > lo:
            _forward(gemm, x[lo:hi], U, y[lo:hi], b, groups, padding[0], padding[2], th, tw,
                     NB_FWD, RB)
    run_split(part, parts)
    return y


def backward(g, x_shape, w_shape, padding, groups=1, w=None, x=None, bias=None, parts=None):
    """(input gradient + bias (C,), weight gradient) of :func:`forward` for g (N, O, Ho, Wo)
    in one blocked pass sharing the transformed g: the input gradient when the weights ``w``
    are given (else None), the weight gradient when the input ``x`` is (else None)."""
    N = g.shape[0]
    th, tw = tiles(*g.shape[2:])
    dt = g.dtype
    g = np.ascontiguousarray(g)
    want_dx, want_dw = w is not None, x is not None
    U = weight_transform(np.asarray(w, dt)) if want_dx else np.zeros((16, 1, 1), dt)
    x = np.ascontiguousarray(x, dtype=dt) if want_dw else _none(dt)
    dx = np.empty(tuple(x_shape), dt) if want_dx else _none(dt)
    b = np.zeros(0, dt) if bias is None else np.ascontiguousarray(bias, dtype=dt)
    parts = _parts(x_shape, w_shape, g.shape[2:], parts)
    r = _ranges(N, parts)
    dUs = [np.zeros((16, w_shape[0], w_shape[1]), dt) for _ in range(parts)]
    gemm = GEMM[dt]

    def part(k):
        lo, hi = r[k]
        if hi > lo:
            _backward(gemm, g[lo:hi], U, x[lo:hi] if want_dw else x,
                      dx[lo:hi] if want_dx else dx, dUs[k], b, x_shape[1], groups,
                      padding[0], padding[2], th, tw, NB_BWD, RB, _ADJ, want_dx,
                      want_dw)
    run_split(part, parts)
    dw = weight_adjoint(sum(dUs), tuple(w_shape)) if want_dw else None
    return (dx if want_dx else None), dw
