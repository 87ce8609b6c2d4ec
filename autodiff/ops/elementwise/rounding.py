"""Rounding: floor, ceil, trunc (fix), round, sign, frac. All but frac are piecewise constant:
a zero gradient, as PyTorch's. Integer and bool inputs pass unchanged (a copy)."""
from __future__ import annotations

import numpy as np

from ...function import Op
from .._common import _tensor, unary_op

_M = __name__


def _on_floats(f):
    return lambda a: f(a) if a.dtype.kind == "f" else a.copy()


def _zero(g, _):
    return g * 0.0


# (class, functional form) = unary_op(name, forward, backward: da given g)
Floor, floor = unary_op("Floor", _on_floats(np.floor), _zero, None, quiet=False, module=_M)
Ceil, ceil = unary_op("Ceil", _on_floats(np.ceil), _zero, None, quiet=False, module=_M)
Trunc, trunc = unary_op("Trunc", _on_floats(np.trunc), _zero, None, quiet=False, module=_M)
Sign, sign = unary_op("Sign", lambda a: a.copy() if a.dtype == np.bool_ else np.sign(a), _zero,
                      None, quiet=False, module=_M)
Frac, frac = unary_op("Frac", lambda a: a - np.trunc(a), lambda g, _: g, None, module=_M)
fix = trunc


class Round(Op):
    """out = a rounded half to even (to ``decimals`` places);  da = 0"""

    @staticmethod
    def forward(ctx, a, decimals):
        if a.dtype.kind != "f":
            return a.copy()
        return np.round(a, decimals)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * 0.0, None


def round(input, *, decimals=0):
    """Round half to even (as PyTorch and NumPy), to ``decimals`` decimal places."""
    return Round.apply(_tensor(input, "round"), int(decimals))
