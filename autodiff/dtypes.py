"""Dtype objects that print as PyTorch's (``autodiff.float32``) and are NumPy dtypes to NumPy.

``ad.float32`` is a ``dtype`` object wrapping ``numpy.dtype("float32")``: it compares and
hashes equal to the NumPy dtype (``t.dtype == np.float32``, ``np.dtype(ad.float32)``,
``np.zeros(3, dtype=ad.float32)`` all work) and answers the NumPy dtype's attributes
(``kind``, ``itemsize``, ``name``, ...); ``repr`` and ``str`` are ``autodiff.float32``, and
``is_floating_point``, ``is_complex``, ``is_signed`` and ``itemsize`` are PyTorch's.
``Tensor.dtype`` returns these objects (one per dtype, so ``t.dtype is ad.float32`` holds).

``ad.bfloat16`` exists so that scripts naming it import, but NumPy has no bfloat16: making a
tensor of it (or converting to it) raises TypeError saying to use float32.
"""
from __future__ import annotations

import numpy as np

__all__ = ["dtype", "wrap", "finfo", "iinfo"]


class dtype:
    """A tensor element type (see the module docstring)."""

    __slots__ = ("_np", "_name")

    def __init__(self, np_dtype, name=None):
        self._np = None if np_dtype is None else np.dtype(np_dtype)
        self._name = name or self._np.name

    @property
    def dtype(self):
        """The NumPy dtype (NumPy reads this attribute when given a dtype object)."""
        if self._np is None:
            raise TypeError(f"autodiff.{self._name} is not supported: NumPy, which holds "
                            f"autodiff's arrays, has no {self._name} type; use autodiff.float32 "
                            "(or float16 for storage)")
        return self._np

    def __getattr__(self, name):
        return getattr(self.dtype, name)

    @property
    def is_floating_point(self):
        return self._np is None or self._np.kind == "f"

    @property
    def is_complex(self):
        return self._np is not None and self._np.kind == "c"

    @property
    def is_signed(self):
        return self._np is None or self._np.kind in "fic"

    @property
    def itemsize(self):
        return 2 if self._np is None else self._np.itemsize

    def to_real(self):
        return wrap(np.empty(0, self.dtype).real.dtype)

    def to_complex(self):
        return wrap(np.result_type(self.dtype, np.complex64))

    def __eq__(self, other):
        if isinstance(other, dtype):
            return self._np == other._np and self._name == other._name
        if self._np is None:
            return False
        try:
            return self._np == np.dtype(other)
        except TypeError:
            return NotImplemented

    def __ne__(self, other):
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self):
        return hash(self._np) if self._np is not None else hash(self._name)

    def __repr__(self):
        return f"autodiff.{self._name}"

    __str__ = __repr__

    def __reduce__(self):
        return (_by_name, (self._name,))


_BY_NP = {}
_BY_NAME = {}


def _register(np_dtype, name=None):
    d = dtype(np_dtype, name)
    if d._np is not None:
        _BY_NP.setdefault(d._np, d)
    _BY_NAME[d._name] = d
    return d


for _n in ("float16", "float32", "float64", "complex64", "complex128", "int8", "int16", "int32",
           "int64", "uint8", "uint16", "uint32", "uint64"):
    _register(_n)
_BY_NP[np.dtype(np.bool_)] = _BY_NAME["bool"] = dtype(np.bool_, "bool")
bfloat16 = _register(None, "bfloat16")


def _by_name(name):
    return _BY_NAME[name]


def wrap(np_dtype):
    """The ``autodiff.dtype`` for a NumPy dtype (made on first use for unusual ones)."""
    d = _BY_NP.get(np_dtype)
    if d is None:
        d = _BY_NP[np.dtype(np_dtype)] = dtype(np_dtype)
    return d


def finfo(type=None):
    """Machine limits of a float dtype (``eps``, ``max``, ``min``, ``tiny``, ``bits``,
    ``resolution``), as ``torch.finfo``; defaults to float32."""
    return np.finfo(np.float32 if type is None else np.dtype(type))


def iinfo(type):
    """Machine limits of an integer dtype (``max``, ``min``, ``bits``), as ``torch.iinfo``."""
    return np.iinfo(np.dtype(type))


# ---- PyTorch's legacy tensor types: ad.FloatTensor(2, 3), ad.LongTensor([1, 2]) -------------
_LEGACY = {"FloatTensor": "float32", "DoubleTensor": "float64", "HalfTensor": "float16",
           "LongTensor": "int64", "IntTensor": "int32", "ShortTensor": "int16",
           "CharTensor": "int8", "ByteTensor": "uint8", "BoolTensor": "bool"}
_LEGACY_BY_DTYPE = {v: k for k, v in _LEGACY.items()}


class _TensorType(type):
    """``ad.FloatTensor`` and friends: ``FloatTensor(2, 3)`` is ``empty(2, 3)``,
    ``FloatTensor([1, 2])`` is ``tensor([1, 2], dtype=float32)``;
    ``isinstance(t, ad.FloatTensor)`` tests the dtype, as PyTorch."""

    def __instancecheck__(cls, obj):
        from .tensor import Tensor
        return isinstance(obj, Tensor) and obj._data.dtype == cls.dtype._np

    def __call__(cls, *args):
        from .creation import empty, tensor
        if not args:
            return empty(0, dtype=cls.dtype)
        if all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            return empty(*args, dtype=cls.dtype)
        if len(args) == 1:
            return tensor(args[0], dtype=cls.dtype)
        raise TypeError(f"{cls.__name__}(): expected sizes (ints) or one sequence of data")

    def __repr__(cls):
        return f"<class 'autodiff.{cls.__name__}'>"


LEGACY_TYPES = {name: _TensorType(name, (), {"dtype": _BY_NAME[dt]})
                for name, dt in _LEGACY.items()}


def type_name(np_dtype):
    """``"autodiff.FloatTensor"`` for float32 (``Tensor.type()``, as PyTorch's names)."""
    name = _LEGACY_BY_DTYPE.get(np.dtype(np_dtype).name)
    return f"autodiff.{name}" if name else f"autodiff.{np.dtype(np_dtype).name}"


def from_type_name(name):
    """The dtype named by ``"torch.FloatTensor"`` / ``"autodiff.LongTensor"`` / a legacy class,
    or None."""
    if isinstance(name, _TensorType):
        return name.dtype
    if isinstance(name, str):
        short = name.rpartition(".")[2]
        if short in _LEGACY:
            return _BY_NAME[_LEGACY[short]]
    return None
