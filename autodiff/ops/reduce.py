"""Reductions: sum, mean, var, std, max, min, prod, logsumexp, norm, argmax, argmin.

``dim`` is an int, a tuple of ints or None (all dims); ``keepdim`` keeps reduced dims as size 1.
"""
from __future__ import annotations

import builtins

import numpy as np

from ..function import Op
from .. import function as _f
from . import shape as S


def _axes(dim, ndim):
    """Normalise ``dim`` to a sorted tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (list, tuple)):
        dims = dim
    else:
        dims = (dim,)
    out = []
    for d in dims:
        d = int(d)
        if not -builtins.max(ndim, 1) <= d < builtins.max(ndim, 1):
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-builtins.max(ndim, 1)}, {builtins.max(ndim, 1) - 1}], but got {d})")
        out.append(d % ndim if ndim else 0)
    return tuple(sorted(set(out)))


def _kept_shape(shape, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _expand_back(g, in_shape, axes, keepdim):
    """Broadcast a reduced gradient back over the reduced axes (differentiable)."""
    if not keepdim:
        g = S.reshape(g, _kept_shape(in_shape, axes))
    return S.expand(g, in_shape)


class Sum(Op):
    """out = sum of a over ``axes``;  da = g broadcast back"""

    @staticmethod
    def forward(ctx, a, axes, keepdim, dtype):
        ctx.in_shape, ctx.axes_, ctx.keepdim_ = a.shape, axes, keepdim
        if a.ndim == 0:
            return np.array(a, dtype=dtype)
        return np.sum(a, axis=axes, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx, grad_out):
        return _expand_back(grad_out, ctx.in_shape, ctx.axes_, ctx.keepdim_), None, None, None


class Mean(Op):
    """out = mean of a over ``axes``;  da = g / n broadcast back"""

    @staticmethod
    def forward(ctx, a, axes, keepdim, dtype):
        ctx.in_shape, ctx.axes_, ctx.keepdim_ = a.shape, axes, keepdim
        n = 1
        for ax in axes:
            n *= a.shape[ax]
        ctx.n = n
        if a.ndim == 0:
            return np.array(a, dtype=dtype)
        return np.mean(a, axis=axes, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx, grad_out):
        g = _expand_back(grad_out, ctx.in_shape, ctx.axes_, ctx.keepdim_)
        return g / ctx.n if ctx.n else g * np.nan, None, None, None


class SumToShape(Op):
    """out = a summed down to ``shape`` (the reverse of broadcasting);  da = g expanded"""

    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        return sum_to_shape_array(a, shape)

    @staticmethod
    def backward(ctx, grad_out):
        return S.expand(grad_out, ctx.in_shape), None


def sum_to_shape_array(a, shape):
    shape = tuple(shape)
    if a.shape == shape:
        return a
    lead = a.ndim - len(shape)
    if lead < 0:
        raise ValueError(f"sum_to_shape: cannot reduce shape {a.shape} to {shape}")
    axes = list(range(lead))
    for i, s in enumerate(shape):
        if s == 1 and a.shape[lead + i] != 1:
            axes.append(lead + i)
        elif s != a.shape[lead + i]:
            raise ValueError(f"sum_to_shape: cannot reduce shape {a.shape} to {shape}")
    out = np.sum(a, axis=tuple(axes), keepdims=True) if axes else a
    return out.reshape(shape)


def sum_to_shape(a, shape):
    if tuple(a.shape) == tuple(shape):
        return a
    return SumToShape.apply(a, tuple(shape))


def _reduce(op, a, dim, keepdim, dtype=None):
    a = a if isinstance(a, _f.Tensor) else _f.Tensor._make(np.asarray(a))
    axes = _axes(dim, a.data.ndim)
    return op.apply(a, axes, keepdim, dtype)


def sum(input, dim=None, keepdim=False, dtype=None):
    if input.data.dtype.kind in "bi" and dtype is None:
        dtype = np.int64  # like PyTorch: integer and bool sums are int64
    return _reduce(Sum, input, dim, keepdim, dtype)


def mean(input, dim=None, keepdim=False, dtype=None):
    if input.data.dtype.kind not in "fc" and dtype is None:
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {input.data.dtype}")
    return _reduce(Mean, input, dim, keepdim, dtype)


def var(input, dim=None, unbiased=None, keepdim=False, correction=None):
    """Variance with ``correction`` (default 1, Bessel); ``unbiased=False`` means 0."""
    if correction is None:
        correction = 0 if unbiased is False else 1
    axes = _axes(dim, input.ndim)
    n = 1
    for ax in axes:
        n *= input.shape[ax]
    d = input - mean(input, axes, keepdim=True)
    return sum(d * d, axes, keepdim) / builtins.max(n - correction, 0)


def std(input, dim=None, unbiased=None, keepdim=False, correction=None):
    return var(input, dim, unbiased=unbiased, keepdim=keepdim, correction=correction) ** 0.5


def argmax(input, dim=None, keepdim=False):
    d = input.data
    if dim is None:
        r = np.asarray(np.argmax(d))
        return _f.Tensor._make(r.reshape((1,) * d.ndim) if keepdim else r)
    return _f.Tensor._make(np.argmax(d, axis=dim, keepdims=keepdim))


def argmin(input, dim=None, keepdim=False):
    d = input.data
    if dim is None:
        r = np.asarray(np.argmin(d))
        return _f.Tensor._make(r.reshape((1,) * d.ndim) if keepdim else r)
    return _f.Tensor._make(np.argmin(d, axis=dim, keepdims=keepdim))
