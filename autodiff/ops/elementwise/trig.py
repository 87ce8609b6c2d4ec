"""Trigonometric and hyperbolic functions: sin, cos, tan, asin, acos, atan, atan2, sinh, cosh,
tanh, asinh, acosh, atanh.

The one-input ops are a table (``unary_op``): each row is the forward (a NumPy function)
beside its backward, ``da = grad(g, a)`` or ``grad(g, out)``, written with differentiable ops
so double backward works.
"""
from __future__ import annotations

import numpy as np

from .._common import BinaryOp, unary_op
from . import select, unary

_M = __name__

# (class, functional form) = unary_op(name, forward, backward: da given g and the saved value)
Sin, sin = unary_op("Sin", np.sin, lambda g, a: g * cos(a), module=_M)
Cos, cos = unary_op("Cos", np.cos, lambda g, a: -g * sin(a), module=_M)
Tan, tan = unary_op("Tan", np.tan, lambda g, out: g * (out * out + 1), "out", module=_M)
Asin, asin = unary_op("Asin", np.arcsin, lambda g, a: g / unary.sqrt(1 - a * a), module=_M)
Acos, acos = unary_op("Acos", np.arccos, lambda g, a: -g / unary.sqrt(1 - a * a), module=_M)
Atan, atan = unary_op("Atan", np.arctan, lambda g, a: g / (a * a + 1), quiet=False, module=_M)
Sinh, sinh = unary_op("Sinh", np.sinh, lambda g, a: g * Cosh.apply(a), module=_M)
Cosh, cosh = unary_op("Cosh", np.cosh, lambda g, a: g * Sinh.apply(a), module=_M)
Tanh, tanh = unary_op("Tanh", np.tanh, lambda g, out: g * (1 - out * out), "out", quiet=False,
                      module=_M)
Asinh, asinh = unary_op("Asinh", np.arcsinh, lambda g, a: g / unary.sqrt(a * a + 1),
                        quiet=False, module=_M)
Acosh, acosh = unary_op("Acosh", np.arccosh, lambda g, a: g / unary.sqrt(a * a - 1), module=_M)
Atanh, atanh = unary_op("Atanh", np.arctanh, lambda g, a: g / (1 - a * a), module=_M)
arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh


class Atan2(BinaryOp):
    """out = atan2(a, b) (angle of the point (b, a));  da = g b / (a^2 + b^2),
    db = -g a / (a^2 + b^2)"""

    f, name = np.arctan2, "atan2"

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


def atan2(input, other):
    """Elementwise angle of the point ``(other, input)``, in ``(-pi, pi]``."""
    return Atan2.apply(input, other)


arctan2 = atan2
