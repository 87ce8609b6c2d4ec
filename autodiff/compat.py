"""PyTorch's calling conventions that cut across ops: the ``out=`` keyword and NumPy's
argument names (``axis=``, ``keepdims=``).

``supports_out(fn)`` gives a function PyTorch's ``out=`` keyword: the result is written into
``out`` (a Tensor, or a tuple of Tensors for ops returning several) and ``out`` is returned.
As in PyTorch, an argument (``out`` included) that requires grad while grad mode is on raises
RuntimeError ("functions with out=... arguments don't support automatic differentiation"); the
result is cast to ``out``'s dtype when the cast is safe (float -> int raises); an ``out`` of
another shape is resized, with PyTorch's warning when it was not empty.

``numpy_names(fn)`` accepts ``axis=`` for ``dim=`` and ``keepdims=`` for ``keepdim=``, as
PyTorch's argument parser does.
"""
from __future__ import annotations

import functools
import warnings

import numpy as np

from .grad_mode import _state

__all__ = ["supports_out", "numpy_names", "write_out"]


def _requires_grad(x):
    from .tensor import Tensor
    if isinstance(x, Tensor):
        return x._requires_grad
    if isinstance(x, (list, tuple)):
        return any(_requires_grad(v) for v in x)
    return False


def write_out(result, out, name):
    """Copy ``result`` (a Tensor or tuple of Tensors) into ``out``; return ``out``."""
    from .tensor import Tensor
    if isinstance(result, tuple):
        if not isinstance(out, (tuple, list)) or len(out) != len(result):
            raise TypeError(f"{name}(): out must be a tuple of {len(result)} Tensors")
        for r, o in zip(result, out):
            write_out(r, o, name)
        if type(result) is tuple:
            return tuple(out)
        return type(result)(*out)  # a named result (max, sort, histogram, ...)
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    res = result._data if isinstance(result, Tensor) else np.asarray(result)
    dst = out._data
    if not np.can_cast(res.dtype, dst.dtype, "same_kind"):
        raise RuntimeError(f"result type {_torch_type_name(res.dtype)} can't be cast to the "
                           f"desired output type {_torch_type_name(dst.dtype)}")
    if res.shape != dst.shape:
        if dst.size:
            warnings.warn(f"An output with one or more elements was resized since it had shape "
                          f"{list(dst.shape)}, which does not match the required output shape "
                          f"{list(res.shape)}. This behavior is deprecated, and in a future "
                          "PyTorch release outputs will not be resized unless they have zero "
                          "elements.", UserWarning, stacklevel=3)
        out._data = np.empty(res.shape, dtype=dst.dtype)
        dst = out._data
    np.copyto(dst, res, casting="unsafe")
    out._version += 1
    return out


_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
               "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
               "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _torch_type_name(dt):
    return _TYPE_NAMES.get(np.dtype(dt).name, np.dtype(dt).name)


def supports_out(fn, name=None):
    """``fn`` with PyTorch's ``out=`` keyword (see the module docstring)."""
    name = name or fn.__name__

    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        if _state.grad_enabled and (_requires_grad(args) or _requires_grad(out)
                                    or _requires_grad(tuple(kwargs.values()))):
            raise RuntimeError(f"{name}(): functions with out=... arguments don't support "
                               "automatic differentiation, but one of the arguments requires "
                               "grad.")
        prev = _state.grad_enabled
        _state.grad_enabled = False
        try:
            result = fn(*args, **kwargs)
        finally:
            _state.grad_enabled = prev
        return write_out(result, out, name)
    return wrapper


def numpy_names(fn):
    """``fn`` accepting NumPy's ``axis=`` / ``keepdims=`` for ``dim=`` / ``keepdim=``."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if kwargs:
            if "keepdims" in kwargs:
                if "keepdim" in kwargs:
                    raise TypeError(f"{fn.__name__}(): got both keepdim and its alias keepdims")
                kwargs["keepdim"] = kwargs.pop("keepdims")
            if "axis" in kwargs:
                if "dim" in kwargs:
                    raise TypeError(f"{fn.__name__}(): got both dim and its alias axis")
                kwargs["dim"] = kwargs.pop("axis")
        return fn(*args, **kwargs)
    return wrapper
