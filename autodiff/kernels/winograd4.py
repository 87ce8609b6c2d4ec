"""Winograd F(4x4, 3x3) forward in cache-sized blocks (the forward of 3x3 stride-1 convs).

Lavin & Gray's F(4x4, 3x3) with the points 0, 1, -1, 2, -2: each 4x4 output tile is
``Y = A^T [(G g G^T) * (B^T d B)] A`` for its 6x6 input patch ``d`` (patches overlap by 2),
so the sum over input channels is 36 GEMMs (F(2x2, 3x3): 16) and an output costs 36/16 =
2.25 multiplies in them against 4 for F(2x2, 3x3) and 9 for im2col.  The transforms'
entries reach 8 (A^T's last row), so the float32 error is larger than F(2x2, 3x3)'s: see
``conv_algo.py``'s docstring (the measured error, and where it runs).  Only the forward:
the gradients stay F(2x2, 3x3) or im2col (exact gradients of the same convolution).

The pass is ``winograd_blocked.py``'s (one nogil numba call per image range of ``run_split``,
blocks of ``nb`` images by ``rb`` tile rows, the 36 GEMMs called from numba through
``_blas.GEMM``), with 6x6 patches: the padded planes (``_gather``) split columns mod 4
(``Wq = 4 tw + 4``), so column k of tile j sits at (k % 4) Wq/4 + j + k // 4 and every patch
column of a tile row's tiles is one contiguous run; the transformed block is (planes, 36,
R), ``R = _row(tiles)``.  Each transform works on chunks of CH tiles through stack scratch
(``winograd_tiles.py`` says why): rows of the patch first, then columns.

Twin: ``forward_ref`` (NumPy einsum over the explicit matrices ``BT``, ``G``, ``AT``); tests
in ``tests/kernels/test_winograd4.py`` and ``tests/ops/test_conv_winograd4.py``.  numba caches
a kernel against its own file only: after editing ``winograd_tiles.py`` or
``winograd_blocked.py``'s helpers, clear this file's cache too.
"""
from __future__ import annotations

import numba
import numpy as np
from numba import uint64

from ._blas import GEMM
from ._launch import run_split
from .conv_inner import transpose
from .winograd import _ranges
from .winograd_blocked import _gather, _gemms
from .winograd_tiles import CH, _row, _scratch

__all__ = ["available", "tiles", "forward", "forward_ref", "weight_transform"]

BT = np.array([[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
               [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]], np.float64)
G = np.array([[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
              [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]], np.float64)
AT = np.array([[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0],
               [0, 1, -1, 8, -8, 1]], np.float64)

# images and tile rows per block (x (64,32,14,14) w (64,32,3,3): 32 images, 4 tile rows)
NB, RB = 32, 1


def available(dtype):
    return np.dtype(dtype) in GEMM


def tiles(Ho, Wo):
    """Tile rows and columns of 4x4 outputs covering Ho x Wo."""
    return (Ho + 3) // 4, (Wo + 3) // 4


# --------------------------------------------------------------------------- numba pieces


@numba.njit(inline="always")
def _bt(d0, d1, d2, d3, d4, d5, k2, k4, k5):
    """B^T d of one patch row or column (6 values)."""
    a, b = d4 - d2, k2 * (d3 - d1)
    return ((k4 * d0 - k5 * d2) + d4, (d3 + d4) - k4 * (d1 + d2), (d4 - d3) + k4 * (d1 - d2),
            a + b, a - b, (k4 * d1 - k5 * d3) + d5)


@numba.njit(inline="always")
def _at(m0, m1, m2, m3, m4, m5, k2, k4, k8):
    """A^T m of one transformed row or column (6 values -> 4)."""
    a, b, c, d = m1 + m2, m1 - m2, m3 + m4, m3 - m4
    return (m0 + a) + c, b + k2 * d, a + k4 * c, (b + k8 * d) + m5


@numba.njit(cache=True, nogil=True)
def _input_tiles(P, Hq, Wq, m, i0, i1, V, planes, R):
    # V (planes, 36, R) = B^T d B of the tile rows i0..i1-1 of the padded planes P (planes,
    # Hq, Wq, m) (_gather's layout with s = 4), tiles (i, j, n); patch element (r, k) of the
    # tiles of a tile row is the run at r Wq m + c[k] (c: the mod-4 column offsets)
    run = (Wq // 4 - 1) * m
    qq = Wq // 4 * m
    c1, c2, c3, c4, c5 = uint64(qq), uint64(2 * qq), uint64(3 * qq), uint64(m), uint64(qq + m)
    rw = Wq * m
    k2, k4, k5 = V.dtype.type(2), V.dtype.type(4), V.dtype.type(5)
    T = _scratch(1152, V)  # 36 CH: rows transformed
    S = _scratch(1152, V)  # 36 CH: the tiles
    for p in range(planes):
        for i in range(i0, i1):
            s0 = (p * Hq + 4 * i) * rw
            d0 = p * 36 * R + (i - i0) * run
            for e0 in range(0, run, CH):
                n = min(CH, run - e0)
                for r in range(6):
                    a = uint64(s0 + r * rw + e0)
                    for j in range(n):
                        b = a + uint64(j)
                        t = _bt(P[b], P[b + c1], P[b + c2], P[b + c3], P[b + c4], P[b + c5],
                                k2, k4, k5)
                        T[(6 * r) * CH + j], T[(6 * r + 1) * CH + j] = t[0], t[1]
                        T[(6 * r + 2) * CH + j], T[(6 * r + 3) * CH + j] = t[2], t[3]
                        T[(6 * r + 4) * CH + j], T[(6 * r + 5) * CH + j] = t[4], t[5]
                for k in range(6):
                    for j in range(n):
                        t = _bt(T[k * CH + j], T[(6 + k) * CH + j], T[(12 + k) * CH + j],
                                T[(18 + k) * CH + j], T[(24 + k) * CH + j],
                                T[(30 + k) * CH + j], k2, k4, k5)
                        S[k * CH + j], S[(6 + k) * CH + j] = t[0], t[1]
                        S[(12 + k) * CH + j], S[(18 + k) * CH + j] = t[2], t[3]
                        S[(24 + k) * CH + j], S[(30 + k) * CH + j] = t[4], t[5]
                for k in range(36):
                    o = uint64(d0 + k * R + e0)
                    for j in range(n):
                        V[o + uint64(j)] = S[k * CH + j]


@numba.njit(cache=True, nogil=True)
def _output_tiles(M, R, o, i0, i1, tw, m, y, n0, bias, Y):
    # y[n0 + n, o] (N, O, Ho, Wo) = A^T M A (+ bias[o] when bias has O entries) of plane o's
    # tiles of tile rows i0..i1-1 in M (planes, 36, R) (_input_tiles' layout); outputs past
    # Ho or Wo left out.  Per tile column and CH images: rows of the 6x6 first (to T), then
    # columns (to S, 16 CH), then into Y (4, 4 tw, m): a tile row's outputs, images
    # innermost; then each output row into y by 8x8 transposes (conv_inner.transpose: vector
    # stores, where one scalar store per output and image took 2x the transform's time)
    N, O, Ho, Wo = y.shape
    f = y.ravel()
    run = tw * m
    Wt = 4 * tw
    k2, k4, k8 = y.dtype.type(2), y.dtype.type(4), y.dtype.type(8)
    bv = bias[o] if bias.shape[0] == O else y.dtype.type(0)
    T = _scratch(768, y)  # 24 CH
    S = _scratch(512, y)  # 16 CH
    for i in range(i0, i1):
        for jt in range(tw):
            for e0 in range(0, m, CH):
                n = min(CH, m - e0)
                a0 = o * 36 * R + (i - i0) * run + jt * m + e0
                for r in range(6):
                    a = uint64(a0 + 6 * r * R)
                    for j in range(n):
                        b = a + uint64(j)
                        t = _at(M[b], M[b + uint64(R)], M[b + uint64(2 * R)],
                                M[b + uint64(3 * R)], M[b + uint64(4 * R)],
                                M[b + uint64(5 * R)], k2, k4, k8)
                        T[(4 * r) * CH + j], T[(4 * r + 1) * CH + j] = t[0], t[1]
                        T[(4 * r + 2) * CH + j], T[(4 * r + 3) * CH + j] = t[2], t[3]
                for k in range(4):
                    for j in range(n):
                        t = _at(T[k * CH + j], T[(4 + k) * CH + j], T[(8 + k) * CH + j],
                                T[(12 + k) * CH + j], T[(16 + k) * CH + j],
                                T[(20 + k) * CH + j], k2, k4, k8)
                        S[k * CH + j], S[(4 + k) * CH + j] = t[0], t[1]
                        S[(8 + k) * CH + j], S[(12 + k) * CH + j] = t[2], t[3]
                for k in range(16):
                    d = uint64(((k // 4) * Wt + 4 * jt + k % 4) * m + e0)
                    for j in range(n):
                        Y[d + uint64(j)] = S[k * CH + j]
        for r in range(min(4, Ho - 4 * i)):
            transpose(f, ((n0 * O + o) * Ho + 4 * i + r) * Wo, O * Ho * Wo, Y, r * Wt * m, m,
                      Wo, m, bv, True)


@numba.njit(cache=True, nogil=True)
def _forward(gemm, x, U, y, bias, groups, pt, pl, th, tw, nb, rb):
    # y (n, O, Ho, Wo) = the convolution of x (n, C, H, W), filters transformed in U (36, O,
    # C/groups), + bias: per block the 6x6 patches' transform, 36 GEMMs, the output transform
    N, C = x.shape[0], x.shape[1]
    O = y.shape[1]
    Hq, Wq = 4 * th + 2, 4 * tw + 4
    nb = min(nb, N)
    P = np.empty(C * Hq * Wq * nb, x.dtype)
    R = _row(rb * tw * nb)
    V = np.empty(C * 36 * R, x.dtype)
    M = np.empty(O * 36 * R, x.dtype)
    Y = np.empty(16 * tw * nb, x.dtype)
    for n0 in range(0, N, nb):
        m = min(nb, N - n0)
        _gather(x, n0, m, P, Hq, Wq, pt, pl, 4)
        for i0 in range(0, th, rb):
            i1 = min(th, i0 + rb)
            Tb = (i1 - i0) * tw * m
            _input_tiles(P, Hq, Wq, m, i0, i1, V, C, R)
            _gemms(gemm, 0, U, V, M, O, C, groups, Tb, R, 36 * R, R, 36 * R)
            for o in range(O):
                _output_tiles(M, R, o, i0, i1, tw, m, y, n0, bias, Y)


@numba.njit(cache=True, nogil=True)
def _weights(w, g):
    # U (36, O, Cg) = g w g^T of every 3x3 filter of w (O, Cg, 3, 3), g (6, 3) float64,
    # summed in float64 over flat rows of the filters (uint64 indices: vectorised); no NumPy
    # BLAS (its threads would spin on the core a split's second part runs on)
    O, Cg = w.shape[0], w.shape[1]
    F = uint64(O * Cg)
    f = w.ravel()
    wt = np.empty(9 * F)  # tap k of filter e at k F + e
    for e in range(F):
        for k in range(9):
            wt[uint64(k) * F + e] = f[e * uint64(9) + uint64(k)]
    t = np.zeros(18 * F)  # rows of g w: (a, k) at (3 a + k) F
    for a in range(6):
        for r in range(3):
            c = g[a, r]
            if c != 0:
                for k in range(3):
                    d, s = uint64(3 * a + k) * F, uint64(3 * r + k) * F
                    for e in range(F):
                        t[d + e] += c * wt[s + e]
    U = np.empty((36, O, Cg), w.dtype)
    u = U.ravel()
    for a in range(6):
        for b in range(6):
            d = uint64(6 * a + b) * F
            c0, c1, c2 = g[b, 0], g[b, 1], g[b, 2]
            s0, s1, s2 = uint64(3 * a) * F, uint64(3 * a + 1) * F, uint64(3 * a + 2) * F
            for e in range(F):
                u[d + e] = (c0 * t[s0 + e] + c1 * t[s1 + e]) + c2 * t[s2 + e]
    return U


# --------------------------------------------------------------------------- array API


def weight_transform(w):
    """U (36, O, C/groups): G g G^T of every 3x3 filter of w (O, C/groups, 3, 3), in
    float64, rounded to w's dtype."""
    return _weights(np.ascontiguousarray(w), G)


def forward(x, w, padding, groups=1, bias=None, parts=1):
    """x (N, C, H, W) convolved with 3x3 w (O, C/groups, 3, 3) at stride 1, padding (top,
    bottom, left, right) -> (N, O, Ho, Wo) (+ bias (O,)); ``parts`` image ranges on as many
    threads (``run_split``)."""
    N, C, H, W = x.shape
    O = w.shape[0]
    Ho, Wo = H + padding[0] + padding[1] - 2, W + padding[2] + padding[3] - 2
    th, tw = tiles(Ho, Wo)
    x = np.ascontiguousarray(x)
    U = weight_transform(np.ascontiguousarray(w, dtype=x.dtype))
    y = np.empty((N, O, Ho, Wo), x.dtype)
    b = np.zeros(0, x.dtype) if bias is None else np.ascontiguousarray(bias, dtype=x.dtype)
    r = _ranges(N, parts)
    gemm = GEMM[x.dtype]

    def part(k):
        lo, hi = r[k]
        if hi > lo:
            _forward(gemm, x[lo:hi], U, y[lo:hi], b, groups, padding[0], padding[2], th, tw,
                     NB, RB)
    run_split(part, parts)
    return y


def forward_ref(x, w, padding, groups=1, bias=None):
    """NumPy twin of :func:`forward`: every 6x6 patch, B^T d B, the 36 products summed over
    the channels of each group, A^T M A, in x's dtype."""
    N, C, H, W = x.shape
    O, Cg = w.shape[:2]
    Ho, Wo = H + padding[0] + padding[1] - 2, W + padding[2] + padding[3] - 2
    th, tw = tiles(Ho, Wo)
    dt = x.dtype
    xp = np.zeros((N, C, 4 * th + 2, 4 * tw + 2), dt)
    xp[:, :, padding[0]:padding[0] + H, padding[2]:padding[2] + W] = x
    U = np.einsum("ak,ockl,bl->aboc", G, w.astype(np.float64), G).astype(dt)
    bt, at = BT.astype(dt), AT.astype(dt)
    y = np.empty((N, O, 4 * th, 4 * tw), dt)
    Og = O // groups
    for i in range(th):
        for j in range(tw):
            d = xp[:, :, 4 * i:4 * i + 6, 4 * j:4 * j + 6]
            V = np.einsum("ak,nckl,bl->abnc", bt, d, bt)
            for gi in range(groups):
                M = np.einsum("aboc,abnc->abno", U[:, :, gi * Og:(gi + 1) * Og],
                              V[..., gi * Cg:(gi + 1) * Cg])
                y[:, gi * Og:(gi + 1) * Og, 4 * i:4 * i + 4, 4 * j:4 * j + 4] = np.einsum(
                    "ak,klno,bl->noab", at, M, at)
    y = np.ascontiguousarray(y[:, :, :Ho, :Wo])
    return y if bias is None else y + np.asarray(bias, dt).reshape(1, -1, 1, 1)
