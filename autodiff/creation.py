"""Factories: tensor, zeros, ones, full, empty, arange, linspace, eye, rand, randn, randint,
the *_like forms and from_numpy. Floats default to float32."""
from __future__ import annotations

import numpy as np

from . import random as _random
from .tensor import DEFAULT_DTYPE, Tensor, _check_grad_dtype, _to_array


def _shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return tuple(int(s) for s in size)


def _finish(arr, requires_grad):
    t = Tensor._make(arr)
    if requires_grad:
        _check_grad_dtype(arr.dtype)
        t._requires_grad = True
    return t


def _float_dtype(dtype):
    return DEFAULT_DTYPE if dtype is None else np.dtype(dtype)


def tensor(data, dtype=None, requires_grad=False):
    """A new tensor holding a copy of ``data`` (list, number, ndarray or Tensor)."""
    return _finish(_to_array(data, dtype), requires_grad)


def as_tensor(data, dtype=None):
    if isinstance(data, Tensor) and (dtype is None or np.dtype(dtype) == data.dtype):
        return data
    return _finish(_to_array(data, dtype, copy=False), False)


def from_numpy(array):
    """A tensor sharing memory with ``array`` (its dtype kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(array).__name__})")
    return Tensor._make(array)


def zeros(*size, dtype=None, requires_grad=False):
    return _finish(np.zeros(_shape(size), _float_dtype(dtype)), requires_grad)


def ones(*size, dtype=None, requires_grad=False):
    return _finish(np.ones(_shape(size), _float_dtype(dtype)), requires_grad)


def empty(*size, dtype=None, requires_grad=False):
    return _finish(np.empty(_shape(size), _float_dtype(dtype)), requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False):
    if dtype is None:
        if isinstance(fill_value, bool):
            dtype = np.bool_
        elif isinstance(fill_value, (int, np.integer)):
            dtype = np.int64
        else:
            dtype = DEFAULT_DTYPE
    return _finish(np.full(_shape((size,)), fill_value, dtype), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else DEFAULT_DTYPE
    return _finish(np.arange(start, end, step).astype(dtype), requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False):
    return _finish(np.linspace(start, end, int(steps)).astype(_float_dtype(dtype)), requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False):
    return _finish(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


def rand(*size, dtype=None, requires_grad=False):
    """Uniform on [0, 1)."""
    dt = _float_dtype(dtype)
    return _finish(_random.generator().random(_shape(size), dtype=np.float64).astype(dt),
                   requires_grad)


def randn(*size, dtype=None, requires_grad=False):
    """Standard normal."""
    dt = _float_dtype(dtype)
    return _finish(_random.generator().standard_normal(_shape(size)).astype(dt), requires_grad)


def randint(low, high=None, size=None, dtype=None, requires_grad=False):
    """Integers uniform on [low, high) (``randint(high, size)`` also works, as PyTorch)."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint: missing the 'size' argument (a tuple)")
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    arr = _random.generator().integers(low, high, size=tuple(size))
    return _finish(arr.astype(np.int64 if dtype is None else dtype), requires_grad)


def zeros_like(input, dtype=None, requires_grad=False):
    return _finish(np.zeros(input.shape, dtype or input.dtype), requires_grad)


def ones_like(input, dtype=None, requires_grad=False):
    return _finish(np.ones(input.shape, dtype or input.dtype), requires_grad)


def empty_like(input, dtype=None, requires_grad=False):
    return _finish(np.empty(input.shape, dtype or input.dtype), requires_grad)


def full_like(input, fill_value, dtype=None, requires_grad=False):
    return _finish(np.full(input.shape, fill_value, dtype or input.dtype), requires_grad)


def rand_like(input, dtype=None, requires_grad=False):
    return rand(*input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(input, dtype=None, requires_grad=False):
    return randn(*input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)
