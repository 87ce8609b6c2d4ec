"""Four output channels at a time: inner loops of ``conv_direct``'s forward (``_forward_quad``,
called by ``conv_grouped._channels``) and weight gradient (``_weight_quad``, by
``conv_direct._weights``) where numba compiles for AVX-512 (``conv_direct._QUADS``).

``conv_direct``'s loops take output channels in pairs: per vector of outputs, four shifted
input loads (taps) feed two accumulators (forward: 4 loads + 2 read-modify-writes for 8
FMAs; weight gradient: 4 + 2 loads for 8 FMAs).  At 512 bits an unaligned load crosses a
cache line almost always (two load slots), so the pairs are likely load-bound (not
profiled: inferred from the loop's loads and the measured gain).  Four
channels share the same loads (4 + 4 for 16 FMAs); their 16 weights (or 16 dot products)
plus the loaded vectors fit AVX-512's 32 vector registers, where AVX2's 16 would spill.

Measured (the kernels alone, paired against the pairs in one process, 2 threads, wall clock,
Intel Emerald Rapids, 2026-12-07): forward 0.89-0.92, both gradients (``conv_fused``)
0.85-0.89 on x (64,32,14,14) g4 and x (64,64,14,14) g8.

``_rows16``: ``conv_direct._phases``' copy-in of one-phase planes with rows of at most 16
values (at 512 bits), one constant 16-value run per row instead of a memcpy call.

The NumPy twins are ``kernels/conv.py``'s ``conv2d_forward_ref`` and
``conv2d_backward_weight_ref``.
"""
import numba
from numba import uint64

from ._runs import copy_run

__all__ = []


@numba.njit(inline="always")
def _forward_quad(acc, xb, w, o, offs, L, plane):
    # output channels o .. o+3 into acc[k plane:][:L], k < 4 (_QUADS): each loaded input
    # value feeds four accumulators
    T = w.shape[1]
    T4 = T - T % 4
    a1, a2, a3 = uint64(plane), uint64(2 * plane), uint64(3 * plane)
    for j in range(0, T4, 4):
        w0, w1, w2, w3 = w[o, j], w[o, j + 1], w[o, j + 2], w[o, j + 3]
        u0, u1, u2, u3 = w[o + 1, j], w[o + 1, j + 1], w[o + 1, j + 2], w[o + 1, j + 3]
        v0, v1, v2, v3 = w[o + 2, j], w[o + 2, j + 1], w[o + 2, j + 2], w[o + 2, j + 3]
        z0, z1, z2, z3 = w[o + 3, j], w[o + 3, j + 1], w[o + 3, j + 2], w[o + 3, j + 3]
        s0, s1, s2, s3 = offs[j], offs[j + 1], offs[j + 2], offs[j + 3]
        for t in range(uint64(L)):
            x0, x1, x2, x3 = xb[s0 + t], xb[s1 + t], xb[s2 + t], xb[s3 + t]
            acc[t] = acc[t] + w0 * x0 + w1 * x1 + w2 * x2 + w3 * x3
            acc[a1 + t] = acc[a1 + t] + u0 * x0 + u1 * x1 + u2 * x2 + u3 * x3
            acc[a2 + t] = acc[a2 + t] + v0 * x0 + v1 * x1 + v2 * x2 + v3 * x3
            acc[a3 + t] = acc[a3 + t] + z0 * x0 + z1 * x1 + z2 * x2 + z3 * x3
    for j in range(T4, T):
        w0, u0, v0, z0 = w[o, j], w[o + 1, j], w[o + 2, j], w[o + 3, j]
        s0 = offs[j]
        for t in range(uint64(L)):
            x0 = xb[s0 + t]
            acc[t] += w0 * x0
            acc[a1 + t] += u0 * x0
            acc[a2 + t] += v0 * x0
            acc[a3 + t] += z0 * x0


@numba.njit(inline="always")
def _weight_quad(dwo, o, xb, gb, g0, offs, L, plane):
    # output channels o .. o+3 (g planes at g0 + k plane) (_QUADS): each loaded input value
    # feeds four dot products, four taps at a time (16 sums)
    T = dwo.shape[1]
    T4 = T - T % 4
    zero = xb.dtype.type(0)
    a0, a1 = uint64(g0), uint64(g0 + plane)
    a2, a3 = uint64(g0 + 2 * plane), uint64(g0 + 3 * plane)
    for j in range(0, T4, 4):
        s0, s1, s2, s3 = offs[j], offs[j + 1], offs[j + 2], offs[j + 3]
        d0 = d1 = d2 = d3 = e0 = e1 = e2 = e3 = zero
        f0 = f1 = f2 = f3 = h0 = h1 = h2 = h3 = zero
        for t in range(uint64(L)):
            gv, hv, fv, kv = gb[a0 + t], gb[a1 + t], gb[a2 + t], gb[a3 + t]
            x0, x1, x2, x3 = xb[s0 + t], xb[s1 + t], xb[s2 + t], xb[s3 + t]
            d0 += gv * x0
            d1 += gv * x1
            d2 += gv * x2
            d3 += gv * x3
            e0 += hv * x0
            e1 += hv * x1
            e2 += hv * x2
            e3 += hv * x3
            f0 += fv * x0
            f1 += fv * x1
            f2 += fv * x2
            f3 += fv * x3
            h0 += kv * x0
            h1 += kv * x1
            h2 += kv * x2
            h3 += kv * x3
        dwo[o, j] += d0
        dwo[o, j + 1] += d1
        dwo[o, j + 2] += d2
        dwo[o, j + 3] += d3
        dwo[o + 1, j] += e0
        dwo[o + 1, j + 1] += e1
        dwo[o + 1, j + 2] += e2
        dwo[o + 1, j + 3] += e3
        dwo[o + 2, j] += f0
        dwo[o + 2, j + 1] += f1
        dwo[o + 2, j + 2] += f2
        dwo[o + 2, j + 3] += f3
        dwo[o + 3, j] += h0
        dwo[o + 3, j + 1] += h1
        dwo[o + 3, j + 2] += h2
        dwo[o + 3, j + 3] += h3
    for oo in range(0, 4, 2):
        _weight_tail(dwo, o + oo, xb, gb, g0 + oo * plane, offs, L, plane, T4)


@numba.njit(inline="always")
def _weight_tail(dwo, o, xb, gb, g0, offs, L, plane, T4):
    # the taps from T4 on of output channels o, o+1 (as _weight_pair's last loop)
    zero = xb.dtype.type(0)
    a0, a1 = uint64(g0), uint64(g0 + plane)
    for j in range(T4, dwo.shape[1]):
        s0 = offs[j]
        d0 = e0 = zero
        for t in range(uint64(L)):
            x0 = xb[s0 + t]
            d0 += gb[a0 + t] * x0
            e0 += gb[a1 + t] * x0
        dwo[o, j] += d0
        dwo[o + 1, j] += e0


@numba.njit(inline="always")
def _rows16(a, n0, nb, c0, nc, buf, cstep, img, Wq, pt, pl):
    # _phases with one phase for rows of at most 16 values (WIDE_VECTORS): each row one run of 16
    # (a few vector moves, no memcpy call) spilling past its end, then zeros there; rows
    # are written in order, so the next row overwrites the zeros its values need.  The g8
    # / g4 rows' kernels (14-wide rows): 0.84-0.89 of the time (paired, 2 threads, Emerald
    # Rapids, 2026-12-07).  The last rows of a (a run would read past its end): one memcpy
    C, H, W = a.shape[1], a.shape[2], a.shape[3]
    for c in range(nc):
        for n in range(nb):
            for h in range(H):
                d = c * cstep + n * img + (h + pt) * Wq + pl
                s0 = (((n0 + n) * C + c0 + c) * H + h) * W
                if s0 + 16 <= a.size and d + 16 <= buf.shape[0]:
                    copy_run(buf, d, a, s0, 16)
                    for j in range(d + W, d + 16):
                        buf[j] = 0
                else:
                    copy_run(buf, d, a, s0, W)
