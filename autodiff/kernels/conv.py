"""Convolution kernels: im2col / col2im in numba, GEMMs in NumPy.

Design (measured, see bench/conv.py and shared PERF-NOTES): the input is unfolded into a
column matrix in a "CNHW" layout, ``cols[(c, ki, kj), (n, oh, ow)]`` of shape
``(C*kh*kw, N*Ho*Wo)``.  The three GEMMs of a training step (forward ``W @ cols``, weight
gradient ``g @ cols.T``, column gradient ``W.T @ g``) are NumPy sgemm/dgemm calls (batched
over groups) in their fast orientation, on blocks of images: ``conv2d_pass`` computes any of
them in one pass over the batch, split into one image range per thread (kernels/_launch.py
run_split), so a training step's backward is one pass for both gradients.  Blocks of 8+
images put the image innermost instead (``(oh, ow, n)`` columns, kernels/conv_inner.py).
GEMMs never run inside numba (a second OpenBLAS with its own threads).

Geometry is passed explicitly: ``stride=(sh, sw)``, ``padding=(top, bottom, left, right)``
(asymmetric, which PyTorch's ``padding='same'`` with an even kernel needs),
``dilation=(dh, dw)``, ``groups``.  Arrays are ``(N, C, H, W)`` inputs, ``(O, C/groups,
kh, kw)`` weights and ``(N, O, Ho, Wo)`` outputs; the dtype (float32 or float64) of the
inputs is kept.

Each public function has a NumPy reference twin ``*_ref`` (a direct sum over kernel
offsets with einsum) used by the tests: in kernels/conv_ref.py with the geometry, named here.
"""
from collections import namedtuple

import numba
import numpy as np
from numba import prange, uint64

from . import _launch, serialized
from . import conv_inner as I
from ._blas import CORE
from ._launch import Sized, run_split, split_count
from .conv_ref import (
    _geometry,
    col2im_ref,
    conv2d_backward_input_ref,
    conv2d_backward_weight_ref,
    conv2d_forward_ref,
    conv_output_size,
    im2col_ref,
)

__all__ = [
    "conv_output_size", "im2col", "col2im", "conv2d_pass",
    "conv2d_forward", "conv2d_backward_input", "conv2d_backward_weight",
    "conv2d_forward_ref", "conv2d_backward_input_ref", "conv2d_backward_weight_ref",
    "im2col_ref", "col2im_ref",
]


# --------------------------------------------------------------------------- numba kernels


# Indices are cast to unsigned before indexing: numba's wraparound handling of signed
# indices blocks vectorisation (measured 4x slower copies).  im2col and col2im read and write
# (N, C, H, W) arrays directly, padding each (image, channel) plane in a buffer of its own;
# each call covers the images n0 .. n0 + nb and the columns from c0 on, so a block of images
# can be unfolded into a buffer of its own or into its columns of the whole batch's matrix.
PLANES = 16


@numba.njit(cache=True)
def _window_offsets(sh, sw, Ho, Wo, Wp):
    # offset of output (oh, ow)'s window in a padded plane of width Wp, in (oh, ow) order:
    # one loop over all Ho*Wo outputs of a tap instead of Ho loops of Wo (the runs are short)
    idx = np.empty(Ho * Wo, np.uint64)
    for oh in range(Ho):
        for ow in range(Wo):
            idx[oh * Wo + ow] = oh * sh * Wp + ow * sw
    return idx


@numba.njit(cache=True, parallel=True)
def _im2col_kernel(x, n0, nb, cols, c0, kh, kw, sh, sw, dh, dw, pt, pl, Ho, Wo, Hp, Wp):
    # cols[(c, ki, kj), c0 + (n - n0, oh, ow)] = xp[n, c, oh*sh + ki*dh, ow*sw + kj*dw] for the
    # images n0 .. n0 + nb of x (N, C, H, W), xp = x zero-padded to (Hp, Wp), x at (pt, pl).
    # Each plane is padded in a small buffer first: the copies out of it need no bounds
    # checks (3.8x faster than clipping each run at x's edges, measured on the 3x3 stride-2
    # case), and each tap is one gather through _window_offsets (25 % faster than a loop per
    # output row there).  PLANES planes per prange step share a buffer (its border stays 0).
    C, H, W = x.shape[1], x.shape[2], x.shape[3]
    M = cols.shape[1]
    L = Ho * Wo
    xf = x.ravel()
    cf = cols.ravel()
    idx = _window_offsets(sh, sw, Ho, Wo, Wp)
    for q in prange((nb * C + PLANES - 1) // PLANES):
        buf = np.zeros(Hp * Wp, cols.dtype)
        for p in range(q * PLANES, min(nb * C, (q + 1) * PLANES)):
            n = p // C
            c = p - n * C
            src = uint64(((n0 + n) * C + c) * H * W)
            for h in range(H):
                d0 = uint64((h + pt) * Wp + pl)
                s0 = src + uint64(h * W)
                for t in range(uint64(W)):
                    buf[d0 + t] = xf[s0 + t]
            for ki in range(kh):
                for kj in range(kw):
                    row = uint64(((c * kh + ki) * kw + kj) * M + c0 + n * L)
                    o = uint64(ki * dh * Wp + kj * dw)
                    for t in range(uint64(L)):
                        cf[row + t] = buf[o + idx[t]]


@numba.njit(cache=True, parallel=True)
def _col2im_kernel(cols, c0, dx, n0, nb, kh, kw, sh, sw, dh, dw, pt, pl, Ho, Wo, Hp, Wp, bias):
    # adjoint of _im2col_kernel: images n0 .. n0 + nb of dx (N, C, H, W) = the sums of the
    # columns from c0 on, plus bias[c] when bias has C entries.  Each plane is summed in a
    # zeroed (Hp, Wp) buffer holding every position a column reaches, then cropped into dx.
    C, H, W = dx.shape[1], dx.shape[2], dx.shape[3]
    M = cols.shape[1]
    L = Ho * Wo
    cf = cols.ravel()
    df = dx.ravel()
    idx = _window_offsets(sh, sw, Ho, Wo, Wp)
    zero = dx.dtype.type(0)
    for q in prange((nb * C + PLANES - 1) // PLANES):
        buf = np.empty(Hp * Wp, dx.dtype)
        for p in range(q * PLANES, min(nb * C, (q + 1) * PLANES)):
            n = p // C
            c = p - n * C
            for i in range(uint64(Hp * Wp)):
                buf[i] = zero
            for ki in range(kh):
                for kj in range(kw):
                    row = uint64(((c * kh + ki) * kw + kj) * M + c0 + n * L)
                    o = uint64(ki * dh * Wp + kj * dw)
                    for t in range(uint64(L)):
                        buf[o + idx[t]] += cf[row + t]
            b = bias[c] if bias.shape[0] == C else zero
            dst = uint64(((n0 + n) * C + c) * H * W)
            for h in range(H):
                s0 = uint64((h + pt) * Wp + pl)
                d0 = dst + uint64(h * W)
                for t in range(uint64(W)):
                    df[d0 + t] = buf[s0 + t] + b


@numba.njit(cache=True, nogil=True)
def _nchw_to_cnhw_kernel(a, out):
    # a (N, C, L) -> out (C, N, L)
    N, C, L = a.shape
    af = a.ravel()
    of = out.ravel()
    for p in range(N * C):
        c = p // N
        n = p - c * N
        s0 = uint64((n * C + c) * L)
        d0 = uint64(p * L)
        for i in range(uint64(L)):
            of[d0 + i] = af[s0 + i]


@numba.njit(cache=True, nogil=True)
def _cnhw_to_nchw_kernel(a, out, bias):
    # a (C, N, L) -> out (N, C, L), adding bias[c] when bias has C entries
    C, N, L = a.shape
    af = a.ravel()
    of = out.ravel()
    add = bias.shape[0] == C
    for p in range(N * C):
        n = p // C
        c = p - n * C
        s0 = uint64((c * N + n) * L)
        d0 = uint64(p * L)
        b = bias[c] if add else a.dtype.type(0)
        for i in range(uint64(L)):
            of[d0 + i] = af[s0 + i] + b


# Copies run in parallel (numba's pool, outside a run_split) only from COPY_PARALLEL_MIN
# elements: each one follows a GEMM, whose idle OpenBLAS worker busy-waits on the second core
# for ~0.1 s, so a 2-thread copy waits for its slower half.  Measured (bench/conv.py's cases,
# 2 threads, medians of 9 alternating rounds, AMD EPYC Zen 3, 2026-12-06), fwd+bwd ms
# parallel / serial copies: conv2d s2 (903K-element columns) 8.76 / 7.96, conv_transpose2d s2
# (803K) 6.12 / 5.34, conv1d (1.3M) 9.08 / 7.52; conv2d grouped g4 (3.6M) 13.8 / 14.6.
COPY_PARALLEL_MIN = 1 << 21
_im2col = Sized(serialized(_im2col_kernel), nogil=True)
_col2im = Sized(serialized(_col2im_kernel), nogil=True)


def _copy(kernel, work, *args):
    """Run Sized ``kernel`` on ``work`` elements (in parallel from COPY_PARALLEL_MIN)."""
    kernel(work if work >= COPY_PARALLEL_MIN else 0, *args)


# --------------------------------------------------------------------------- array API


class _Unfold:
    """One convolution's geometry, and im2col / col2im over a range of its images; with
    ``inner``, a block's columns, g and y put its images innermost (kernels/conv_inner.py)."""

    __slots__ = ("x_shape", "kernel", "Ho", "Wo", "Hp", "Wp", "args", "inner")

    def __init__(self, x_shape, kernel, stride, padding, dilation, out_hw=None):
        self.x_shape, self.kernel, self.inner = tuple(x_shape), tuple(kernel), False
        self.Ho, self.Wo, self.Hp, self.Wp = _geometry(x_shape, kernel, stride, padding,
                                                       dilation, out_hw)
        self.args = (*kernel, *stride, *dilation, padding[0], padding[2], self.Ho, self.Wo,
                     self.Hp, self.Wp)

    @property
    def rows(self):
        return self.x_shape[1] * self.kernel[0] * self.kernel[1]

    def im2col(self, x, n0, n1, cols, c0=0):
        """Images n0 .. n1 of contiguous x unfolded into columns c0 .. of cols."""
        if self.inner:
            return I.im2col(x, n0, n1 - n0, cols, c0, *self.args)
        _copy(_im2col, self.rows * (n1 - n0) * self.Ho * self.Wo, x, n0, n1 - n0, cols, c0,
              *self.args)

    def col2im(self, cols, dx, n0, n1, bias):
        """Images n0 .. n1 of dx = col2im of all of cols (+ bias (C,) unless empty)."""
        if self.inner:
            return I.col2im(cols, dx, n0, n1 - n0, *self.args, bias)
        _copy(_col2im, cols.size, cols, 0, dx, n0, n1 - n0, *self.args, bias)

    def g_cols(self, g, n0, n1):
        """Images n0 .. n1 of g (N, O, Ho, Wo) as the (O, m) matrix of the GEMMs."""
        if not self.inner:
            return nchw_to_cnhw(g[n0:n1])
        gt = np.empty((g.shape[1], self.Ho, self.Wo, n1 - n0), g.dtype)
        I.pack(g, n0, gt)
        return gt.reshape(g.shape[1], -1)

    def y_out(self, out, y, n0, n1, bias):
        """Images n0 .. n1 of y (N, O, Ho, Wo) = the GEMM's (O, m) out (+ bias (O,))."""
        if self.inner:
            I.unpack(out.reshape(y.shape[1], self.Ho, self.Wo, n1 - n0), y, n0, bias)
        else:
            _cnhw_to_nchw_kernel(out.reshape(y.shape[1], n1 - n0, -1),
                                 y[n0:n1].reshape(n1 - n0, y.shape[1], -1), bias)


def _bias(b, dtype):
    return np.zeros(0, dtype) if b is None else np.ascontiguousarray(b, dtype)


def im2col(x, kernel, stride, padding, dilation, out_hw=None):
    """Unfold ``x`` (N, C, H, W) into columns (C*kh*kw, N*Ho*Wo) ("CNHW" layout)."""
    u = _Unfold(x.shape, kernel, stride, padding, dilation, out_hw)
    cols = np.empty((u.rows, x.shape[0] * u.Ho * u.Wo), dtype=x.dtype)
    u.im2col(np.ascontiguousarray(x), 0, x.shape[0], cols)
    return cols


def col2im(cols, x_shape, kernel, stride, padding, dilation, out_hw=None, bias=None):
    """Adjoint of :func:`im2col`: sum columns (C*kh*kw, N*Ho*Wo) back into (N, C, H, W)
    (plus ``bias`` (C,) if given)."""
    u = _Unfold(x_shape, kernel, stride, padding, dilation, out_hw)
    dx = np.empty(tuple(x_shape), dtype=cols.dtype)
    u.col2im(np.ascontiguousarray(cols), dx, 0, x_shape[0], _bias(bias, cols.dtype))
    return dx


def nchw_to_cnhw(a):
    """(N, C, H, W) -> contiguous (C, N*H*W)."""
    N, C = a.shape[:2]
    L = int(np.prod(a.shape[2:]))
    a = np.ascontiguousarray(a).reshape(N, C, L)
    out = np.empty((C, N, L), dtype=a.dtype)
    _nchw_to_cnhw_kernel(a, out)
    return out.reshape(C, N * L)


def cnhw_to_nchw(a, shape, bias=None):
    """contiguous (C, N*H*W) -> (N, C, H, W) of ``shape``, plus ``bias`` (C,) if given."""
    N, C = shape[:2]
    L = int(np.prod(shape[2:]))
    out = np.empty((N, C, L), dtype=a.dtype)
    _cnhw_to_nchw_kernel(np.ascontiguousarray(a).reshape(C, N, L), out, _bias(bias, a.dtype))
    return out.reshape(shape)


def _check(x_shape, w_shape, groups):
    if x_shape[1] != w_shape[1] * groups or w_shape[0] % groups:
        raise ValueError(f"conv: input shape {tuple(x_shape)} and weight shape "
                         f"{tuple(w_shape)} do not fit with groups={groups}")


# One pass over the batch computes any of a convolution's three products, block by block of
# images (a block's columns feed all its GEMMs while still in cache), with the batch split
# into one image range per thread (kernels/_launch.py run_split: serial copies,
# single-threaded GEMMs).  Fwd+bwd of bench/conv.py's rows at 2 threads (Zen 3, 2026-12-06,
# medians of alternating rounds with torch): conv2d 3x3 s2 went from 8.0-9.3 ms (whole-batch
# copies and 2-thread GEMMs one after the other, 1.21-1.33x torch) to 6.2-6.4 ms; block
# size, ms conv2d s2 / conv_transpose2d s2: 2**17 elements 7.68 / 4.82, 2**18 6.81 / 4.51,
# 2**19 6.38 / 4.24, 2**21 6.24 / 4.41 (torch 6.69 / 3.64).  Keeping the forward's columns
# for the weight gradient beats unfolding x again in the backward: 6.34 / 7.09 ms.
COLS_BLOCK = 1 << 19  # column elements per block of images
# Blocks of at least this many images put them innermost (kernels/conv_inner.py): copies run
# over nb contiguous elements instead of one image's strided output rows.  Paired ratios to
# torch at 2 threads (2026-12-07, blocks of 32): s2 1.00 -> 0.87, conv_transpose2d 1.17 -> 0.90
INNER_MIN_IMAGES = 8
# ORIENTATION: OpenBLAS's sgemm ran slower when the short side (O) of a product was its
# row-major result's rows (a column-major result with N = O): the weight gradient as (K, O) =
# cols @ g.T, not g @ cols.T, per block alone, one thread, us: s2 row 575 -> 449, transposed
# row 377 -> 241 (SkylakeX kernel, Emerald Rapids), 799 -> 749, 435 -> 384 (Haswell kernel,
# as on Zen 3: OPENBLAS_CORETYPE=Zen, same CPU); steps paired, 2 threads: 0.959, 0.914.
# The forward likewise as (m, O) = cols.T @ w.T (image-innermost blocks), on OpenBLAS's SkylakeX
# kernel only (FORWARD_T; s2 row's block 486 -> 438 us, transposed row's 281 -> 228; steps
# paired 0.957-0.971 / 0.950-0.965): its Haswell kernel was slower so (755 -> 769, 388 -> 402);
# other kernels (Cooperlake, SapphireRapids, ...) were not measured and keep w @ cols.  Both
# for float32 only: SkylakeX's dgemm was slower so (s2 row's block: y 1180 -> 1596, dw 1420 ->
# 1489 us).


FORWARD_T = CORE == "SkylakeX"
Pass = namedtuple("Pass", "y dx dw cols")


def conv2d_pass(x_shape, w_shape, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1),
                groups=1, out_hw=None, *, w=None, x=None, g=None, cols=None, y=False, dx=False,
                dw=False, keep=False, y_bias=None, dx_bias=None):
    """Some of a conv's products in one pass: y = conv(x, w) + y_bias, the input gradient
    dx of g (N, O, Ho, Wo) + dx_bias, the weight gradient dw of (x, g) (arrays of one dtype).
    ``keep`` returns im2col(x) as ``cols``, which a later pass of the same shapes may take
    (x is then not read; its blocks' layout depends on the shapes only, not on the threads:
    image-innermost blocks one after the other, each contiguous).
    -> Pass(y, dx, dw, cols), None for what was not asked."""
    N = x_shape[0]
    O, Cg, kh, kw = w_shape
    G, Og, K = groups, O // groups, Cg * kh * kw
    u = _Unfold(x_shape, (kh, kw), stride, padding, dilation, out_hw)
    L = u.Ho * u.Wo
    dt = next(a.dtype for a in (w, x, g, cols) if a is not None)
    if y or dx:
        wm = np.ascontiguousarray(w).reshape(G, Og, K)
        wmT = np.ascontiguousarray(wm.transpose(0, 2, 1)) if dx else None
    unfold = (y or dw) and cols is None
    if unfold:
        x = np.ascontiguousarray(x)
        cols = np.empty((u.rows, N * L), dt) if keep else None
    if g is not None:
        g = np.ascontiguousarray(g)
    yo = np.empty((N, O, u.Ho, u.Wo), dt) if y else None
    dxo = np.empty(x_shape, dt) if dx else None
    yb, dxb = _bias(y_bias, dt), _bias(dx_bias, dt)
    sgemm = dt == np.float32  # ORIENTATION
    # blocks of about COLS_BLOCK column elements (a multiple of the threads when split),
    # fixed by the shapes alone: kept columns of image-innermost blocks hold their layout
    nblk = min(N, -(-N * u.rows * L // COLS_BLOCK))
    if N * u.rows * L >= _launch.PARALLEL_MIN:
        nblk = min(N, nblk - nblk % -numba.config.NUMBA_NUM_THREADS)
    blocks = [(N * i // nblk, N * (i + 1) // nblk) for i in range(nblk)]
    parts = max(1, min(nblk, split_count(u.rows * N * L)))
    u.inner = N // max(1, nblk) >= INNER_MIN_IMAGES

    def part(k):
        acc = None
        for n0, n1 in blocks[nblk * k // parts:nblk * (k + 1) // parts]:
            m = (n1 - n0) * L
            if cols is not None:  # kept (image-innermost: the block's own contiguous range)
                cb = I.block_columns(cols, n0 * L, m) if u.inner else cols[:, n0 * L:n0 * L + m]
                if unfold and u.inner:
                    u.im2col(x, n0, n1, cb)
                elif unfold:
                    u.im2col(x, n0, n1, cols, n0 * L)
            elif y or dw:
                cb = np.empty((u.rows, m), dt)
                u.im2col(x, n0, n1, cb)
            if dx or dw:
                gc = u.g_cols(g, n0, n1).reshape(G, Og, m)
            if y and u.inner and FORWARD_T and sgemm:  # as (G, m, Og): ORIENTATION
                I.unpack_rows(np.matmul(cb.reshape(G, K, m).transpose(0, 2, 1),
                                        wm.transpose(0, 2, 1)), yo, n0, yb)
            elif y:
                u.y_out(np.matmul(wm, cb.reshape(G, K, m)), yo, n0, n1, yb)
            if dx:
                u.col2im(np.matmul(wmT, gc).reshape(u.rows, m), dxo, n0, n1, dxb)
            if dw and sgemm:  # as (G, K, Og): OpenBLAS's faster orientation (ORIENTATION)
                d = np.matmul(cb.reshape(G, K, m), gc.transpose(0, 2, 1))
            elif dw:
                d = np.matmul(gc, cb.reshape(G, K, m).transpose(0, 2, 1))
            if dw:
                acc = d if acc is None else np.add(acc, d, out=acc)
        return acc

    accs = [a for a in run_split(part, parts) if a is not None] if N else []
    dwo = None
    if dw:
        d = sum(accs[1:], accs[0]) if accs else np.zeros((G, Og, K), dt)
        dwo = np.ascontiguousarray(d.transpose(0, 2, 1) if sgemm and accs else d).reshape(w_shape)
    return Pass(yo, dxo, dwo, cols if keep else None)


def conv2d_forward(x, w, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1,
                   out_hw=None, cols=None, bias=None):
    """Cross-correlation: x (N, C, H, W), w (O, C/groups, kh, kw) -> (N, O, Ho, Wo), plus
    ``bias`` (O,) if given.  ``cols``: a pass's kept columns of x (``conv2d_pass``)."""
    _check(x.shape, w.shape, groups)
    return conv2d_pass(x.shape, w.shape, stride, padding, dilation, groups, out_hw, w=w, x=x,
                       cols=cols, y=True, y_bias=bias).y


def conv2d_backward_input(g, w, x_shape, stride=(1, 1), padding=(0, 0, 0, 0),
                          dilation=(1, 1), groups=1, bias=None):
    """Gradient of conv2d w.r.t. its input: g (N, O, Ho, Wo), w -> (N, C, H, W) of x_shape,
    plus ``bias`` (C,) if given.  This is also the forward of a transposed convolution."""
    _check(x_shape, w.shape, groups)
    return conv2d_pass(tuple(x_shape), w.shape, stride, padding, dilation, groups,
                       tuple(g.shape[2:]), w=w, g=g, dx=True, dx_bias=bias).dx


def conv2d_backward_weight(x, g, w_shape, stride=(1, 1), padding=(0, 0, 0, 0),
                           dilation=(1, 1), groups=1, cols=None):
    """Gradient of conv2d w.r.t. its weight: x (N, C, H, W), g (N, O, Ho, Wo) -> w_shape.
    ``cols``: a pass's kept columns of x (``conv2d_pass``)."""
    _check(x.shape, w_shape, groups)
    return conv2d_pass(x.shape, w_shape, stride, padding, dilation, groups, tuple(g.shape[2:]),
                       x=x, g=g, cols=cols, dw=True).dw
