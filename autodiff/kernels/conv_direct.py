"""Direct convolution kernels for few channels per group (grouped and depthwise convs).

im2col turns a grouped convolution into ``groups`` GEMMs of ``C/groups * kh * kw``-long dot
products: with 8 channels per group (72-long dots) or a depthwise conv (9-long dots) the
GEMMs run far below BLAS speed, and the column matrix costs more to write and read than the
arithmetic.  These kernels instead compute each (image, group) from a zero-padded copy of
that group's input planes held in a per-thread buffer (no column matrix), in loops that
vectorise over a whole output plane:

* stride 1 ("wide rows"): an output plane is computed as one run of ``(Ho-1)*Wp + Wo``
  values over the padded width ``Wp``; output ``t`` reads padded input ``t + ki*dh*Wp +
  kj*dw``, so every kernel tap is one contiguous multiply-add over the plane.  The ``Wp-Wo``
  values past each row's end are computed and dropped (zeroed for the input gradient).
* other strides: one run of ``Wo`` values per output row (a strided read for ``sw > 1``).

Three kernels, each ``parallel=True`` over chunks of (image, group) pairs:

* forward: ``out[n, o] = sum over c, ki, kj of w[o, c, ki, kj] * xpad[n, c, shifted]``
* input gradient (the adjoint): each ``g[n, o]`` plane is multiplied into the padded input
  gradient planes at each tap offset, then cropped (plus a bias, for conv_transpose2d).
* weight gradient: ``dw[o, c, ki, kj]`` is a dot product of ``g[n, o]`` (wide, zero past the
  row ends) with the shifted padded input plane, summed over images; chunks of images give
  partial sums (a fixed number of chunks per group, so results do not depend on the thread
  count), added in NumPy.

Arrays reaching the kernels are validated and contiguous (the array API below); dtype is
float32 or float64 as given.  The NumPy twins are ``kernels/conv.py``'s ``*_ref``.
"""
import numba
import numpy as np
from numba import prange, uint64

from . import conv as K
from . import serialized

__all__ = ["conv2d_forward", "conv2d_backward_input", "conv2d_backward_weight"]

# the weight gradient's dot products vectorise only if their sum may be reassociated
_FM = {"reassoc", "contract"}
# (image, group) pairs per chunk of the forward / input gradient: amortises the buffers
_CHUNKS = 64
# image chunks per group in the weight gradient (partial sums, added in NumPy)
_DW_CHUNKS = 16
# run lengths are rounded up to this many elements (whole vector loops: no scalar remainder
# loop; the extra values are computed from zeros and dropped)
_ROUND = 8
# at stride 1 a run covers several images' planes, up to about this many values: the loops'
# set-up (alias checks, broadcasts, horizontal sums) is paid once per run
_RUN = 1024


@numba.njit(inline="always")
def _layout(nb, Ho, Wo, Hp, Wp, sh, sw):
    """Buffers for a block of ``nb`` images: (R runs of L values per output plane, row width
    bw of the accumulator / gradient planes, padded-input step between runs, input channel
    block, output channel block, image step in the output planes)."""
    HW = Hp * Wp
    if sh == 1 and sw == 1:  # one run over the block's images, rows of width Wp
        L = ((nb - 1) * HW + (Ho - 1) * Wp + Wo + _ROUND - 1) // _ROUND * _ROUND
        return 1, L, Wp, 0, nb * HW, max(L, nb * HW), HW
    L = (Wo + _ROUND - 1) // _ROUND * _ROUND  # one run per output row (nb is 1)
    return Ho, L, L, sh * Wp, HW, Ho * L, Ho * L


@numba.njit(inline="always")
def _planes(a, n0, nb, c0, nc, buf, cstep, nstep, rstep, off):
    # buf[c * cstep + n * nstep + h * rstep + off + w] = a[n0 + n, c0 + c, h, w]; zeros
    # elsewhere: the padded input planes (rows of width Wp, offset (pt, pl)) or the gradient
    # planes (rows of width bw) of a block of images
    H, W = a.shape[2], a.shape[3]
    for i in range(uint64(buf.shape[0])):
        buf[i] = 0
    for c in range(nc):
        for n in range(nb):
            for h in range(H):
                d0 = uint64(c * cstep + n * nstep + h * rstep + off)
                for t in range(uint64(W)):
                    buf[d0 + t] = a[n0 + n, c0 + c, h, t]


@numba.njit(inline="always")
def _crop(out, n0, nb, o, acc, a, img, bw, bias):
    # out[n0 + n, o] = the (Ho, Wo) corner of image n in acc[a:], plus bias[o] if any
    Ho, Wo = out.shape[2], out.shape[3]
    b = bias[o] if bias.shape[0] == out.shape[1] else out.dtype.type(0)
    for n in range(nb):
        for oh in range(Ho):
            a0 = uint64(a + n * img + oh * bw)
            for t in range(uint64(Wo)):
                out[n0 + n, o, oh, t] = acc[a0 + t] + b


@numba.njit(inline="always")
def _chunk(q, P, total):
    return q * total // P, (q + 1) * total // P


@numba.njit(inline="always")
def _taps(offs, Cg, kh, kw, xblk, Wp, dh, dw):
    # offs[(c, ki, kj)] = offset of tap (c, ki, kj) in the padded planes (C order of w[o])
    j = 0
    for c in range(Cg):
        for ki in range(kh):
            for kj in range(kw):
                offs[j] = c * xblk + ki * dh * Wp + kj * dw
                j += 1


@serialized
@numba.njit(cache=True, parallel=True, error_model="numpy", fastmath={"contract"})
def _forward_kernel(x, w, bias, out, groups, pt, pl, sh, sw, dh, dw, Hp, Wp, kh, kw, Nb, P):
    # w (O, Cg*kh*kw); prange over chunks of (block of Nb images, group) items
    N = x.shape[0]
    O, T = w.shape
    Cg = T // (kh * kw)
    Ho, Wo = out.shape[2], out.shape[3]
    Og = O // groups
    nblocks = (N + Nb - 1) // Nb
    _, L, _, _, xblk, gblk, _ = _layout(Nb, Ho, Wo, Hp, Wp, sh, sw)
    for q in prange(P):
        xb = np.empty(Cg * xblk + L * sw, x.dtype)
        acc = np.empty(2 * gblk, x.dtype)
        offs = np.empty(T, np.int64)
        _taps(offs, Cg, kh, kw, xblk, Wp, dh, dw)
        lo, hi = _chunk(q, P, nblocks * groups)
        for p in range(lo, hi):
            nk = p // groups
            gi = p - nk * groups
            n0 = nk * Nb
            nb = min(Nb, N - n0)
            R, L, bw, istep, _, _, img = _layout(nb, Ho, Wo, Hp, Wp, sh, sw)
            _planes(x, n0, nb, gi * Cg, Cg, xb, xblk, Hp * Wp, Wp, pt * Wp + pl)
            for o in range(gi * Og, gi * Og + Og - 1, 2):  # output channels in pairs
                for i in range(uint64(2 * gblk)):
                    acc[i] = 0
                _forward_pair(acc, xb, w, o, offs, R, L, bw, istep, gblk, sw)
                _crop(out, n0, nb, o, acc, 0, img, bw, bias)
                _crop(out, n0, nb, o + 1, acc, gblk, img, bw, bias)
            if Og % 2:
                o = gi * Og + Og - 1
                for i in range(uint64(gblk)):
                    acc[i] = 0
                _forward_one(acc, xb, w, o, offs, R, L, bw, istep, sw)
                _crop(out, n0, nb, o, acc, 0, img, bw, bias)


@numba.njit(inline="always")
def _forward_one(acc, xb, w, o, offs, R, L, bw, istep, sw):
    # acc[(R, bw)] += taps of output channel o over the padded planes xb, four per pass (added
    # to acc one after the other: a chain of four FMAs)
    T = w.shape[1]
    T4 = T - T % 4
    usw = uint64(sw)
    for r in range(R):
        a0 = uint64(r * bw)
        rs = r * istep
        if sw == 1:
            for j in range(0, T4, 4):
                w0, w1, w2, w3 = w[o, j], w[o, j + 1], w[o, j + 2], w[o, j + 3]
                s0, s1 = uint64(rs + offs[j]), uint64(rs + offs[j + 1])
                s2, s3 = uint64(rs + offs[j + 2]), uint64(rs + offs[j + 3])
                for t in range(uint64(L)):
                    acc[a0 + t] = (acc[a0 + t] + w0 * xb[s0 + t] + w1 * xb[s1 + t]
                                   + w2 * xb[s2 + t] + w3 * xb[s3 + t])
            for j in range(T4, T):
                wv = w[o, j]
                s0 = uint64(rs + offs[j])
                for t in range(uint64(L)):
                    acc[a0 + t] += wv * xb[s0 + t]
        else:
            for j in range(T):
                wv = w[o, j]
                s0 = uint64(rs + offs[j])
                for t in range(uint64(L)):
                    acc[a0 + t] += wv * xb[s0 + t * usw]


@numba.njit(inline="always")
def _forward_pair(acc, xb, w, o, offs, R, L, bw, istep, plane, sw):
    # output channels o, o+1 into acc[:plane], acc[plane:]: each loaded input value feeds
    # two accumulators (compute-bound rather than load-bound at stride 1)
    if sw != 1:
        _forward_one(acc, xb, w, o, offs, R, L, bw, istep, sw)
        _forward_one(acc[plane:], xb, w, o + 1, offs, R, L, bw, istep, sw)
        return
    T = w.shape[1]
    T4 = T - T % 4
    for r in range(R):
        a0 = uint64(r * bw)
        a1 = uint64(plane + r * bw)
        rs = r * istep
        for j in range(0, T4, 4):
            w0, w1, w2, w3 = w[o, j], w[o, j + 1], w[o, j + 2], w[o, j + 3]
            v0, v1, v2, v3 = w[o + 1, j], w[o + 1, j + 1], w[o + 1, j + 2], w[o + 1, j + 3]
            s0, s1 = uint64(rs + offs[j]), uint64(rs + offs[j + 1])
            s2, s3 = uint64(rs + offs[j + 2]), uint64(rs + offs[j + 3])
            for t in range(uint64(L)):
                x0, x1, x2, x3 = xb[s0 + t], xb[s1 + t], xb[s2 + t], xb[s3 + t]
                acc[a0 + t] = acc[a0 + t] + w0 * x0 + w1 * x1 + w2 * x2 + w3 * x3
                acc[a1 + t] = acc[a1 + t] + v0 * x0 + v1 * x1 + v2 * x2 + v3 * x3
        for j in range(T4, T):
            wv, vv = w[o, j], w[o + 1, j]
            s0 = uint64(rs + offs[j])
            for t in range(uint64(L)):
                x0 = xb[s0 + t]
                acc[a0 + t] += wv * x0
                acc[a1 + t] += vv * x0


@serialized
@numba.njit(cache=True, parallel=True, error_model="numpy", fastmath={"contract"})
def _backward_input_kernel(g, w, bias, dx, groups, pt, pl, sh, sw, dh, dw, Hp, Wp, P):
    # the adjoint of the forward, tap by tap, one image at a time (strides other than 1; stride
    # 1 runs the forward kernel)
    N, C, H, W = dx.shape
    O, Cg, kh, kw = w.shape
    Ho, Wo = g.shape[2], g.shape[3]
    Og = O // groups
    R, L, bw, istep, xblk, gblk, img = _layout(1, Ho, Wo, Hp, Wp, sh, sw)
    usw = uint64(sw)
    has_bias = bias.shape[0] == C
    for q in prange(P):
        gb = np.empty(Og * gblk, g.dtype)
        db = np.empty(xblk + L * sw, g.dtype)
        lo, hi = _chunk(q, P, N * groups)
        for p in range(lo, hi):
            n = p // groups
            gi = p - n * groups
            _planes(g, n, 1, gi * Og, Og, gb, gblk, img, bw, 0)
            for c in range(Cg):
                for i in range(uint64(db.shape[0])):
                    db[i] = 0
                for oo in range(Og):
                    for ki in range(kh):
                        for kj in range(kw):
                            wv = w[gi * Og + oo, c, ki, kj]
                            base = ki * dh * Wp + kj * dw
                            for r in range(R):
                                a0 = uint64(oo * gblk + r * bw)
                                s0 = uint64(base + r * istep)
                                for t in range(uint64(L)):
                                    db[s0 + t * usw] += wv * gb[a0 + t]
                ci = gi * Cg + c
                b = bias[ci] if has_bias else g.dtype.type(0)
                for h in range(H):
                    s0 = uint64((h + pt) * Wp + pl)
                    for t in range(uint64(W)):
                        dx[n, ci, h, t] = db[s0 + t] + b


@serialized
@numba.njit(cache=True, parallel=True, error_model="numpy", fastmath=_FM)
def _backward_weight_kernel(x, g, part, groups, pt, pl, sh, sw, dh, dw, Hp, Wp, kh, kw, Nb,
                            K_):
    # part (K_, O, Cg*kh*kw): chunk k of the image blocks' contribution; prange over
    # (group, k)
    N = x.shape[0]
    _, O, T = part.shape
    Cg = T // (kh * kw)
    Ho, Wo = g.shape[2], g.shape[3]
    Og = O // groups
    nblocks = (N + Nb - 1) // Nb
    _, L, _, _, xblk, gblk, _ = _layout(Nb, Ho, Wo, Hp, Wp, sh, sw)
    for q in prange(groups * K_):
        gi = q // K_
        k = q - gi * K_
        xb = np.empty(Cg * xblk + L * sw, x.dtype)
        gb = np.empty(Og * gblk, x.dtype)
        offs = np.empty(T, np.int64)
        _taps(offs, Cg, kh, kw, xblk, Wp, dh, dw)
        for o in range(gi * Og, gi * Og + Og):
            for j in range(T):
                part[k, o, j] = 0
        lo, hi = _chunk(k, K_, nblocks)
        for nk in range(lo, hi):
            n0 = nk * Nb
            nb = min(Nb, N - n0)
            R, L, bw, istep, _, _, img = _layout(nb, Ho, Wo, Hp, Wp, sh, sw)
            _planes(x, n0, nb, gi * Cg, Cg, xb, xblk, Hp * Wp, Wp, pt * Wp + pl)
            _planes(g, n0, nb, gi * Og, Og, gb, gblk, img, bw, 0)
            for oo in range(0, Og - 1, 2):  # output channels in pairs
                _weight_pair(part[k], gi * Og + oo, xb, gb, oo * gblk, offs, R, L, bw,
                             istep, gblk, sw)
            if Og % 2:
                _weight_one(part[k], gi * Og + Og - 1, xb, gb, (Og - 1) * gblk, offs, R, L,
                            bw, istep, sw)


@numba.njit(inline="always")
def _weight_one(dwo, o, xb, gb, g0, offs, R, L, bw, istep, sw):
    # dwo[o, taps] += dot products of g's plane gb[g0:] with the shifted input planes xb
    T = dwo.shape[1]
    T4 = T - T % 4
    usw = uint64(sw)
    zero = xb.dtype.type(0)
    for r in range(R):
        a0 = uint64(g0 + r * bw)
        rs = r * istep
        if sw == 1:
            for j in range(0, T4, 4):
                s0, s1 = uint64(rs + offs[j]), uint64(rs + offs[j + 1])
                s2, s3 = uint64(rs + offs[j + 2]), uint64(rs + offs[j + 3])
                d0 = d1 = d2 = d3 = zero
                for t in range(uint64(L)):
                    gv = gb[a0 + t]
                    d0 += gv * xb[s0 + t]
                    d1 += gv * xb[s1 + t]
                    d2 += gv * xb[s2 + t]
                    d3 += gv * xb[s3 + t]
                dwo[o, j] += d0
                dwo[o, j + 1] += d1
                dwo[o, j + 2] += d2
                dwo[o, j + 3] += d3
            for j in range(T4, T):
                s0 = uint64(rs + offs[j])
                d0 = zero
                for t in range(uint64(L)):
                    d0 += gb[a0 + t] * xb[s0 + t]
                dwo[o, j] += d0
        else:
            for j in range(T):
                s0 = uint64(rs + offs[j])
                d0 = zero
                for t in range(uint64(L)):
                    d0 += gb[a0 + t] * xb[s0 + t * usw]
                dwo[o, j] += d0


@numba.njit(inline="always")
def _weight_pair(dwo, o, xb, gb, g0, offs, R, L, bw, istep, plane, sw):
    # output channels o, o+1 (g planes at g0, g0 + plane): each loaded input value feeds two
    # dot products
    if sw != 1:
        _weight_one(dwo, o, xb, gb, g0, offs, R, L, bw, istep, sw)
        _weight_one(dwo, o + 1, xb, gb, g0 + plane, offs, R, L, bw, istep, sw)
        return
    T = dwo.shape[1]
    T4 = T - T % 4
    zero = xb.dtype.type(0)
    for r in range(R):
        a0 = uint64(g0 + r * bw)
        a1 = uint64(g0 + plane + r * bw)
        rs = r * istep
        for j in range(0, T4, 4):
            s0, s1 = uint64(rs + offs[j]), uint64(rs + offs[j + 1])
            s2, s3 = uint64(rs + offs[j + 2]), uint64(rs + offs[j + 3])
            d0 = d1 = d2 = d3 = e0 = e1 = e2 = e3 = zero
            for t in range(uint64(L)):
                gv, hv = gb[a0 + t], gb[a1 + t]
                x0, x1, x2, x3 = xb[s0 + t], xb[s1 + t], xb[s2 + t], xb[s3 + t]
                d0 += gv * x0
                d1 += gv * x1
                d2 += gv * x2
                d3 += gv * x3
                e0 += hv * x0
                e1 += hv * x1
                e2 += hv * x2
                e3 += hv * x3
            dwo[o, j] += d0
            dwo[o, j + 1] += d1
            dwo[o, j + 2] += d2
            dwo[o, j + 3] += d3
            dwo[o + 1, j] += e0
            dwo[o + 1, j + 1] += e1
            dwo[o + 1, j + 2] += e2
            dwo[o + 1, j + 3] += e3
        for j in range(T4, T):
            s0 = uint64(rs + offs[j])
            d0 = e0 = zero
            for t in range(uint64(L)):
                x0 = xb[s0 + t]
                d0 += gb[a0 + t] * x0
                e0 += gb[a1 + t] * x0
            dwo[o, j] += d0
            dwo[o + 1, j] += e0


# --------------------------------------------------------------------------- array API


def _dense(a, dtype):
    return np.ascontiguousarray(a, dtype=dtype)


def _bias(bias, n, dtype):
    return np.zeros(0, dtype) if bias is None else _dense(bias, dtype).reshape(n)


def _pads(x_shape, w_shape, stride, padding, dilation, out_hw):
    Ho, Wo, Hp, Wp = K._geometry(x_shape, w_shape[2:], stride, padding, dilation, out_hw)
    return (Ho, Wo), (padding[0], padding[2], stride[0], stride[1], dilation[0], dilation[1],
                      Hp, Wp)


def _block(N, geo):
    """Images per run: at stride 1, enough for runs of about ``_RUN`` values."""
    sh, sw, Hp, Wp = geo[2], geo[3], geo[6], geo[7]
    return max(1, min(N, _RUN // (Hp * Wp))) if sh == sw == 1 else 1


def conv2d_forward(x, w, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1,
                   out_hw=None, bias=None):
    """Cross-correlation x (N, C, H, W), w (O, C/groups, kh, kw) -> (N, O, Ho, Wo), plus
    ``bias`` (O,) if given (``kernels.conv.conv2d_forward``'s contract)."""
    K._check(x.shape, w.shape, groups)
    dt = np.result_type(x, w)
    (Ho, Wo), geo = _pads(x.shape, w.shape, stride, padding, dilation, out_hw)
    (N, _, _, _), (O, _, kh, kw) = x.shape, w.shape
    out = np.empty((N, O, Ho, Wo), dt)
    if N:
        nb = _block(N, geo)
        items = -(-N // nb) * groups
        _forward_kernel(_dense(x, dt), _dense(w, dt).reshape(O, -1), _bias(bias, O, dt), out,
                        groups, *geo, kh, kw, nb, min(_CHUNKS, items))
    return out


def conv2d_backward_input(g, w, x_shape, stride=(1, 1), padding=(0, 0, 0, 0),
                          dilation=(1, 1), groups=1, bias=None):
    """Input gradient g (N, O, Ho, Wo), w -> x_shape (N, C, H, W), plus ``bias`` (C,) if
    given (``kernels.conv.conv2d_backward_input``'s contract).

    At stride 1 with padding within the dilated kernel this is the forward convolution of g
    with the flipped, per-group transposed weight (padding ``dilation*(k-1) - padding``)."""
    K._check(x_shape, w.shape, groups)
    dt = np.result_type(g, w)
    N, C, H, W = x_shape
    O, Cg, kh, kw = w.shape
    (pt, pl), (dh, dw) = padding[::2], dilation
    ft, fl = dh * (kh - 1) - pt, dw * (kw - 1) - pl
    if tuple(stride) == (1, 1) and min(ft, fl) >= 0:
        wf = _dense(w, dt).reshape(groups, O // groups, Cg, kh, kw).transpose(0, 2, 1, 3, 4)
        wf = wf[..., ::-1, ::-1].reshape(C, O // groups, kh, kw)
        return conv2d_forward(g, wf, (1, 1), (ft, 0, fl, 0), dilation, groups, (H, W), bias)
    _, geo = _pads(x_shape, w.shape, stride, padding, dilation, tuple(g.shape[2:]))
    dx = np.empty(tuple(x_shape), dt)
    if N:
        _backward_input_kernel(_dense(g, dt), _dense(w, dt), _bias(bias, C, dt), dx, groups,
                               *geo, min(_CHUNKS, N * groups))
    return dx


def conv2d_backward_weight(x, g, w_shape, stride=(1, 1), padding=(0, 0, 0, 0),
                           dilation=(1, 1), groups=1):
    """Weight gradient x (N, C, H, W), g (N, O, Ho, Wo) -> w_shape
    (``kernels.conv.conv2d_backward_weight``'s contract)."""
    K._check(x.shape, w_shape, groups)
    dt = np.result_type(x, g)
    _, geo = _pads(x.shape, w_shape, stride, padding, dilation, tuple(g.shape[2:]))
    N, (O, _, kh, kw) = x.shape[0], w_shape
    if not N:
        return np.zeros(tuple(w_shape), dt)
    nb = _block(N, geo)
    k = min(-(-N // nb), max(1, _DW_CHUNKS // groups))
    part = np.empty((k, O, int(np.prod(w_shape[1:]))), dt)
    _backward_weight_kernel(_dense(x, dt), _dense(g, dt), part, groups, *geo, kh, kw, nb, k)
    return part.sum(0).reshape(w_shape)
