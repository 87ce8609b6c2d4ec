"""Boolean masks: masked_fill, masked_select, masked_scatter, nonzero, argwhere."""
from __future__ import annotations

import numpy as np

from ... import function as _f
from .._common import _array, _tensor
from ..elementwise import select
from ..shape import views
from . import gather_scatter, subscript


def masked_fill(input, mask, value):
    """``input`` with ``value`` where ``mask`` is true (mask broadcasts)."""
    m = np.asarray(gather_scatter._data_of(mask))
    if m.dtype != np.bool_:
        raise TypeError(f"masked_fill: mask must be a bool tensor (got {m.dtype})")
    v = value if isinstance(value, _f.Tensor) else np.asarray(value, dtype=input._data.dtype)
    return select.where(_f.Tensor._make(m), v, input)


def masked_select(input, mask):
    """The elements of ``input`` where the bool ``mask`` is true (broadcasting), as 1-D."""
    x = _tensor(input, "masked_select")
    m = np.asarray(_array(mask))
    if m.dtype != np.bool_:
        raise TypeError(f"masked_select: mask must be a bool tensor (got {m.dtype})")
    try:
        shape = np.broadcast_shapes(x._data.shape, m.shape)
    except ValueError:
        raise ValueError(f"masked_select: shapes {tuple(x.shape)} and {m.shape} cannot be "
                         "broadcast together") from None
    if shape != x._data.shape:
        x = views.expand(x, shape)
    return subscript.getitem(x, np.broadcast_to(m, shape))


def masked_scatter(input, mask, source):
    """``input`` with the true places of ``mask`` filled, in order, by ``source``'s first
    elements."""
    x = _tensor(input, "masked_scatter")
    m = np.broadcast_to(np.asarray(_array(mask)), x._data.shape)
    n = int(m.sum())
    src = views.reshape(_tensor(source, "masked_scatter"), (-1,))
    if src._data.size < n:
        raise ValueError(f"masked_scatter: source has {src._data.size} elements but the mask "
                         f"selects {n}")
    return subscript.assigned(x, m, subscript.getitem(src, slice(0, n)))


def nonzero(input, *, as_tuple=False):
    """Indices of the non-zero elements: ``(n, ndim)`` int64, or one index tensor per dim with
    ``as_tuple`` (not differentiable)."""
    return input.nonzero(as_tuple=as_tuple)


def argwhere(input):
    """``nonzero(input)``: ``(n, ndim)`` int64 indices of the non-zero elements."""
    return input.nonzero()
