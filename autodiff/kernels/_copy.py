"""``copy_run(dst, d, src, s, n)``: ``dst.flat[d:d + n] = src.flat[s:s + n]`` inside numba
kernels, as one ``memcpy`` call.

numba's LLVM vectorises a copy loop 32 floats per iteration (8 lanes, 4 interleaved) and
runs shorter trip counts in its scalar remainder loop (numba leaves the SLP vectoriser off):
rows of 14-28 floats, as a conv's planes have, were copied one float at a time.  libc's
``memcpy`` moves them in a few vector loads and stores whatever the length.  Both arrays must
be C-contiguous with one dtype; the caller guarantees the ranges are in bounds and do not
overlap (no checks here).
"""
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["copy_run"]


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
