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
``tw m`` elements.  The input, gradient and output transforms and the filters' are explicit
formulas in ``winograd_tiles.py`` (vectorised through stack scratch; V_b, M_b and dM_b
interleaved per plane, (planes, 16, R)); the output transform stores the NCHW output
itself, and the input gradient's adjoint ``B dV B^T`` (overlapping patches, summed) adds
into the padded planes.

Kernels take flat C-contiguous arrays and uint64 indices (no wraparound checks, so LLVM
vectorises the runs) and the BLAS gemm of the dtype as an argument (so they cache).  Twin:
the stage-wise ``winograd.py`` pipeline (``winograd.forward``, ``backward_input``,
``backward_weight``), which the tests compare against.  ``GEMM`` empty (not an OpenBLAS):
``available`` is False and the stage-wise pipeline runs instead.
"""
from __future__ import annotations

import numba
import numpy as np
from numba import uint64

from ._blas import GEMM, NO, ROW, TR
from ._launch import run_split
from .winograd import _ranges, tiles, weight_adjoint
from .winograd_tiles import _adjoint_tiles, _grad_tiles, _input_tiles, _output_tiles, _row, _weights

__all__ = ["available", "forward", "backward"]

# images per block of the forward and of the backward, tile rows per block.  Measured on
# x (64,32,14,14) w (64,32,3,3), 2 threads, wall clock, paired with torch's forward (one run,
# 2026-12-07): forward (nb, rb) (32, 1) 1.07, (32, 2) 1.16, (16, 1) 1.20, (16, 2) 1.19,
# (8, 1) 1.44, (8, 2) 1.41; backward per thread (dx + dw, 32 images) nb 32: 11.1 ms, nb 16: 12.2
NB_FWD, NB_BWD, RB = 32, 32, 1


def available(dtype):
    return np.dtype(dtype) in GEMM


# --------------------------------------------------------------------------- numba pieces


@numba.njit(cache=True, nogil=True)
def _gather(a, n0, m, P, Hq, Wq, pt, pl, s=2):
    # P (planes, Hq, Wq, m) = images n0..n0+m-1 of a (N, planes, H, W), zero-padded: element
    # (n, p, h, w) at row h + pt, column q = w + pl stored at (q % s) * Wq/s + q // s
    # (s = 2: F(2x2, 3x3)'s parity split)
    N, planes, H, W = a.shape
    f = a.ravel()
    step = uint64(planes * H * W)
    part = Wq // s
    zero = P.dtype.type(0)
    for p in range(planes):  # the padding only is zeroed (all of P took 1/3 of the gather)
        for h in range(Hq):
            d0 = uint64((p * Hq + h) * Wq * m)
            if h < pt or h >= pt + H:
                for k in range(uint64(Wq * m)):
                    P[d0 + k] = zero
                continue
            for q in range(Wq):
                if q < pl or q >= pl + W:
                    d = d0 + uint64(((q % s) * part + q // s) * m)
                    for n in range(uint64(m)):
                        P[d + n] = zero
        for h in range(H):
            d0 = (p * Hq + h + pt) * Wq * m
            s0 = ((n0 * planes + p) * H + h) * W
            for w in range(W):
                q = w + pl
                d, e = uint64(d0 + ((q % s) * part + q // s) * m), uint64(s0 + w)
                for n in range(uint64(m)):
                    P[d + n] = f[e + n * step]


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
    # the 16 x groups GEMMs of one block,
    # U (16, O, C/groups) and the flat blocks A, B:
    # kind 0: B (16, O, Tb) = U @ A (16, C, Tb); 1: B (16, C, Tb) = U^T @ A (16, O, Tb);
    # 2: U += A (16, O, Tb) @ B (16, C, Tb)^T; element (xi, o, t) of the (16, O, Tb) block
    # at xi xO + o lO + t, (xi, c, t) of the (16, C, Tb) one at xi xC + c lC + t
    Og, Cg = O // groups, C // groups
    sz = U.itemsize
    u, a, b = U.ctypes.data, A.ctypes.data, B.ctypes.data
    for xi in range(U.shape[0]):
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
def _backward(gemm, g, U, x, dx, dU, bias, C, groups, pt, pl, th, tw, nb, rb, want_dx, want_dw):
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
                _adjoint_tiles(V, Tb, C * Tb, C, i0, i1, Px, Hq, Wq, m)
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
    U = _weights(np.ascontiguousarray(w, dtype=x.dtype))
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
    U = _weights(np.ascontiguousarray(w, dtype=dt)) if want_dx else np.zeros((16, 1, 1), dt)
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
                      padding[0], padding[2], th, tw, NB_BWD, RB, want_dx, want_dw)
    run_split(part, parts)
    dw = weight_adjoint(sum(dUs), tuple(w_shape)) if want_dw else None
    return (dx if want_dx else None), dw
