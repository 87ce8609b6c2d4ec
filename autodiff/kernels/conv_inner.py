"""im2col / col2im with the images of a block innermost (kernels/conv.py's pass uses them).

``conv.conv2d_pass`` works on blocks of ``nb`` images.  In the "CNHW" layout each copy of
im2col and col2im runs over one output row or plane of one image (7 strided elements for a
stride-2 conv on 14x14 inputs): such runs do not vectorise (~1 ns per element).  Here a
block's matrices put the image last instead: the columns are ``cols[(c, ki, kj), (oh, ow,
n)]``, g and y of the block the (O, m) matrices ``[o, (oh, ow, n)]``, so every copy of
im2col / col2im is a run of nb contiguous elements:

* ``im2col`` / ``col2im``: one channel at a time through a (Hp, Wp, nb) buffer holding the
  block's padded plane, which stays in cache (a whole (C, Hp, Wp, nb) block packed first and
  unfolded after was slower at 2 threads: 0.88 / 1.00 against 0.87 / 0.90 torch's time on
  bench/conv.py's stride-2 / transposed rows);
* ``pack`` / ``unpack``: g (N, O, Ho, Wo) -> (O, Ho, Wo, nb) and back for y (plus a bias).

Indices are unsigned (kernels/conv.py: numba's wraparound checks block vectorisation).
Twins for the tests: ``inner_order`` / ``outer_order`` reorder "CNHW" columns of a block
(``conv.im2col_ref``'s) to this layout and back.
"""
import numba
import numpy as np
from numba import uint64

__all__ = ["pack", "unpack", "im2col", "col2im", "inner_order", "outer_order"]


@numba.njit(cache=True, nogil=True)
def pack(g, n0, gt):
    """gt (O, Ho, Wo, nb) = images n0 .. n0 + nb of g (N, O, Ho, Wo)."""
    O, L, nb = g.shape[1], g.shape[2] * g.shape[3], gt.shape[3]
    gf = g.ravel()
    tf = gt.ravel()
    step = uint64(O * L)
    for o in range(O):
        for t in range(L):
            d = uint64((o * L + t) * nb)
            s = uint64((n0 * O + o) * L + t)
            for n in range(uint64(nb)):
                tf[d + n] = gf[s + n * step]


@numba.njit(cache=True, nogil=True)
def unpack(yt, y, n0, bias):
    """Images n0 .. n0 + nb of y (N, O, Ho, Wo) = yt (O, Ho, Wo, nb), plus bias[o] when bias
    has O entries."""
    O, L, nb = y.shape[1], y.shape[2] * y.shape[3], yt.shape[3]
    tf = yt.ravel()
    yf = y.ravel()
    add = bias.shape[0] == O
    step = uint64(O * L)
    for o in range(O):
        b = bias[o] if add else y.dtype.type(0)
        for t in range(L):
            s = uint64((o * L + t) * nb)
            d = uint64((n0 * O + o) * L + t)
            for n in range(uint64(nb)):
                yf[d + n * step] = tf[s + n] + b


@numba.njit(cache=True, nogil=True, inline="always")
def _taps(buf, cf, row, M, kh, kw, sh, sw, dh, dw, Ho, Wo, Wp, B, c, adjoint):
    # channel c's columns (from column ``row`` on) <- its (Hp, Wp, nb) padded plane in buf,
    # or (adjoint) buf += the columns: runs of B images; inlined with adjoint a constant
    for ki in range(kh):
        for kj in range(kw):
            r = uint64(((c * kh + ki) * kw + kj) * M) + row
            for oh in range(Ho):
                s0 = uint64((oh * sh + ki * dh) * Wp + kj * dw) * B
                d0 = r + uint64(oh * Wo) * B
                for ow in range(Wo):
                    s = s0 + uint64(ow * sw) * B
                    d = d0 + uint64(ow) * B
                    if adjoint:
                        for n in range(B):
                            buf[s + n] += cf[d + n]
                    else:
                        for n in range(B):
                            cf[d + n] = buf[s + n]


@numba.njit(cache=True, nogil=True)
def im2col(x, n0, nb, cols, c0, kh, kw, sh, sw, dh, dw, pt, pl, Ho, Wo, Hp, Wp):
    """cols[(c, ki, kj), c0 + (oh, ow, n)] = padded x[n0 + n, c, oh*sh + ki*dh, ...], one
    channel at a time through a (Hp, Wp, nb) buffer that stays in cache."""
    C, H, W = x.shape[1], x.shape[2], x.shape[3]
    xf = x.ravel()
    B = uint64(nb)
    buf = np.zeros(Hp * Wp * nb, cols.dtype)  # its border stays 0
    step = uint64(C * H * W)
    for c in range(C):
        for h in range(H):
            for w in range(W):
                d = uint64(((h + pt) * Wp + pl + w) * nb)
                s = uint64(((n0 * C + c) * H + h) * W + w)
                for n in range(B):
                    buf[d + n] = xf[s + n * step]
        _taps(buf, cols.ravel(), uint64(c0), cols.shape[1], kh, kw, sh, sw, dh, dw, Ho, Wo,
              Wp, B, c, False)


@numba.njit(cache=True, nogil=True)
def col2im(cols, dx, n0, nb, kh, kw, sh, sw, dh, dw, pt, pl, Ho, Wo, Hp, Wp, bias):
    """Adjoint of :func:`im2col` (columns from 0 on), plus bias[c] when bias has C
    entries: each channel summed in a (Hp, Wp, nb) buffer, then cropped into dx."""
    C, H, W = dx.shape[1], dx.shape[2], dx.shape[3]
    df = dx.ravel()
    B = uint64(nb)
    buf = np.empty(Hp * Wp * nb, dx.dtype)
    zero = dx.dtype.type(0)
    step = uint64(C * H * W)
    for c in range(C):
        for i in range(uint64(buf.size)):
            buf[i] = zero
        _taps(buf, cols.ravel(), uint64(0), cols.shape[1], kh, kw, sh, sw, dh, dw, Ho, Wo, Wp,
              B, c, True)
        b = bias[c] if bias.shape[0] == C else zero
        for h in range(H):
            for w in range(W):
                s = uint64(((h + pt) * Wp + pl + w) * nb)
                d = uint64(((n0 * C + c) * H + h) * W + w)
                for n in range(B):
                    df[d + n * step] = buf[s + n] + b


# --------------------------------------------------------------------------- NumPy twins


# --------------------------------------------------------------------------- NumPy twins


def inner_order(cols, nb):
    """(R, (n, oh, ow)) "CNHW" columns of nb images -> (R, (oh, ow, n))."""
    R = cols.shape[0]
    return cols.reshape(R, nb, -1).transpose(0, 2, 1).reshape(R, -1)


def outer_order(cols, nb):
    """Inverse of :func:`inner_order`."""
    R = cols.shape[0]
    return cols.reshape(R, -1, nb).transpose(0, 2, 1).reshape(R, -1)
