"""Runs of values in the direct kernels' flat buffers (``conv_direct``, ``conv_flat``).

``copy_run(dst, d, src, s, n)``: ``dst.flat[d:d + n] = src.flat[s:s + n]`` inside numba
kernels, as one ``memcpy`` call.

numba's LLVM vectorises a copy loop 32 floats per iteration (8 lanes, 4 interleaved) and
runs shorter trip counts in its scalar remainder loop (numba leaves the SLP vectoriser off):
rows of 14-28 floats, as a conv's planes have, were copied one float at a time.  libc's
``memcpy`` moves them in a few vector loads and stores whatever the length.  Both arrays must
be C-contiguous with one dtype; the caller guarantees the ranges are in bounds and do not
overlap (no checks here).

``split2`` / ``merge2`` (inline numba helpers): a row's even and odd columns into two runs
and back (plus a bias), the stride-2 phase planes of ``conv_direct``.  LLVM vectorises a
constant-stride loop the same way (32 floats per iteration), so rows of 28 ran scalar: these
move 8 pairs per block (two vector loads, two shuffles, two stores, written as LLVM IR), the
last block overlapping the one before; runs under 8 pairs go one value at a time.  Flat
indices into C-contiguous arrays of any dimension go through ``_load`` / ``_store`` (a
reshaped view would cost NRT reference counting inside the loops: 2.5x slower).  Measured
(depthwise x (32,64,28,28) s2 forward, 2 threads, 2026-12-07): 1.09 -> 0.70 ms.

``fill`` and ``sums`` (inline numba helpers) and ``with_bias`` (the NumPy end of a weight
gradient's partial sums) serve both kernels' weight gradients and forward.
"""
import numba
from llvmlite import ir
from numba import types, uint64
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["copy_run", "fill", "merge2", "split2", "sums", "with_bias"]

# values per vector move of split2 / merge2 (a ymm register of float32)
_LANES = 8


@intrinsic
def copy_run(typingctx, dst, d, src, s, n):
    if not (isinstance(dst, types.Array) and isinstance(src, types.Array)
            and dst.dtype == src.dtype and dst.layout == "C" and src.layout == "C"):
        return None
    sig = types.void(dst, types.intp, src, types.intp, types.intp)

    def codegen(context, builder, sig, args):
        a, i, b, j, count = args
        adata = context.make_array(sig.args[0])(context, builder, a).data
        bdata = context.make_array(sig.args[2])(context, builder, b).data
        size = context.get_abi_sizeof(context.get_data_type(sig.args[0].dtype))
        cgutils.raw_memcpy(builder, builder.gep(adata, [i]), builder.gep(bdata, [j]), count,
                           size, align=size)
        return context.get_dummy_value()
    return sig, codegen


def _same_c(*arrays):
    return (all(isinstance(a, types.Array) and a.layout == "C" for a in arrays)
            and len({a.dtype for a in arrays}) == 1)


def _vector_at(builder, data, i, vty):
    return builder.bitcast(builder.gep(data, [i]), vty.as_pointer())


@intrinsic
def _load(typingctx, src, i):
    # src.flat[i] of a C-contiguous array of any dimension (a reshaped view would cost NRT
    # reference counting in the loops)
    if not _same_c(src):
        return None
    sig = src.dtype(src, types.intp)

    def codegen(context, builder, sig, args):
        data = context.make_array(sig.args[0])(context, builder, args[0]).data
        return builder.load(builder.gep(data, [args[1]]))
    return sig, codegen


@intrinsic
def _store(typingctx, dst, i, v):
    # dst.flat[i] = v
    if not _same_c(dst) or v != dst.dtype:
        return None
    sig = types.void(dst, types.intp, v)

    def codegen(context, builder, sig, args):
        data = context.make_array(sig.args[0])(context, builder, args[0]).data
        builder.store(args[2], builder.gep(data, [args[1]]))
        return context.get_dummy_value()
    return sig, codegen


@intrinsic
def _split_block(typingctx, dst, de, do, src, s):
    # dst[de + j] = src[s + 2 j], dst[do + j] = src[s + 2 j + 1] for j < _LANES: two vector
    # loads, two shuffles, two stores
    if not _same_c(dst, src):
        return None
    sig = types.void(dst, types.intp, types.intp, src, types.intp)

    def codegen(context, builder, sig, args):
        a, ie, io, b, j = args
        adata = context.make_array(sig.args[0])(context, builder, a).data
        bdata = context.make_array(sig.args[3])(context, builder, b).data
        ety = context.get_data_type(sig.args[0].dtype)
        size = context.get_abi_sizeof(ety)
        vty = ir.VectorType(ety, _LANES)
        lo = builder.load(_vector_at(builder, bdata, j, vty), align=size)
        hi = builder.load(_vector_at(builder, bdata, builder.add(j, j.type(_LANES)), vty),
                          align=size)
        for d, first in ((ie, 0), (io, 1)):
            mask = ir.Constant(ir.VectorType(ir.IntType(32), _LANES),
                               [first + 2 * k for k in range(_LANES)])
            builder.store(builder.shuffle_vector(lo, hi, mask),
                          _vector_at(builder, adata, d, vty), align=size)
        return context.get_dummy_value()
    return sig, codegen


@intrinsic
def _merge_block(typingctx, dst, d, src, se, so, bias):
    # dst[d + 2 j] = src[se + j] + bias, dst[d + 2 j + 1] = src[so + j] + bias, j < _LANES
    if not _same_c(dst, src) or bias != dst.dtype:
        return None
    sig = types.void(dst, types.intp, src, types.intp, types.intp, bias)

    def codegen(context, builder, sig, args):
        a, i, b, je, jo, bv = args
        adata = context.make_array(sig.args[0])(context, builder, a).data
        bdata = context.make_array(sig.args[2])(context, builder, b).data
        ety = context.get_data_type(sig.args[0].dtype)
        size = context.get_abi_sizeof(ety)
        vty = ir.VectorType(ety, _LANES)
        splat = ir.Constant(vty, None)
        for k in range(_LANES):
            splat = builder.insert_element(splat, bv, ir.IntType(32)(k))
        ev = builder.fadd(builder.load(_vector_at(builder, bdata, je, vty), align=size), splat)
        od = builder.fadd(builder.load(_vector_at(builder, bdata, jo, vty), align=size), splat)
        for half in range(2):
            mask = ir.Constant(ir.VectorType(ir.IntType(32), _LANES),
                               [(half * _LANES + k) // 2 + (k % 2) * _LANES
                                for k in range(_LANES)])
            dv = builder.add(i, i.type(half * _LANES))
            builder.store(builder.shuffle_vector(ev, od, mask),
                          _vector_at(builder, adata, dv, vty), align=size)
        return context.get_dummy_value()
    return sig, codegen


@numba.njit(inline="always")
def split2(dst, de, do, src, s, m):
    # dst[de + j] = src[s + 2 j], dst[do + j] = src[s + 2 j + 1] for j < m (even and odd
    # columns of a row): blocks of _LANES pairs, the last one overlapping the one before
    if m < _LANES:
        for j in range(m):
            dst[de + j] = _load(src, s + 2 * j)
            dst[do + j] = _load(src, s + 2 * j + 1)
        return
    for j in range(0, m - _LANES, _LANES):
        _split_block(dst, de + j, do + j, src, s + 2 * j)
    j = m - _LANES
    _split_block(dst, de + j, do + j, src, s + 2 * j)


@numba.njit(inline="always")
def merge2(dst, d, src, se, so, m, bias):
    # the inverse of split2, plus bias: dst[d + 2 j] = src[se + j] + bias,
    # dst[d + 2 j + 1] = src[so + j] + bias for j < m
    if m < _LANES:
        for j in range(m):
            _store(dst, d + 2 * j, src[se + j] + bias)
            _store(dst, d + 2 * j + 1, src[so + j] + bias)
        return
    for j in range(0, m - _LANES, _LANES):
        _merge_block(dst, d + 2 * j, src, se + j, so + j, bias)
    j = m - _LANES
    _merge_block(dst, d + 2 * j, src, se + j, so + j, bias)


@numba.njit(inline="always")
def fill(acc, a0, n, bias, o, O):
    # acc[a0:a0 + n] = bias[o] (0 without a bias)
    bv = bias[o] if bias.shape[0] == O else acc.dtype.type(0)
    for i in range(uint64(a0), uint64(a0 + n)):
        acc[i] = bv


@numba.njit(inline="always")
def sums(dst, o0, Og, src, s0, step, L):
    # dst[o0 + oo] += the sum of src[s0 + oo step:][:L] for oo < Og
    for oo in range(Og):
        s = src.dtype.type(0)
        a0 = uint64(s0 + oo * step)
        for t in range(uint64(L)):
            s += src[a0 + t]
        dst[o0 + oo] += s


def with_bias(part, pb, w_shape, bias_grad):
    """The partial sums (part, pb) added: dw, or (dw, db) with ``bias_grad``."""
    dw = part.sum(0).reshape(w_shape)
    return (dw, pb.sum(0)) if bias_grad else dw
