"""Triangles and diagonals: tril, triu, diagonal, diag, diag_embed, trace."""
from __future__ import annotations

import numpy as np

from ... import function as _f
from .._common import _norm_dim, _tensor
from ..elementwise import select
from ..index import subscript
from ..reduce import sums
from ..shape import views


def _tri(input, diagonal, lower, op):
    x = _tensor(input, op)
    if x._data.ndim < 2:
        raise ValueError(f"{op}: input tensor must have at least 2 dimensions (got shape "
                         f"{tuple(x.shape)})")
    n, m = x._data.shape[-2:]
    keep = np.tri(n, m, diagonal, dtype=bool)
    if not lower:
        keep = ~np.tri(n, m, diagonal - 1, dtype=bool)
    return select.where(keep, x, x._data.dtype.type(0))


def tril(input, diagonal=0):
    """The lower triangle (on and below diagonal ``diagonal``) of the last two dims."""
    return _tri(input, diagonal, True, "tril")


def triu(input, diagonal=0):
    """The upper triangle (on and above diagonal ``diagonal``) of the last two dims."""
    return _tri(input, diagonal, False, "triu")


def _diag_index(n, m, offset):
    rows0, cols0 = max(-offset, 0), max(offset, 0)
    length = max(min(n - rows0, m - cols0), 0)
    r = np.arange(length)
    return r + rows0, r + cols0


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal ``offset`` of the 2-D slices spanned by ``dim1`` and ``dim2``, appended
    as the last dim (a copy, not a view)."""
    x = _tensor(input, "diagonal")
    nd = x._data.ndim
    if nd < 2:
        raise ValueError(f"diagonal: expected at least 2 dimensions (got shape "
                         f"{tuple(x.shape)})")
    d1, d2 = _norm_dim(dim1, nd, "diagonal"), _norm_dim(dim2, nd, "diagonal")
    if d1 == d2:
        raise ValueError(f"diagonal: dim1 and dim2 cannot be the same dim ({dim1})")
    x = views.movedim(x, (d1, d2), (-2, -1))
    rows, cols = _diag_index(*x._data.shape[-2:], offset)
    return subscript.getitem(x, (Ellipsis, rows, cols))


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Matrices (in dims ``dim1``, ``dim2``) whose diagonal ``offset`` holds the last dim of
    ``input``."""
    x = _tensor(input, "diag_embed")
    k = x._data.shape[-1] if x._data.ndim else 1
    n = k + abs(offset)
    rows, cols = _diag_index(n, n, offset)
    out = _f.Tensor._make(np.zeros(x._data.shape[:-1] + (n, n), dtype=x._data.dtype))
    out = subscript.assigned(out, (Ellipsis, rows, cols), x)
    nd = out._data.ndim
    d1, d2 = _norm_dim(dim1, nd, "diag_embed"), _norm_dim(dim2, nd, "diag_embed")
    if (d1, d2) != (nd - 2, nd - 1):
        out = views.movedim(out, (nd - 2, nd - 1), (d1, d2))
    return out


def diag(input, diagonal=0):
    """1-D input: the square matrix with ``input`` on diagonal ``diagonal``. 2-D input: that
    diagonal, as 1-D."""
    x = _tensor(input, "diag")
    if x._data.ndim == 1:
        return diag_embed(x, diagonal)
    if x._data.ndim == 2:
        return diagonal_(x, diagonal)
    raise ValueError(f"diag: expected a 1-D or 2-D tensor (got shape {tuple(x.shape)})")


diagonal_ = diagonal


def trace(input):
    """Sum of the main diagonal of a 2-D tensor."""
    x = _tensor(input, "trace")
    if x._data.ndim != 2:
        raise ValueError(f"trace: expected a matrix (got shape {tuple(x.shape)})")
    return sums.sum(diagonal(x))
