"""NumPy's own OpenBLAS ``cblas_?gemm`` as ctypes functions, for numba kernels to call.

A numba kernel that loops over many small GEMMs (conv1d's per image and tap) calls these
through ctypes (pass the function as an argument so the kernel caches); not ``np.dot`` in
numba, which calls SciPy's second OpenBLAS with its own threads (shared PERF-NOTES).
``GEMM`` is {} when NumPy's BLAS is not an OpenBLAS found by ``_launch.OPENBLAS``: callers
then keep a NumPy path.

Arguments (CBLAS): order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, with
the integer width of the library (64-bit in NumPy's wheels) and addresses as integers.
"""
from __future__ import annotations

import ctypes

import numpy as np

from ._launch import OPENBLAS

__all__ = ["GEMM", "CORE", "ROW", "NO", "TR"]

ROW, NO, TR = 101, 111, 112  # CblasRowMajor, CblasNoTrans, CblasTrans


def _gemms(lib):
    """{dtype: ctypes cblas_sgemm / cblas_dgemm} of OpenBLAS ``lib``, or {} if not found.
    NumPy's wheels name them scipy_cblas_?gemm64_ (64-bit ints); a plain cblas_?gemm takes
    64-bit ints when the library's configuration says USE64BITINT."""
    if lib is None:
        return {}
    for prefix, suffix in (("scipy_", "64_"), ("", "64_"), ("", "")):
        try:
            fns = [getattr(lib, f"{prefix}cblas_{t}gemm{suffix}") for t in "sd"]
            config = getattr(lib, f"{prefix}openblas_get_config{suffix}")
        except AttributeError:
            continue
        config.restype = ctypes.c_char_p
        wide = suffix or b"USE64BITINT" in (config() or b"")
        blasint = ctypes.c_int64 if wide else ctypes.c_int32
        e, p = ctypes.c_int, ctypes.c_void_p
        for fn, real in zip(fns, (ctypes.c_float, ctypes.c_double)):
            fn.argtypes = [e, e, e, blasint, blasint, blasint, real, p, blasint, p, blasint,
                           real, p, blasint]
            fn.restype = None
        return {np.dtype(np.float32): fns[0], np.dtype(np.float64): fns[1]}
    return {}


GEMM = _gemms(OPENBLAS)


def _core(lib):
    """The kernel OpenBLAS ``lib`` picked for this CPU ("SkylakeX", "Haswell", ...) or ""."""
    for prefix, suffix in (("scipy_", "64_"), ("", "64_"), ("", "")):
        fn = getattr(lib, f"{prefix}openblas_get_corename{suffix}", None)
        if fn is not None:
            fn.restype = ctypes.c_char_p
            return (fn() or b"").decode()
    return ""


CORE = _core(OPENBLAS) if OPENBLAS is not None else ""
