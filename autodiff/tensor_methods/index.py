"""Tensor methods of indexing: ``t[idx]``, ``t[idx] = v``, gather/scatter along a dim, index
and mask writes (and their in-place forms)."""
from __future__ import annotations

import numpy as np

from .. import inplace
from ..ops.index import gather_scatter, masked, subscript


class IndexMethods:
    """Mixin of ``Tensor`` (no state of its own)."""

    __slots__ = ()

    __getitem__ = subscript.getitem

    def __setitem__(self, index, value):
        subscript.setitem(self, index, value)

    # ---- functional forms ------------------------------------------------------------------
    gather = gather_scatter.gather
    take_along_dim = gather_scatter.take_along_dim
    index_select = gather_scatter.index_select
    scatter = gather_scatter.scatter
    scatter_add = gather_scatter.scatter_add
    scatter_reduce = gather_scatter.scatter_reduce
    index_add = gather_scatter.index_add
    index_copy = gather_scatter.index_copy
    index_fill = gather_scatter.index_fill
    index_put = gather_scatter.index_put
    masked_fill = masked.masked_fill
    masked_select = masked.masked_select
    masked_scatter = masked.masked_scatter

    def nonzero(self, *, as_tuple=False):
        nz = np.nonzero(self._data)
        T = type(self)
        if as_tuple:
            return tuple(T._make(i.astype(np.int64)) for i in nz)
        return T._make(np.stack(nz, axis=-1).astype(np.int64) if nz else
                       np.zeros((int(bool(self._data)), 0), np.int64))

    def argwhere(self):
        return self.nonzero()

    # ---- in-place forms --------------------------------------------------------------------
    def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
        return inplace.inplace(self, _scatter, dim, index, src, value, reduce)

    def scatter_add_(self, dim, index, src):
        return inplace.inplace(self, gather_scatter.scatter_add, dim, index, src)

    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
        return inplace.inplace(self, _scatter_reduce, dim, index, src, reduce, include_self)

    def index_add_(self, dim, index, source, *, alpha=1):
        return inplace.inplace(self, _index_add, dim, index, source, alpha)

    def index_copy_(self, dim, index, source):
        return inplace.inplace(self, gather_scatter.index_copy, dim, index, source)

    def index_fill_(self, dim, index, value):
        return inplace.inplace(self, gather_scatter.index_fill, dim, index, value)

    def index_put_(self, indices, values, accumulate=False):
        return inplace.inplace(self, gather_scatter.index_put, indices, values, accumulate)

    def masked_fill_(self, mask, value):
        return inplace.inplace(self, masked.masked_fill, mask, value)

    def masked_scatter_(self, mask, source):
        return inplace.inplace(self, masked.masked_scatter, mask, source)


def _index_add(t, dim, index, source, alpha):
    return gather_scatter.index_add(t, dim, index, source, alpha=alpha)


def _scatter_reduce(t, dim, index, src, reduce, include_self):
    return gather_scatter.scatter_reduce(t, dim, index, src, reduce, include_self=include_self)


def _scatter(t, dim, index, src, value, reduce):
    return gather_scatter.scatter(t, dim, index, src, value, reduce=reduce)
