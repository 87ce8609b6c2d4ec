"""Comparisons and tests (no gradient): eq, ne, lt, le, gt, ge, logical_and/or/xor/not,
bitwise_and/or/not, isclose, allclose, equal, isnan, isinf, isposinf, isneginf, isfinite, isin."""
from __future__ import annotations

import builtins

import numpy as np

from ... import function as _f
from .._common import _array, _data, _tensor, _unary_error, binary_forward


def _binary(op, fn):
    """The functional form of a non-differentiable binary op: a Tensor (bool, or integer for
    the bitwise ops) of ``fn(input, other)``, broadcast and promoted as the arithmetic ops."""

    forward = binary_forward(fn, op)  # called without a ctx: nothing is recorded

    def compare(input, other):
        return _f.Tensor._make(forward(None, _data(input), _data(other)))

    compare.__name__ = compare.__qualname__ = op
    return compare


def _unary(op, fn, tensor_only=False):
    """The functional form of a non-differentiable test of one input (``tensor_only``: of a
    Tensor, TypeError otherwise)."""

    def test(input):
        a = _tensor(input, op)._data if tensor_only else _data(input)
        try:
            out = fn(a)
        except TypeError as e:
            raise _unary_error(op, a, e) from None
        return _f.Tensor._make(np.asarray(out))

    test.__name__ = test.__qualname__ = op
    return test


eq, ne = _binary("eq", np.equal), _binary("ne", np.not_equal)
lt, le = _binary("lt", np.less), _binary("le", np.less_equal)
gt, ge = _binary("gt", np.greater), _binary("ge", np.greater_equal)
logical_and = _binary("logical_and", np.logical_and)
logical_or = _binary("logical_or", np.logical_or)
logical_xor = _binary("logical_xor", np.logical_xor)
logical_not = _unary("logical_not", np.logical_not)
bitwise_and = _binary("bitwise_and", np.bitwise_and)
bitwise_or = _binary("bitwise_or", np.bitwise_or)
bitwise_not = _unary("bitwise_not", np.invert)
isnan = _unary("isnan", np.isnan, True)
isinf = _unary("isinf", np.isinf, True)
isposinf = _unary("isposinf", np.isposinf, True)
isneginf = _unary("isneginf", np.isneginf, True)
isfinite = _unary("isfinite", np.isfinite, True)


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


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element of ``elements`` is in ``test_elements`` (bool, ``elements``'s
    shape; ``invert`` negates)."""
    res = np.isin(_array(elements), _array(test_elements), assume_unique=assume_unique,
                  invert=invert)
    return _f.Tensor._make(np.asarray(res))
