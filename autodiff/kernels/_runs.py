"""Runs of values in the direct kernels' flat buffers (``conv_direct``, ``conv_flat``).

``copy_run(dst, d, src, s, n)``: ``dst.flat[d:d + n] = src.flat[s:s + n]`` inside numba
kernels, as one ``memcpy`` call.

numba's LLVM vectorises a copy loop 32 floats per iteration (8 lanes, 4 interleaved) and
runs shorter trip counts in its scalar remainder loop (numba leaves the SLP vectoriser off):
rows of 14-28 floats, as a conv's planes have, were copied one float at a time.  libc's
``memcpy`` moves them in a few vector loads and stores whatever the length.  Both arrays must
be C-contiguous with one dtype; the caller guarantees the ranges are in bounds and do not
overlap (no checks here).

``fill`` and ``sums`` (inline numba helpers) and ``with_bias`` (the NumPy end of a weight
gradient's partial sums) serve both kernels' weight gradients and forward.
"""
import numba
from numba import types, uint64
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["copy_run", "fill", "sums", "with_bias"]


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
