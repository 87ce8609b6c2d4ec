"""Convolution kernels: im2col / col2im in numba, GEMMs in NumPy.

Design (measured, see bench/conv.py and shared PERF-NOTES): the input is unfolded into a
column matrix in a "CNHW" layout, ``cols[(c, ki, kj), (n, oh, ow)]`` of shape
``(C*kh*kw, N*Ho*Wo)``.  Every copy then moves contiguous runs, and the three GEMMs of a
training step (forward ``W @ cols``, weight gradient ``g @ cols.T``, column gradient
``W.T @ g``) are large single (batched over groups) NumPy sgemm/dgemm calls in their fast
orientation.  GEMMs never run inside numba (a second OpenBLAS with its own threads).

Geometry is passed explicitly: ``stride=(sh, sw)``, ``padding=(top, bottom, left, right)``
(asymmetric, which PyTorch's ``padding='same'`` with an even kernel needs),
``dilation=(dh, dw)``, ``groups``.  Arrays are ``(N, C, H, W)`` inputs, ``(O, C/groups,
kh, kw)`` weights and ``(N, O, Ho, Wo)`` outputs; the dtype (float32 or float64) of the
inputs is kept.

Each public function has a NumPy reference twin ``*_ref`` (a direct sum over kernel
offsets with einsum) used by the tests.
"""
import numba
import numpy as np
from numba import prange, uint64

from . import serialized
from ._launch import Sized

__all__ = [
    "conv_output_size", "im2col", "col2im",
    "conv2d_forward", "conv2d_backward_input", "conv2d_backward_weight",
    "conv2d_forward_ref", "conv2d_backward_input_ref", "conv2d_backward_weight_ref",
    "im2col_ref", "col2im_ref",
]


def conv_output_size(size, k, stride, pad_lo, pad_hi, dilation):
    """Output length of a convolution along one axis (PyTorch's formula)."""
    return (size + pad_lo + pad_hi - dilation * (k - 1) - 1) // stride + 1


# --------------------------------------------------------------------------- numba kernels


# Indices are cast to unsigned before indexing: numba's wraparound handling of signed
# indices blocks vectorisation (measured 4x slower copies).  Only im2col and col2im are
# parallel: the layout copies are small, and a parallel kernel costs ~1.2 s CPU to compile
# against ~0.3 s for a serial one.


@numba.njit(cache=True)
def _pad_kernel(x, xp, pt, pl, to_padded, bias):
    # x (N, C, H, W) <-> zero-padded xp (C, N, Hp, Wp), x at offset (pt, pl).  to_padded:
    # x -> xp (zeros elsewhere); else the crop xp -> x, plus bias[c] when bias has C entries.
    N, C, H, W = x.shape
    Hp, Wp = xp.shape[2], xp.shape[3]
    xf = x.ravel()
    pf = xp.ravel()
    for p in range(C * N):
        c = p // N
        n = p - c * N
        dst = uint64(p * Hp * Wp)
        src = uint64((n * C + c) * H * W)
        b = bias[c] if bias.shape[0] == C else x.dtype.type(0)
        if to_padded:
            for i in range(uint64(Hp * Wp)):
                pf[dst + i] = 0
        for h in range(H):
            d0 = dst + uint64((h + pt) * Wp + pl)
            s0 = src + uint64(h * W)
            if to_padded:
                for t in range(uint64(W)):
                    pf[d0 + t] = xf[s0 + t]
            else:
                for t in range(uint64(W)):
                    xf[s0 + t] = pf[d0 + t] + b


@serialized
@numba.njit(cache=True, parallel=True)
def _im2col_kernel(xp, cols, kh, kw, sh, sw, dh, dw, Ho, Wo):
    # padded xp (C, N, Hp, Wp) -> cols (C*kh*kw, N*Ho*Wo)
    C, N, Hp, Wp = xp.shape
    kk = kh * kw
    L = Ho * Wo
    NL = N * L
    xf = xp.ravel()
    cf = cols.ravel()
    usw = uint64(sw)
    for p in prange(C * kk * N):
        r = p // N
        n = p - r * N
        c = r // kk
        rem = r - c * kk
        ki = rem // kw
        kj = rem - ki * kw
        for oh in range(Ho):
            d0 = uint64(r * NL + n * L + oh * Wo)
            s0 = uint64(((c * N + n) * Hp + oh * sh + ki * dh) * Wp + kj * dw)
            if sw == 1:
                for t in range(uint64(Wo)):
                    cf[d0 + t] = xf[s0 + t]
            else:
                for t in range(uint64(Wo)):
                    cf[d0 + t] = xf[s0 + t * usw]


@serialized
@numba.njit(cache=True, parallel=True)
def _col2im_kernel(cols, dxp, kh, kw, sh, sw, dh, dw, Ho, Wo):
    # adjoint of _im2col_kernel: cols (C*kh*kw, N*Ho*Wo) summed into padded dxp (C, N, Hp, Wp)
    C, N, Hp, Wp = dxp.shape
    kk = kh * kw
    L = Ho * Wo
    NL = N * L
    xf = dxp.ravel()
    cf = cols.ravel()
    usw = uint64(sw)
    for p in prange(C * N):
        c = p // N
        n = p - c * N
        for ki in range(kh):
            for kj in range(kw):
                r = c * kk + ki * kw + kj
                for oh in range(Ho):
                    d0 = uint64(r * NL + n * L + oh * Wo)
                    s0 = uint64(((c * N + n) * Hp + oh * sh + ki * dh) * Wp + kj * dw)
                    if sw == 1:
                        for t in range(uint64(Wo)):
                            xf[s0 + t] += cf[d0 + t]
                    else:
                        for t in range(uint64(Wo)):
                            xf[s0 + t * usw] += cf[d0 + t]


@numba.njit(cache=True)
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


@numba.njit(cache=True)
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
        if add:
            b = bias[c]
            for i in range(uint64(L)):
                of[d0 + i] = af[s0 + i] + b
        else:
            for i in range(uint64(L)):
                of[d0 + i] = af[s0 + i]


# Small convolutions run the serial copies (a parallel launch costs ~0.1-0.4 ms; _launch.py).
# im2col and col2im run in parallel only from COPY_PARALLEL_MIN elements: each one follows a
# GEMM, whose idle OpenBLAS worker busy-waits on the second core for ~0.1 s, so a 2-thread
# copy waits for its slower half.  Measured (bench/conv.py's cases, 2 threads, medians of 9
# alternating rounds, AMD EPYC Zen 3, 2026-12-06), fwd+bwd ms parallel / serial copies:
# conv2d s2 (903K-element columns) 8.76 / 7.96, conv_transpose2d s2 (803K) 6.12 / 5.34,
# conv1d (1.3M) 9.08 / 7.52; conv2d grouped g4 (3.6M) 13.8 / 14.6 (parallel wins).
COPY_PARALLEL_MIN = 1 << 21
_im2col = Sized(_im2col_kernel)
_col2im = Sized(_col2im_kernel)


def _copy(kernel, work, *args):
    """Run Sized ``kernel`` on ``work`` elements (in parallel from COPY_PARALLEL_MIN)."""
    kernel(work if work >= COPY_PARALLEL_MIN else 0, *args)


# --------------------------------------------------------------------------- array API


def _geometry(x_shape, kernel, stride, padding, dilation, out_hw=None):
    """(Ho, Wo, Hp, Wp): output size (from PyTorch's formula unless ``out_hw`` fixes it, as a
    transposed convolution's ``output_padding`` may) and the padded input size."""
    N, C, H, W = x_shape
    kh, kw = kernel
    pt, pb, pl, pr = padding
    if out_hw is None:
        Ho = conv_output_size(H, kh, stride[0], pt, pb, dilation[0])
        Wo = conv_output_size(W, kw, stride[1], pl, pr, dilation[1])
    else:
        Ho, Wo = out_hw
    if Ho <= 0 or Wo <= 0:
        raise ValueError(f"conv: input spatial size {(H, W)} too small for kernel {(kh, kw)} "
                         f"with padding {tuple(padding)} and dilation {tuple(dilation)}")
    Hp = max(H + pt + pb, (Ho - 1) * stride[0] + dilation[0] * (kh - 1) + 1)
    Wp = max(W + pl + pr, (Wo - 1) * stride[1] + dilation[1] * (kw - 1) + 1)
    return Ho, Wo, Hp, Wp


def im2col(x, kernel, stride, padding, dilation, out_hw=None):
    """Unfold ``x`` (N, C, H, W) into columns (C*kh*kw, N*Ho*Wo) ("CNHW" layout)."""
    N, C, H, W = x.shape
    Ho, Wo, Hp, Wp = _geometry(x.shape, kernel, stride, padding, dilation, out_hw)
    xp = np.empty((C, N, Hp, Wp), dtype=x.dtype)
    x = np.ascontiguousarray(x)
    if not x.flags.writeable:  # the kernel's crop branch writes x: numba types it writable
        x = x.copy()
    _pad_kernel(x, xp, padding[0], padding[2], True, np.zeros(0, x.dtype))
    cols = np.empty((C * kernel[0] * kernel[1], N * Ho * Wo), dtype=x.dtype)
    _copy(_im2col, cols.size, xp, cols, kernel[0], kernel[1], stride[0], stride[1],
          dilation[0], dilation[1], Ho, Wo)
    return cols


def col2im(cols, x_shape, kernel, stride, padding, dilation, out_hw=None, bias=None):
    """Adjoint of :func:`im2col`: sum columns (C*kh*kw, N*Ho*Wo) back into (N, C, H, W)
    (plus ``bias`` (C,) if given)."""
    N, C, H, W = x_shape
    Ho, Wo, Hp, Wp = _geometry(x_shape, kernel, stride, padding, dilation, out_hw)
    dxp = np.zeros((C, N, Hp, Wp), dtype=cols.dtype)
    _copy(_col2im, cols.size, np.ascontiguousarray(cols), dxp, kernel[0], kernel[1],
          stride[0], stride[1], dilation[0], dilation[1], Ho, Wo)
    dx = np.empty(tuple(x_shape), dtype=cols.dtype)
    b = np.zeros(0, cols.dtype) if bias is None else np.ascontiguousarray(bias, cols.dtype)
    _pad_kernel(dx, dxp, padding[0], padding[2], False, b)
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
    bias = np.zeros(0, a.dtype) if bias is None else np.ascontiguousarray(bias, dtype=a.dtype)
    _cnhw_to_nchw_kernel(np.ascontiguousarray(a).reshape(C, N, L), out, bias)
    return out.reshape(shape)


def _check(x_shape, w_shape, groups):
    N, C = x_shape[:2]
    O, Cg = w_shape[:2]
    if C != Cg * groups or O % groups:
        raise ValueError(
            f"conv: input shape {tuple(x_shape)} and weight shape {tuple(w_shape)} do not fit "
            f"with groups={groups}")


def conv2d_forward(x, w, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1,
                   out_hw=None, cols=None, bias=None):
    """Cross-correlation: x (N, C, H, W), w (O, C/groups, kh, kw) -> (N, O, Ho, Wo), plus
    ``bias`` (O,) if given.

    ``cols`` may pass ``im2col(x)`` already computed (it is reused by the weight gradient).
    """
    _check(x.shape, w.shape, groups)
    N, C, H, W = x.shape
    O, Cg, kh, kw = w.shape
    Ho, Wo, _, _ = _geometry(x.shape, (kh, kw), stride, padding, dilation, out_hw)
    if cols is None:
        cols = im2col(x, (kh, kw), stride, padding, dilation, out_hw)
    G = groups
    wm = np.ascontiguousarray(w).reshape(G, O // G, Cg * kh * kw)
    out = np.matmul(wm, cols.reshape(G, Cg * kh * kw, N * Ho * Wo))
    return cnhw_to_nchw(out.reshape(O, N * Ho * Wo), (N, O, Ho, Wo), bias)


def conv2d_backward_input(g, w, x_shape, stride=(1, 1), padding=(0, 0, 0, 0),
                          dilation=(1, 1), groups=1, g_cnhw=None, bias=None):
    """Gradient of conv2d w.r.t. its input: g (N, O, Ho, Wo), w -> (N, C, H, W) of x_shape.

    This is also the forward of a transposed convolution.  ``g_cnhw`` may pass ``g``
    already in (O, N*Ho*Wo) layout; ``bias`` (C,) is added if given.
    """
    _check(x_shape, w.shape, groups)
    O, Cg, kh, kw = w.shape
    G = groups
    if g_cnhw is None:
        g_cnhw = nchw_to_cnhw(g)
    NL = g_cnhw.shape[1]
    wm = np.ascontiguousarray(w).reshape(G, O // G, Cg * kh * kw)
    dcols = np.matmul(wm.transpose(0, 2, 1), g_cnhw.reshape(G, O // G, NL))
    return col2im(dcols.reshape(G * Cg * kh * kw, NL), x_shape, (kh, kw), stride, padding,
                  dilation, tuple(g.shape[2:]), bias)


def conv2d_backward_weight(x, g, w_shape, stride=(1, 1), padding=(0, 0, 0, 0),
                           dilation=(1, 1), groups=1, g_cnhw=None, cols=None):
    """Gradient of conv2d w.r.t. its weight: x (N, C, H, W), g (N, O, Ho, Wo) -> w_shape."""
    _check(x.shape, w_shape, groups)
    O, Cg, kh, kw = w_shape
    G = groups
    if cols is None:
        cols = im2col(x, (kh, kw), stride, padding, dilation, tuple(g.shape[2:]))
    if g_cnhw is None:
        g_cnhw = nchw_to_cnhw(g)
    NL = g_cnhw.shape[1]
    dw = np.matmul(g_cnhw.reshape(G, O // G, NL),
                   cols.reshape(G, Cg * kh * kw, NL).transpose(0, 2, 1))
    return dw.reshape(w_shape)


# --------------------------------------------------------------------------- NumPy twins


def _window(a, ki, kj, Ho, Wo, stride, dilation):
    sh, sw = stride
    dh, dw = dilation
    return a[:, :, ki * dh: ki * dh + sh * (Ho - 1) + 1: sh,
             kj * dw: kj * dw + sw * (Wo - 1) + 1: sw]


def _pad(x, padding, Hp=None, Wp=None):
    pt, pb, pl, pr = padding
    H, W = x.shape[2:]
    pb = pb if Hp is None else Hp - H - pt
    pr = pr if Wp is None else Wp - W - pl
    return np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))


def conv2d_forward_ref(x, w, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1,
                       out_hw=None):
    N, C, H, W = x.shape
    O, Cg, kh, kw = w.shape
    Ho, Wo, Hp, Wp = _geometry(x.shape, (kh, kw), stride, padding, dilation, out_hw)
    xp = _pad(x, padding, Hp, Wp)
    Og = O // groups
    out = np.zeros((N, O, Ho, Wo), dtype=np.result_type(x, w))
    for gi in range(groups):
        xs = xp[:, gi * Cg:(gi + 1) * Cg]
        for ki in range(kh):
            for kj in range(kw):
                win = _window(xs, ki, kj, Ho, Wo, stride, dilation)
                out[:, gi * Og:(gi + 1) * Og] += np.einsum(
                    "nchw,oc->nohw", win, w[gi * Og:(gi + 1) * Og, :, ki, kj])
    return out


def conv2d_backward_input_ref(g, w, x_shape, stride=(1, 1), padding=(0, 0, 0, 0),
                              dilation=(1, 1), groups=1):
    N, C, H, W = x_shape
    O, Cg, kh, kw = w.shape
    Ho, Wo, Hp, Wp = _geometry(x_shape, (kh, kw), stride, padding, dilation, g.shape[2:])
    pt, pb, pl, pr = padding
    Og = O // groups
    dxp = np.zeros((N, C, Hp, Wp), dtype=np.result_type(g, w))
    for gi in range(groups):
        dxs = dxp[:, gi * Cg:(gi + 1) * Cg]
        for ki in range(kh):
            for kj in range(kw):
                win = _window(dxs, ki, kj, Ho, Wo, stride, dilation)
                win += np.einsum("nohw,oc->nchw", g[:, gi * Og:(gi + 1) * Og],
                                 w[gi * Og:(gi + 1) * Og, :, ki, kj])
    return dxp[:, :, pt:pt + H, pl:pl + W].copy()


def conv2d_backward_weight_ref(x, g, w_shape, stride=(1, 1), padding=(0, 0, 0, 0),
                               dilation=(1, 1), groups=1):
    O, Cg, kh, kw = w_shape
    Ho, Wo, Hp, Wp = _geometry(x.shape, (kh, kw), stride, padding, dilation, g.shape[2:])
    xp = _pad(x, padding, Hp, Wp)
    Og = O // groups
    dw = np.zeros(w_shape, dtype=np.result_type(x, g))
    for gi in range(groups):
        xs = xp[:, gi * Cg:(gi + 1) * Cg]
        for ki in range(kh):
            for kj in range(kw):
                win = _window(xs, ki, kj, Ho, Wo, stride, dilation)
                dw[gi * Og:(gi + 1) * Og, :, ki, kj] = np.einsum(
                    "nchw,nohw->oc", win, g[:, gi * Og:(gi + 1) * Og])
    return dw


def im2col_ref(x, kernel, stride, padding, dilation):
    kh, kw = kernel
    N, C, H, W = x.shape
    Ho = conv_output_size(H, kh, stride[0], padding[0], padding[1], dilation[0])
    Wo = conv_output_size(W, kw, stride[1], padding[2], padding[3], dilation[1])
    xp = _pad(x, padding)
    cols = np.empty((C, kh, kw, N, Ho, Wo), dtype=x.dtype)
    for ki in range(kh):
        for kj in range(kw):
            cols[:, ki, kj] = _window(xp, ki, kj, Ho, Wo, stride, dilation).transpose(1, 0, 2, 3)
    return cols.reshape(C * kh * kw, N * Ho * Wo)


def col2im_ref(cols, x_shape, kernel, stride, padding, dilation):
    kh, kw = kernel
    N, C, H, W = x_shape
    pt, pb, pl, pr = padding
    Ho = conv_output_size(H, kh, stride[0], pt, pb, dilation[0])
    Wo = conv_output_size(W, kw, stride[1], pl, pr, dilation[1])
    c6 = cols.reshape(C, kh, kw, N, Ho, Wo)
    dxp = np.zeros((N, C, H + pt + pb, W + pl + pr), dtype=cols.dtype)
    for ki in range(kh):
        for kj in range(kw):
            win = _window(dxp, ki, kj, Ho, Wo, stride, dilation)
            win += c6[:, ki, kj].transpose(1, 0, 2, 3)
    return dxp[:, :, pt:pt + H, pl:pl + W].copy()
