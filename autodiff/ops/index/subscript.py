"""Indexing: ``t[idx]`` and ``t[idx] = v`` with ints, slices, None, Ellipsis, integer arrays
and boolean masks (repeated indices accumulate their gradients)."""
from __future__ import annotations

import numpy as np

from ... import function as _f
from ... import inplace
from ...function import Op
from ..shape import views


def _norm_index(index):
    """Tensors become arrays, lists become integer/bool arrays."""
    T = _f.Tensor
    if isinstance(index, tuple):
        return tuple(_norm_one(i, T) for i in index)
    return _norm_one(index, T)


def _norm_one(i, T):
    # Index arrays are copied: backward scatters at the indices the forward used, even if the
    # user writes into the index tensor in between (PyTorch raises there; a silently different
    # gradient is the one outcome we never allow). A copy of the indices is small next to the
    # data they pick.
    if isinstance(i, T):
        return i._data.copy() if i._data.ndim else i._data
    if isinstance(i, np.ndarray) and i.ndim:
        return i.copy()
    if isinstance(i, list):
        if not i:
            return np.empty(0, dtype=np.intp)  # x[[]]: no rows (NumPy would make it float)
        return np.asarray([x._data if isinstance(x, T) else x for x in i])
    return i


def _is_advanced(index):
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(i, np.ndarray) and i.ndim > 0 for i in items)


class GetItem(Op):
    """out = a[idx];  da = g scattered into zeros at idx (accumulating repeats)"""

    @staticmethod
    def forward(ctx, a, index):
        ctx.in_shape, ctx.in_dtype, ctx.index = a.shape, a.dtype, index
        try:
            out = a[index]
        except IndexError as e:
            raise IndexError(f"index: {e} (tensor of shape {a.shape})") from None
        if out.__class__ is not np.ndarray:
            # a single element: a 0-d view (as PyTorch), not a NumPy scalar copy
            items = index if isinstance(index, tuple) else (index,)
            if not any(i is Ellipsis for i in items):
                out = a[items + (Ellipsis,)]
        return out

    @staticmethod
    def backward(ctx, grad_out):
        return IndexBackward.apply(grad_out, ctx.in_shape, ctx.index), None


class IndexBackward(Op):
    """out = zeros(shape) with g added at idx;  dg = out_grad[idx]"""

    @staticmethod
    def forward(ctx, g, shape, index):
        ctx.index = index
        out = np.zeros(shape, dtype=g.dtype)
        if _is_advanced(index):
            np.add.at(out, index, g)
        else:
            out[index] = g
        return out

    @staticmethod
    def backward(ctx, grad_out):
        return getitem(grad_out, ctx.index), None, None


class IndexPut(Op):
    """out = a with out[idx] = v;  da = g zeroed at idx,  dv = g[idx]"""

    @staticmethod
    def forward(ctx, a, index, v):
        ctx.index = index
        out = a.copy()
        try:
            out[index] = v
        except ValueError:
            raise ValueError(f"setitem: shape mismatch: value of shape {np.shape(v)} cannot be "
                             f"broadcast to indexing result of shape {a[index].shape}") from None
        return out

    @staticmethod
    def backward(ctx, grad_out):
        need_a, _, need_v = ctx.needs_input_grad
        ga = IndexPut.apply(grad_out, ctx.index, 0.0) if need_a else None
        gv = getitem(grad_out, ctx.index) if need_v else None
        return ga, None, gv


def getitem(input, index):
    index = _norm_index(index)
    return views._view(GetItem.apply(input, index), input, GetItem, (index,))


def assigned(input, index, value):
    """``input`` with ``input[index] = value`` applied, out of place (``index`` normalised by
    ``_norm_index``), recorded as an ``IndexPut`` node: the value ``setitem`` writes back.
    The public ``index_put`` (a tuple of index tensors, ``accumulate=``) is
    ``gather_scatter.index_put``."""
    vshape = np.shape(value._data if isinstance(value, _f.Tensor) else value)
    if len(vshape) and vshape[0] == 1:
        # PyTorch drops a value's leading size-1 dims that the target does not have
        target = np.empty(input._data.shape, dtype=np.bool_)[index].shape
        k = 0
        while len(vshape) - k > len(target) and vshape[k] == 1:
            k += 1
        if k:
            value = (views.reshape(value, vshape[k:]) if isinstance(value, _f.Tensor)
                     else np.reshape(value, vshape[k:]))
    return IndexPut.apply(input, index, value)


def setitem(input, index, value):
    """``input[index] = value`` in place (version counter; recorded when grad is on)."""
    inplace.inplace(input, assigned, _norm_index(index), value)
