"""Arithmetic: add, sub, mul, div, neg, pow, reciprocal, remainder, fmod, floor_divide,
square, lerp, and the dtype cast / copy / fill ops behind ``.to``, ``copy_`` and ``fill_``."""
from __future__ import annotations

import numpy as np

from ... import function as _f
from ...function import Op
from .._common import (
    _F64,
    BinaryOp,
    _binary_error,
    _data,
    _ndarray,
    _promote,
    _tensor,
    binary_forward,
    unary_op,
)
from . import rounding, select, unary


class Add(BinaryOp):
    """out = a + b"""

    f, name, saves = np.add, "add", False

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, grad_out


class Sub(BinaryOp):
    """out = a - b"""

    f, name, saves = np.subtract, "sub", False

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, (-grad_out if ctx.needs_input_grad[1] else None)


class Mul(BinaryOp):
    """out = a * b"""

    f, name = np.multiply, "mul"

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (grad_out * b if need_a else None), (grad_out * a if need_b else None)


class Div(BinaryOp):
    """out = a / b;  da = g / b,  db = -g ((a / b) / b)"""

    f, name = np.true_divide, "div"
    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = grad_out / b if need_a else None
        gb = -grad_out * (a / b / b) if need_b else None  # PyTorch's order of operations
        return ga, gb


class Neg(Op):
    """out = -a"""

    @staticmethod
    def forward(ctx, a):
        return np.negative(a)

    @staticmethod
    def backward(ctx, grad_out):
        return -grad_out


# PyTorch's exact forms of a float tensor to these scalar powers (x*x, not pow(x, 2)), so
# that x ** 2, x ** 3, x ** 0.5, x ** -1 ... and their gradients match it bit for bit
_POW_SPECIAL = {2.0: lambda a: a * a, 3.0: lambda a: a * a * a, 0.5: np.sqrt,
                -0.5: lambda a: 1 / np.sqrt(a), -1.0: lambda a: 1 / a,
                -2.0: lambda a: 1 / (a * a)}


class Pow(Op):
    """out = a ** b;  da = g b a^(b-1) (0 where b == 0),
    db = g out log(a) (0 where a == 0 and b >= 0)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, b):
        special = None
        if a.__class__ is _ndarray and a.dtype.kind == "f":
            if b.__class__ is int or b.__class__ is float:  # (np.ndim, np.isreal: ~2 us)
                special = _POW_SPECIAL.get(float(b))
            elif np.ndim(b) == 0:
                special = _POW_SPECIAL.get(float(b)) if np.isreal(b) else None
        try:
            out = special(a) if special is not None else np.power(a, b)
        except (ValueError, TypeError) as e:
            raise _binary_error("pow", a, b, e) from None
        if out.dtype is _F64:
            out = _promote(out, a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = gb = None
        if need_a:
            bd = b._data
            if bd.ndim == 0 and bd == 0:
                ga = grad_out * 0.0
            elif bd.ndim == 0 and bd == 0.5:
                # a^(-1/2) as PyTorch's rsqrt fast path: -inf at -0, NaN at -inf (pow gives
                # +inf and 0 there)
                ga = grad_out * b / unary.sqrt(a)
            else:
                ga = grad_out * (b * a ** (b - 1))  # PyTorch's order of operations
                if np.any(bd == 0):
                    ga = select.where(_f.Tensor._make(bd == 0), 0.0, ga)
        if need_b:
            mask = (a._data == 0) & (b._data >= 0)
            safe_a = select.where(_f.Tensor._make(mask), 1.0, a) if mask.any() else a
            gb = grad_out * out * unary.log(safe_a)
            if mask.any():
                gb = select.where(_f.Tensor._make(mask), 0.0, gb)
        return ga, gb


# (class, functional form) = unary_op(name, forward, backward); as PyTorch's ReciprocalBackward
Reciprocal = unary_op("Reciprocal", np.reciprocal, lambda g, out: -g * (out * out), "out",
                      module=__name__)[0]


# ---------------------------------------------------------------------------------------------
# remainder, fmod, floor division


def _not_implemented(ctx, name):
    raise RuntimeError(f"derivative for {name} is not implemented (as PyTorch: the result is "
                       "piecewise constant; use floor(a / b), trunc(a / b) or "
                       "div(a, b, rounding_mode=...) for a zero gradient)")


def _modulo_grads(ctx, grad_out, rounded):
    """(da, db) of out = a - rounded(a / b) b (``rounded`` the Floor or Trunc op): da = g,
    db = -g rounded(a / b)."""
    a, b = ctx.saved_tensors
    need_a, need_b = ctx.needs_input_grad[:2]
    gb = -grad_out * rounded.apply(a / b) if need_b else None
    return (grad_out if need_a else None), gb


_remainder = binary_forward(np.remainder, "remainder", saves=True)


class Remainder(Op):
    """out = a - floor(a / b) b (the sign of b, Python's %);  da = g,  db = -g floor(a / b).
    With a Python-number dividend the result is not differentiable w.r.t. b (backward raises,
    as PyTorch's remainder(Scalar, Tensor))."""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, b, scalar_dividend):
        ctx.scalar_dividend = scalar_dividend
        return _remainder(ctx, a, b)

    @staticmethod
    def backward(ctx, grad_out):
        if ctx.scalar_dividend:
            _not_implemented(ctx, "remainder")
        return (*_modulo_grads(ctx, grad_out, rounding.Floor), None)


class Fmod(BinaryOp):
    """out = a - trunc(a / b) b (the sign of a, C's fmod);  da = g,  db = -g trunc(a / b)"""

    f, name = np.fmod, "fmod"
    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def backward(ctx, grad_out):
        return _modulo_grads(ctx, grad_out, rounding.Trunc)


class FloorDivide(BinaryOp):
    """out = floor(a / b) (``a // b``); backward raises, as PyTorch's floor_divide (its result
    requires grad, its derivative is not implemented)"""

    f, name, saves = np.floor_divide, "floor_divide", False
    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def backward(ctx, grad_out):
        _not_implemented(ctx, "floor_divide")


_DIV_ROUNDED = {"floor": binary_forward(np.floor_divide, "div"),
                "trunc": binary_forward(lambda a, b: np.trunc(np.true_divide(a, b)), "div")}


class DivRounded(Op):
    """out = floor(a / b) or trunc(a / b) (``div(a, b, rounding_mode=...)``);  da = db = 0
    (as PyTorch)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, b, mode):
        return _DIV_ROUNDED[mode](ctx, a, b)

    @staticmethod
    def backward(ctx, grad_out):
        zero = grad_out * 0.0
        return zero, zero, None


# ---------------------------------------------------------------------------------------------
# cast, copy, fill


class Cast(Op):
    """out = a converted to ``dtype``; the gradient is cast back by the engine"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, dtype):
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, None


class CopyFrom(Op):
    """out = b broadcast to a's shape (the value of ``a.copy_(b)``); a gets no gradient"""

    @staticmethod
    def forward(ctx, a, b):
        return np.array(np.broadcast_to(b, a.shape), dtype=a.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        return None, grad_out


class Fill(Op):
    """out = value everywhere (``a.fill_(v)``);  da = 0 (as PyTorch: zeros, not None)"""

    @staticmethod
    def forward(ctx, a, value):
        return np.full_like(a, _data(value))

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * 0.0, None


# ---------------------------------------------------------------------------------------------
# functional forms


def add(input, other):
    return Add.apply(input, other)


def sub(input, other):
    return Sub.apply(input, other)


def mul(input, other):
    return Mul.apply(input, other)


def div(input, other, *, rounding_mode=None):
    if rounding_mode is None:
        return Div.apply(input, other)
    if rounding_mode in ("floor", "trunc"):
        return DivRounded.apply(input, other, rounding_mode)  # zero gradient, as PyTorch
    raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc' (got {rounding_mode!r})")


true_divide = div


def neg(input):
    return Neg.apply(input)


def pow(input, exponent):
    return Pow.apply(input, exponent)


def square(input):
    return mul(input, input)


def reciprocal(input):
    x = _tensor(input, "reciprocal")
    if x._data.dtype.kind in "biu":
        x = cast(x, np.float32)
    return Reciprocal.apply(x)


def remainder(input, other):
    """Python's ``%``: the result has the sign of ``other``. Differentiable: ``da = g``,
    ``db = -g floor(a / b)``."""
    T = _f.Tensor
    scalar = not isinstance(input, (T, np.ndarray))
    return Remainder.apply(input, other, scalar)


def fmod(input, other):
    """C's ``fmod``: the result has the sign of ``input``. Differentiable: ``da = g``,
    ``db = -g trunc(a / b)``."""
    return Fmod.apply(input, other)


def floor_divide(input, other):
    """``floor(input / other)`` (``//``); as PyTorch its backward raises (not implemented)."""
    return FloorDivide.apply(input, other)


def lerp(input, end, weight):
    """``input + weight * (end - input)``; ``weight`` a number or a tensor (broadcasting)."""
    return input + weight * (end - input)


def cast(a, dtype):
    return Cast.apply(a, np.dtype(dtype))


def copy_from(a, b):
    return CopyFrom.apply(a, b)
