"""Helpers shared by the op families: argument normalisation (``_tensor``, ``_norm_dim``,
``_axes``), PyTorch's dtype promotion, the errors an op raises when NumPy refuses its operands,
and the named result tuples (``torch.return_types``)."""
from __future__ import annotations

import builtins

import numpy as np

from .. import function as _f


_F64 = np.dtype(np.float64)
_F32 = np.dtype(np.float32)
_ndarray = np.ndarray


def _data(x):
    return x._data if isinstance(x, _f.Tensor) else x


def _array(x):
    return x._data if isinstance(x, _f.Tensor) else np.asarray(x)


def _tensor(x, op):
    if not isinstance(x, _f.Tensor):
        raise TypeError(f"{op}: expected a Tensor (got {type(x).__name__})")
    return x


def _norm_dim(dim, ndim, op="dim"):
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: Dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {dim})")
    return dim % n


def _axes(dim, ndim, op="reduce"):
    """Normalise ``dim`` to a sorted tuple of non-negative axes; a dim given twice (``(0, 0)``,
    ``(1, -1)``) is a ValueError naming ``op``, as PyTorch refuses it."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (list, tuple)):
        dims = dim
    else:
        dims = (dim,)
    out = []
    for d in dims:
        d = int(d)
        n = builtins.max(ndim, 1)
        if not -n <= d < n:
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-n}, {n - 1}], but got {d})")
        if ndim:
            d %= ndim
            if d in out:
                raise ValueError(f"{op}: dim {d} appears multiple times in the list of dims "
                                 f"{tuple(dims)}")
            out.append(d)
    return tuple(sorted(out))


def _kept_shape(shape, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _reduced_shape(shape, axes):
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def _shape_of(x):
    return tuple(np.shape(x)) if isinstance(x, (np.ndarray, np.generic, list, tuple)) else ()


def _type_name(x):
    return "Tensor" if isinstance(x, np.ndarray) else type(x).__name__


def _binary_error(op, a, b, err):
    """The error of a binary op whose NumPy call failed: names the op and both operands."""
    if isinstance(err, TypeError):
        return TypeError(f"{op}: unsupported operand types {_type_name(a)} and {_type_name(b)} "
                         f"({err})")
    return ValueError(f"{op}: shapes {_shape_of(a)} and {_shape_of(b)} cannot be broadcast "
                      "together")


def _unary_error(op, a, err):
    if isinstance(err, TypeError):
        return TypeError(f"{op}: unsupported operand type {_type_name(a)} ({err})")
    return ValueError(f"{op}: {err} (shape {_shape_of(a)})")


def _promote(out, a, b):
    """PyTorch's promotion where NumPy differs: a float64 result stays float64 only when an
    operand is a float64 array; integers with Python floats (or true division of integers)
    give the default float32."""
    if (a.__class__ is _ndarray and a.dtype is _F64) or (b.__class__ is _ndarray and
                                                          b.dtype is _F64):
        return out
    return out.astype(_F32)


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _zero_dim(a, b):
    """PyTorch's promotion for a 0-d tensor against a dimensioned one (called when both are
    arrays of different dtypes): a 0-d operand of the same or a lower category takes the other's
    dtype (``float32_tensor * float64_scalar_tensor`` is float32, computed in float32)."""
    if (a.ndim == 0) == (b.ndim == 0):
        return a, b
    if a.ndim == 0:
        if _CATEGORY[a.dtype.kind] <= _CATEGORY[b.dtype.kind]:
            a = a.astype(b.dtype)
    elif _CATEGORY[b.dtype.kind] <= _CATEGORY[a.dtype.kind]:
        b = b.astype(a.dtype)
    return a, b


def _float_result(out, a):
    """Unary float math on an integer or bool tensor gives float32 (PyTorch), not NumPy's
    float64 / float16."""
    if isinstance(a, np.ndarray) and a.dtype.kind in "biu":
        return out.astype(_F32)
    return out


class _Named(tuple):
    """PyTorch's ``torch.return_types.*``: a tuple whose items also have names."""

    __slots__ = ()
    _fields = ("values", "indices")
    _name = "result"

    def __new__(cls, *items):
        return tuple.__new__(cls, items)

    def __getattr__(self, name):
        try:
            return self[self._fields.index(name)]
        except ValueError:
            raise AttributeError(name) from None

    def __repr__(self):
        body = ", ".join(f"{k}={v!r}" for k, v in zip(self._fields, self))
        return f"{self._name}({body})"


def _result(name, fields=("values", "indices")):
    return type(name, (_Named,), {"__slots__": (), "_fields": fields, "_name": name})
