"""``autodiff.linalg``: the norms of ``torch.linalg`` (``norm``, ``vector_norm``,
``matrix_norm`` for ``'fro'``), differentiable. The decompositions (inv, solve, eigh, svd, ...)
are not provided."""
from __future__ import annotations

from .ops.reduce import sums

__all__ = ["norm", "vector_norm", "matrix_norm"]


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The ``ord``-norm of ``x`` over ``dim`` (all elements when None), as a vector."""
    return sums.norm(x, ord, dim, keepdim, dtype=dtype)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """The Frobenius norm over the two ``dim`` axes (other orders are not supported)."""
    if ord != "fro":
        raise ValueError(f"linalg.matrix_norm: ord={ord!r} is not supported (only 'fro')")
    return sums.norm(A, 2, tuple(dim), keepdim, dtype=dtype)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """``vector_norm`` for a 1-D input, a ``dim`` int or ``ord=None`` (the 2-norm of all
    elements); the Frobenius norm for ``ord='fro'`` on two dims."""
    if ord is None:
        return sums.norm(A, 2, dim, keepdim, dtype=dtype)
    if ord == "fro":
        return matrix_norm(A, "fro", (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    if isinstance(ord, str):
        raise ValueError(f"linalg.norm: ord={ord!r} is not supported")
    if dim is None and A.ndim != 1:
        if A.ndim == 2:
            raise ValueError("linalg.norm: numeric matrix norms (ord=1, 2, inf, ...) are not "
                             "supported; use vector_norm or ord='fro'")
        raise RuntimeError("linalg.norm: a numeric ord needs a 1-D or 2-D input or dim")
    return sums.norm(A, ord, dim, keepdim, dtype=dtype)
