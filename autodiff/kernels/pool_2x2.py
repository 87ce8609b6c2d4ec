"""Pooling kernels for the most common geometry: 2x2 windows, stride 2, no padding, no
dilation (windows tile the input exactly, except a cropped last row/column when H or W is
odd).  ``kernels/pool.py``'s ``max_pool2d_forward`` etc. pick them automatically.

They work on whole rows with no bounds logic (LLVM vectorises them: 5x faster forward than
the general kernel), and their backward writes every element of dx (no zero fill followed
by a scatter).  Max pooling stores the window position of the maximum (0..3) as int8, as
the general kernels do; ties and NaNs follow PyTorch's CPU kernel.  Each kernel has a NumPy
twin ``*_ref``.
"""
import numba
import numpy as np
from numba import prange

from . import serialized
from ._launch import Sized

__all__ = ["max_pool2d_2x2_forward_ref", "max_pool2d_2x2_backward_ref",
           "avg_pool2d_2x2_forward_ref", "avg_pool2d_2x2_backward_ref"]


def _planes(a):
    """(N, C, H, W) -> the (N * C, H, W) view the kernels take."""
    return a.reshape((a.shape[0] * a.shape[1],) + a.shape[2:])


def _is_2x2(kernel, stride, padding, dilation, in_hw, out_hw):
    """2x2 windows, stride 2, no padding or dilation, and no partial window (ceil_mode with
    an odd H or W adds one): the case of the specialised kernels."""
    return (tuple(kernel) == (2, 2) and tuple(stride) == (2, 2) and tuple(padding) == (0, 0)
            and tuple(dilation) == (1, 1) and 2 * out_hw[0] <= in_hw[0]
            and 2 * out_hw[1] <= in_hw[1])


# 2x2 windows, stride 2, no padding, no dilation: every window lies inside the input and
# window (oh, ow) reads rows 2oh, 2oh+1 and columns 2ow, 2ow+1; rows/columns past 2*Ho/2*Wo
# (odd H or W) belong to no window.  The kernels take the (N, C) planes as one axis: inputs
# (P, H, W) and outputs (P, Ho, Wo) with P = N * C, parallel over P.


@serialized
@numba.njit(cache=True, parallel=True)
def _max_pool2d_2x2_fwd_kernel(x, out, loc):
    for p in prange(x.shape[0]):
        for oh in range(out.shape[1]):
            r0 = x[p, 2 * oh]
            r1 = x[p, 2 * oh + 1]
            orow = out[p, oh]
            lrow = loc[p, oh]
            for ow in range(out.shape[2]):
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
    # zero one plane while it is in L1, then put g at each window's argmax: writes every
    # element of dx.  (Selecting g-or-zero for all four window elements measured the same at
    # best, and 3x slower depending on how LLVM saw the zero.)
    for p in prange(dx.shape[0]):
        dx[p] = zero
        for oh in range(g.shape[1]):
            grow = g[p, oh]
            lrow = loc[p, oh]
            for ow in range(g.shape[2]):
                lc = lrow[ow]
                # + zero: -0.0 lands as +0.0, as adding into zeros (general path, PyTorch)
                dx[p, 2 * oh + (lc >> 1), 2 * ow + (lc & 1)] = grow[ow] + zero


@serialized
@numba.njit(cache=True, parallel=True)
def _avg_pool2d_2x2_kernel(big, small, grad_mode, div):
    # big (P, H, W), small (P, Ho, Wo):
    #   grad_mode False: small = window sums of big / div (the forward);
    #   grad_mode True:  small is the output gradient, big the input gradient, written in
    #                    full: small / div over each window, 0 outside.
    Ho, Wo = small.shape[1], small.shape[2]
    zero = div * 0
    for p in prange(big.shape[0]):
        for oh in range(Ho):
            r0 = big[p, 2 * oh]
            r1 = big[p, 2 * oh + 1]
            srow = small[p, oh]
            if grad_mode:
                for ow in range(Wo):
                    v = srow[ow] / div + zero  # -0.0 -> +0.0, as adding into zeros gives
                    r0[2 * ow] = v
                    r0[2 * ow + 1] = v
                    r1[2 * ow] = v
                    r1[2 * ow + 1] = v
                r0[2 * Wo:] = zero
                r1[2 * Wo:] = zero
            else:
                for ow in range(Wo):
                    # the general kernel's summation order, so both paths agree bit for bit
                    srow[ow] = ((((zero + r0[2 * ow]) + r0[2 * ow + 1]) + r1[2 * ow])
                                + r1[2 * ow + 1]) / div
        if grad_mode:
            big[p, 2 * Ho:] = zero


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
