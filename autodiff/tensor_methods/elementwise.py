"""Tensor methods of the elementwise math: exp, log, trig, rounding, activations, clamp, where
(and their in-place forms, trailing ``_``)."""
from __future__ import annotations

from .. import inplace
from ..compat import numpy_names
from ..ops.elementwise import activation, compare, rounding, select, trig, unary
from ._forms import in_place


class ElementwiseMethods:
    """Mixin of ``Tensor`` (no state of its own)."""

    __slots__ = ()

    # ---- functional forms, by op module ----------------------------------------------------
    exp = unary.exp
    exp2 = unary.exp2
    expm1 = unary.expm1
    log = unary.log
    log1p = unary.log1p
    log2 = unary.log2
    log10 = unary.log10
    sqrt = unary.sqrt
    rsqrt = unary.rsqrt
    abs = unary.abs
    erf = unary.erf
    erfc = unary.erfc

    sin = trig.sin
    cos = trig.cos
    tan = trig.tan
    sinh = trig.sinh
    cosh = trig.cosh
    tanh = trig.tanh
    asin = trig.asin
    acos = trig.acos
    atan = trig.atan
    atan2 = trig.atan2
    asinh = trig.asinh
    acosh = trig.acosh
    atanh = trig.atanh
    arcsin, arccos, arctan, arctan2 = asin, acos, atan, atan2  # NumPy's names
    arcsinh, arccosh, arctanh = asinh, acosh, atanh

    sign = sgn = rounding.sign
    floor = rounding.floor
    ceil = rounding.ceil
    round = rounding.round
    trunc = fix = rounding.trunc
    frac = rounding.frac

    sigmoid = activation.sigmoid
    relu = activation.relu

    clamp = clip = select.clamp
    maximum = select.maximum
    minimum = select.minimum
    nan_to_num = select.nan_to_num

    def clamp_min(self, min):
        return select.clamp(self, min, None)

    def clamp_max(self, max):
        return select.clamp(self, None, max)

    def where(self, condition, other):
        return select.where(condition, self, other)

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

    # ---- in-place forms --------------------------------------------------------------------
    exp_ = in_place(unary.exp)
    expm1_ = in_place(unary.expm1)
    log_ = in_place(unary.log)
    log1p_ = in_place(unary.log1p)
    sqrt_ = in_place(unary.sqrt)
    rsqrt_ = in_place(unary.rsqrt)
    abs_ = in_place(unary.abs)
    sin_ = in_place(trig.sin)
    cos_ = in_place(trig.cos)
    tanh_ = in_place(trig.tanh)
    sign_ = in_place(rounding.sign)
    floor_ = in_place(rounding.floor)
    ceil_ = in_place(rounding.ceil)
    trunc_ = in_place(rounding.trunc)
    frac_ = in_place(rounding.frac)
    sigmoid_ = in_place(activation.sigmoid)
    relu_ = in_place(activation.relu)

    def round_(self, *, decimals=0):
        return inplace.inplace(self, _round, decimals)

    def clamp_(self, min=None, max=None):
        return inplace.inplace(self, select.clamp, min, max)

    clip_ = clamp_

    def clamp_min_(self, min):
        return inplace.inplace(self, select.clamp, min, None)

    def clamp_max_(self, max):
        return inplace.inplace(self, select.clamp, None, max)

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        return inplace.inplace(self, select.nan_to_num, nan, posinf, neginf)


def _round(t, decimals):
    return rounding.round(t, decimals=decimals)
