"""Sorting and order statistics: sort, argsort, msort, topk, kthvalue, median, unique,
searchsorted, bucketize.

The selecting ops compute their indices in NumPy (not differentiable) and take the values
with ``gather``, so the gradient flows to the selected elements and double backward works.
Sorts are stable; NaN sorts as the largest value, as in PyTorch."""
from __future__ import annotations

import numpy as np

from ... import function as _f
from ...compat import numpy_names
from ...function import Op
from .._common import _array, _norm_dim, _result, _tensor
from ..index import gather_scatter
from ..shape import views

SortResult = _result("sort")
TopkResult = _result("topk")
KthvalueResult = _result("kthvalue")
MedianResult = _result("median")


def _argsort(a, axis, descending):
    """Stable argsort with NaN as the largest value (first when descending)."""
    if a.dtype == np.bool_:
        a = a.astype(np.int8)
    if not descending:
        return np.argsort(a, axis=axis, kind="stable")
    n = a.shape[axis]
    order = np.argsort(np.flip(a, axis), axis=axis, kind="stable")
    return (n - 1) - np.flip(order, axis)


def _take(input, dim, idx):
    """``gather`` for a >= 1-D input; 0-D inputs are handled as one element."""
    return gather_scatter.gather(input, dim, idx)


def _as_1d(input):
    return views.reshape(input, (1,)) if input._data.ndim == 0 else input


@numpy_names
def sort(input, dim=-1, descending=False, stable=False):
    """``(values, indices)`` of ``input`` sorted along ``dim``. Always stable here (PyTorch's
    default sort may order ties differently)."""
    x = _as_1d(_tensor(input, "sort"))
    d = _norm_dim(dim, input._data.ndim, "sort")
    idx = _argsort(x._data, d, descending)
    values = _take(x, d, idx)
    if input._data.ndim == 0:
        return SortResult(views.reshape(values, ()), _f.Tensor._make(idx.reshape(())))
    return SortResult(values, _f.Tensor._make(idx.astype(np.int64, copy=False)))


@numpy_names
def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort ``input`` along ``dim`` (int64, no gradient)."""
    x = _tensor(input, "argsort")
    if x._data.ndim == 0:
        return _f.Tensor._make(np.zeros((), np.int64))
    d = _norm_dim(dim, x._data.ndim, "argsort")
    return _f.Tensor._make(_argsort(x._data, d, descending).astype(np.int64, copy=False))


def msort(input):
    return sort(input, 0).values


@numpy_names
def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (``largest=False``: smallest) elements along ``dim`` as
    ``(values, indices)``; the gradient goes to the selected elements."""
    x = _as_1d(_tensor(input, "topk"))
    d = _norm_dim(dim, input._data.ndim, "topk")
    n = x._data.shape[d]
    if not 0 <= k <= n:
        raise ValueError(f"topk: k ({k}) is out of range for dim {dim} of size {n} (shape "
                         f"{tuple(input.shape)})")
    idx = _topk_indices(x._data, k, d, largest)
    values = _take(x, d, idx)
    if input._data.ndim == 0:
        return TopkResult(views.reshape(values, ()), _f.Tensor._make(idx.reshape(())))
    return TopkResult(values, _f.Tensor._make(idx.astype(np.int64, copy=False)))


def _topk_indices(a, k, d, largest):
    """Indices of the k largest (smallest) along ``d``, in sorted order: a partial
    partition then a sort of the k candidates when k is small, else a full stable sort."""
    n = a.shape[d]
    if k == 0 or 4 * k > n or (a.dtype.kind == "f" and np.isnan(a).any()):
        return np.take(_argsort(a, d, largest), np.arange(k), axis=d)
    key = a.astype(np.float64) if a.dtype.kind in "bu" else a
    part = np.argpartition(-key if largest else key, k - 1, axis=d)
    part = np.take(part, np.arange(k), axis=d)
    # order the candidates by value, ties by original index (which of several tied values
    # at the k-th place is taken is unspecified, as in PyTorch)
    part_sorted = np.sort(part, axis=d)
    cand = np.take_along_axis(a, part_sorted, axis=d)
    order = _argsort(cand, d, largest)
    return np.take_along_axis(part_sorted, order, axis=d)


def _select_kth(input, pos_fn, dim, keepdim, op, cls):
    """Values and indices at sorted position ``pos_fn(row)`` along ``dim``."""
    x = _as_1d(input)
    d = _norm_dim(dim, input._data.ndim, op)
    order = _argsort(x._data, d, False)
    pos = pos_fn(x._data, d)  # shape of x with dim d of size 1
    idx = np.take_along_axis(order, pos, axis=d)
    values = _take(x, d, idx)
    if input._data.ndim == 0:
        return cls(views.reshape(values, ()), _f.Tensor._make(idx.reshape(())))
    if not keepdim:
        values, idx = views.squeeze(values, d), idx.squeeze(d)
    return cls(values, _f.Tensor._make(idx.astype(np.int64, copy=False)))


@numpy_names
def kthvalue(input, k, dim=-1, keepdim=False):
    """The ``k``-th smallest element (1-based) along ``dim`` as ``(values, indices)``."""
    x = _tensor(input, "kthvalue")
    n = _as_1d(x)._data.shape[_norm_dim(dim, x._data.ndim, "kthvalue")]
    if not 1 <= k <= n:
        raise ValueError(f"kthvalue: k ({k}) out of range for dim {dim} of size {n} (shape "
                         f"{tuple(x.shape)})")

    def pos(a, d):
        shape = list(a.shape)
        shape[d] = 1
        return np.full(shape, k - 1, dtype=np.int64)

    return _select_kth(x, pos, dim, keepdim, "kthvalue", KthvalueResult)


def _median_pos(a, d):
    """The lower median's sorted position; a row holding NaN selects its first NaN."""
    n = a.shape[d]
    nans = np.sum(np.isnan(a), axis=d, keepdims=True) if a.dtype.kind == "f" else 0
    return np.where(nans > 0, n - nans, (n - 1) // 2).astype(np.int64)


class MedianAll(Op):
    """out = the lower median of all elements;  da = g shared evenly by the elements equal to
    it (PyTorch's convention for a full reduction)"""

    @staticmethod
    def forward(ctx, a, value):
        if np.isnan(value):
            mask = np.isnan(a)
        else:
            mask = a == value
        ctx.w = (mask / max(int(mask.sum()), 1)).astype(a.dtype)
        return np.asarray(value, dtype=a.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * _f.Tensor._make(ctx.w), None


@numpy_names
def median(input, dim=None, keepdim=False):
    """``median(a)``: the lower median of all elements (NaN if any is NaN). ``median(a, dim,
    keepdim=False)``: ``(values, indices)`` of the lower median along ``dim``."""
    x = _tensor(input, "median")
    if dim is None:
        flat = x._data.reshape(-1)
        if flat.size == 0:
            raise ValueError("median: expected a non-empty tensor (got shape "
                             f"{tuple(x.shape)})")
        if flat.dtype.kind == "f" and np.isnan(flat).any():
            value = np.nan
        else:
            value = np.sort(flat, kind="stable")[(flat.size - 1) // 2]
        return MedianAll.apply(x, value)
    return _select_kth(x, _median_pos, dim, keepdim, "median", MedianResult)


def nanmedian(input, dim=None, keepdim=False):
    raise NotImplementedError("nanmedian is not implemented; use median on the finite "
                              "values (input[~input.isnan()])")


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (sorted), optionally with the inverse indices and the counts."""
    x = _tensor(input, "unique")._data
    res = np.unique(x, return_inverse=return_inverse, return_counts=return_counts, axis=dim)
    if not (return_inverse or return_counts):
        return _f.Tensor._make(res)
    out = [_f.Tensor._make(res[0])]
    i = 1
    if return_inverse:
        inv = res[i]
        if dim is None:
            inv = inv.reshape(x.shape)
        out.append(_f.Tensor._make(inv.astype(np.int64)))
        i += 1
    if return_counts:
        out.append(_f.Tensor._make(res[i].astype(np.int64)))
    return tuple(out)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """Indices where ``input``'s values would be inserted into ``sorted_sequence`` (sorted
    along its last dim; 1-D, or one row per leading index of ``input``) to keep it sorted:
    the first such index, or the last with ``right=True`` / ``side="right"``. int64 (int32
    with ``out_int32``); not differentiable."""
    seq, vals = _array(sorted_sequence), _array(input)
    if side is not None:
        if side not in ("left", "right"):
            raise ValueError(f"searchsorted: side must be 'left' or 'right' (got {side!r})")
        if right and side == "left":
            raise RuntimeError("searchsorted: side and right can't be set to opposites")
        right = side == "right"
    sd = "right" if right else "left"
    srt = None if sorter is None else _array(sorter)
    scalar = vals.ndim == 0
    if seq.ndim == 1:
        out = np.searchsorted(seq, vals, side=sd, sorter=srt)
    else:
        if seq.shape[:-1] != vals.shape[:-1]:
            raise RuntimeError(f"searchsorted: boundaries {tuple(seq.shape)} and input "
                               f"{tuple(vals.shape)} must have the same leading dimensions")
        s2, v2 = seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1])
        o2 = np.stack([np.searchsorted(s2[i], v2[i], side=sd,
                                       sorter=None if srt is None
                                       else srt.reshape(s2.shape)[i])
                       for i in range(s2.shape[0])])
        out = o2.reshape(vals.shape)
    out = np.asarray(out, dtype=np.int32 if out_int32 else np.int64)
    return _f.Tensor._make(out.reshape(()) if scalar else out)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each element of ``input`` among the 1-D increasing ``boundaries``
    (``searchsorted(boundaries, input)``; ``right`` as there)."""
    b = _array(boundaries)
    if b.ndim != 1:
        raise RuntimeError(f"bucketize: boundaries must be 1-D (got shape {tuple(b.shape)})")
    return searchsorted(b, input, out_int32=out_int32, right=right)
