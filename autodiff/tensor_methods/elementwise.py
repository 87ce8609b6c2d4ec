"""Tensor methods of the elementwise math: exp, log, trig, rounding, activations, clamp, where
(and their in-place forms, trailing ``_``)."""
from __future__ import annotations

from .. import inplace
from ..compat import numpy_names
from ..ops.elementwise import activation, compare, rounding, select, trig, unary


class ElementwiseMethods:
    """Mixin of ``Tensor`` (no state of its own)."""

    __slots__ = ()

    def clamp_(self, min=None, max=None):
        return inplace.inplace(self, select.clamp, min, max)

    clip_ = clamp_
    exp = unary.exp
    log = unary.log
    log1p = unary.log1p
    sqrt = unary.sqrt
    sin = trig.sin
    cos = trig.cos
    tanh = trig.tanh
    sigmoid = activation.sigmoid
    relu = activation.relu
    abs = unary.abs
    clamp = select.clamp
    clip = clamp

    maximum = select.maximum
    minimum = select.minimum

    def where(self, condition, other):
        return select.where(condition, self, other)

    rsqrt = unary.rsqrt
    sign = rounding.sign
    sgn = rounding.sign
    floor = rounding.floor
    ceil = rounding.ceil
    round = rounding.round
    trunc = rounding.trunc
    fix = rounding.trunc
    frac = rounding.frac
    exp2 = unary.exp2
    expm1 = unary.expm1
    log2 = unary.log2
    log10 = unary.log10
    tan = trig.tan
    sinh = trig.sinh
    cosh = trig.cosh
    asin = trig.asin
    acos = trig.acos
    atan = trig.atan
    asinh = trig.asinh
    acosh = trig.acosh
    atanh = trig.atanh
    arcsin, arccos, arctan = asin, acos, atan
    arcsinh, arccosh, arctanh = asinh, acosh, atanh
    atan2 = trig.atan2
    arctan2 = atan2
    erf = unary.erf
    erfc = unary.erfc
    nan_to_num = select.nan_to_num
    isnan = compare.isnan
    isinf = compare.isinf
    isposinf = compare.isposinf
    isneginf = compare.isneginf
    isfinite = compare.isfinite

    @numpy_names
    def softmax(self, dim, dtype=None):
        from ..ops import loss
        return loss.softmax(self, dim, dtype=dtype)

    @numpy_names
    def log_softmax(self, dim, dtype=None):
        from ..ops import loss
        return loss.log_softmax(self, dim, dtype=dtype)

    def clamp_min(self, min):
        return select.clamp(self, min, None)

    def clamp_max(self, max):
        return select.clamp(self, None, max)

    def clamp_min_(self, min):
        return inplace.inplace(self, select.clamp, min, None)

    def clamp_max_(self, max):
        return inplace.inplace(self, select.clamp, None, max)

    def exp_(self):
        return inplace.inplace(self, unary.exp)

    def log_(self):
        return inplace.inplace(self, unary.log)

    def log1p_(self):
        return inplace.inplace(self, unary.log1p)

    def expm1_(self):
        return inplace.inplace(self, unary.expm1)

    def sqrt_(self):
        return inplace.inplace(self, unary.sqrt)

    def rsqrt_(self):
        return inplace.inplace(self, unary.rsqrt)

    def abs_(self):
        return inplace.inplace(self, unary.abs)

    def sin_(self):
        return inplace.inplace(self, trig.sin)

    def cos_(self):
        return inplace.inplace(self, trig.cos)

    def tanh_(self):
        return inplace.inplace(self, trig.tanh)

    def sigmoid_(self):
        return inplace.inplace(self, activation.sigmoid)

    def relu_(self):
        return inplace.inplace(self, activation.relu)

    def sign_(self):
        return inplace.inplace(self, rounding.sign)

    def floor_(self):
        return inplace.inplace(self, rounding.floor)

    def ceil_(self):
        return inplace.inplace(self, rounding.ceil)

    def round_(self, *, decimals=0):
        return inplace.inplace(self, _round, decimals)

    def trunc_(self):
        return inplace.inplace(self, rounding.trunc)

    def frac_(self):
        return inplace.inplace(self, rounding.frac)

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        return inplace.inplace(self, select.nan_to_num, nan, posinf, neginf)


def _round(t, decimals):
    return rounding.round(t, decimals=decimals)
