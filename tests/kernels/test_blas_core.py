"""_blas.CORE: the kernel NumPy's OpenBLAS picked, which conv.FORWARD_T branches on."""

from autodiff.kernels import _blas
from autodiff.kernels import conv as K


class _Lib:
    """A library with one corename symbol under ``name``."""

    def __init__(self, name, core):
        setattr(self, name, lambda: core)


def test_core_reads_each_symbol_spelling():
    for name in ("scipy_openblas_get_corename64_", "openblas_get_corename64_",
                 "openblas_get_corename"):
        assert _blas._core(_Lib(name, b"SkylakeX")) == "SkylakeX"
    assert _blas._core(_Lib("openblas_get_corename", None)) == ""
    assert _blas._core(object()) == ""


def test_forward_orientation_follows_the_core():
    assert K.FORWARD_T == (_blas.CORE == "SkylakeX")
    if _blas.GEMM:  # NumPy's OpenBLAS was found: it names a kernel
        assert _blas.CORE
