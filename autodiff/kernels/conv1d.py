"""1-D convolution as shifted GEMMs: no column matrix, no padded copy, no layout change.

Output position l of tap k reads input position l*s + k*d - p (stride s, dilation d, left
padding p).  Split into its s phases, ``xs[r][c, j] = x[c, j*s + r]`` (stride 1: x itself),
the input of a tap is one contiguous run: with k*d - p = q*s + r,

    out[n] (O, Lo)          = sum_k  W_k (O, C)    @ xs[r][:, l + q]      forward
    dxs[r][:, l + q]       += W_k^T (C, O) @ g[n] (O, Lo)                input gradient
    dW_k (O, C)            += g[n]         @ xs[r][:, l + q]^T           weight gradient

per image n, W_k = W[:, :, k], each GEMM restricted to the output positions l whose input
lies inside [0, L).  Padding is neither stored nor multiplied (an inf in x or w gives what
PyTorch gives); groups are a loop over blocks of W.  Arrays are x (N, C, L), w (O, C/groups,
K), out and g (N, O, Lo), C-contiguous, float32 or float64.

GEMMs: the numba kernels loop over images and taps and call NumPy's own OpenBLAS
``cblas_?gemm`` through ctypes (``beta = 1`` accumulates, the leading dimension addresses the
runs in place).  The ctypes function is an argument, so the kernels cache; not ``np.dot`` in
numba, which calls SciPy's second OpenBLAS (shared PERF-NOTES).  ``GEMM`` is empty when
NumPy's BLAS is not an OpenBLAS with the thread-local call (``kernels/_blas.py``); conv_algo
then keeps im2col.

Threads: the images split into ``split_count`` ranges, each on its own thread with these
serial nogil kernels and a one-thread BLAS (``_launch.run_split``); the weight gradient adds
the ranges' partial sums.  A single range calls BLAS with its usual threads.

Winograd F(4, 5) (``kernels/conv1d_winograd.py``) computes the 5-tap stride-1 convs that the
rule at ``winograd`` below gives it (the benchmark's row when split); it falls back to these
kernels where an inf or nan meets a tile.  Given x, :func:`backward_input` computes the weight
gradient in the same pass over the images (one thread split per backward instead of two).

Each function has a NumPy twin ``*_ref`` (kernels/conv.py's 2-D twins on a 1-row image).
Speed and float32 error against im2col: kernels/conv_algo.py.
"""
from __future__ import annotations

import itertools

import numba
import numpy as np
from numba import uint64

from . import conv as K2
from . import conv1d_winograd as Wg
from ._blas import GEMM, NO, ROW, TR
from ._launch import run_split, split_count

__all__ = ["applicable", "conv1d_forward", "conv1d_backward_input", "conv1d_backward_weight",
           "conv1d_backward", "winograd", "forward", "backward_input", "backward_weight",
           "conv1d_forward_ref", "conv1d_backward_input_ref", "conv1d_backward_weight_ref"]

def applicable(x_shape, w_shape, geom):
    """True when these kernels compute the 2-D conv ``geom`` (ops/conv.py's Geometry) of
    x_shape (N, C, H, W) and w_shape (O, C/groups, kh, kw): a 1-D conv (H = kh = 1, no
    vertical padding, output height 1), no empty dimension, NumPy's BLAS found."""
    stride, padding, dilation, groups, out_hw = geom
    return (bool(GEMM) and x_shape[2] == 1 and w_shape[2] == 1 and padding[0] == padding[1] == 0
            and (out_hw is None or out_hw[0] == 1) and 0 not in x_shape and 0 not in w_shape)


# --------------------------------------------------------------------------- numba kernels


@numba.njit(cache=True, nogil=True)
def _at(a, i):
    # address of element i of C-contiguous a (i >= 0)
    return a.ctypes.data + uint64(i * a.itemsize)


@numba.njit(cache=True, nogil=True)
def _span(off, s, L, Lo):
    # a tap whose output l reads input l*s + off = (l + q)*s + r: (r, q, l0, l1) with
    # [l0, l1) the outputs whose input lies in [0, L)
    r = off % s
    q = (off - r) // s
    return r, q, max(0, -q), min(Lo, (L - r + s - 1) // s - q)


@numba.njit(cache=True, nogil=True)
def _buffer(a, s):
    # phase buffer (s, C, ceil(L/s)) for stride s > 1 (an unused 1-element one for s == 1)
    if s == 1:
        return np.empty((1, 1, 1), a.dtype)
    return np.empty((s, a.shape[1], (a.shape[2] + s - 1) // s), a.dtype)


@numba.njit(cache=True, nogil=True)
def _source(x, n, ph):
    # (address, leading dimension) of image n of x (N, C, L) in phases: x itself when the
    # buffer ph is unused, else ph (s, C, Lp) filled with ph[r, c, j] = x[n, c, j*s + r]
    C, L = x.shape[1], x.shape[2]
    s, Lp = ph.shape[0], ph.shape[2]
    if s == 1:
        return _at(x, n * C * L), L
    for r in range(s):
        for c in range(C):
            for j in range((L - r + s - 1) // s):
                ph[r, c, j] = x[n, c, j * s + r]
    return _at(ph, 0), Lp


@numba.njit(cache=True, nogil=True)
def _fill(a, n, bias):
    # a[n, c, :] = bias[c] (0 when bias is empty)
    for c in range(a.shape[1]):
        a[n, c, :] = bias[c] if bias.shape[0] else 0


@numba.njit(cache=True, nogil=True)
def _image(gemm, mode, xa, ld, C, L, wa, O, Cg, K, ya, Lo, isz, pad, s, d, groups):
    # the GEMMs of one image: xa its input side (C rows of ld in s phases; x or dx), ya its
    # output side ((O, Lo); out or g), wa the taps (K, O, Cg), addresses of isz-byte items.
    # mode 0: y += W_k x (forward), 1: x += W_k^T y (input gradient), 2: W_k += y x^T (weight
    # gradient), over the outputs of each tap whose input lies inside the row
    Og = O // groups
    for k in range(K):
        r, q, l0, l1 = _span(k * d - pad, s, L, Lo)
        if l1 <= l0:
            continue
        for gi in range(groups):
            xp = xa + uint64(((r * C + gi * Cg) * ld + l0 + q) * isz)
            yp = ya + uint64((gi * Og * Lo + l0) * isz)
            wp = wa + uint64((k * O + gi * Og) * Cg * isz)
            if mode == 0:
                gemm(ROW, NO, NO, Og, l1 - l0, Cg, 1.0, wp, Cg, xp, ld, 1.0, yp, Lo)
            elif mode == 1:
                gemm(ROW, TR, NO, Cg, l1 - l0, Og, 1.0, wp, Cg, yp, Lo, 1.0, xp, ld)
            else:
                gemm(ROW, NO, TR, Og, Cg, l1 - l0, 1.0, yp, Lo, xp, ld, 1.0, wp, Cg)


@numba.njit(cache=True, nogil=True)
def _forward_kernel(gemm, x, wk, out, bias, pad, s, d, groups):
    # out (N, O, Lo) = conv of x (N, C, L) with wk (K, O, C/groups) (taps first), + bias
    N, C, L = x.shape
    K, O, Cg = wk.shape
    Lo = out.shape[2]
    ph = _buffer(x, s)
    for n in range(N):
        _fill(out, n, bias)
        src, ld = _source(x, n, ph)
        _image(gemm, 0, src, ld, C, L, _at(wk, 0), O, Cg, K, _at(out, n * O * Lo), Lo,
               x.itemsize, pad, s, d, groups)


@numba.njit(cache=True, nogil=True)
def _input_grad_kernel(gemm, g, wk, dx, bias, pad, s, d, groups):
    # dx (N, C, L) = input gradient of the conv for g (N, O, Lo), wk (K, O, C/groups), + bias
    N, O, Lo = g.shape
    K, _, Cg = wk.shape
    C, L = dx.shape[1], dx.shape[2]
    ph = _buffer(dx, s)
    for n in range(N):
        if s == 1:
            _fill(dx, n, bias)
            dst, ld = _at(dx, n * C * L), L
        else:
            for r in range(s):
                _fill(ph, r, bias)
            dst, ld = _at(ph, 0), ph.shape[2]
        _image(gemm, 1, dst, ld, C, L, _at(wk, 0), O, Cg, K, _at(g, n * O * Lo), Lo,
               g.itemsize, pad, s, d, groups)
        if s > 1:
            for r in range(s):
                for c in range(C):
                    for j in range((L - r + s - 1) // s):
                        dx[n, c, j * s + r] = ph[r, c, j]


@numba.njit(cache=True, nogil=True)
def _weight_grad_kernel(gemm, x, g, dwk, pad, s, d, groups):
    # dwk (K, O, C/groups) += weight gradient (taps first) of the conv over x and g's images
    N, C, L = x.shape
    O, Lo = g.shape[1], g.shape[2]
    K, _, Cg = dwk.shape
    ph = _buffer(x, s)
    for n in range(N):
        src, ld = _source(x, n, ph)
        _image(gemm, 2, src, ld, C, L, _at(dwk, 0), O, Cg, K, _at(g, n * O * Lo), Lo,
               x.itemsize, pad, s, d, groups)


# --------------------------------------------------------------------------- array API


# Image chunks per thread: the threads claim chunks in turn, so a thread slowed down by
# another process (this 2-core VM is shared) takes fewer of them instead of holding up the step.
CHUNKS = 4


def _split(task, N, work):
    """Run ``acc = task(lo, hi, acc)`` over image chunks [lo, hi) on the run_split threads,
    each thread claiming the next chunk when done (``acc`` starts as None); the list of each
    thread's last ``acc`` (None for a thread that got no chunk)."""
    parts = min(N, split_count(work))
    if parts == 1:
        return [task(0, N, None)]
    n = min(N, parts * CHUNKS)
    b = [N * i // n for i in range(n + 1)]
    claim = itertools.count()  # next() is atomic under the GIL

    def worker(_):
        acc = None
        while (i := next(claim)) < n:
            acc = task(b[i], b[i + 1], acc)
        return acc
    return run_split(worker, parts)


def _taps(w, dtype):
    """w (O, C/groups, K) -> contiguous (K, O, C/groups) of ``dtype``."""
    return np.ascontiguousarray(np.moveaxis(w, 2, 0), dtype)


def _bias(bias, n, dtype):
    return np.zeros(0, dtype) if bias is None else np.ascontiguousarray(bias, dtype).reshape(n)


# Winograd F(4, 5) (kernels/conv1d_winograd.py) runs 5-tap, stride-1, undilated, ungrouped
# convs split over 2+ threads with at least 32 channels in and out and N*L >= 4096.  Measured
# (2026-12-07, fwd + fused backward kernels, Winograd / shift, median of 21 paired rounds):
# 2 threads, wall clock: x (64,32,128) w (64,32,5) 0.86 (the row of bench/conv.py; through the
# ops, with torch alongside, 0.91-0.94); losses (N, C, O, L): (16,64,64,64) 1.13, (1,64,64,256)
# 1.14, (4,32,32,64) 1.28, (8,16,16,128) 1.24, (8,128,128,100) 1.14, (64,16,16,32) 1.00.  At
# 1 thread (thread CPU time) the row lost (1.06): the transforms cost about what the 2.5x
# fewer multiplies save, and only C = O >= 64 won (0.76-0.82), inconsistently at 2 threads.
# Session 6 vectorised the transforms (kernels/conv1d_winograd.py): the row's step 0.90x of
# before in one process; the losses above were NOT re-measured, so the rule is unchanged.
WINOGRAD = True  # False: always shift
WINOGRAD_TAPS = 5
WINOGRAD_MIN_C = 32  # input and output channels: the GEMMs' sizes
WINOGRAD_MIN_NL = 4096  # images x input length: the GEMMs' width
WINOGRAD_SPLIT_ONLY = True  # only when split over threads (the tests lift it)
_WG = Wg.matrices(WINOGRAD_TAPS)  # AT, G, BT in float64


def winograd(x_shape, w_shape, stride, dilation, groups):
    """True when the convolution of x_shape (N, C, L) and w_shape (O, C, K) and its gradients
    run as Winograd F(4, 5) (the rule above)."""
    N, C, L = x_shape
    O, _, K = w_shape
    return (WINOGRAD and stride == dilation == groups == 1 and K == WINOGRAD_TAPS
            and min(C, O) >= WINOGRAD_MIN_C and N * L >= WINOGRAD_MIN_NL
            and (not WINOGRAD_SPLIT_ONLY or split_count(N * (C + O) * L) > 1))


def _winograd_pass(dt, y=None, dw=None):
    """Winograd's part of a pass over image ranges: ``task(lo, hi, acc)`` for :func:`_split`
    computing ``y = (a, w, out, bias, off, flip)`` (out = correlation of a with w at offset
    off, + bias; ``flip``: w with its taps reversed and its channels swapped, the input
    gradient's filter) and/or ``dw = (x, g, off, dU shape, db)`` (the transformed weight
    gradient, summed; with ``db`` also g's sum per channel, the bias gradient); ``acc`` =
    (0, or nan if an output was not finite; dU or None; float64 db, empty if not asked)."""
    AT, G, BT = _WG
    at, bt = AT.astype(dt), BT.astype(dt)
    if y is not None:
        a, w, out, bias, off, flip = y
        U = Wg.weight_transform(w, G, dt, flip)
        bias = bias if bias.size else np.zeros(out.shape[1], dt)

    def task(lo, hi, acc):
        chk, dU, db = acc or (0, None if dw is None else np.zeros(dw[3], dt),
                              np.zeros(dw[3][1] if dw is not None and dw[4] else 0))
        if y is not None:
            chk += Wg.forward_block(GEMM[dt], a, lo, hi, U, off, bt, at, bias, out)
        if dw is not None:
            Wg.weight_block(GEMM[dt], dw[0], dw[1], lo, hi, dw[2], bt, at, dU, db)
        return chk, dU, db
    return task


def _finish(parts, dt):
    """(all outputs finite, weight gradient or None, bias gradient or None) from the
    accumulators of a Winograd pass; a weight gradient holding an inf or nan counts as not
    finite."""
    parts = [p for p in parts if p is not None]
    if any(p[0] for p in parts):
        return False, None, None
    if parts[0][1] is None:
        return True, None, None
    dw, finite = Wg.weight_adjoint(sum(p[1] for p in parts), _WG[1], dt)
    db = sum(p[2] for p in parts).astype(dt) if parts[0][2].size else None
    return finite, dw, db


def forward(x, w, stride=1, padding=(0, 0), dilation=1, groups=1, bias=None, out_len=None):
    """Cross-correlation x (N, C, L), w (O, C/groups, K) -> (N, O, Lo), plus ``bias`` (O,);
    padding (left, right); ``out_len`` fixes Lo (PyTorch's formula when None)."""
    N, C, L = x.shape
    O, _, Kw = w.shape
    Lo = out_len or K2.conv_output_size(L, Kw, stride, *padding, dilation)
    x = np.ascontiguousarray(x)
    out = np.empty((N, O, Lo), x.dtype)
    b = _bias(bias, O, x.dtype)
    work = out.size + x.size
    if winograd(x.shape, w.shape, stride, dilation, groups):
        task = _winograd_pass(x.dtype, y=(x, w, out, b, padding[0], False))
        if _finish(_split(task, N, work), x.dtype)[0]:
            return out
    wk = _taps(w, x.dtype)
    _split(lambda lo, hi, _: _forward_kernel(GEMM[x.dtype], x[lo:hi], wk, out[lo:hi], b,
                                             padding[0], stride, dilation, groups), N, work)
    return out


def backward_input(g, w, x_shape, stride=1, padding=(0, 0), dilation=1, groups=1, bias=None,
                   x=None, db=False):
    """Input gradient of :func:`forward` for g (N, O, Lo): -> (N, C, L) of x_shape, plus
    ``bias`` (C,) (a transposed convolution).  Given ``x`` too: (input gradient, weight
    gradient), both computed in one pass over the images; with ``db`` also g summed per
    channel (the forward's bias gradient) when that pass is Winograd's, else None:
    (dx, dw, db)."""
    g = np.ascontiguousarray(g)
    dt = g.dtype
    x = None if x is None else np.ascontiguousarray(x, dt)
    O, Cg, K = w.shape
    dx = np.empty(x_shape, dt)
    b = _bias(bias, x_shape[1], dt)
    work = g.size + dx.size + (0 if x is None else x.size)
    if winograd(x_shape, w.shape, stride, dilation, groups):
        task = _winograd_pass(dt, y=(g, w, dx, b, K - 1 - padding[0], True),
                              dw=None if x is None else (x, g, padding[0], (Wg.NPTS, O, Cg),
                                                         db))
        finite, dw, gb = _finish(_split(task, g.shape[0], work), dt)
        if finite:
            return dx if x is None else (dx, dw, gb) if db else (dx, dw)
    wk = _taps(w, dt)

    def task(lo, hi, dwk):
        _input_grad_kernel(GEMM[dt], g[lo:hi], wk, dx[lo:hi], b, padding[0], stride, dilation,
                           groups)
        if x is not None:
            dwk = np.zeros((K, O, Cg), dt) if dwk is None else dwk
            _weight_grad_kernel(GEMM[dt], x[lo:hi], g[lo:hi], dwk, padding[0], stride,
                                dilation, groups)
        return dwk
    parts = _split(task, g.shape[0], work)
    return dx if x is None else (dx, _untap(parts), None) if db else (dx, _untap(parts))


def _untap(parts):
    """The weight gradient (O, C/groups, K) from the per-thread sums (K, O, C/groups)."""
    return np.ascontiguousarray(np.moveaxis(sum(p for p in parts if p is not None), 0, 2))


def backward_weight(x, g, w_shape, stride=1, padding=(0, 0), dilation=1, groups=1):
    """Weight gradient of :func:`forward`: x (N, C, L), g (N, O, Lo) -> w_shape."""
    O, Cg, Kw = w_shape
    x = np.ascontiguousarray(x)
    g = np.ascontiguousarray(g, x.dtype)
    work = x.size + g.size
    if winograd(x.shape, w_shape, stride, dilation, groups):
        task = _winograd_pass(x.dtype, dw=(x, g, padding[0], (Wg.NPTS, O, Cg), False))
        finite, dw, _ = _finish(_split(task, x.shape[0], work), x.dtype)
        if finite:
            return dw

    def part(lo, hi, dwk):
        dwk = np.zeros((Kw, O, Cg), x.dtype) if dwk is None else dwk
        _weight_grad_kernel(GEMM[x.dtype], x[lo:hi], g[lo:hi], dwk, padding[0], stride,
                            dilation, groups)
        return dwk
    return _untap(_split(part, x.shape[0], work))


# 2-D convolutions of 1-row images (conv_algo's calls; geom as ops/conv.py's Geometry)


def _args(geom):
    stride, padding, dilation, groups, _ = geom
    return stride[1], padding[2:], dilation[1], groups


def _rows(a):
    return a.reshape(a.shape[0], a.shape[1], a.shape[3])


def conv1d_forward(x, w, geom, bias=None):
    """:func:`forward` of x (N, C, 1, L) and w (O, C/groups, 1, K) -> (N, O, 1, Lo)."""
    out_len = None if geom[4] is None else geom[4][1]
    out = forward(_rows(x), _rows(w), *_args(geom), bias=bias, out_len=out_len)
    return out[:, :, None]


def conv1d_backward_input(g, w, x_shape, geom, bias=None):
    """:func:`backward_input` of g (N, O, 1, Lo) -> x_shape (N, C, 1, L)."""
    N, C, _, L = x_shape
    return backward_input(_rows(g), _rows(w), (N, C, L), *_args(geom), bias=bias)[:, :, None]


def conv1d_backward(g, w, x, geom, bias=None, db=False):
    """(input gradient, weight gradient, g summed per channel or None) of x (N, C, 1, L) for
    g (N, O, 1, Lo), in one pass (:func:`backward_input` given x; the sum only if ``db``)."""
    out = backward_input(_rows(g), _rows(w), (x.shape[0], x.shape[1], x.shape[3]),
                         *_args(geom), bias=bias, x=_rows(x), db=db)
    dx, dw, gb = out if db else (*out, None)
    return dx[:, :, None], dw[:, :, None], gb


def conv1d_backward_weight(x, g, w_shape, geom):
    """:func:`backward_weight` of x (N, C, 1, L), g (N, O, 1, Lo) -> w_shape (O, Cg, 1, K)."""
    O, Cg, _, Kw = w_shape
    return backward_weight(_rows(x), _rows(g), (O, Cg, Kw), *_args(geom))[:, :, None]


# --------------------------------------------------------------------------- NumPy twins


def _twin_geom(stride, padding, dilation):
    return (1, stride), (0, 0, *padding), (1, dilation)


def conv1d_forward_ref(x, w, stride=1, padding=(0, 0), dilation=1, groups=1):
    out = K2.conv2d_forward_ref(x[:, :, None], w[:, :, None],
                                *_twin_geom(stride, padding, dilation), groups)
    return out[:, :, 0]


def conv1d_backward_input_ref(g, w, x_shape, stride=1, padding=(0, 0), dilation=1, groups=1):
    N, C, L = x_shape
    dx = K2.conv2d_backward_input_ref(g[:, :, None], w[:, :, None], (N, C, 1, L),
                                      *_twin_geom(stride, padding, dilation), groups)
    return dx[:, :, 0]


def conv1d_backward_weight_ref(x, g, w_shape, stride=1, padding=(0, 0), dilation=1, groups=1):
    O, Cg, Kw = w_shape
    dw = K2.conv2d_backward_weight_ref(x[:, :, None], g[:, :, None], (O, Cg, 1, Kw),
                                       *_twin_geom(stride, padding, dilation), groups)
    return dw[:, :, 0]
