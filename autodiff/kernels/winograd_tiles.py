"""Winograd F(2x2, 3x3) tile transforms as explicit formulas, for ``winograd_blocked.py``.

The transforms of ``winograd.py`` (same maths, same tile order (i, j, n), images innermost)
written out for F(2x2, 3x3): the input transform ``B^T d B`` (``_input_tiles``) and its
adjoint ``B dV B^T`` added into the padded planes (``_adjoint_tiles``, the input gradient),
the gradient's ``A dY A^T`` (``_grad_tiles``), the output transform ``A^T M A`` straight into
the NCHW output (``_output_tiles``) and the filters' ``G g G^T`` (``_weights``).  The adjoint
replaced a table-driven sum of up to 9 signed terms per element: backward per 2 threads,
x (64,32,14,14) w (64,32,3,3), new/old 0.97-0.99 (noise-level; the table code is gone).

Layout of a block's transformed tiles: (planes, 16, R), a plane's 16 rows of tiles next to
each other (``R = _row(tiles)``), so a transform reads or writes one run per plane that the
prefetcher follows, and the GEMMs see matrix xi at offset xi R with leading dimension 16 R.

Each transform loops over chunks of CH tiles: one loop reads the terms of every tile of the
chunk and writes all its outputs to stack scratch (``_scratch``), then short copy loops move
the scratch out.  LLVM's loop vectoriser gives up on a loop writing 16 streams of one array
next to reads of another (it would need hundreds of run-time overlap checks); stack memory
cannot overlap an argument's, so both loops vectorise (8-float ymm vectors) without checks.
Heap indices are uint64 throughout: a signed one gets a wraparound check that stops the
vectoriser (measured: the output transform 7x slower).  1 thread, 32 images of
x (32,14,14), O 64 (2026-12-07, ms per forward): input transform 0.33 -> 0.17, output
transform and scatter 0.59 -> 0.36 against the table-driven ``winograd_blocked._block``.

Twins: ``winograd.input_transform_ref`` / ``weight_transform`` and the stage-wise pipeline;
tests in ``tests/kernels/test_winograd_tiles.py`` and ``test_winograd_adjoint.py``.  numba
caches a kernel against its own file only: after editing this file, clear the cache of
``winograd_blocked.py``'s kernels too.
"""
from __future__ import annotations

import numba
import numpy as np
from numba import types, uint64
from numba.core import cgutils
from numba.extending import intrinsic, overload

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


@numba.njit(inline="always")
def _offsets(R):
    """The 16 row offsets k R of a plane's interleaved block, as uint64."""
    return (uint64(0), uint64(R), uint64(2 * R), uint64(3 * R), uint64(4 * R), uint64(5 * R),
            uint64(6 * R), uint64(7 * R), uint64(8 * R), uint64(9 * R), uint64(10 * R),
            uint64(11 * R), uint64(12 * R), uint64(13 * R), uint64(14 * R), uint64(15 * R))


@numba.njit(inline="always")
def _adj_row(S, k, j, c0, c1, c2, c3):
    # row (c0, c1, c2, c3) of B dV times B^T: the patch values k..k+3 of tile j into S
    S[k * CH + j] = c0
    S[(k + 1) * CH + j] = (c1 - c2) + c3
    S[(k + 2) * CH + j] = (c1 + c2) - c0
    S[(k + 3) * CH + j] = -c3


@numba.njit(cache=True, nogil=True)
def _adjoint_tiles(dV, xp, xr, planes, i0, i1, P, Hq, Wq, m):
    # P (planes, Hq, Wq, m) (_gather's layout, row 0 first) += B dV B^T of the tiles of
    # tile rows i0..i1-1 in dV, tile value (p, k, t) at p xp + k xr + t (_input_tiles'
    # (planes, 16, R): xp = 16 R, xr = R; the GEMMs' (16, planes, Tb): xp = Tb,
    # xr = planes Tb): the adjoint of _input_tiles, overlapping patches summed.  Per chunk
    # the 16 patch values of each tile go to scratch, then one add loop per patch position:
    # tiles next to each other share positions (columns 2, 3 of tile j are 0, 1 of tile
    # j + 1), so each loop adds into distinct elements and the loops run one after the other.
    run = (Wq // 2 - 1) * m
    q1, q2 = Wq // 2 * m, m
    t = _offsets(xr)
    S = _scratch(512, dV)  # 16 CH
    for p in range(planes):
        for i in range(i0, i1):
            s0 = p * xp + (i - i0) * run
            d0 = (p * Hq + 2 * i) * Wq * m
            for e0 in range(0, run, CH):
                n = min(CH, run - e0)
                a = uint64(s0 + e0)
                for j in range(n):
                    b = a + uint64(j)
                    d = (dV[b], dV[b + t[1]], dV[b + t[2]], dV[b + t[3]], dV[b + t[4]],
                         dV[b + t[5]], dV[b + t[6]], dV[b + t[7]], dV[b + t[8]], dV[b + t[9]],
                         dV[b + t[10]], dV[b + t[11]], dV[b + t[12]], dV[b + t[13]],
                         dV[b + t[14]], dV[b + t[15]])
                    # dc = B dV by rows, then each row of dd = dc B^T
                    _adj_row(S, 0, j, d[0], d[1], d[2], d[3])
                    _adj_row(S, 4, j, (d[4] - d[8]) + d[12], (d[5] - d[9]) + d[13],
                             (d[6] - d[10]) + d[14], (d[7] - d[11]) + d[15])
                    _adj_row(S, 8, j, (d[4] + d[8]) - d[0], (d[5] + d[9]) - d[1],
                             (d[6] + d[10]) - d[2], (d[7] + d[11]) - d[3])
                    _adj_row(S, 12, j, -d[12], -d[13], -d[14], -d[15])
                for k in range(16):
                    r, q = k // 4, k % 4
                    o = uint64(d0 + r * Wq * m + (q % 2) * q1 + (q // 2) * q2 + e0)
                    for j in range(n):
                        P[o + uint64(j)] += S[k * CH + j]


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
    t = _offsets(R)
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
def _weights(w):
    # U (16, O, Cg) = G g G^T of every 3x3 filter g of w (O, Cg, 3, 3): winograd's
    # weight_transform without NumPy's BLAS (whose threads, woken for this small product,
    # would spin on the core the split's second part runs on).  Filters f = o Cg + c in
    # chunks of CH: one loop writes their 16 values to stack scratch, then 16 runs go out
    # (written straight to U's 16 rows, O Cg apart, the stores of a filter fell in one L1 set
    # when O Cg was a multiple of 1024 and evicted each other: w (64,32,3,3) 133 -> 17 us,
    # AVX-512 Emerald Rapids, 2026-12-07; same sums, same results bit for bit)
    O, Cg = w.shape[0], w.shape[1]
    F = O * Cg
    U = np.empty((16, O, Cg), w.dtype)
    u, a = U.ravel(), np.ascontiguousarray(w).ravel()
    h = w.dtype.type(0.5)
    S = _scratch(512, w)  # 16 CH
    for f0 in range(0, F, CH):
        n = min(CH, F - f0)
        for j in range(n):
            s = uint64((f0 + j) * 9)
            g00, g01, g02 = a[s], a[s + 1], a[s + 2]
            g10, g11, g12 = a[s + 3], a[s + 4], a[s + 5]
            g20, g21, g22 = a[s + 6], a[s + 7], a[s + 8]
            # t = G g (rows 0 and 3 are g's), then each row of t G^T
            t10, t11 = h * ((g00 + g10) + g20), h * ((g01 + g11) + g21)
            t12, t20 = h * ((g02 + g12) + g22), h * ((g00 - g10) + g20)
            t21, t22 = h * ((g01 - g11) + g21), h * ((g02 - g12) + g22)
            S[j], S[3 * CH + j] = g00, g02
            S[CH + j], S[2 * CH + j] = h * ((g00 + g01) + g02), h * ((g00 - g01) + g02)
            S[4 * CH + j], S[7 * CH + j] = t10, t12
            S[5 * CH + j], S[6 * CH + j] = h * ((t10 + t11) + t12), h * ((t10 - t11) + t12)
            S[8 * CH + j], S[11 * CH + j] = t20, t22
            S[9 * CH + j], S[10 * CH + j] = h * ((t20 + t21) + t22), h * ((t20 - t21) + t22)
            S[12 * CH + j], S[15 * CH + j] = g20, g22
            S[13 * CH + j], S[14 * CH + j] = h * ((g20 + g21) + g22), h * ((g20 - g21) + g22)
        for k in range(16):
            o = uint64(k * F + f0)
            for j in range(n):
                u[o + uint64(j)] = S[k * CH + j]
    return U
