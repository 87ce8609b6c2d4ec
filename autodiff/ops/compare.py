"""Whole-tensor tests and boolean reductions (no gradient): all, any, isclose, allclose,
equal."""
from __future__ import annotations

import builtins

import numpy as np

from .. import function as _f
from . import reduce as R


def _data(x):
    return x._data if isinstance(x, _f.Tensor) else np.asarray(x)


def _bool_reduce(fn, input, dim, keepdim, op):
    if not isinstance(input, _f.Tensor):
        raise TypeError(f"{op}: expected a Tensor (got {type(input).__name__})")
    a = input._data
    if dim is None:
        out = np.asarray(fn(a))
        return _f.Tensor._make(out.reshape((1,) * a.ndim) if keepdim else out)
    axes = R._axes(dim, a.ndim, getattr(fn, "__name__", "reduce"))
    if a.ndim == 0:
        return _f.Tensor._make(np.asarray(fn(a)))
    return _f.Tensor._make(np.asarray(fn(a, axis=axes, keepdims=keepdim)))


def all(input, dim=None, keepdim=False):
    """True where every element (over ``dim``; None: all) is nonzero. A bool tensor."""
    return _bool_reduce(np.all, input, dim, keepdim, "all")


def any(input, dim=None, keepdim=False):
    """True where some element (over ``dim``; None: all) is nonzero. A bool tensor."""
    return _bool_reduce(np.any, input, dim, keepdim, "any")


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """``|input - other| <= atol + rtol * |other|`` elementwise (bool tensor)."""
    return _f.Tensor._make(np.asarray(np.isclose(_data(input), _data(other), rtol=rtol,
                                                 atol=atol, equal_nan=equal_nan)))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True (a Python bool) if ``isclose`` holds everywhere (shapes broadcast)."""
    try:
        return builtins.bool(np.allclose(_data(input), _data(other), rtol=rtol, atol=atol,
                                         equal_nan=equal_nan))
    except ValueError:
        raise ValueError(f"allclose: shapes {np.shape(_data(input))} and "
                         f"{np.shape(_data(other))} cannot be broadcast together") from None


def equal(input, other):
    """True (a Python bool) if both tensors have the same shape and elements."""
    a, b = _data(input), _data(other)
    return builtins.bool(a.shape == b.shape and np.array_equal(a, b))
