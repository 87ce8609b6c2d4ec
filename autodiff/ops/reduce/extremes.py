"""Largest and smallest values: max, min (values and indices along a dim), amax, amin,
aminmax, argmax, argmin."""
from __future__ import annotations

import numpy as np

from ... import function as _f
from ...compat import numpy_names
from ...function import Op
from .._common import _axes, _reduced_shape, _result, _tensor
from ..elementwise import select
from ..index import gather_scatter
from ..shape import views
from . import sums


class Extreme(Op):
    """out = max (or min) of a over ``axes``; ties share the gradient evenly (PyTorch's
    amax/amin and full max()/min()):  da = g [a == out] / count. A NaN result: full max()/min()
    give the gradient to the NaN elements, amax/amin (``nan_mask=False``) give NaN to the whole
    slice (count 0), as PyTorch's two backward formulas do."""

    @staticmethod
    def forward(ctx, a, axes, keepdim, largest, nan_mask=True):
        ctx.nan_mask = nan_mask
        if a.size == 0 and (not a.ndim or any(a.shape[ax] == 0 for ax in axes)):
            raise ValueError(f"{'max' if largest else 'min'}: cannot reduce over an empty dim "
                             f"(shape {a.shape}, dims {axes})")
        fn = np.max if largest else np.min
        kept = fn(a, axis=axes, keepdims=True) if a.ndim else a.copy()
        ctx.save_for_backward(a)
        ctx.in_shape, ctx.axes_, ctx.keepdim_, ctx.kept = a.shape, axes, keepdim, kept
        return kept if keepdim else kept.reshape(_reduced_shape(a.shape, axes))

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        ad, kept = a._data, ctx.kept
        mask = (ad == kept) | (np.isnan(ad) & np.isnan(kept)) if ctx.nan_mask else ad == kept
        count = np.sum(mask, axis=ctx.axes_, keepdims=True) if ad.ndim else (
            1 if ctx.nan_mask else mask)
        w = _f.Tensor._make((mask / count).astype(ad.dtype, copy=False))
        g = sums._kept(grad_out, ctx.in_shape, ctx.axes_, ctx.keepdim_)
        return g * w, None, None, None, None


class _ValuesIndices(tuple):
    """PyTorch's ``torch.return_types.max``: a tuple ``(values, indices)`` with names."""

    __slots__ = ()
    _name = "max"

    def __new__(cls, values, indices):
        return tuple.__new__(cls, (values, indices))

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]

    def __repr__(self):
        return f"{self._name}(values={self[0]!r}, indices={self[1]!r})"


class MaxResult(_ValuesIndices):
    __slots__ = ()
    _name = "max"


class MinResult(_ValuesIndices):
    __slots__ = ()
    _name = "min"


def _extreme(input, dim, keepdim, largest, other):
    T = _f.Tensor
    name = "max" if largest else "min"
    if isinstance(dim, T) or other is not None:  # max(a, b) is maximum(a, b)
        b = dim if other is None else other
        return select.maximum(input, b) if largest else select.minimum(input, b)
    if not isinstance(input, T):
        raise TypeError(f"{name}: expected a Tensor (got {type(input).__name__})")
    if dim is None:
        return Extreme.apply(input, tuple(range(input._data.ndim)), False, largest)
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{name}: dim must be an int (use amax/amin to reduce several dims)")
    nd = input._data.ndim
    axes = _axes(dim, nd)  # validates dim (0 and -1 are allowed for a 0-d tensor)
    d = axes[0] if nd else 0
    x = input if nd else views.reshape(input, (1,))
    if x._data.shape[d] == 0:
        raise ValueError(f"{name}: cannot reduce over dim {dim} of size 0 (shape "
                         f"{tuple(input.shape)})")
    arg = np.argmax if largest else np.argmin
    idx = arg(x._data, axis=d, keepdims=True)
    values = gather_scatter.gather(x, d, idx)
    if not nd:
        values, idx = views.reshape(values, ()), idx.reshape(())
    elif not keepdim:
        values, idx = views.squeeze(values, d), idx.squeeze(d)
    cls = MaxResult if largest else MinResult
    return cls(values, T._make(idx.astype(np.int64, copy=False)))


@numpy_names
def max(input, dim=None, keepdim=False, *, other=None):
    """``max(a)``: the largest element (ties share the gradient evenly). ``max(a, dim,
    keepdim=False)``: ``(values, indices)`` along ``dim``; the gradient goes to the selected
    index. ``max(a, b)``: elementwise ``maximum``."""
    return _extreme(input, dim, keepdim, True, other)


@numpy_names
def min(input, dim=None, keepdim=False, *, other=None):
    """Like ``max`` for the smallest elements."""
    return _extreme(input, dim, keepdim, False, other)


@numpy_names
def amax(input, dim=(), keepdim=False):
    """Largest values over ``dim`` (int or tuple; ``()`` or None: all dims); ties share the
    gradient evenly."""
    dim = None if dim == () else dim
    return Extreme.apply(input, _nonempty(input, _axes(dim, input._data.ndim, "amax"), "amax"),
                         keepdim, True, False)


@numpy_names
def amin(input, dim=(), keepdim=False):
    dim = None if dim == () else dim
    return Extreme.apply(input, _nonempty(input, _axes(dim, input._data.ndim, "amin"), "amin"),
                         keepdim, False, False)


def _nonempty(input, axes, name):
    a = input._data
    if a.size == 0 and (not a.ndim or any(a.shape[ax] == 0 for ax in axes)):
        raise ValueError(f"{name}: cannot reduce over an empty dim (shape {a.shape}, dims "
                         f"{axes})")
    return axes


AminmaxResult = _result("aminmax", ("min", "max"))


@numpy_names
def aminmax(input, *, dim=None, keepdim=False):
    """``(min, max)`` over ``dim`` (None: all elements); ties share the gradient evenly."""
    x = _tensor(input, "aminmax")
    if x._data.size == 0:
        raise ValueError(f"aminmax: expected a non-empty tensor (got shape {tuple(x.shape)})")
    d = () if dim is None else dim
    return AminmaxResult(amin(x, d, keepdim), amax(x, d, keepdim))


def _arg_extreme(fn, name, input, dim, keepdim):
    d = input._data
    if dim is None:
        if not d.size:
            raise ValueError(f"{name}: expected a reduction dim for an empty input (shape "
                             f"{d.shape})")
        r = np.asarray(fn(d))
        return _f.Tensor._make(r.reshape((1,) * d.ndim) if keepdim else r)
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{name}: dim must be an int (got {type(dim).__name__})")
    axes = _axes(dim, d.ndim, name)
    if not d.ndim:
        return _f.Tensor._make(np.zeros((), dtype=np.int64))
    if d.shape[axes[0]] == 0:
        raise ValueError(f"{name}: cannot reduce over dim {dim} of size 0 (shape {d.shape})")
    return _f.Tensor._make(fn(d, axis=axes[0], keepdims=keepdim))


@numpy_names
def argmax(input, dim=None, keepdim=False):
    """The index of the largest value (of the flattened input when ``dim`` is None)."""
    return _arg_extreme(np.argmax, "argmax", input, dim, keepdim)


@numpy_names
def argmin(input, dim=None, keepdim=False):
    """The index of the smallest value (of the flattened input when ``dim`` is None)."""
    return _arg_extreme(np.argmin, "argmin", input, dim, keepdim)
