"""Trigonometric and hyperbolic functions: sin, cos, tan, asin, acos, atan, atan2, sinh, cosh,
tanh, asinh, acosh, atanh."""
from __future__ import annotations

import numpy as np

from ...function import Op
from . import select
from . import unary
from .._common import _binary_error, _float_result, _promote, _tensor, _unary_error


class Sin(Op):
    """out = sin(a);  da = g cos(a)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        try:
            out = np.sin(a)
        except TypeError as e:
            raise _unary_error("sin", a, e) from None
        return _float_result(out, a) if out.dtype is not a.dtype else out

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        return grad_out * cos(a)


class Cos(Op):
    """out = cos(a);  da = -g sin(a)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        try:
            out = np.cos(a)
        except TypeError as e:
            raise _unary_error("cos", a, e) from None
        return _float_result(out, a) if out.dtype is not a.dtype else out

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        return -grad_out * sin(a)


class Tan(Op):
    """out = tan(a);  da = g (1 + out^2)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        out = unary._float(np.tan(a), a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        out, = ctx.saved_tensors
        return grad_out * (out * out + 1)


class Asin(Op):
    """out = asin(a);  da = g / sqrt(1 - a^2)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return unary._float(np.arcsin(a), a)

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        return grad_out / unary.sqrt(1 - a * a)


class Acos(Op):
    """out = acos(a);  da = -g / sqrt(1 - a^2)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return unary._float(np.arccos(a), a)

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        return -grad_out / unary.sqrt(1 - a * a)


class Atan(Op):
    """out = atan(a);  da = g / (1 + a^2)"""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return unary._float(np.arctan(a), a)

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        return grad_out / (a * a + 1)


class Atan2(Op):
    """out = atan2(a, b) (angle of the point (b, a));  da = g b / (a^2 + b^2),
    db = -g a / (a^2 + b^2)"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        try:
            out = np.arctan2(a, b)
        except (ValueError, TypeError) as e:
            raise _binary_error("atan2", a, b, e) from None
        if out.dtype == np.float64:
            out = _promote(out, a, b)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        r2 = a * a + b * b
        # at (0, 0) PyTorch's gradient is 0 (1 / r2 masked there), not 0 / 0
        zero = r2._data == 0
        if zero.any():
            inv = select.where(zero, 0.0, 1.0 / select.where(zero, 1.0, r2))
            return (grad_out * b * inv if need_a else None), (grad_out * -a * inv if need_b
                                                                else None)
        return (grad_out * b / r2 if need_a else None), (-grad_out * a / r2 if need_b else None)


class Sinh(Op):
    """out = sinh(a);  da = g cosh(a)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return unary._float(np.sinh(a), a)

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        return grad_out * Cosh.apply(a)


class Cosh(Op):
    """out = cosh(a);  da = g sinh(a)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return unary._float(np.cosh(a), a)

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        return grad_out * Sinh.apply(a)


class Tanh(Op):
    """out = tanh(a);  da = g (1 - out^2)"""

    @staticmethod
    def forward(ctx, a):
        try:
            out = np.tanh(a)
        except TypeError as e:
            raise _unary_error("tanh", a, e) from None
        if out.dtype is not a.dtype:
            out = _float_result(out, a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        out, = ctx.saved_tensors
        return grad_out * (1 - out * out)


class Asinh(Op):
    """out = asinh(a);  da = g / sqrt(a^2 + 1)"""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return unary._float(np.arcsinh(a), a)

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        return grad_out / unary.sqrt(a * a + 1)


class Acosh(Op):
    """out = acosh(a);  da = g / sqrt(a^2 - 1)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return unary._float(np.arccosh(a), a)

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        return grad_out / unary.sqrt(a * a - 1)


class Atanh(Op):
    """out = atanh(a);  da = g / (1 - a^2)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return unary._float(np.arctanh(a), a)

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        return grad_out / (1 - a * a)


# ---------------------------------------------------------------------------------------------
# functional forms


def sin(a):
    return Sin.apply(a)


def cos(a):
    return Cos.apply(a)


def tan(input):
    return Tan.apply(_tensor(input, "tan"))


def asin(input):
    return Asin.apply(_tensor(input, "asin"))


def acos(input):
    return Acos.apply(_tensor(input, "acos"))


def atan(input):
    return Atan.apply(_tensor(input, "atan"))


def atan2(input, other):
    """Elementwise angle of the point ``(other, input)``, in ``(-pi, pi]``."""
    return Atan2.apply(input, other)


arctan2 = atan2


def sinh(input):
    return Sinh.apply(_tensor(input, "sinh"))


def cosh(input):
    return Cosh.apply(_tensor(input, "cosh"))


def tanh(a):
    return Tanh.apply(a)


def asinh(input):
    return Asinh.apply(_tensor(input, "asinh"))


def acosh(input):
    return Acosh.apply(_tensor(input, "acosh"))


def atanh(input):
    return Atanh.apply(_tensor(input, "atanh"))


arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh
