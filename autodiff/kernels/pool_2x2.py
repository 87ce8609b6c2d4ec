"""Pooling kernels for the most common geometry: 2x2 windows, stride 2, no padding, no
dilation (windows tile the input exactly, except a cropped last row/column when H or W is
odd).  ``kernels/pool.py``'s ``max_pool2d_forward`` etc. pick them automatically.

They work on whole rows with no bounds logic (LLVM vectorises them: 5x faster forward than
the general kernel), and their backward writes every element of dx (no zero fill followed
by a scatter).  Max pooling stores the window position of the maximum (0..3) as int8, as
the general kernels do; ties and NaNs follow PyTorch's CPU kernel.  Each kernel has a NumPy
twin ``*_ref``.
"""
import math

import numba
import numpy as np
from numba import prange, uint64

from . import serialized
from ._launch import PARALLEL_MIN, Sized

__all__ = ["max_pool2d_2x2_forward_ref", "max_pool2d_2x2_backward_ref",
           "avg_pool2d_2x2_forward_ref", "avg_pool2d_2x2_backward_ref"]


def _is_2x2(kernel, stride, padding, dilation, in_hw, out_hw):
    """2x2 windows, stride 2, no padding or dilation, and no partial window (ceil_mode with
    an odd H or W adds one): the case of the specialised kernels."""
    return (tuple(kernel) == (2, 2) and tuple(stride) == (2, 2) and tuple(padding) == (0, 0)
            and tuple(dilation) == (1, 1) and 2 * out_hw[0] <= in_hw[0]
            and 2 * out_hw[1] <= in_hw[1])


# 2x2 windows, stride 2, no padding, no dilation: every window lies inside the input and
# window (oh, ow) reads rows 2oh, 2oh+1 and columns 2ow, 2ow+1; rows/columns past 2*Ho/2*Wo
# (odd H or W) belong to no window.


@serialized
@numba.njit(cache=True, parallel=True)
def _max_pool2d_2x2_fwd_kernel(x, out, loc):
    N, C, H, W = x.shape
    Ho, Wo = out.shape[2], out.shape[3]
    x3 = x.reshape(N * C, H, W)
    o3 = out.reshape(N * C, Ho, Wo)
    l3 = loc.reshape(N * C, Ho, Wo)
    for p in prange(N * C):
        for oh in range(Ho):
            r0 = x3[p, 2 * oh]
            r1 = x3[p, 2 * oh + 1]
            orow = o3[p, oh]
            lrow = l3[p, oh]
            for ow in range(Wo):
                a = r0[2 * ow]
                b = r0[2 * ow + 1]
                c = r1[2 * ow]
                d = r1[2 * ow + 1]
                # the maximum in window order 0..3, a NaN winning (later beats earlier):
                # float selects written inline stay branch-free
                m = b if (b > a) | (b != b) else a
                m = c if (c > m) | (c != c) else m
                m = d if (d > m) | (d != d) else m
                orow[ow] = m
                # its position by integer arithmetic: the first element equal to m, or the
                # last NaN when m is NaN.  Selecting the position alongside m (take ? k :
                # loc) became data-dependent branches on AMD Zen 3: 3.0 ms vs 0.7 ms here.
                na = np.int32(a != m)
                nb = np.int32(b != m)
                nc = np.int32(c != m)
                first = na * (1 + nb * (1 + nc))
                last_nan = max(max(np.int32(b != b), 2 * np.int32(c != c)), 3 * np.int32(d != d))
                lrow[ow] = first + np.int32(m != m) * (last_nan - first)


@serialized
@numba.njit(cache=True, parallel=True)
def _max_pool2d_2x2_bwd_kernel(g, loc, dx, zero):
    # zero one (N, C) plane while it is in L1, then put g at each window's argmax: writes
    # every element of dx.  (Selecting g-or-zero for all four window elements measured the
    # same at best, and 3x slower depending on how LLVM saw the zero.)
    N, C, H, W = dx.shape
    Ho, Wo = g.shape[2], g.shape[3]
    g3 = g.reshape(N * C, Ho, Wo)
    l3 = loc.reshape(N * C, Ho, Wo)
    d3 = dx.reshape(N * C, H, W)
    for p in prange(N * C):
        d3[p] = zero
        for oh in range(Ho):
            grow = g3[p, oh]
            lrow = l3[p, oh]
            for ow in range(Wo):
                lc = lrow[ow]
                # + zero: -0.0 lands as +0.0, as adding into zeros (general path, PyTorch)
                d3[p, 2 * oh + (lc >> 1), 2 * ow + (lc & 1)] = grow[ow] + zero


@serialized
@numba.njit(cache=True, parallel=True)
def _avg_pool2d_2x2_kernel(x, out, grad_mode, div):
    # grad_mode False: out (N,C,Ho,Wo) = window sums of x (N,C,H,W) / div
    # grad_mode True:  x is the output gradient (N,C,Ho,Wo), out the input gradient
    #                  (N,C,H,W), written in full: g / div over each window, 0 outside
    N, C = x.shape[0], x.shape[1]
    if grad_mode:
        H, W, Ho, Wo = out.shape[2], out.shape[3], x.shape[2], x.shape[3]
    else:
        H, W, Ho, Wo = x.shape[2], x.shape[3], out.shape[2], out.shape[3]
    zero = div * 0
    if grad_mode:
        g3 = x.reshape(N * C, Ho, Wo)
        d3 = out.reshape(N * C, H, W)
        for p in prange(N * C):
            for oh in range(Ho):
                r0 = d3[p, 2 * oh]
                r1 = d3[p, 2 * oh + 1]
                grow = g3[p, oh]
                for ow in range(Wo):
                    v = grow[ow] / div + zero  # -0.0 -> +0.0, as adding into zeros gives
                    r0[2 * ow] = v
                    r0[2 * ow + 1] = v
                    r1[2 * ow] = v
                    r1[2 * ow + 1] = v
                for iw in range(2 * Wo, W):
                    r0[iw] = zero
                    r1[iw] = zero
            for ih in range(2 * Ho, H):
                d3[p, ih, :] = zero
    else:
        x3 = x.reshape(N * C, H, W)
        o3 = out.reshape(N * C, Ho, Wo)
        for p in prange(N * C):
            for oh in range(Ho):
                r0 = x3[p, 2 * oh]
                r1 = x3[p, 2 * oh + 1]
                orow = o3[p, oh]
                for ow in range(Wo):
                    # the general kernel's summation order, so both paths agree bit for bit
                    orow[ow] = ((((zero + r0[2 * ow]) + r0[2 * ow + 1]) + r1[2 * ow])
                                + r1[2 * ow + 1]) / div


# Small planes (rows of fewer than SMALL_WO outputs, e.g. LeNet's 8x8 and 4x4 maps of the
# CLI's CNN): the kernels above run their inner loop over one output row, too short to
# vectorise, and spend ~5-10 ns per output.  These run serially over the whole batch in
# flat loops.  The forward takes the horizontal pairs of every row in one loop over the flat
# array (vectorised), then combines the vertical pairs; the backward scatters with flat
# indices.  Kernel times (AMD EPYC Zen 3, 2026-12-07, us, old / small): forward (32,16,8,8)
# 36 / 23, (32,32,4,4) 26 / 13; backward 25 / 14, 26 / 11.
SMALL_WO = 8


def _small(x_shape, out_hw):
    """Rows of fewer than SMALL_WO outputs, an even width (no cropped column: the forward's
    flat pair loop) and serial-sized work."""
    return (out_hw[1] < SMALL_WO and x_shape[3] % 2 == 0
            and math.prod(x_shape) < PARALLEL_MIN)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _max_pool2d_2x2_fwd_small(x, out, loc):
    # x (N, C, H, W), W = 2 Wo.  h / hb: each row's horizontal pairs (the maximum, a NaN
    # winning, ties keeping the first; 1 where the right one won), then each window the
    # pair of h rows 2 oh, 2 oh + 1: the same rule, positions 0..3 in window order (the
    # first maximum; among NaNs the last), as the kernels above.
    N, C, H, W = x.shape
    Ho, Wo = out.shape[2], out.shape[3]
    xf = x.reshape(-1)
    of = out.reshape(-1)
    lf = loc.reshape(-1)
    h = np.empty(N * C * H * Wo, x.dtype)
    hb = np.empty(h.size, np.int8)
    for k in range(h.size):
        a = xf[2 * k]
        b = xf[2 * k + 1]
        t = (b > a) | (b != b)
        h[k] = b if t else a
        hb[k] = np.int8(t)
    for p in range(N * C):
        for oh in range(Ho):
            s = (p * H + 2 * oh) * Wo
            d = (p * Ho + oh) * Wo
            for ow in range(Wo):
                m0 = h[s + ow]
                m1 = h[s + Wo + ow]
                p0 = hb[s + ow]
                p1 = np.int8(2) + hb[s + Wo + ow]
                t = (m1 > m0) | (m1 != m1)
                of[d + ow] = m1 if t else m0
                lf[d + ow] = p1 if t else (min(p0, p1) if m1 == m0 else p0)


@numba.njit(cache=True, nogil=True)
def _max_pool2d_2x2_bwd_small(g, loc, dx, zero):
    # dx = 0, then g at each window's argmax (flat indices; -0.0 lands as +0.0)
    N, C, H, W = dx.shape
    Ho, Wo = g.shape[2], g.shape[3]
    gf = g.reshape(-1)
    lf = loc.reshape(-1)
    df = dx.reshape(-1)
    for i in range(uint64(df.size)):
        df[i] = zero
    for r in range(uint64(N * C * Ho)):
        p = r // uint64(Ho)
        s = (p * uint64(H) + uint64(2) * (r - p * uint64(Ho))) * uint64(W)
        d = r * uint64(Wo)
        for ow in range(uint64(Wo)):
            lc = uint64(lf[d + ow])
            df[s + (lc >> uint64(1)) * uint64(W) + uint64(2) * ow + (lc & uint64(1))] = (
                gf[d + ow] + zero)


_max_fwd_2x2 = Sized(_max_pool2d_2x2_fwd_kernel)
_max_bwd_2x2 = Sized(_max_pool2d_2x2_bwd_kernel)
_avg_2x2 = Sized(_avg_pool2d_2x2_kernel)


# --------------------------------------------------------------------------- NumPy twins


def _windows_2x2(a):
    """(N, C, H, W) -> (N, C, H//2, W//2, 4): the 2x2 stride-2 windows in window order."""
    N, C, H, W = a.shape
    Ho, Wo = H // 2, W // 2
    win = a[:, :, :2 * Ho, :2 * Wo].reshape(N, C, Ho, 2, Wo, 2).transpose(0, 1, 2, 4, 3, 5)
    return win.reshape(N, C, Ho, Wo, 4)


def _unwindows_2x2(win, x_shape):
    """Adjoint of :func:`_windows_2x2` (the cropped last row/column gets zeros)."""
    N, C, Ho, Wo, _ = win.shape
    dx = np.zeros(tuple(x_shape), dtype=win.dtype)
    dx[:, :, :2 * Ho, :2 * Wo] += win.reshape(N, C, Ho, Wo, 2, 2).transpose(
        0, 1, 2, 4, 3, 5).reshape(N, C, 2 * Ho, 2 * Wo)
    return dx


def max_pool2d_2x2_forward_ref(x):
    """2x2 stride-2 max pooling by a reshape: -> (out, int8 window positions)."""
    win = _windows_2x2(x)
    isnan = np.isnan(win)
    k = np.where(isnan.any(-1), 3 - np.argmax(isnan[..., ::-1], -1), np.argmax(win, -1))
    return np.take_along_axis(win, k[..., None], -1)[..., 0], k.astype(np.int8)


def max_pool2d_2x2_backward_ref(g, loc, x_shape):
    hit = np.arange(4) == loc[..., None].astype(np.int64)
    return _unwindows_2x2(np.where(hit, g[..., None], 0).astype(g.dtype), x_shape)


def avg_pool2d_2x2_forward_ref(x, divisor_override=None):
    return (_windows_2x2(x).sum(-1) / (divisor_override or 4)).astype(x.dtype)


def avg_pool2d_2x2_backward_ref(g, x_shape, divisor_override=None):
    win = np.repeat((g / (divisor_override or 4))[..., None], 4, axis=-1)
    return _unwindows_2x2(win.astype(g.dtype), x_shape)
