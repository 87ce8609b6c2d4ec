"""Helpers shared by the op families, one copy each:

- arguments: ``_tensor`` (a Tensor or TypeError naming the op, as PyTorch's argument parser),
  ``_norm_dim`` / ``_axes`` (dims), ``_legacy_reduction`` (``size_average`` / ``reduce``);
- the argument checks of the kernel-backed ops (conv, pool, loss, recurrent): ``int_tuple``,
  ``int_arg``, ``positive``, ``nonnegative``, ``float_input`` and the float16 casts. Every
  numba kernel trusts its geometry (a negative dilation or a zero stride makes it read or
  write outside its buffers), so each entry point checks its arguments here, before any
  kernel runs;
- PyTorch's dtype promotion where NumPy's differs (``_promote``, ``_zero_dim``,
  ``_float_result``) and the NumPy calls of the elementwise ops with it (``binary_forward``,
  ``unary``): every op reports a failing call the same way, as a TypeError or ValueError
  naming the op and its operands;
- the named result tuples (``torch.return_types``).
"""
from __future__ import annotations

import builtins
import numbers
import warnings

import numpy as np

from .. import function as _f
from ..function import Op

_F16 = np.dtype(np.float16)
_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_ndarray = np.ndarray


# ---------------------------------------------------------------------------------------------
# arguments


def _data(x):
    """The array of a Tensor; anything else as it is (a Python number stays a number, which
    matters for dtype promotion)."""
    return x._data if isinstance(x, _f.Tensor) else x


def _array(x):
    """The array of a Tensor, or ``np.asarray(x)``."""
    return x._data if isinstance(x, _f.Tensor) else np.asarray(x)


def _tensor(x, op):
    """``x`` if it is a Tensor, else TypeError naming ``op`` (PyTorch: an ndarray, list or
    number where a Tensor is expected is a TypeError)."""
    if not isinstance(x, _f.Tensor):
        raise TypeError(f"{op}: expected a Tensor (got {type(x).__name__})")
    return x


def tensor_arg(t, arg, op):
    """Tensor ``t``, an ndarray wrapped as one; TypeError naming ``op`` and ``arg`` else."""
    if isinstance(t, np.ndarray):
        t = _f.Tensor._make(t)
    if not isinstance(t, _f.Tensor):
        raise TypeError(f"{op}: {arg} must be a Tensor, got {type(t).__name__}")
    return t


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


def _legacy_reduction(size_average, reduce, reduction):
    """The ``reduction`` the deprecated ``size_average`` / ``reduce`` arguments of a loss
    stand for (PyTorch's ``_Reduction.legacy_get_string``, warning as it does); ``reduction``
    itself when both are None."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{ret}' instead.", UserWarning, stacklevel=3)
    return ret


# ---------------------------------------------------------------------------------------------
# argument checks of the kernel-backed ops: ``int_tuple`` takes an int or a sequence of ints
# (never a float or a bool, as PyTorch's argument parser) and gives a tuple of ``n`` Python ints;
# ``float_input`` is the dtype policy: float32/float64 run as they are; float16 runs in float32
# and the result is cast back (``to_float32`` / ``back_to_half``, differentiable casts, so the
# gradients come back as float16 too); the ops that take integers say so, the rest (and long
# double, bool, complex) raise a TypeError naming the op (PyTorch: NotImplementedError).


def _is_int(v):
    c = v.__class__
    if c is int:
        return True
    return (c is not bool and isinstance(v, (numbers.Integral, np.integer))
            and not isinstance(v, np.bool_))


def int_tuple(value, n, arg, op, expand_one=False):
    """``value`` (an int, or a sequence of ``n`` ints; of 1 int too with ``expand_one``) as a
    tuple of ``n`` Python ints."""
    c = value.__class__
    if c is int:  # the common cases first: these checks run on every call
        return (value,) * n
    if c is tuple and len(value) == n and all(v.__class__ is int for v in value):
        return value
    if _is_int(value):
        return (int(value),) * n
    if isinstance(value, (tuple, list)) and all(_is_int(v) for v in value):
        v = tuple(int(a) for a in value)
        if len(v) == 1 and expand_one:
            v = v * n
        if len(v) != n:
            raise ValueError(f"{op}: {arg} must be an int or a tuple of {n} ints, got {v}")
        return v
    if isinstance(value, np.ndarray) and value.ndim <= 1 and value.dtype.kind in "iu":
        return int_tuple(value.tolist(), n, arg, op, expand_one)
    raise TypeError(f"{op}: {arg} must be an int or a tuple of {n} ints, got {value!r} "
                    f"({type(value).__name__})")


def int_arg(value, arg, op):
    """A single int argument (``groups``, ``divisor_override``, ...)."""
    if value.__class__ is int:
        return value
    if not _is_int(value):
        raise TypeError(f"{op}: {arg} must be an int, got {value!r} ({type(value).__name__})")
    return int(value)


def positive(values, arg, op):
    if min(values) <= 0:
        raise ValueError(f"{op}: {arg} must be positive, got {values}")
    return values


def nonnegative(values, arg, op):
    if min(values) < 0:
        raise ValueError(f"{op}: {arg} must be non-negative, got {values}")
    return values


def float_input(t, op, ints=False):
    """Check the dtype of Tensor ``t`` for a kernel-backed op: float16/32/64 (float16 is
    computed in float32, see ``to_float32``), or any integer when ``ints``; TypeError else."""
    kind = t.dtype.kind
    if (kind == "f" and t.dtype.itemsize <= 8) or (ints and kind in "iu"):
        return t
    allowed = "a floating-point or integer" if ints else "a floating-point"
    raise TypeError(f"{op}: expected {allowed} input, got {t.dtype}")


def is_half(*tensors):
    for t in tensors:
        if t is not None and t.dtype == _F16:
            return True
    return False


def to_float32(*tensors):
    """The Tensors cast (differentiably) to float32 where they are float16; None passes."""
    return tuple(t if t is None or t.dtype != _F16 else t.to(_F32) for t in tensors)


def back_to_half(result):
    """Cast a float32 result (a Tensor or a tuple of them) back to float16."""
    if isinstance(result, tuple):
        return tuple(back_to_half(r) for r in result)
    if result is None or result.dtype != _F32:
        return result
    return result.to(_F16)


# ---------------------------------------------------------------------------------------------
# dtype promotion, and the NumPy calls of the elementwise ops


def _promote(out, a, b=None, c=None):
    """PyTorch's promotion where NumPy differs, for a float64 ``out`` of operands ``a``, ``b``,
    ``c``: it stays float64 only when an operand is a float64 array; integers with Python floats
    (or true division of integers) give the default float32. (Named operands, not
    ``*operands``: no tuple and no loop on the float64 path of every binary op.)"""
    if ((a.__class__ is _ndarray and a.dtype is _F64)
            or (b.__class__ is _ndarray and b.dtype is _F64)
            or (c.__class__ is _ndarray and c.dtype is _F64)):
        return out
    return out.astype(_F32)


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _zero_dim(*operands):
    """PyTorch's promotion for 0-d tensors against dimensioned ones (called when array operands
    differ in dtype): a 0-d array of the same or a lower category than the dimensioned arrays'
    common dtype takes that dtype (``float32_tensor * float64_scalar_tensor`` is float32,
    computed in float32). Other operands (numbers, None) pass as they are."""
    dims = [x for x in operands if x.__class__ is _ndarray and x.ndim]
    if not dims or len(dims) == len(operands):
        return operands
    common = np.result_type(*dims)
    top = _CATEGORY[common.kind]
    return tuple(x.astype(common) if (x.__class__ is _ndarray and x.ndim == 0
                                      and _CATEGORY[x.dtype.kind] <= top) else x
                 for x in operands)


def _float_result(out, a):
    """Unary float math on an integer or bool tensor gives float32 (PyTorch), not NumPy's
    float64 / float16."""
    if isinstance(a, np.ndarray) and a.dtype.kind in "biu":
        return out.astype(_F32)
    return out


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


def binary_forward(fn, op, saves=False):
    """The ``forward(ctx, a, b)`` of the elementwise op ``out = fn(a, b)`` (``fn`` a NumPy
    ufunc): PyTorch's promotion (a 0-d operand, float64 only from a float64 array); a failing
    call raises TypeError / ValueError naming ``op``; ``saves``: it saves both inputs for
    backward.

    One such function is made once per op (``BinaryOp``, the comparisons, remainder, rounded
    division), so that an op's forward is one Python call, not a forward calling a shared
    helper: the extra call cost 2 % of a recorded (4,) add (22,151 against 21,715 machine
    instructions per add, callgrind, 2026-12-06). Called with ``ctx=None`` outside an op."""
    def forward(ctx, a, b):
        if saves:
            ctx.save_for_backward(a, b)
        if a.__class__ is _ndarray and b.__class__ is _ndarray and a.dtype is not b.dtype:
            a, b = _zero_dim(a, b)
        try:
            out = fn(a, b)
        except (ValueError, TypeError) as e:
            raise _binary_error(op, a, b, e) from None
        if out.__class__ is not _ndarray:
            out = np.asarray(out)
        return _promote(out, a, b) if out.dtype is _F64 else out

    return forward


def unary(fn, op, a):
    """``fn(a)`` (a NumPy ufunc); integer and bool inputs give float32 (PyTorch); a failing call
    raises TypeError / ValueError naming ``op``."""
    try:
        out = fn(a)
    except (TypeError, ValueError) as e:
        raise _unary_error(op, a, e) from None
    return _float_result(out, a) if out.dtype is not a.dtype else out


# ---------------------------------------------------------------------------------------------
# named results


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


# ---------------------------------------------------------------------------------------------
# the table-made elementwise ops


class UnaryOp(Op):
    """An elementwise op ``out = f(a)`` whose backward is ``da = grad(g, saved)``, ``saved``
    being the input ``a`` or the output ``out`` (``saves``; None: nothing). Made by
    ``unary_op``, so that a family of them reads as a table of derivatives."""

    f = grad = None
    saves = "a"

    @classmethod
    def forward(cls, ctx, a):
        out = unary(cls.f, cls.name, a)
        if cls.saves is not None:
            ctx.save_for_backward(out if cls.saves == "out" else a)
        return out

    @classmethod
    def backward(cls, ctx, grad_out):
        saved = ctx.saved_tensors[0] if cls.saves is not None else None
        return cls.grad(grad_out, saved)


class BinaryOp(Op):
    """An elementwise op ``out = f(a, b)`` (``f`` a NumPy ufunc): a subclass sets ``f`` and
    ``name`` (the op's name in errors), ``saves = False`` when its backward needs neither
    input, and writes ``backward``; its ``forward`` is made from them (``binary_forward``)."""

    f = name = None
    saves = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.f is not None and "forward" not in cls.__dict__:
            cls.forward = staticmethod(binary_forward(cls.f, cls.name, cls.saves))


def unary_op(name, f, grad, saves="a", quiet=True, module=None):
    """``(Op class, functional form)`` of ``out = f(a)`` with ``da = grad(g, a or out)``.

    ``name`` is the class name (``"Exp"``; the op reports errors as ``"exp"``); ``quiet``
    runs it without NumPy's floating-point warnings (function.py); the functional form takes
    a Tensor (TypeError naming the op otherwise, as PyTorch)."""
    op = name.lower()
    doc = f"out = {op}(a);  da = grad(g, {saves}) (see the table in {module})"
    cls = type(name, (UnaryOp,), {"f": staticmethod(f), "grad": staticmethod(grad),
                                  "saves": saves, "name": op, "_quiet": quiet,
                                  "__doc__": doc, "__module__": module})
    apply = cls.apply

    def functional(input):
        if not isinstance(input, _f.Tensor):
            raise TypeError(f"{op}: expected a Tensor (got {type(input).__name__})")
        return apply(input)

    functional.__name__ = functional.__qualname__ = op
    functional.__module__ = module
    functional.__doc__ = f"``{op}(input)`` elementwise (differentiable)."
    return cls, functional
