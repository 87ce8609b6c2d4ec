"""Rounding: floor, ceil, trunc (fix), round, sign, frac. All but frac are piecewise constant:
a zero gradient, as PyTorch's."""
from __future__ import annotations

import numpy as np

from ...function import Op
from .._common import _tensor


class _Rounding(Op):
    """out = f(a) piecewise constant;  da = 0"""

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * 0.0


class Floor(_Rounding):
    """out = floor(a);  da = 0"""

    @staticmethod
    def forward(ctx, a):
        return np.floor(a) if a.dtype.kind == "f" else a.copy()


class Ceil(_Rounding):
    """out = ceil(a);  da = 0"""

    @staticmethod
    def forward(ctx, a):
        return np.ceil(a) if a.dtype.kind == "f" else a.copy()


class Trunc(_Rounding):
    """out = trunc(a);  da = 0"""

    @staticmethod
    def forward(ctx, a):
        return np.trunc(a) if a.dtype.kind == "f" else a.copy()


class Sign(_Rounding):
    """out = sign(a) in {-1, 0, 1};  da = 0"""

    @staticmethod
    def forward(ctx, a):
        if a.dtype == np.bool_:
            return a.copy()
        return np.sign(a)


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


class Frac(Op):
    """out = a - trunc(a);  da = g"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        return a - np.trunc(a)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out


def floor(input):
    return Floor.apply(_tensor(input, "floor"))


def ceil(input):
    return Ceil.apply(_tensor(input, "ceil"))


def trunc(input):
    return Trunc.apply(_tensor(input, "trunc"))


fix = trunc


def round(input, *, decimals=0):
    """Round half to even (as PyTorch and NumPy), to ``decimals`` decimal places."""
    return Round.apply(_tensor(input, "round"), int(decimals))


def sign(input):
    return Sign.apply(_tensor(input, "sign"))


def frac(input):
    return Frac.apply(_tensor(input, "frac"))
