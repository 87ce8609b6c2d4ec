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

Each copy between (N, C, H, W) and a block's layout is a transpose (one image's row against
nb images), moved in 8x8 vector blocks (``transpose``): on bench/conv.py's stride-2 row, one
thread, 32 images, ms: im2col 0.137 -> 0.098, col2im 0.162 -> 0.108 (its plane fill / crop
alone 0.080 -> 0.041 / 0.102 -> 0.051); the step at 2 threads 0.945x (conv_transpose2d's
0.977x) the element-by-element copies' time, paired rounds (2026-12-07).

Indices are unsigned (kernels/conv.py: numba's wraparound checks block vectorisation).
Twins for the tests: ``inner_order`` / ``outer_order`` reorder "CNHW" columns of a block
(``conv.im2col_ref``'s) to this layout and back.
"""
import numba
import numpy as np
from llvmlite import ir
from numba import types, uint64
from numba.extending import intrinsic

__all__ = ["pack", "unpack", "unpack_rows", "im2col", "col2im", "block_columns", "inner_order",
           "outer_order"]

# --------------------------------------------------------------------------- 8x8 transposes

# Every copy between an (N, C, H, W) array and a block's (..., nb) image-innermost layout is a
# transpose: runs of one image's row against runs of nb images.  Element by element those
# ran scalar (~1 ns per element); here they move as 8x8 blocks: 8 vector loads, 24 shuffles
# (_T8_STAGES: interleave pairs, then pairs of pairs, then 128-bit halves), 8 stores.
_T8_STAGES = (([0, 8, 1, 9, 4, 12, 5, 13], [2, 10, 3, 11, 6, 14, 7, 15]),
              ([0, 1, 8, 9, 4, 5, 12, 13], [2, 3, 10, 11, 6, 7, 14, 15]),
              ([0, 1, 2, 3, 8, 9, 10, 11], [4, 5, 6, 7, 12, 13, 14, 15]))


def _t8_codegen(add):
    def codegen(context, builder, sig, args):
        a, d, dstep, b, s, sstep = args[:6]
        adata = context.make_array(sig.args[0])(context, builder, a).data
        bdata = context.make_array(sig.args[3])(context, builder, b).data
        ety = context.get_data_type(sig.args[0].dtype)
        size = context.get_abi_sizeof(ety)
        vty = ir.VectorType(ety, 8)
        mty = ir.VectorType(ir.IntType(32), 8)

        def at(data, base, step, k):
            i = builder.add(base, builder.mul(step, step.type(k)))
            return builder.bitcast(builder.gep(data, [i]), vty.as_pointer())
        r = [builder.load(at(bdata, s, sstep, k), align=size) for k in range(8)]
        (lo1, hi1), (lo2, hi2), (lo3, hi3) = (tuple(ir.Constant(mty, m) for m in st)
                                              for st in _T8_STAGES)
        t = []
        for k in range(0, 8, 2):
            t += [builder.shuffle_vector(r[k], r[k + 1], lo1),
                  builder.shuffle_vector(r[k], r[k + 1], hi1)]
        u = [None] * 8
        for q in (0, 4):
            for k, (x, y) in enumerate(((0, 2), (0, 2), (1, 3), (1, 3))):
                u[q + k] = builder.shuffle_vector(t[q + x], t[q + y], (lo2, hi2)[k % 2])
        if add:
            splat = ir.Constant(vty, None)
            for k in range(8):
                splat = builder.insert_element(splat, args[6], ir.IntType(32)(k))
        for j in range(8):
            v = builder.shuffle_vector(u[j % 4], u[j % 4 + 4], (lo3, hi3)[j // 4])
            if add:
                v = builder.fadd(v, splat)
            builder.store(v, at(adata, d, dstep, j), align=size)
        return context.get_dummy_value()
    return codegen


def _t8_typing(dst, d, dstep, src, s, sstep, *bias):
    ints = all(isinstance(i, types.Integer) for i in (d, dstep, s, sstep))
    arrays = all(isinstance(a, types.Array) and a.layout == "C" and a.ndim == 1
                 for a in (dst, src))
    if not (ints and arrays and dst.dtype == src.dtype and all(b == dst.dtype for b in bias)):
        return None
    return types.void(dst, d, dstep, src, s, sstep, *bias)


@intrinsic
def _t8(typingctx, dst, d, dstep, src, s, sstep):
    # dst[d + j dstep + i] = src[s + i sstep + j] for i, j < 8 (1-D C arrays, in bounds)
    sig = _t8_typing(dst, d, dstep, src, s, sstep)
    return None if sig is None else (sig, _t8_codegen(False))


@intrinsic
def _t8_bias(typingctx, dst, d, dstep, src, s, sstep, bias):
    # dst[d + j dstep + i] = src[s + i sstep + j] + bias for i, j < 8
    sig = _t8_typing(dst, d, dstep, src, s, sstep, bias)
    return None if sig is None else (sig, _t8_codegen(True))


@numba.njit(cache=True, nogil=True, inline="always")
def transpose(dst, d, dstep, src, s, sstep, rows, cols, bias, add):
    """dst[d + j dstep + i] = src[s + i sstep + j] (+ bias when ``add``) for i < rows,
    j < cols: 8x8 blocks (the last of a row or column overlapping the one before: the same
    values written twice) when both are at least 8, else one element at a time."""
    d, dstep, s, sstep = uint64(d), uint64(dstep), uint64(s), uint64(sstep)
    if rows < 8 or cols < 8:
        for i in range(uint64(rows)):
            for j in range(uint64(cols)):
                v = src[s + i * sstep + j]
                dst[d + j * dstep + i] = v + bias if add else v
        return
    for i0 in range(0, rows, 8):
        i = uint64(min(i0, rows - 8))
        for j0 in range(0, cols, 8):
            j = uint64(min(j0, cols - 8))
            if add:
                _t8_bias(dst, d + j * dstep + i, dstep, src, s + i * sstep + j, sstep, bias)
            else:
                _t8(dst, d + j * dstep + i, dstep, src, s + i * sstep + j, sstep)



@numba.njit(cache=True, nogil=True)
def pack(g, n0, gt):
    """gt (O, Ho, Wo, nb) = images n0 .. n0 + nb of g (N, O, Ho, Wo)."""
    O, L, nb = g.shape[1], g.shape[2] * g.shape[3], gt.shape[3]
    gf = g.ravel()
    tf = gt.ravel()
    zero = g.dtype.type(0)
    for o in range(O):
        transpose(tf, o * L * nb, nb, gf, (n0 * O + o) * L, O * L, nb, L, zero, False)


@numba.njit(cache=True, nogil=True)
def unpack(yt, y, n0, bias):
    """Images n0 .. n0 + nb of y (N, O, Ho, Wo) = yt (O, Ho, Wo, nb), plus bias[o] when bias
    has O entries."""
    O, L, nb = y.shape[1], y.shape[2] * y.shape[3], yt.shape[3]
    tf = yt.ravel()
    yf = y.ravel()
    add = bias.shape[0] == O
    for o in range(O):
        b = bias[o] if add else y.dtype.type(0)
        transpose(yf, (n0 * O + o) * L, O * L, tf, o * L * nb, nb, L, nb, b, True)


@numba.njit(cache=True, nogil=True)
def unpack_rows(yt, y, n0, bias):
    """Images n0 .. n0 + nb of y (N, O, Ho, Wo) = yt (G, (Ho, Wo, nb), O/G) (the forward's
    GEMM in its other orientation: rows (oh, ow, n)), plus bias[o] when bias has O entries."""
    G, M, Og = yt.shape
    O, L = y.shape[1], y.shape[2] * y.shape[3]
    nb = M // L
    tf = yt.ravel()
    yf = y.ravel()
    zero = y.dtype.type(0)
    for g in range(G):
        for n in range(nb):
            d = uint64(((n0 + n) * O + g * Og) * L)
            transpose(yf, d, L, tf, (g * M + n) * Og, nb * Og, L, Og, zero, False)
            if bias.shape[0] == O:
                for o in range(Og):
                    b = bias[g * Og + o]
                    for t in range(uint64(L)):
                        yf[d + uint64(o * L) + t] += b


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
    zero = x.dtype.type(0)
    for c in range(C):
        for h in range(H):
            transpose(buf, ((h + pt) * Wp + pl) * nb, nb, xf, ((n0 * C + c) * H + h) * W,
                      C * H * W, nb, W, zero, False)
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
    for c in range(C):
        for i in range(uint64(buf.size)):
            buf[i] = zero
        _taps(buf, cols.ravel(), uint64(0), cols.shape[1], kh, kw, sh, sw, dh, dw, Ho, Wo, Wp,
              B, c, True)
        b = bias[c] if bias.shape[0] == C else zero
        for h in range(H):
            transpose(df, ((n0 * C + c) * H + h) * W, C * H * W, buf, ((h + pt) * Wp + pl) * nb,
                      nb, W, nb, b, True)


def block_columns(cols, c0, m):
    """The (R, m) columns of the block starting at column c0 of kept columns ``cols`` (R,
    N*L): the block's own contiguous range of cols's memory (blocks one after the other), not
    a strided column range.  Measured (bench/conv.py's stride-2 row, paired, 2 threads,
    2026-12-07 session 9): the step 0.95-0.96x the strided blocks' time (the GEMMs read their
    columns in order)."""
    R = cols.shape[0]
    return cols.reshape(-1)[R * c0:R * (c0 + m)].reshape(R, m)


# --------------------------------------------------------------------------- NumPy twins


def inner_order(cols, nb):
    """(R, (n, oh, ow)) "CNHW" columns of nb images -> (R, (oh, ow, n))."""
    R = cols.shape[0]
    return cols.reshape(R, nb, -1).transpose(0, 2, 1).reshape(R, -1)


def outer_order(cols, nb):
    """Inverse of :func:`inner_order`."""
    R = cols.shape[0]
    return cols.reshape(R, -1, nb).transpose(0, 2, 1).reshape(R, -1)
