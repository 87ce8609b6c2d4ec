"""Comparisons and tests (no gradient): eq, ne, lt, le, gt, ge, logical_and/or/xor/not,
bitwise_and/or/not, isclose, allclose, equal, isnan, isinf, isposinf, isneginf, isfinite, isin."""
from __future__ import annotations

import builtins

import numpy as np

from ... import function as _f
from .._common import _F64, _array, _binary_error, _data, _promote, _tensor, _unary_error


def _nondiff(fn, *args):
    arrays = [_data(a) for a in args]
    try:
        out = np.asarray(fn(*arrays))
    except (ValueError, TypeError) as e:
        name = getattr(fn, "__name__", "op")
        if len(arrays) == 2:
            raise _binary_error(name, arrays[0], arrays[1], e) from None
        raise _unary_error(name, arrays[0], e) from None
    if out.dtype is _F64 and len(arrays) == 2:
        out = _promote(out, *arrays)
    return _f.Tensor._make(out)


def eq(a, b):
    return _nondiff(np.equal, a, b)


def ne(a, b):
    return _nondiff(np.not_equal, a, b)


def lt(a, b):
    return _nondiff(np.less, a, b)


def le(a, b):
    return _nondiff(np.less_equal, a, b)


def gt(a, b):
    return _nondiff(np.greater, a, b)


def ge(a, b):
    return _nondiff(np.greater_equal, a, b)


def logical_and(a, b):
    return _nondiff(np.logical_and, a, b)


def logical_or(a, b):
    return _nondiff(np.logical_or, a, b)


def logical_xor(a, b):
    return _nondiff(np.logical_xor, a, b)


def logical_not(a):
    return _nondiff(np.logical_not, a)


def bitwise_and(a, b):
    return _nondiff(np.bitwise_and, a, b)


def bitwise_or(a, b):
    return _nondiff(np.bitwise_or, a, b)


def bitwise_not(a):
    return _nondiff(np.invert, a)


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """``|input - other| <= atol + rtol * |other|`` elementwise (bool tensor)."""
    return _f.Tensor._make(np.asarray(np.isclose(_array(input), _array(other), rtol=rtol,
                                                 atol=atol, equal_nan=equal_nan)))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True (a Python bool) if ``isclose`` holds everywhere (shapes broadcast)."""
    try:
        return builtins.bool(np.allclose(_array(input), _array(other), rtol=rtol, atol=atol,
                                         equal_nan=equal_nan))
    except ValueError:
        raise ValueError(f"allclose: shapes {np.shape(_array(input))} and "
                         f"{np.shape(_array(other))} cannot be broadcast together") from None


def equal(input, other):
    """True (a Python bool) if both tensors have the same shape and elements."""
    a, b = _array(input), _array(other)
    return builtins.bool(a.shape == b.shape and np.array_equal(a, b))


def isnan(input):
    return _f.Tensor._make(np.isnan(_tensor(input, "isnan")._data))


def isinf(input):
    return _f.Tensor._make(np.isinf(_tensor(input, "isinf")._data))


def isposinf(input):
    return _f.Tensor._make(np.isposinf(_tensor(input, "isposinf")._data))


def isneginf(input):
    return _f.Tensor._make(np.isneginf(_tensor(input, "isneginf")._data))


def isfinite(input):
    return _f.Tensor._make(np.isfinite(_tensor(input, "isfinite")._data))


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element of ``elements`` is in ``test_elements`` (bool, ``elements``'s
    shape; ``invert`` negates)."""
    res = np.isin(_array(elements), _array(test_elements), assume_unique=assume_unique,
                  invert=invert)
    return _f.Tensor._make(np.asarray(res))
