"""Reading and writing along one dim: gather, take_along_dim, index_select, scatter,
scatter_add, scatter_reduce, index_add, index_copy, index_fill, index_put."""
from __future__ import annotations

import numpy as np

from ... import function as _f
from ...function import Op
from .._common import _array, _norm_dim, _tensor
from ..shape import views
from . import subscript


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


def gather(input, dim, index):
    """``out[i][j][k] = input[i][index[i][j][k]][k]`` for ``dim == 1`` (PyTorch's gather);
    ``index`` has input's number of dims and is no larger outside ``dim``."""
    idx = np.array(_data_of(index))  # a copy (see _norm_one)
    d = _norm_dim(dim, input._data.ndim, "gather")
    _check_gather("gather", input._data.shape, d, idx)
    return Gather.apply(input, d, idx)


def scatter_add(input, dim, index, src):
    """``input`` with ``src`` added at ``index`` along ``dim`` (repeats accumulate)."""
    idx = np.array(_data_of(index))  # a copy (see _norm_one)
    d = _norm_dim(dim, input._data.ndim, "scatter_add")
    _check_gather("scatter_add", input._data.shape, d, idx)
    sshape = np.shape(_data_of(src))
    if len(sshape) != idx.ndim or any(i > s for i, s in zip(idx.shape, sshape)):
        raise ValueError(f"scatter_add: index shape {idx.shape} must not be larger than src "
                         f"shape {sshape}")
    return ScatterAdd.apply(input, d, idx, src)


def take_along_dim(input, indices, dim=None):
    """Values of ``input`` at ``indices`` along ``dim`` (shapes broadcast outside ``dim``);
    ``dim=None`` indexes the flattened input."""
    idx = np.array(_data_of(indices))  # a copy (see _norm_one)
    if dim is None:
        return Gather.apply(views.reshape(input, (-1,)), 0, _check_flat(idx.reshape(-1), input))
    n = input._data.ndim
    d = _norm_dim(dim, n, "take_along_dim")
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
    x = views.expand(input, ta) if ta != input._data.shape else input
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
    d = _norm_dim(dim, input._data.ndim, "index_select")
    check_range("index_select", idx, input._data.shape[d] if input._data.ndim else 1, d)
    return subscript.getitem(input, (slice(None),) * d + (idx.reshape(-1),))


class Scatter(Op):
    """out = a with out[i][index[i][j]] = src[i][j] (dim 1; a repeated index keeps one write);
    da = g with the written places zeroed,  dsrc = gather(g, dim, index)"""

    @staticmethod
    def forward(ctx, a, dim, index, src):
        ctx.dim, ctx.index = dim, index
        out = a.copy()
        src = np.asarray(src)
        if src.ndim:
            src = src[tuple(slice(0, n) for n in index.shape)]
        out[_full_index(index, dim)] = src
        return out

    @staticmethod
    def backward(ctx, grad_out):
        need_a, _, _, need_src = ctx.needs_input_grad
        ga = Scatter.apply(grad_out, ctx.dim, ctx.index, 0.0) if need_a else None
        gs = Gather.apply(grad_out, ctx.dim, ctx.index) if need_src else None
        return ga, None, None, gs


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """``input`` with ``src[i][j][k]`` (or the number ``value``) written at
    ``out[i][index[i][j][k]][k]`` for ``dim == 1``. ``reduce='add'`` adds instead (as
    ``scatter_add``); ``reduce='multiply'`` is not supported."""
    x = _tensor(input, "scatter")
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter: give src (a Tensor) or value (a number)")
    idx = np.array(_array(index))  # a copy (see subscript._norm_one)
    d = _norm_dim(dim, x._data.ndim, "scatter")
    _check_gather("scatter", x._data.shape, d, idx)
    if reduce is not None:
        if reduce == "add":
            if not isinstance(src, _f.Tensor):
                src = _f.Tensor._make(np.full(idx.shape, src, dtype=x._data.dtype))
            return scatter_add(x, dim, idx, src)
        raise ValueError(f"scatter: reduce={reduce!r} is not supported (only 'add')")
    if isinstance(src, _f.Tensor):
        sshape = src._data.shape
        if len(sshape) != idx.ndim or any(i > s for i, s in zip(idx.shape, sshape)):
            raise ValueError(f"scatter: index shape {idx.shape} must not be larger than src "
                             f"shape {sshape}")
        if src._data.dtype != x._data.dtype:
            raise RuntimeError(f"scatter: expected self.dtype to be equal to src.dtype (got "
                               f"{x._data.dtype} and {src._data.dtype})")
    elif isinstance(src, np.ndarray) and src.ndim:
        raise TypeError("scatter: src must be a Tensor or a number")
    return Scatter.apply(x, d, idx, src)


class ScatterReduce(Op):
    """out = a with src reduced into it at index along dim ('sum', 'mean', 'amax', 'amin';
    with or without a's own value). The gradient is linear in g with coefficients fixed in
    forward: da = g w_a,  dsrc = gather(g w, index) w_src (amax/amin: shared evenly among
    the elements equal to the result; mean: divided by the count)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, dim, index, src, reduce, include_self):
        full = _full_index(index, dim)
        src = np.asarray(src)[tuple(slice(0, n) for n in index.shape)]
        hit = np.zeros(a.shape, dtype=np.int64)
        np.add.at(hit, full, 1)
        touched = hit > 0
        keep = np.ones(a.shape) if include_self else (~touched).astype(np.float64)
        fdt = a.dtype if a.dtype.kind == "f" else np.dtype(np.float64)
        if reduce in ("sum", "mean"):
            acc = np.where(keep > 0, a, 0).astype(a.dtype)
            np.add.at(acc, full, src)
            if reduce == "sum":
                ctx.w_a, ctx.w_g = keep.astype(fdt), None
                out = acc
            else:
                count = np.maximum(hit + keep, 1)
                out = (acc // count if a.dtype.kind in "iub" else acc / count).astype(a.dtype)
                ctx.w_a, ctx.w_g = (keep / count).astype(fdt), (1.0 / count).astype(fdt)
        else:
            fn = np.maximum if reduce == "amax" else np.minimum
            start = np.where(touched & (keep == 0),
                             -np.inf if reduce == "amax" else np.inf, a)
            acc = start.astype(fdt)
            fn.at(acc, full, src.astype(fdt))
            out = acc.astype(a.dtype)
            # PyTorch's rule: ties with a count in the divisor even when include_self=False
            # (a then gets no gradient at the places written to)
            eq_a = a == out
            eq_src = (src == out[full])
            count = eq_a.astype(np.float64)
            np.add.at(count, full, eq_src)
            count = np.maximum(count, 1)
            ctx.w_a = (eq_a * keep / count).astype(fdt)
            ctx.w_g = (1.0 / count).astype(fdt)
            ctx.w_src = eq_src.astype(fdt)
        ctx.reduce, ctx.dim, ctx.index = reduce, dim, index
        return out

    @staticmethod
    def backward(ctx, grad_out):
        need_a = ctx.needs_input_grad[0]
        need_src = ctx.needs_input_grad[3]
        T = _f.Tensor._make
        ga = grad_out * T(ctx.w_a) if need_a else None
        gs = None
        if need_src:
            g = grad_out if ctx.w_g is None else grad_out * T(ctx.w_g)
            gs = Gather.apply(g, ctx.dim, ctx.index)
            if ctx.reduce in ("amax", "amin"):
                gs = gs * T(ctx.w_src)
        return ga, None, None, gs, None, None


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """``input`` with ``src`` reduced into the places ``index`` points at along ``dim``:
    ``reduce`` is 'sum', 'mean', 'amax' or 'amin' ('prod' is not supported); with
    ``include_self=False`` the places written to start from the src values alone."""
    x = _tensor(input, "scatter_reduce")
    if reduce not in ("sum", "mean", "amax", "amin"):
        raise ValueError(f"scatter_reduce: reduce={reduce!r} is not supported (use 'sum', "
                         "'mean', 'amax' or 'amin')")
    idx = np.array(_array(index))  # a copy (see subscript._norm_one)
    d = _norm_dim(dim, x._data.ndim, "scatter_reduce")
    _check_gather("scatter_reduce", x._data.shape, d, idx)
    s = _tensor(src, "scatter_reduce")
    if s._data.ndim != idx.ndim or any(i > n for i, n in zip(idx.shape, s._data.shape)):
        raise ValueError(f"scatter_reduce: index shape {idx.shape} must not be larger than src "
                         f"shape {s._data.shape}")
    return ScatterReduce.apply(x, d, idx, s, reduce, bool(include_self))


def _index_1d(index, op):
    idx = np.array(_array(index))  # a copy (see subscript._norm_one)
    if idx.ndim > 1:
        raise ValueError(f"{op}: index must be 0-D or 1-D (got shape {idx.shape})")
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must be an integer tensor (got {idx.dtype})")
    return idx.reshape(-1)


def _along(idx, d, shape):
    """A 1-D index along dim ``d`` broadcast to ``shape`` (for scatter/gather)."""
    view = [1] * len(shape)
    view[d] = idx.size
    return np.broadcast_to(idx.reshape(view), shape)


def index_add(input, dim, index, source, *, alpha=1):
    """``input`` with ``alpha * source`` added at ``index`` along ``dim`` (repeats
    accumulate); ``source`` has ``input``'s shape with ``len(index)`` along ``dim``."""
    x = _tensor(input, "index_add")
    idx = _index_1d(index, "index_add")
    d = _norm_dim(dim, x._data.ndim, "index_add")
    check_range("index_add", idx, x._data.shape[d] if x._data.ndim else 1, d)
    src = source if isinstance(source, _f.Tensor) else _f.Tensor._make(np.asarray(source))
    s_shape, x_shape = src._data.shape, x._data.shape
    want = x_shape[:d] + (idx.size,) + x_shape[d + 1:] if x._data.ndim else (idx.size,)
    if x._data.ndim and s_shape != want:
        raise ValueError(f"index_add: source shape {s_shape} does not fit input shape "
                         f"{x_shape} with {idx.size} indices along dim {dim}")
    if alpha != 1:
        src = src * alpha
    if x._data.ndim == 0:
        out = scatter_add(views.reshape(x, (1,)), 0, idx, views.reshape(src, (-1,)))
        return views.reshape(out, ())
    return scatter_add(x, d, _along(idx, d, s_shape), src)


def index_copy(input, dim, index, source):
    """``input`` with the slices at ``index`` along ``dim`` replaced by ``source``."""
    x = _tensor(input, "index_copy")
    idx = _index_1d(index, "index_copy")
    d = _norm_dim(dim, x._data.ndim, "index_copy")
    check_range("index_copy", idx, x._data.shape[d] if x._data.ndim else 1, d)
    src = _tensor(source, "index_copy")
    want = x._data.shape[:d] + (idx.size,) + x._data.shape[d + 1:]
    if src._data.shape != want:
        raise ValueError(f"index_copy: source shape {src._data.shape} does not fit input shape "
                         f"{x._data.shape} with {idx.size} indices along dim {dim}")
    return Scatter.apply(x, d, _along(idx, d, want), src)


def index_fill(input, dim, index, value):
    """``input`` with ``value`` (a number or 0-D tensor) at ``index`` along ``dim``."""
    x = _tensor(input, "index_fill")
    idx = _index_1d(index, "index_fill")
    d = _norm_dim(dim, x._data.ndim, "index_fill")
    check_range("index_fill", idx, x._data.shape[d] if x._data.ndim else 1, d, negative=True)
    if isinstance(value, _f.Tensor):
        if value._data.ndim:
            raise ValueError(f"index_fill: value must be a 0-D tensor (got shape "
                             f"{tuple(value.shape)})")
        value = value.item()
    shape = x._data.shape[:d] + (idx.size,) + x._data.shape[d + 1:]
    return Scatter.apply(x, d, _along(idx, d, shape), value)


def index_put(input, indices, values, accumulate=False):
    """``input`` with ``values`` written at ``input[indices]`` (a tuple of index tensors, as
    ``input[indices] = values``); ``accumulate=True`` adds instead, repeated indices summing."""
    x = _tensor(input, "index_put")
    if not isinstance(indices, (tuple, list)):
        raise TypeError("index_put: indices must be a tuple of index tensors")
    idx = subscript._norm_index(tuple(indices))
    v = values if isinstance(values, _f.Tensor) else _f.Tensor._make(
        np.asarray(values, dtype=x._data.dtype))
    if not accumulate:
        return subscript.assigned(x, idx, v)
    target = x._data[idx].shape
    if v._data.shape != target:
        try:
            v = views.expand(v, target)
        except ValueError:
            raise ValueError(f"index_put: values of shape {tuple(v.shape)} cannot be broadcast "
                             f"to the indexed shape {target}") from None
    return x + subscript.IndexBackward.apply(v, x._data.shape, idx)
