"""Argument checks shared by the kernel-backed ops (convolutions, pools, losses, recurrent).

Every numba kernel trusts its geometry: a negative dilation or a zero stride makes it read or
write outside its buffers (the process aborts later in ``free``). So each public entry point
normalises and checks its arguments here, in Python, before any kernel runs:

* ``int_tuple``: an int or a sequence of ints (never a float or a bool, as PyTorch's argument
  parser) -> a tuple of ``n`` Python ints; TypeError otherwise.
* ``positive`` / ``nonnegative``: ValueError naming the op and the argument.
* ``float_input``: the dtype policy. float32/float64 run as they are; float16 runs in float32
  and the result is cast back (``to_float32`` / ``back_to_half``, differentiable casts, so the
  gradients come back as float16 too); the ops that take integers say so, the rest (and
  long double, bool, complex) raise a TypeError naming the op (PyTorch raises
  NotImplementedError there).
"""
from __future__ import annotations

import numbers

import numpy as np

_F16 = np.dtype(np.float16)
_F32 = np.dtype(np.float32)


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
