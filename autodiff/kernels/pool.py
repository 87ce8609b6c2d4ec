"""Pooling kernels over (N, C, H, W) arrays, parallel over the N*C planes.

Max pooling stores, for every output element, the position of the maximum *inside its
window* (``ki * kw + kj``) as int8 when the window has at most 127 elements (int32
otherwise): a quarter of the memory traffic of int64 flat indices on a memory-bound op.
Ties follow PyTorch's CPU kernel: the first maximum in row-major window order wins, and a
NaN wins over numbers (the last NaN seen).  ``max_pool2d_indices`` turns window positions
into PyTorch's ``return_indices`` values (flat indices into each ``H*W`` plane).

Geometry follows PyTorch: ``stride``, ``padding`` (symmetric, implicit -inf for max and
0 for average), ``dilation`` (max only), ``ceil_mode`` (the last window must start inside
the input or the left padding), ``count_include_pad`` and ``divisor_override``.
Each kernel has a NumPy twin ``*_ref``.

The most common geometry, 2x2 windows with stride 2, no padding and no dilation, has its
own kernels (``pool_2x2.py``): ``max_pool2d_forward`` etc. pick them automatically.
"""

import numba
import numpy as np
from numba import prange, uint64

from . import serialized
from ._launch import Sized
from .pool_2x2 import (
    _avg_2x2,
    _is_2x2,
    _max_bwd_2x2,
    _max_fwd_2x2,
    _max_pool2d_2x2_bwd_small,
    _max_pool2d_2x2_fwd_small,
    _small,
)

__all__ = [
    "pool_output_size", "max_pool2d_forward", "max_pool2d_backward", "max_pool2d_gather",
    "max_pool2d_indices", "avg_pool2d_forward", "avg_pool2d_backward",
    "max_pool2d_forward_ref", "max_pool2d_backward_ref", "avg_pool2d_forward_ref",
    "avg_pool2d_backward_ref",
]


def pool_output_size(size, k, stride, pad, dilation, ceil_mode):
    """PyTorch's pooling output length along one axis."""
    span = size + 2 * pad - dilation * (k - 1) - 1
    if ceil_mode:
        out = -(-span // stride) + 1
        if (out - 1) * stride >= size + pad:
            out -= 1
    else:
        out = span // stride + 1
    return out


def _geometry(shape, kernel, stride, padding, dilation, ceil_mode, name):
    N, C, H, W = shape
    kh, kw = kernel
    sh, sw = stride
    ph, pw = padding
    if min(kh, kw, sh, sw, dilation[0], dilation[1]) <= 0:
        raise ValueError(f"{name}: kernel_size, stride and dilation must be positive "
                         f"(got {kernel}, {stride}, {dilation})")
    if ph < 0 or pw < 0 or 2 * ph > kh or 2 * pw > kw:
        raise ValueError(f"{name}: padding should be >= 0 and at most half the kernel size "
                         f"(got padding {padding}, kernel_size {kernel})")
    Ho = pool_output_size(H, kh, sh, ph, dilation[0], ceil_mode)
    Wo = pool_output_size(W, kw, sw, pw, dilation[1], ceil_mode)
    if Ho <= 0 or Wo <= 0:
        raise ValueError(f"{name}: input of shape {tuple(shape)} is too small for kernel_size "
                         f"{kernel}, padding {padding}, dilation {dilation} (output {Ho}x{Wo})")
    return Ho, Wo


# --------------------------------------------------------------------------- numba kernels


@serialized
@numba.njit(cache=True, parallel=True)
def _max_pool2d_fwd_kernel(x, out, loc, kh, kw, sh, sw, ph, pw, dh, dw, ninf):
    # ninf: -inf of x's dtype (keeps the running maximum in float32 for float32 input)
    N, C, H, W = x.shape
    Ho, Wo = out.shape[2], out.shape[3]
    xf = x.ravel()
    of = out.ravel()
    lf = loc.ravel()
    for p in prange(N * C):
        xb = p * H * W
        ob = uint64(p * Ho * Wo)
        for oh in range(Ho):
            h0 = oh * sh - ph
            ki0 = 0
            if h0 < 0:
                ki0 = (-h0 + dh - 1) // dh
            ki1 = kh
            if h0 + (kh - 1) * dh >= H:
                ki1 = (H - 1 - h0) // dh + 1
            for ow in range(Wo):
                w0 = ow * sw - pw
                o = ob + uint64(oh * Wo + ow)
                if ki0 == 0 and ki1 == kh and w0 >= 0 and w0 + (kw - 1) * dw < W:
                    # window inside the input (the common case): no bounds
                    bloc = 0
                    start = xb + h0 * W + w0
                    best = xf[uint64(start)]
                    for ki in range(kh):
                        row = start + ki * dh * W
                        for kj in range(kw):
                            v = xf[uint64(row + kj * dw)]
                            # branch-free select: the argmax is data dependent, and
                            # mispredicted branches made this kernel 3x slower
                            take = (v > best) | (v != v)
                            best = v if take else best
                            bloc = ki * kw + kj if take else bloc
                else:
                    best = ninf
                    kj0 = 0
                    if w0 < 0:
                        kj0 = (-w0 + dw - 1) // dw
                    kj1 = kw
                    if w0 + (kw - 1) * dw >= W:
                        kj1 = (W - 1 - w0) // dw + 1
                    bloc = ki0 * kw + kj0
                    for ki in range(ki0, ki1):
                        row = xb + (h0 + ki * dh) * W + w0  # may be < 0 before kj0
                        for kj in range(kj0, kj1):
                            v = xf[uint64(row + kj * dw)]
                            # branch-free select: the argmax is data dependent, and
                            # mispredicted branches made this kernel 3x slower
                            take = (v > best) | (v != v)
                            best = v if take else best
                            bloc = ki * kw + kj if take else bloc
                of[o] = best
                lf[o] = bloc


@serialized
@numba.njit(cache=True, parallel=True)
def _max_pool2d_route_kernel(g, loc, dx, offh, offw, sh, sw, ph, pw, gather):
    # the argmax positions route values between g (N, C, Ho, Wo) and dx (N, C, H, W)
    # (offh/offw[l] = window offsets of position l):
    #   gather False: scatter-add g into dx (the backward);
    #   gather True:  g[o] = dx[argmax position of o], or 0 in the padding (its adjoint, used
    #                 by double backward).
    N, C, H, W = dx.shape
    Ho, Wo = g.shape[2], g.shape[3]
    gf = g.ravel()
    lf = loc.ravel()
    df = dx.ravel()
    for p in prange(N * C):
        xb = p * H * W
        ob = uint64(p * Ho * Wo)
        for oh in range(Ho):
            h0 = oh * sh - ph
            for ow in range(Wo):
                o = ob + uint64(oh * Wo + ow)
                lc = lf[o]
                ih = h0 + offh[lc]
                iw = ow * sw - pw + offw[lc]
                inside = 0 <= ih < H and 0 <= iw < W
                if gather:
                    gf[o] = df[uint64(xb + ih * W + iw)] if inside else 0
                elif inside:
                    df[uint64(xb + ih * W + iw)] += gf[o]


@serialized
@numba.njit(cache=True, parallel=True, error_model="numpy")
def _avg_pool2d_kernel(x, out, grad_mode, kh, kw, sh, sw, ph, pw, count_include_pad, divisor,
                       zero):
    # zero: 0 of x's dtype, the start of each window sum (keeps float32 sums in float32)
    # grad_mode False: out = avg_pool(x) with x (N,C,H,W), out (N,C,Ho,Wo)
    # grad_mode True:  x is the output gradient (N,C,Ho,Wo), out the input gradient (N,C,H,W)
    N, C = x.shape[0], x.shape[1]
    if grad_mode:
        H, W = out.shape[2], out.shape[3]
        Ho, Wo = x.shape[2], x.shape[3]
    else:
        H, W = x.shape[2], x.shape[3]
        Ho, Wo = out.shape[2], out.shape[3]
    xf = x.ravel()
    of = out.ravel()
    for p in prange(N * C):
        ib = p * H * W
        ob = uint64(p * Ho * Wo)
        for oh in range(Ho):
            h0 = oh * sh - ph
            h1 = min(h0 + kh, H + ph)
            ph_size = h1 - h0
            h0 = max(h0, 0)
            h1 = min(h1, H)
            for ow in range(Wo):
                w0 = ow * sw - pw
                w1 = min(w0 + kw, W + pw)
                pool = ph_size * (w1 - w0)
                w0 = max(w0, 0)
                w1 = min(w1, W)
                o = ob + uint64(oh * Wo + ow)
                if h0 >= h1 or w0 >= w1:
                    if not grad_mode:
                        of[o] = 0
                    continue
                if divisor > 0:
                    div = divisor
                elif count_include_pad:
                    div = pool
                else:
                    div = (h1 - h0) * (w1 - w0)
                if grad_mode:
                    v = xf[o] / div
                    for ih in range(h0, h1):
                        row = uint64(ib + ih * W)
                        for iw in range(w0, w1):
                            of[row + uint64(iw)] += v
                else:
                    s = zero
                    for ih in range(h0, h1):
                        row = uint64(ib + ih * W)
                        for iw in range(w0, w1):
                            s += xf[row + uint64(iw)]
                    of[o] = s / div


def _writable(a):
    """``a`` contiguous and writable: the route kernel writes into ``g`` or ``dx`` depending on
    its mode, so numba types both as writable arrays (a read-only one, e.g. a broadcast
    gradient, would not compile)."""
    a = np.ascontiguousarray(a)
    return a if a.flags.writeable else a.copy()


# small pools run the serial copies (a parallel launch costs ~0.1-0.4 ms; _launch.py)
_max_fwd = Sized(_max_pool2d_fwd_kernel)
_max_route = Sized(_max_pool2d_route_kernel)
_avg = Sized(_avg_pool2d_kernel, error_model="numpy")


# --------------------------------------------------------------------------- array API


def _loc_dtype(kernel):
    return np.int8 if kernel[0] * kernel[1] <= 127 else np.int32


def max_pool2d_forward(x, kernel, stride, padding=(0, 0), dilation=(1, 1), ceil_mode=False):
    """x (N, C, H, W) -> (out (N, C, Ho, Wo), window argmax positions (N, C, Ho, Wo))."""
    Ho, Wo = _geometry(x.shape, kernel, stride, padding, dilation, ceil_mode, "max_pool2d")
    N, C = x.shape[:2]
    out = np.empty((N, C, Ho, Wo), dtype=x.dtype)
    loc = np.empty((N, C, Ho, Wo), dtype=_loc_dtype(kernel))
    if _is_2x2(kernel, stride, padding, dilation, x.shape[2:], (Ho, Wo)):
        if _small(x.shape, (Ho, Wo)):
            _max_pool2d_2x2_fwd_small(np.ascontiguousarray(x), out, loc)
        else:
            _max_fwd_2x2(x.size, np.ascontiguousarray(x), out, loc)
        return out, loc
    _max_fwd(out.size * kernel[0] * kernel[1], np.ascontiguousarray(x), out, loc, kernel[0],
             kernel[1], stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1],
             _lowest(x.dtype))
    return out, loc


def _lowest(dtype):
    """The padding value of a max pool: -inf, or the smallest integer of an integer dtype."""
    return dtype.type(np.iinfo(dtype).min if dtype.kind in "iu" else -np.inf)


def _offsets(kernel, dilation):
    """Row and column offset inside the window of each window position (no division in
    the kernels)."""
    pos = np.arange(kernel[0] * kernel[1])
    return (pos // kernel[1]) * dilation[0], (pos % kernel[1]) * dilation[1]


def max_pool2d_backward(g, loc, x_shape, kernel, stride, padding=(0, 0), dilation=(1, 1)):
    """Scatter g (N, C, Ho, Wo) to the argmax positions: -> (N, C, H, W) of x_shape."""
    if _is_2x2(kernel, stride, padding, dilation, x_shape[2:], g.shape[2:]):
        dx = np.empty(tuple(x_shape), dtype=g.dtype)
        args = (np.ascontiguousarray(g), loc, dx, g.dtype.type(0))
        if _small(x_shape, g.shape[2:]):
            _max_pool2d_2x2_bwd_small(*args)
        else:
            _max_bwd_2x2(dx.size, *args)
        return dx
    dx = np.zeros(tuple(x_shape), dtype=g.dtype)
    offh, offw = _offsets(kernel, dilation)
    _max_route(dx.size, _writable(g), loc, dx, offh, offw, stride[0], stride[1],
               padding[0], padding[1], False)
    return dx


def max_pool2d_gather(x, loc, kernel, stride, padding=(0, 0), dilation=(1, 1)):
    """Pick x (N, C, H, W) at the argmax positions ``loc``: -> (N, C, Ho, Wo)."""
    out = np.empty(loc.shape, dtype=x.dtype)
    offh, offw = _offsets(kernel, dilation)
    _max_route(out.size, out, loc, _writable(x), offh, offw, stride[0], stride[1],
               padding[0], padding[1], True)
    return out


def max_pool2d_indices(loc, x_shape, kernel, stride, padding=(0, 0), dilation=(1, 1)):
    """Window positions -> PyTorch's flat int64 indices into each H*W plane."""
    W = x_shape[3]
    Ho, Wo = loc.shape[2], loc.shape[3]
    loc = loc.astype(np.int64)
    ki, kj = np.divmod(loc, kernel[1])
    ih = np.arange(Ho).reshape(Ho, 1) * stride[0] - padding[0] + ki * dilation[0]
    iw = np.arange(Wo).reshape(1, Wo) * stride[1] - padding[1] + kj * dilation[1]
    return ih * W + iw


def avg_pool2d_forward(x, kernel, stride, padding=(0, 0), ceil_mode=False,
                       count_include_pad=True, divisor_override=None):
    """x (N, C, H, W) -> (N, C, Ho, Wo) window averages."""
    Ho, Wo = _geometry(x.shape, kernel, stride, padding, (1, 1), ceil_mode, "avg_pool2d")
    N, C = x.shape[:2]
    out = np.empty((N, C, Ho, Wo), dtype=x.dtype)
    if _is_2x2(kernel, stride, padding, (1, 1), x.shape[2:], (Ho, Wo)):
        _avg_2x2(x.size, np.ascontiguousarray(x), out, False,
                 x.dtype.type(divisor_override or 4))
        return out
    _avg(out.size * kernel[0] * kernel[1], np.ascontiguousarray(x), out, False, kernel[0],
         kernel[1], stride[0], stride[1], padding[0], padding[1], bool(count_include_pad),
         int(divisor_override or 0), x.dtype.type(0))
    return out


def avg_pool2d_backward(g, x_shape, kernel, stride, padding=(0, 0), ceil_mode=False,
                        count_include_pad=True, divisor_override=None):
    """Adjoint of :func:`avg_pool2d_forward`: g (N, C, Ho, Wo) -> (N, C, H, W)."""
    if _is_2x2(kernel, stride, padding, (1, 1), x_shape[2:], g.shape[2:]):
        dx = np.empty(tuple(x_shape), dtype=g.dtype)
        _avg_2x2(dx.size, np.ascontiguousarray(g), dx, True,
                 g.dtype.type(divisor_override or 4))
        return dx
    dx = np.zeros(tuple(x_shape), dtype=g.dtype)
    _avg(g.size * kernel[0] * kernel[1], np.ascontiguousarray(g), dx, True, kernel[0],
         kernel[1], stride[0], stride[1], padding[0], padding[1], bool(count_include_pad),
         int(divisor_override or 0), g.dtype.type(0))
    return dx


# --------------------------------------------------------------------------- NumPy twins


def _max_windows_ref(shape, kernel, stride, padding, dilation, ceil_mode):
    """For each output position, the list of (ki, kj, ih, iw) inside the input."""
    N, C, H, W = shape
    Ho, Wo = _geometry(shape, kernel, stride, padding, dilation, ceil_mode, "max_pool2d")
    wins = {}
    for oh in range(Ho):
        for ow in range(Wo):
            wins[oh, ow] = [(ki, kj, oh * stride[0] - padding[0] + ki * dilation[0],
                             ow * stride[1] - padding[1] + kj * dilation[1])
                            for ki in range(kernel[0]) for kj in range(kernel[1])]
            wins[oh, ow] = [w for w in wins[oh, ow] if 0 <= w[2] < H and 0 <= w[3] < W]
    return Ho, Wo, wins


def max_pool2d_forward_ref(x, kernel, stride, padding=(0, 0), dilation=(1, 1),
                           ceil_mode=False):
    """Returns (out, flat indices) like torch's max_pool2d(..., return_indices=True)."""
    N, C, H, W = x.shape
    Ho, Wo, wins = _max_windows_ref(x.shape, kernel, stride, padding, dilation, ceil_mode)
    out = np.full((N, C, Ho, Wo), -np.inf, dtype=x.dtype)
    idx = np.zeros((N, C, Ho, Wo), dtype=np.int64)
    for (oh, ow), win in wins.items():
        vals = np.stack([x[:, :, ih, iw] for _, _, ih, iw in win], axis=-1)
        isnan = np.isnan(vals)
        k = np.where(isnan.any(-1), vals.shape[-1] - 1 - np.argmax(isnan[..., ::-1], -1),
                     np.argmax(vals, -1))  # first max; last NaN
        flat = np.array([ih * W + iw for _, _, ih, iw in win])
        out[:, :, oh, ow] = np.take_along_axis(vals, k[..., None], -1)[..., 0]
        idx[:, :, oh, ow] = flat[k]
    return out, idx


def max_pool2d_backward_ref(g, idx, x_shape):
    N, C, H, W = x_shape
    dx = np.zeros((N * C, H * W), dtype=g.dtype)
    gi = g.reshape(N * C, g.shape[2] * g.shape[3])  # not -1: N may be 0
    ii = idx.reshape(N * C, g.shape[2] * g.shape[3])
    for p in range(N * C):
        np.add.at(dx[p], ii[p], gi[p])
    return dx.reshape(x_shape)


def _avg_windows_ref(shape, kernel, stride, padding, ceil_mode, count_include_pad,
                     divisor_override):
    N, C, H, W = shape
    Ho, Wo = _geometry(shape, kernel, stride, padding, (1, 1), ceil_mode, "avg_pool2d")
    wins = {}
    for oh in range(Ho):
        for ow in range(Wo):
            h0, w0 = oh * stride[0] - padding[0], ow * stride[1] - padding[1]
            h1, w1 = min(h0 + kernel[0], H + padding[0]), min(w0 + kernel[1], W + padding[1])
            pool = (h1 - h0) * (w1 - w0)
            h0, w0, h1, w1 = max(h0, 0), max(w0, 0), min(h1, H), min(w1, W)
            if divisor_override:
                div = divisor_override
            elif count_include_pad:
                div = pool
            else:
                div = max((h1 - h0) * (w1 - w0), 1)
            wins[oh, ow] = (slice(h0, max(h1, h0)), slice(w0, max(w1, w0)), div)
    return Ho, Wo, wins


def avg_pool2d_forward_ref(x, kernel, stride, padding=(0, 0), ceil_mode=False,
                           count_include_pad=True, divisor_override=None):
    N, C = x.shape[:2]
    Ho, Wo, wins = _avg_windows_ref(x.shape, kernel, stride, padding, ceil_mode,
                                    count_include_pad, divisor_override)
    out = np.zeros((N, C, Ho, Wo), dtype=x.dtype)
    for (oh, ow), (hs, ws, div) in wins.items():
        out[:, :, oh, ow] = x[:, :, hs, ws].sum(axis=(2, 3)) / div
    return out


def avg_pool2d_backward_ref(g, x_shape, kernel, stride, padding=(0, 0), ceil_mode=False,
                            count_include_pad=True, divisor_override=None):
    dx = np.zeros(tuple(x_shape), dtype=g.dtype)
    Ho, Wo, wins = _avg_windows_ref(x_shape, kernel, stride, padding, ceil_mode,
                                    count_include_pad, divisor_override)
    for (oh, ow), (hs, ws, div) in wins.items():
        dx[:, :, hs, ws] += (g[:, :, oh, ow] / div)[:, :, None, None]
    return dx
