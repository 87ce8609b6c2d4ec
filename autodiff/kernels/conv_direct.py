"""Direct convolution kernels for few channels per group (grouped and depthwise convs).

im2col turns a grouped convolution into ``groups`` GEMMs of ``C/groups * kh * kw``-long dot
products: with 8 channels per group (72-long dots) or a depthwise conv (9-long dots) the
GEMMs run far below BLAS speed, and the column matrix costs more to write and read than the
arithmetic.  These kernels instead compute each (block of images, group) from a zero-padded
copy of that group's input planes held in a per-thread buffer (no column matrix), in loops
that vectorise over whole output planes ("wide rows"):

* The padded input is split into ``sh * sw`` phase planes (polyphase): phase (a, b) holds the
  padded rows ``a, a + sh, ...`` and columns ``b, b + sw, ...``, a plane of ``Hq x Wq``
  (``Hq = ceil(Hp / sh)``, ``Wq = ceil(Wp / sw)``).  Tap (ki, kj) of output (oh, ow) reads
  padded (sh oh + dh ki, sw ow + dw kj), which is phase ((dh ki) % sh, (dw kj) % sw) at
  (oh + (dh ki) // sh, ow + (dw kj) // sw): a stride-1 read.  At stride 1 there is one phase,
  the padded plane itself.
* The output planes of a block of images are then computed as one run of ``(nb-1) Hq Wq +
  (Ho-1) Wq + Wo`` values in rows of width ``Wq`` (images ``Hq Wq`` apart): output ``t``
  reads phase-plane value ``t + shift`` of its tap, so every tap is one contiguous
  multiply-add over the whole run.  The values past each row's (and image's) end are
  computed and dropped (zeroed in the gradient planes).

Three serial ``nogil`` kernels over ranges of work items, split over threads by
``kernels/_launch.run_split`` (no numba thread pool next to OpenBLAS's spinning workers):

* forward: items (image block, group); ``out[n, o] = bias[o] + sum over c, ki, kj of
  w[o, c, ki, kj] * xphase[n, c, shifted]``, output channels in pairs (each loaded input
  value feeds two accumulators); rows are copied in and out by memcpy (``_runs.copy_run``),
  split into / merged from stride-2 phases by vector shuffles (``_runs.split2`` / ``merge2``).
* input gradient: at stride 1 (padding within the dilated kernel) the forward with the
  flipped, per-group transposed weight; otherwise the adjoint into the phase planes of the
  padded input gradient, each gathering its taps from g (``kernels/conv_phases.py``), then
  cropped and re-interleaved (plus a bias).
* weight gradient: items (group, chunk of image blocks); ``dw[o, c, ki, kj]`` is a dot
  product of ``g[n, o]`` (wide, zero past the row ends) with the tap's shifted phase plane,
  and on request the bias gradient (g's sums) on the same pass; a fixed number of chunks per
  group (results do not depend on the thread count) gives partial sums, added in NumPy.
  ``kernels/conv_flat.py`` has the stride-1 "same width" case without the g copies.

Arrays reaching the kernels are validated and contiguous (the array API below); dtype is
float32 or float64 as given.  The NumPy twins are ``kernels/conv.py``'s ``*_ref``.
"""
import numba
import numpy as np
from numba import uint64

from . import WIDE_VECTORS
from . import conv as K
from ._launch import run_split, split_count
from ._runs import copy_run, fill, merge2, split2, sums, with_bias
from .conv_phases import back_taps, gather
from .conv_quads import _rows16, _weight_quad

__all__ = ["conv2d_forward", "conv2d_backward_input", "conv2d_backward_weight"]

# the weight gradient's dot products vectorise only if their sum may be reassociated
_FM = {"reassoc", "contract"}
# image chunks per group in the weight gradient (partial sums, added in NumPy)
_DW_CHUNKS = 16
# run lengths are rounded up to this many elements (whole vector loops: no scalar remainder
# loop; the extra values are computed from zeros and dropped).  At 512 bits LLVM's vector
# loops take 32-64 floats per iteration and runs rounded to 8 left up to 56 values to the
# scalar remainder: rounded to 32, the g8 / g4 rows' kernels took 0.82-0.85 of the time
# (paired, 2 threads, Emerald Rapids, 2026-12-07; depthwise 0.94-1.0; 16: 0.81-0.91, 64:
# g8 / g4 alike, depthwise 0.98-1.10)
_ROUND = 32 if WIDE_VECTORS else 8
# a run covers several images' planes, up to about this many values: the loops' set-up
# (alias checks, broadcasts, horizontal sums) is paid once per run
_RUN = 1024
_JIT = dict(cache=True, nogil=True, error_model="numpy")
# output channels in fours at 512 bits (WIDE_VECTORS): 32 vector registers hold a quad's 16 weights
# (or 16 dot products) besides the loaded values, each loaded input value feeding four
# accumulators: the g8 / g4 rows' kernels 0.85-0.92 of the pairs' time (paired, 2 threads,
# Emerald Rapids, 2026-12-07); with AVX2's 16 registers quads would spill
_QUADS = WIDE_VECTORS


@numba.njit(inline="always")
def _run(nb, Ho, Wo, img, Wq):
    # values in the run of a block of nb images (rows of width Wq, images img apart)
    return ((nb - 1) * img + (Ho - 1) * Wq + Wo + _ROUND - 1) // _ROUND * _ROUND


@numba.njit(inline="always")
def _phases(a, n0, nb, c0, nc, buf, cstep, pstep, img, Wq, sh, sw, pt, pl, fresh):
    # a[n0 + n, c0 + c, h, t] -> buf[c cstep + phase pstep + n img + i Wq + j] at padded
    # (h + pt, t + pl) = (sh i + a, sw j + b), phase a sw + b; zeros elsewhere.  With one
    # phase (sh = sw = 1, pt = pl = 0): the planes in rows of width Wq.  The zeros are
    # written when ``fresh`` (the caller's first block, or nb changed): blocks of nb images
    # all write the same positions.
    C, H, W = a.shape[1], a.shape[2], a.shape[3]
    if fresh:
        for i in range(uint64(buf.shape[0])):
            buf[i] = 0
    if WIDE_VECTORS and sh == 1 and sw == 1 and W <= 16:
        _rows16(a, n0, nb, c0, nc, buf, cstep, img, Wq, pt, pl)
        nc = 0
    for c in range(nc):
        for n in range(nb):
            for h in range(H):
                hp = h + pt
                r0 = c * cstep + (hp % sh) * sw * pstep + n * img + (hp // sh) * Wq
                if sw == 1:  # a contiguous row: one memcpy
                    copy_run(buf, r0 + pl, a, (((n0 + n) * C + c0 + c) * H + h) * W, W)
                    continue
                if sw == 2:  # even / odd columns: vector shuffles
                    de = r0 + (pl % 2) * pstep + pl // 2
                    do = r0 + ((pl + 1) % 2) * pstep + (pl + 1) // 2
                    split2(buf, de, do, a, (((n0 + n) * C + c0 + c) * H + h) * W, W // 2)
                    if W % 2:
                        buf[de + W // 2] = a[n0 + n, c0 + c, h, W - 1]
                    continue
                for b in range(sw):
                    t0 = (b - pl) % sw  # the first column of phase b
                    d0 = uint64(r0 + b * pstep + (t0 + pl) // sw)
                    usw, ut0 = uint64(sw), uint64(t0)
                    for j in range(uint64((W - t0 + sw - 1) // sw)):
                        buf[d0 + j] = a[n0 + n, c0 + c, h, ut0 + j * usw]


@numba.njit(inline="always")
def _unphase(out, n0, nb, ch, buf, b0, pstep, img, Wq, sh, sw, pt, pl, bias):
    # the inverse of _phases for one channel: out[n0 + n, ch] = the values at padded
    # (h + pt, t + pl) of the phase planes at buf[b0:], plus bias[ch] if any
    C, H, W = out.shape[1], out.shape[2], out.shape[3]
    has_bias = bias.shape[0] == C
    bv = bias[ch] if has_bias else out.dtype.type(0)
    for n in range(nb):
        for h in range(H):
            hp = h + pt
            r0 = b0 + (hp % sh) * sw * pstep + n * img + (hp // sh) * Wq
            if sw == 1 and not has_bias:  # one memcpy
                copy_run(out, (((n0 + n) * C + ch) * H + h) * W, buf, r0 + pl, W)
                continue
            if sw == 1:
                s0 = uint64(r0 + pl)
                for t in range(uint64(W)):
                    out[n0 + n, ch, h, t] = buf[s0 + t] + bv
                continue
            if sw == 2:  # vector shuffles
                se = r0 + (pl % 2) * pstep + pl // 2
                so = r0 + ((pl + 1) % 2) * pstep + (pl + 1) // 2
                merge2(out, (((n0 + n) * C + ch) * H + h) * W, buf, se, so, W // 2, bv)
                if W % 2:
                    out[n0 + n, ch, h, W - 1] = buf[se + W // 2] + bv
                continue
            for b in range(sw):
                t0 = (b - pl) % sw
                s0 = uint64(r0 + b * pstep + (t0 + pl) // sw)
                usw, ut0 = uint64(sw), uint64(t0)
                for j in range(uint64((W - t0 + sw - 1) // sw)):
                    out[n0 + n, ch, h, ut0 + j * usw] = buf[s0 + j] + bv


@numba.njit(inline="always")
def _item(p, groups, Nb, N, Ho, Wo, img, Wq):
    # work item p = (block of Nb images, group) -> (group, first image, images, run length)
    nk = p // groups
    n0 = nk * Nb
    nb = min(Nb, N - n0)
    return p - nk * groups, n0, nb, _run(nb, Ho, Wo, img, Wq)


@numba.njit(inline="always")
def _taps(offs, Cg, kh, kw, cstep, pstep, Wq, sh, sw, dh, dw):
    # offs[(c, ki, kj)] = where tap (c, ki, kj) starts in the phase planes (C order of w[o])
    j = 0
    for c in range(Cg):
        for ki in range(kh):
            for kj in range(kw):
                a, b = ki * dh, kj * dw
                offs[j] = (c * cstep + ((a % sh) * sw + b % sw) * pstep + (a // sh) * Wq
                           + b // sw)
                j += 1


@numba.njit(**_JIT, fastmath={"contract"})
def _forward_kernel(x, w, bias, out, groups, pt, pl, sh, sw, dh, dw, Hq, Wq, kh, kw, Nb,
                    lo, hi):
    # w (O, Cg*kh*kw); items p in [lo, hi): (block of Nb images, group)
    N = x.shape[0]
    O, T = w.shape
    Cg = T // (kh * kw)
    Ho, Wo = out.shape[2], out.shape[3]
    Og = O // groups
    img = Hq * Wq
    pstep = Nb * img
    cstep = sh * sw * pstep
    plane = max(_run(Nb, Ho, Wo, img, Wq), pstep)
    xb = np.empty(Cg * cstep + plane, x.dtype)
    acc = np.empty(2 * plane, x.dtype)
    offs = np.empty(T, np.uint64)
    _taps(offs, Cg, kh, kw, cstep, pstep, Wq, sh, sw, dh, dw)
    nob = bias[:0]  # the accumulators start at the bias: the results are copied out as is
    last = -1
    for p in range(lo, hi):
        gi, n0, nb, L = _item(p, groups, Nb, N, Ho, Wo, img, Wq)
        _phases(x, n0, nb, gi * Cg, Cg, xb, cstep, pstep, img, Wq, sh, sw, pt, pl, nb != last)
        last = nb
        for o in range(gi * Og, gi * Og + Og - 1, 2):  # output channels in pairs
            fill(acc, 0, plane, bias, o, O)
            fill(acc, plane, plane, bias, o + 1, O)
            _forward_pair(acc, xb, w, o, offs, L, plane)
            _unphase(out, n0, nb, o, acc, 0, 0, img, Wq, 1, 1, 0, 0, nob)
            _unphase(out, n0, nb, o + 1, acc, plane, 0, img, Wq, 1, 1, 0, 0, nob)
        if Og % 2:
            o = gi * Og + Og - 1
            fill(acc, 0, plane, bias, o, O)
            _forward_one(acc, xb, w, o, offs, L)
            _unphase(out, n0, nb, o, acc, 0, 0, img, Wq, 1, 1, 0, 0, nob)


@numba.njit(inline="always")
def _forward_one(acc, xb, w, o, offs, L):
    # acc[:L] += taps of output channel o over the phase planes xb: nine per pass (a 3x3
    # kernel's taps of one channel; added to acc one after the other: a chain of nine FMAs),
    # then four, then one
    T = w.shape[1]
    j = 0
    while T - j >= 9:
        w0, w1, w2, w3, w4 = w[o, j], w[o, j + 1], w[o, j + 2], w[o, j + 3], w[o, j + 4]
        w5, w6, w7, w8 = w[o, j + 5], w[o, j + 6], w[o, j + 7], w[o, j + 8]
        s0, s1, s2, s3, s4 = offs[j], offs[j + 1], offs[j + 2], offs[j + 3], offs[j + 4]
        s5, s6, s7, s8 = offs[j + 5], offs[j + 6], offs[j + 7], offs[j + 8]
        for t in range(uint64(L)):
            acc[t] = (acc[t] + w0 * xb[s0 + t] + w1 * xb[s1 + t] + w2 * xb[s2 + t]
                      + w3 * xb[s3 + t] + w4 * xb[s4 + t] + w5 * xb[s5 + t]
                      + w6 * xb[s6 + t] + w7 * xb[s7 + t] + w8 * xb[s8 + t])
        j += 9
    while T - j >= 4:
        w0, w1, w2, w3 = w[o, j], w[o, j + 1], w[o, j + 2], w[o, j + 3]
        s0, s1, s2, s3 = offs[j], offs[j + 1], offs[j + 2], offs[j + 3]
        for t in range(uint64(L)):
            acc[t] = (acc[t] + w0 * xb[s0 + t] + w1 * xb[s1 + t] + w2 * xb[s2 + t]
                      + w3 * xb[s3 + t])
        j += 4
    for i in range(j, T):
        wv = w[o, i]
        s0 = offs[i]
        for t in range(uint64(L)):
            acc[t] += wv * xb[s0 + t]


@numba.njit(inline="always")
def _forward_pair(acc, xb, w, o, offs, L, plane):
    # output channels o, o+1 into acc[:plane], acc[plane:]: each loaded input value feeds
    # two accumulators (compute-bound rather than load-bound)
    T = w.shape[1]
    T4 = T - T % 4
    a1 = uint64(plane)
    for j in range(0, T4, 4):
        w0, w1, w2, w3 = w[o, j], w[o, j + 1], w[o, j + 2], w[o, j + 3]
        v0, v1, v2, v3 = w[o + 1, j], w[o + 1, j + 1], w[o + 1, j + 2], w[o + 1, j + 3]
        s0, s1, s2, s3 = offs[j], offs[j + 1], offs[j + 2], offs[j + 3]
        for t in range(uint64(L)):
            x0, x1, x2, x3 = xb[s0 + t], xb[s1 + t], xb[s2 + t], xb[s3 + t]
            acc[t] = acc[t] + w0 * x0 + w1 * x1 + w2 * x2 + w3 * x3
            acc[a1 + t] = acc[a1 + t] + v0 * x0 + v1 * x1 + v2 * x2 + v3 * x3
    for j in range(T4, T):
        wv, vv = w[o, j], w[o + 1, j]
        s0 = offs[j]
        for t in range(uint64(L)):
            x0 = xb[s0 + t]
            acc[t] += wv * x0
            acc[a1 + t] += vv * x0


@numba.njit(**_JIT, fastmath=_FM)
def _backward_kernel(x, g, part, pbias, w, bias, dx, groups, pt, pl, sh, sw, dh, dw, Hq, Wq,
                     kh, kw, Nb, lo, hi):
    # items q in [lo, hi): (group, chunk k of the image blocks), each block's g planes copied
    # once for both gradients.  Unless x is (0, C, H, W): the weight gradient, part (K_, O,
    # Cg*kh*kw) and pbias (K_, O) (or (0, 0): no bias gradient) the chunks' partial sums.
    # Unless dx is (0, C, H, W): the input gradient (the adjoint of the forward, by phase
    # planes: conv_phases.gather), w (O, Cg*kh*kw), plus bias (C,) (or (0,))
    N = g.shape[0]
    K_, O, T = part.shape
    Cg = T // (kh * kw)
    Ho, Wo = g.shape[2], g.shape[3]
    Og = O // groups
    nblocks = (N + Nb - 1) // Nb
    img = Hq * Wq
    pstep = Nb * img
    cstep = sh * sw * pstep
    plane = max(_run(Nb, Ho, Wo, img, Wq), pstep)
    xb = np.empty(Cg * cstep + plane if x.shape[0] else 0, g.dtype)
    M = ((kh - 1) * dh // sh * Wq + (kw - 1) * dw // sw + _ROUND) // _ROUND * _ROUND
    gbm = np.zeros(M + Og * plane + _ROUND, g.dtype)  # zeros before g's planes (gather)
    gb = gbm[M:]
    db = np.empty(sh * sw * pstep + plane + _ROUND if dx.shape[0] else 0, g.dtype)
    offs = np.empty(T, np.uint64)
    _taps(offs, Cg, kh, kw, cstep, pstep, Wq, sh, sw, dh, dw)
    sft, order = np.empty(kh * kw, np.int64), np.empty(kh * kw, np.int64)
    first = np.empty(sh * sw + 1, np.int64)
    back_taps(sft, order, first, kh, kw, Wq, sh, sw, dh, dw)
    last = -1
    for q in range(lo, hi):
        gi = q // K_
        k = q - gi * K_
        for nk in range(k * nblocks // K_, (k + 1) * nblocks // K_):
            n0 = nk * Nb
            nb = min(Nb, N - n0)
            L = _run(nb, Ho, Wo, img, Wq)
            Lp = (nb * img + _ROUND - 1) // _ROUND * _ROUND  # a phase plane's run
            fresh = nb != last
            last = nb
            _phases(g, n0, nb, gi * Og, Og, gb, plane, 0, img, Wq, 1, 1, 0, 0, fresh)
            if x.shape[0]:
                _phases(x, n0, nb, gi * Cg, Cg, xb, cstep, pstep, img, Wq, sh, sw, pt, pl,
                        fresh)
                _weights(part, pbias, k, gi * Og, Og, xb, gb, 0, plane, offs, L)
            for c in range(Cg if dx.shape[0] else 0):  # the input gradient, by phases
                gather(db, pstep, Lp, gbm, M, plane, w, gi * Og, Og, c, sft, order, first)
                _unphase(dx, n0, nb, gi * Cg + c, db, 0, pstep, img, Wq, sh, sw, pt, pl, bias)


@numba.njit(inline="always")
def _weights(part, pbias, k, o0, Og, xb, gb, g0, gstep, offs, L):
    # part[k, o0 + oo, taps] += dot products of g's planes gb[g0 + oo gstep:][:L] (zeros past
    # the rows' ends) with the shifted input planes xb, output channels in pairs; their sums
    # into pbias[k, o0 + oo] (the bias gradient) unless pbias is (0, 0).  A run rounded up
    # past gstep would read the next channel's g: L stops there (g's values end before it)
    L = min(L, gstep)
    q = Og - Og % 4 if _QUADS else 0
    for oo in range(0, q, 4):
        _weight_quad(part[k], o0 + oo, xb, gb, g0 + oo * gstep, offs, L, gstep)
    for oo in range(q, Og - 1, 2):
        _weight_pair(part[k], o0 + oo, xb, gb, g0 + oo * gstep, offs, L, gstep)
    if Og % 2:
        _weight_one(part[k], o0 + Og - 1, xb, gb, g0 + (Og - 1) * gstep, offs, L)
    if pbias.shape[0]:
        sums(pbias[k], o0, Og, gb, g0, gstep, L)


@numba.njit(inline="always")
def _weight_one(dwo, o, xb, gb, g0, offs, L):
    # dwo[o, taps] += dot products of g's plane gb[g0:] with the shifted phase planes xb
    T = dwo.shape[1]
    T4 = T - T % 4
    zero = xb.dtype.type(0)
    a0 = uint64(g0)
    for j in range(0, T4, 4):
        s0, s1, s2, s3 = offs[j], offs[j + 1], offs[j + 2], offs[j + 3]
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
        s0 = offs[j]
        d0 = zero
        for t in range(uint64(L)):
            d0 += gb[a0 + t] * xb[s0 + t]
        dwo[o, j] += d0


@numba.njit(inline="always")
def _weight_pair(dwo, o, xb, gb, g0, offs, L, plane):
    # output channels o, o+1 (g planes at g0, g0 + plane): each loaded input value feeds
    # two dot products
    T = dwo.shape[1]
    T4 = T - T % 4
    zero = xb.dtype.type(0)
    a0 = uint64(g0)
    a1 = uint64(g0 + plane)
    for j in range(0, T4, 4):
        s0, s1, s2, s3 = offs[j], offs[j + 1], offs[j + 2], offs[j + 3]
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
        s0 = offs[j]
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


def _geometry(x_shape, w_shape, stride, padding, dilation, out_hw):
    """((Ho, Wo), kernel geometry (pt, pl, sh, sw, dh, dw, Hq, Wq, kh, kw), images per
    block: enough for runs of about ``_RUN`` values)."""
    Ho, Wo, Hp, Wp = K._geometry(x_shape, w_shape[2:], stride, padding, dilation, out_hw)
    (sh, sw), (dh, dw) = stride, dilation
    Hq, Wq = -(-Hp // sh), -(-Wp // sw)
    nb = max(1, min(x_shape[0], _RUN // (Hq * Wq)))
    return (Ho, Wo), (padding[0], padding[2], sh, sw, dh, dw, Hq, Wq) + tuple(w_shape[2:]), nb


def _split(kernel, items, work, *args):
    """kernel(*args, lo, hi) over items [0, items), one range per run_split thread."""
    parts = max(1, min(items, split_count(work)))
    run_split(lambda k: kernel(*args, k * items // parts, (k + 1) * items // parts), parts)


def conv2d_forward(x, w, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1,
                   out_hw=None, bias=None):
    """Cross-correlation x (N, C, H, W), w (O, C/groups, kh, kw) -> (N, O, Ho, Wo), plus
    ``bias`` (O,) if given (``kernels.conv.conv2d_forward``'s contract)."""
    K._check(x.shape, w.shape, groups)
    dt = np.result_type(x, w)
    (Ho, Wo), geo, nb = _geometry(x.shape, w.shape, stride, padding, dilation, out_hw)
    N, O = x.shape[0], w.shape[0]
    out = np.empty((N, O, Ho, Wo), dt)
    if N:
        _split(_forward_kernel, -(-N // nb) * groups, x.size + out.size, _dense(x, dt),
               _dense(w, dt).reshape(O, -1), _bias(bias, O, dt), out, groups, *geo, nb)
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
    return _backward(None, g, w.shape, w, stride, padding, dilation, groups, bias, False,
                     np.empty(tuple(x_shape), dt), dt)[0]


def conv2d_backward_weight(x, g, w_shape, stride=(1, 1), padding=(0, 0, 0, 0),
                           dilation=(1, 1), groups=1, bias_grad=False):
    """Weight gradient x (N, C, H, W), g (N, O, Ho, Wo) -> w_shape
    (``kernels.conv.conv2d_backward_weight``'s contract); with ``bias_grad`` -> (that, g
    summed over N, Ho, Wo) from the same pass over g."""
    K._check(x.shape, w_shape, groups)
    return _backward(x, g, w_shape, None, stride, padding, dilation, groups, None, bias_grad,
                     None, np.result_type(x, g))[1]


def _unused(dt):
    """_backward_kernel's (w, bias, dx) when it computes the weight gradient only."""
    return np.zeros((0, 0), dt), np.zeros(0, dt), np.empty((0, 0, 0, 0), dt)


def _backward(x, g, w_shape, w, stride, padding, dilation, groups, bias, bias_grad, dx, dt):
    """(dx, dw or (dw, db)) by _backward_kernel in dtype dt: the weight gradient of x (None
    without x), the input gradient of w into dx (None without dx), from one pass over g."""
    x_shape = (g.shape[0], w_shape[1] * groups, *(dx if x is None else x).shape[2:])
    _, geo, nb = _geometry(x_shape, w_shape, stride, padding, dilation, tuple(g.shape[2:]))
    N, O = g.shape[0], w_shape[0]
    k = min(-(-N // nb), max(1, _DW_CHUNKS // groups))
    part = np.zeros((k, O, int(np.prod(w_shape[1:]))), dt)
    pb = np.zeros((k, O) if bias_grad else (0, 0), dt)
    xa = np.empty((0, 0, 0, 0), dt) if x is None else _dense(x, dt)
    wa, ba, da = _unused(dt) if dx is None else (_dense(w, dt).reshape(O, -1),
                                                  _bias(bias, x_shape[1], dt), dx)
    if N:
        _split(_backward_kernel, groups * k, xa.size + da.size + g.size, xa, _dense(g, dt),
               part, pb, wa, ba, da, groups, *geo, nb)
    return dx, (None if x is None else with_bias(part, pb, w_shape, bias_grad))
