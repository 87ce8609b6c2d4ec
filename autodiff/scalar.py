"""Scalar: a one-number node for teaching backpropagation one neuron at a time.

    a = Scalar(2.0, label="a"); b = Scalar(-3.0, label="b")
    n = (a * b + 6.8813735870195432).tanh(); n.label = "n"
    n.backward()
    n            # Scalar(data=0.7071, grad=1.0, label='n')
    a.grad       # -1.5

A ``Scalar`` is a ``Tensor`` whose value is one float64 number: every operation goes through
the same ``Function.apply`` and the same backward pass as tensors (there is no second engine);
the result of an operation on Scalars is re-classed as a ``Scalar``. Differences from a
``Tensor``, all chosen for teaching:

* ``data`` is the number itself (a ``numpy.float64``, which is a Python ``float``); the
  engine works on the 0-d float64 array behind it, and assigning ``s.data = v`` stores a new
  array (so it never changes a value saved for backward);
* ``grad`` is a float, ``0.0`` before any backward (like micrograd), and every Scalar keeps
  its gradient, including intermediate ones (they call ``retain_grad()`` automatically);
* Scalars require grad by default (``Scalar(v, requires_grad=False)`` makes a constant);
* ``label`` names the node for ``draw_graph``.
"""
from __future__ import annotations

import weakref

import numpy as np

from .printing import format_number
from .tensor import Tensor

_data_slot = Tensor.__dict__["_data"]
_grad_slot = Tensor.__dict__["_grad"]
_float64 = np.float64


def _as_number(value):
    """A 0-d float64 array holding ``value`` (a real number)."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"Scalar: value must be a real number (got {type(value).__name__})")
    try:
        v = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"Scalar: value must be a real number (got "
                        f"{type(value).__name__})") from None
    if v.ndim != 0:
        raise ValueError(f"Scalar: expected one number (got shape {v.shape})")
    return v


def _rewrapped(name):
    """Tensor's op method ``name`` with its result re-classed as a Scalar."""
    method = getattr(Tensor, name)

    def op(self, *args):
        return _wrap(method(self, *args))

    op.__name__ = name
    op.__qualname__ = f"Scalar.{name}"
    op.__doc__ = method.__doc__
    return op


def _wrap(t, label=""):
    """Re-class an op's result as a Scalar (a one-element float result; anything else is
    returned unchanged)."""
    if not isinstance(t, Tensor) or t._data.size != 1 or t._data.dtype.kind != "f":
        return t
    s = object.__new__(Scalar)
    _data_slot.__set__(s, t._data.reshape(()))
    _grad_slot.__set__(s, None)
    s._requires_grad = t._requires_grad
    s.grad_fn = t.grad_fn
    s._output_nr = t._output_nr
    s._version = 0
    s._hooks = None
    s._accum = None
    s._retains_grad = False
    s.label = label
    if t.grad_fn is not None:
        # retain_grad(), with a record in place of the plain weak reference (see _Record)
        node = t.grad_fn
        if node.retained is None:
            node.retained = {}
        node.retained[t._output_nr] = _Record(s)
        s._retains_grad = True
    return s


class _Record:
    """The value and gradient of an op's Scalar result, kept by the op's node so that
    ``draw_graph`` shows them on every node, as micrograd does, even after the user dropped
    that Scalar. It sits in the node's ``retained`` map where ``retain_grad()`` puts a weak
    reference: called like one, it returns itself, and backward's ``_accumulate_grad`` adds the
    gradient here and into the Scalar while it lives. It holds two floats and a weak reference,
    so it goes away with the graph and keeps no Scalar alive."""

    __slots__ = ("ref", "data", "grad")

    def __init__(self, s):
        self.ref = weakref.ref(s)
        self.data = float(_data_slot.__get__(s))
        self.grad = None

    def __call__(self):
        return self

    def _accumulate_grad(self, g, create_graph):
        v = float(_data_slot.__get__(g))
        self.grad = v if self.grad is None else self.grad + v
        s = self.ref()
        if s is not None:
            s._accumulate_grad(g, create_graph)


class Scalar(Tensor):
    """``Scalar(value, label="", requires_grad=True)``: one float64 number in the graph.

    Supports ``+ - * / **`` (with Scalars or Python numbers on either side), unary ``-``,
    ``exp() log() tanh() sigmoid() relu()``, ``backward()``, ``.data`` and ``.grad`` (floats),
    ``.label``.
    """

    __slots__ = ("label",)

    def __init__(self, value, label="", requires_grad=True):
        if isinstance(value, Tensor):
            if value._data.size != 1:
                raise ValueError(f"Scalar: expected one number (got a tensor of shape "
                                 f"{tuple(value.shape)})")
            value = float(value.item())
        _data_slot.__set__(self, _as_number(value))
        _grad_slot.__set__(self, None)
        self._requires_grad = bool(requires_grad)
        self.grad_fn = None
        self._output_nr = 0
        self._version = 0
        self._hooks = None
        self._accum = None
        self._retains_grad = False
        if not isinstance(label, str):
            raise TypeError(f"Scalar: label must be a str (got {type(label).__name__})")
        self.label = label

    # ---- value and gradient as floats ------------------------------------------------------
    @property
    def data(self):
        return _data_slot.__get__(self)[()]

    @data.setter
    def data(self, value):
        _data_slot.__set__(self, _as_number(value))

    @property
    def grad(self):
        g = _grad_slot.__get__(self)
        return 0.0 if g is None else g

    @grad.setter
    def grad(self, value):
        if isinstance(value, Tensor):
            value = value.item()
        _grad_slot.__set__(self, None if value is None else float(value))

    def _accumulate_grad(self, g, create_graph):
        v = float(g._data)
        cur = _grad_slot.__get__(self)
        _grad_slot.__set__(self, v if cur is None else cur + v)

    def zero_grad(self):
        _grad_slot.__set__(self, None)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Backpropagate from this Scalar (``gradient`` defaults to 1.0)."""
        if gradient is None:
            gradient = 1.0
        if not isinstance(gradient, Tensor):
            gradient = Tensor._make(np.array(gradient, dtype=np.float64))
        super().backward(gradient, retain_graph, create_graph, inputs)

    def item(self):
        return float(_data_slot.__get__(self))

    def __float__(self):
        return float(_data_slot.__get__(self))

    def numpy(self, force=False):
        return _data_slot.__get__(self)

    def __repr__(self):
        parts = [f"data={format_number(self.data)}"]
        if self._requires_grad:
            parts.append(f"grad={format_number(self.grad)}")
        if self.label:
            parts.append(f"label={self.label!r}")
        return f"Scalar({', '.join(parts)})"

    __str__ = __repr__

    def __hash__(self):
        return id(self)


# The Tensor ops a Scalar supports, their results re-classed as Scalars; and, a Scalar being a
# value (micrograd's ``Value`` has no in-place operators), ``c += x`` rebinds ``c`` to the new
# node ``c + x``, leaving the old node in the graph unchanged.
_OPS = ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
        "__rtruediv__", "__pow__", "__rpow__", "__neg__", "exp", "log", "tanh", "sigmoid", "relu")
_IN_PLACE = {"__iadd__": "__add__", "__isub__": "__sub__", "__imul__": "__mul__",
             "__itruediv__": "__truediv__", "__ipow__": "__pow__"}
for _name in _OPS:
    setattr(Scalar, _name, _rewrapped(_name))
for _name, _op in _IN_PLACE.items():
    setattr(Scalar, _name, getattr(Scalar, _op))
del _name, _op
