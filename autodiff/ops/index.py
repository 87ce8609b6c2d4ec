"""Indexing: ``t[idx]`` and ``t[idx] = v`` with ints, slices, None, Ellipsis, integer arrays
and boolean masks. Repeated integer indices accumulate their gradients."""
from __future__ import annotations

import numpy as np

from ..function import Op
from .. import function as _f
from . import elementwise as E
from . import shape as S
from ..inplace import inplace


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
    return S._view(GetItem.apply(input, index), input, GetItem, (index,))


def index_put(input, index, value):
    vshape = np.shape(value._data if isinstance(value, _f.Tensor) else value)
    if len(vshape) and vshape[0] == 1:
        # PyTorch drops a value's leading size-1 dims that the target does not have
        target = np.empty(input._data.shape, dtype=np.bool_)[index].shape
        k = 0
        while len(vshape) - k > len(target) and vshape[k] == 1:
            k += 1
        if k:
            from . import shape as S
            value = (S.reshape(value, vshape[k:]) if isinstance(value, _f.Tensor)
                     else np.reshape(value, vshape[k:]))
    return IndexPut.apply(input, index, value)


def setitem(input, index, value):
    """``input[index] = value`` in place (version counter; recorded when grad is on)."""
    inplace(input, index_put, _norm_index(index), value)


# ---------------------------------------------------------------------------------------------
# gather / scatter_add: differentiable primitives for selecting along one dim


def _full_index(index, dim):
    """The NumPy index that picks ``index[i, j, ...]`` along ``dim`` at every other position."""
    grids = list(np.indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(grids)


def _aligned(ishape, shape, dim):
    """index has the input's sizes outside ``dim`` (NumPy's take/put_along_axis then apply)."""
    for k, (i, n) in enumerate(zip(ishape, shape)):
        if i != n and k != dim:
            return False
    return True


class IndexOutOfRange(IndexError, RuntimeError):
    """An index outside its dimension. An ``IndexError`` (the library's rule) that is also a
    ``RuntimeError``, which PyTorch raises for most of these ops."""


def check_range(op, index, size, dim, negative=False):
    """Raise ``IndexOutOfRange`` naming ``op`` unless every entry of the integer array
    ``index`` lies in ``[0, size)`` (``[-size, size)`` with ``negative``: the ops PyTorch lets
    count from the end, such as take_along_dim, index_fill and ``t[idx]``)."""
    if index.size:
        lo, hi = index.min(), index.max()
        if lo < (-size if negative else 0) or hi >= size:
            bad = hi if hi >= size else lo
            raise IndexOutOfRange(f"{op}: index {bad} is out of bounds for dimension {dim} with "
                                  f"size {size}")


def _check_gather(op, shape, dim, index, negative=False):
    if index.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must be an integer tensor (got {index.dtype})")
    if index.ndim != len(shape):
        raise ValueError(f"{op}: index {index.shape} and input {tuple(shape)} must have the "
                         f"same number of dimensions")
    for d, (i, s) in enumerate(zip(index.shape, shape)):
        if d != dim and i > s:
            raise ValueError(f"{op}: index shape {index.shape} is larger than input shape "
                             f"{tuple(shape)} in dim {d}")
    check_range(op, index, shape[dim], dim, negative)


class Gather(Op):
    """out[i][j][k] = a[i][index[i][j][k]][k] (for dim 1);  da = scatter_add of g at index"""

    @staticmethod
    def forward(ctx, a, dim, index):
        ctx.in_shape, ctx.dim, ctx.index = a.shape, dim, index
        if _aligned(index.shape, a.shape, dim):
            return np.take_along_axis(a, index, dim)
        return a[_full_index(index, dim)]

    @staticmethod
    def backward(ctx, grad_out):
        zeros = _f.Tensor._make(np.zeros(ctx.in_shape, dtype=grad_out._data.dtype))
        return ScatterAdd.apply(zeros, ctx.dim, ctx.index, grad_out), None, None


class ScatterAdd(Op):
    """out = a with src[i][j][k] added at out[i][index[i][j][k]][k] (for dim 1), repeats
    accumulating;  da = g,  dsrc = gather(g, dim, index)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, dim, index, src):
        ctx.dim, ctx.index = dim, index
        out = np.array(a, dtype=np.result_type(a, src))
        src = np.asarray(src)
        if src.shape != index.shape:
            src = src[tuple(slice(0, n) for n in index.shape)]
        if index.shape[dim] == 1 and _aligned(index.shape, out.shape, dim):
            # one index per slice: no repeats, so a plain (vectorised) put is exact
            np.put_along_axis(out, index, np.take_along_axis(out, index, dim) + src, dim)
        else:
            np.add.at(out, _full_index(index, dim), src)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        need_a, _, _, need_src = ctx.needs_input_grad
        gs = Gather.apply(grad_out, ctx.dim, ctx.index) if need_src else None
        return (grad_out if need_a else None), None, None, gs


def _dim(dim, ndim, op):
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: Dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {dim})")
    return dim % n


def gather(input, dim, index):
    """``out[i][j][k] = input[i][index[i][j][k]][k]`` for ``dim == 1`` (PyTorch's gather);
    ``index`` has input's number of dims and is no larger outside ``dim``."""
    idx = np.array(_data_of(index))  # a copy (see _norm_one)
    d = _dim(dim, input._data.ndim, "gather")
    _check_gather("gather", input._data.shape, d, idx)
    return Gather.apply(input, d, idx)


def scatter_add(input, dim, index, src):
    """``input`` with ``src`` added at ``index`` along ``dim`` (repeats accumulate)."""
    idx = np.array(_data_of(index))  # a copy (see _norm_one)
    d = _dim(dim, input._data.ndim, "scatter_add")
    _check_gather("scatter_add", input._data.shape, d, idx)
    sshape = np.shape(_data_of(src))
    if len(sshape) != idx.ndim or any(i > s for i, s in zip(idx.shape, sshape)):
        raise ValueError(f"scatter_add: index shape {idx.shape} must not be larger than src "
                         f"shape {sshape}")
    return ScatterAdd.apply(input, d, idx, src)


def take_along_dim(input, indices, dim=None):
    """Values of ``input`` at ``indices`` along ``dim`` (shapes broadcast outside ``dim``);
    ``dim=None`` indexes the flattened input."""
    from . import shape as S
    idx = np.array(_data_of(indices))  # a copy (see _norm_one)
    if dim is None:
        return Gather.apply(S.reshape(input, (-1,)), 0, _check_flat(idx.reshape(-1), input))
    n = input._data.ndim
    d = _dim(dim, n, "take_along_dim")
    if idx.ndim != n:
        raise ValueError(f"take_along_dim: input {tuple(input.shape)} and indices {idx.shape} "
                         f"should have the same number of dimensions")
    a_shape, i_shape = list(input._data.shape), list(idx.shape)
    a_shape[d] = i_shape[d] = 1
    try:
        b = np.broadcast_shapes(tuple(a_shape), tuple(i_shape))
    except ValueError:
        raise ValueError(f"take_along_dim: shapes {tuple(input.shape)} and {idx.shape} cannot "
                         f"be broadcast outside dim {dim}") from None
    ta = b[:d] + (input._data.shape[d],) + b[d + 1:]
    ti = b[:d] + (idx.shape[d],) + b[d + 1:]
    x = S.expand(input, ta) if ta != input._data.shape else input
    idx = np.broadcast_to(idx, ti)
    _check_gather("take_along_dim", ta, d, idx, negative=True)  # (PyTorch counts from the end)
    return Gather.apply(x, d, idx)


def _check_flat(idx, input):
    if idx.dtype.kind not in "iu":
        raise TypeError(f"take_along_dim: indices must be an integer tensor (got {idx.dtype})")
    check_range("take_along_dim", idx, input._data.size, 0)  # flattened: no negatives (torch)
    return idx


def _data_of(x):
    return x._data if isinstance(x, _f.Tensor) else x


def index_select(input, dim, index):
    """The slices of ``input`` along ``dim`` at the 1-D integer ``index``."""
    idx = np.array(_data_of(index))  # a copy (see _norm_one)
    if idx.ndim > 1:
        raise ValueError(f"index_select: index must be 0-D or 1-D (got shape {idx.shape})")
    if idx.dtype.kind not in "iu":
        raise TypeError(f"index_select: index must be an integer tensor (got {idx.dtype})")
    d = _dim(dim, input._data.ndim, "index_select")
    check_range("index_select", idx, input._data.shape[d] if input._data.ndim else 1, d)
    return getitem(input, (slice(None),) * d + (idx.reshape(-1),))


def masked_fill(input, mask, value):
    """``input`` with ``value`` where ``mask`` is true (mask broadcasts)."""
    m = np.asarray(_data_of(mask))
    if m.dtype != np.bool_:
        raise TypeError(f"masked_fill: mask must be a bool tensor (got {m.dtype})")
    v = value if isinstance(value, _f.Tensor) else np.asarray(value, dtype=input._data.dtype)
    return E.where(_f.Tensor._make(m), v, input)
