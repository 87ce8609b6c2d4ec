"""The input gradient of a strided direct convolution into phase planes, tap group by tap
group (``conv_direct._backward_kernel``).

``conv_direct`` splits the zero-padded input into ``sh * sw`` phase planes, so that tap (ki,
kj) of every output reads one phase ((dh ki) % sh, (dw kj) % sw) shifted by ``(dh ki) // sh``
rows and ``(dw kj) // sw`` columns: a stride-1 read.  The input gradient is the adjoint: each
tap adds ``w * g`` into its phase, shifted the same way.  Added tap by tap (a read-modify-write
pass over the phase per tap, after zeroing them all) that is ``kh kw`` passes; here each phase
plane instead gathers its own taps from g shifted back -- value p of the phase is the sum over
its taps of ``w * g[p - shift]`` -- up to four taps per pass.  A 3x3 kernel at stride 2 has
phases of 4, 2, 2 and 1 taps: four passes instead of nine.  g's planes (rows ``Wq`` wide,
zeros past each row's end and below each image's last row) need ``shift`` zeros before them
(the caller's margin); a shifted read past a row's start meets the zeros ending the row above,
as the phase planes are at least as tall and wide as g's plus the shift
(``Hq = ceil(Hp / sh) >= Ho + (dh (kh - 1)) // sh``, likewise for columns).

Measured (depthwise x (32,64,28,28) w (64,1,3,3) s2 p1, the ops' fwd+bwd step, paired, 2
threads, wall clock, AMD EPYC Zen 3, 2026-12-07): 0.94-0.98 of the tap-by-tap adjoint's time
(two runs of 20 and 30 rounds).
"""
import numba
from numba import uint64

__all__ = []


@numba.njit(inline="always")
def back_taps(sft, order, first, kh, kw, Wq, sh, sw, dh, dw):
    """sft[ki kw + kj]: tap (ki, kj)'s shift in g's planes; order: the taps by phase, phase
    ph's from first[ph] to first[ph + 1]."""
    m = 0
    for ph in range(sh * sw):
        first[ph] = m
        for ki in range(kh):
            for kj in range(kw):
                if (ki * dh % sh) * sw + kj * dw % sw == ph:
                    order[m] = ki * kw + kj
                    m += 1
    first[sh * sw] = m
    for ki in range(kh):
        for kj in range(kw):
            sft[ki * kw + kj] = (ki * dh // sh) * Wq + kj * dw // sw


@numba.njit(inline="always")
def gather(db, pstep, L, gb, g0, plane, w, o0, Og, c, sft, order, first):
    """db[ph pstep:][:L] = the input channel c's gradient in phase plane ph (every phase), from
    g's planes gb[g0 + oo plane:] of output channels o0 + oo, oo < Og, weights w (O, Cg kh
    kw); db needs L values past its last phase's start."""
    k2 = sft.shape[0]
    zero = db.dtype.type(0)
    for ph in range(first.shape[0] - 1):
        d0 = uint64(ph * pstep)
        for t in range(uint64(L)):
            db[d0 + t] = zero
        for oo in range(Og):
            o, a0 = o0 + oo, g0 + oo * plane
            j = first[ph]
            while first[ph + 1] - j >= 4:
                j0, j1, j2, j3 = order[j], order[j + 1], order[j + 2], order[j + 3]
                w0, w1 = w[o, c * k2 + j0], w[o, c * k2 + j1]
                w2, w3 = w[o, c * k2 + j2], w[o, c * k2 + j3]
                s0, s1 = uint64(a0 - sft[j0]), uint64(a0 - sft[j1])
                s2, s3 = uint64(a0 - sft[j2]), uint64(a0 - sft[j3])
                for t in range(uint64(L)):
                    db[d0 + t] += (w0 * gb[s0 + t] + w1 * gb[s1 + t] + w2 * gb[s2 + t]
                                   + w3 * gb[s3 + t])
                j += 4
            while first[ph + 1] - j >= 2:
                j0, j1 = order[j], order[j + 1]
                w0, w1 = w[o, c * k2 + j0], w[o, c * k2 + j1]
                s0, s1 = uint64(a0 - sft[j0]), uint64(a0 - sft[j1])
                for t in range(uint64(L)):
                    db[d0 + t] += w0 * gb[s0 + t] + w1 * gb[s1 + t]
                j += 2
            if j < first[ph + 1]:
                w0, s0 = w[o, c * k2 + order[j]], uint64(a0 - sft[order[j]])
                for t in range(uint64(L)):
                    db[d0 + t] += w0 * gb[s0 + t]
