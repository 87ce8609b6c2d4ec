"""Tensor methods of arithmetic and comparison: the operators (``+``, ``*``, ``==``, ``&``...),
``add``, ``mul``, ``eq``..., and the in-place forms (``+=``, ``add_``: the result is written
into the tensor's own array and its version counter goes up, see ``autodiff.inplace``)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import inplace
from ..ops.elementwise import arithmetic, compare, unary
from ..ops.elementwise.arithmetic import Add, Div, Mul, Neg, Pow, Sub
from ..types import TensorLike
from ._forms import in_place, operators

if TYPE_CHECKING:
    from ..tensor import Tensor


class ArithmeticMethods:
    """Mixin of ``Tensor`` (no state of its own)."""

    __slots__ = ()

    # ---- operators -------------------------------------------------------------------------
    __add__, __radd__ = operators("add", Add.apply)
    __sub__, __rsub__ = operators("sub", Sub.apply)
    __mul__, __rmul__ = operators("mul", Mul.apply)
    __pow__, __rpow__ = operators("pow", Pow.apply)
    __floordiv__, __rfloordiv__ = operators("floordiv", arithmetic.floor_divide)
    __mod__, __rmod__ = operators("mod", arithmetic.remainder)

    def __truediv__(self, other: TensorLike) -> Tensor:
        return Div.apply(self, other)

    def __rtruediv__(self, other):
        if other.__class__ in (float, int):
            # number / tensor is reciprocal(tensor) * number, as in PyTorch (same values;
            # the gradient is PyTorch's bit for bit)
            return Mul.apply(arithmetic.reciprocal(self), other)
        return Div.apply(other, self)

    def __neg__(self) -> Tensor:
        return Neg.apply(self)

    def __pos__(self):
        return self

    __abs__ = unary.abs

    def __and__(self, other):
        if self.dtype == np.bool_:
            return compare.logical_and(self, other)
        return compare.bitwise_and(self, other)

    def __or__(self, other):
        if self.dtype == np.bool_:
            return compare.logical_or(self, other)
        return compare.bitwise_or(self, other)

    __xor__ = compare.logical_xor

    def __invert__(self):
        return compare.logical_not(self) if self.dtype == np.bool_ else compare.bitwise_not(self)

    # ---- functional forms ------------------------------------------------------------------
    def add(self, other, alpha=1):
        return arithmetic.add(self, other if alpha == 1 else arithmetic.mul(other, alpha))

    def sub(self, other, alpha=1):
        return arithmetic.sub(self, other if alpha == 1 else arithmetic.mul(other, alpha))

    mul = arithmetic.mul
    div = true_divide = arithmetic.div
    pow = arithmetic.pow
    neg = arithmetic.neg

    def square(self):
        return Mul.apply(self, self)

    reciprocal = arithmetic.reciprocal
    floor_divide = arithmetic.floor_divide
    remainder = arithmetic.remainder
    fmod = arithmetic.fmod
    lerp = arithmetic.lerp

    eq = compare.eq
    ne = compare.ne
    lt = compare.lt
    le = compare.le
    gt = compare.gt
    ge = compare.ge
    __eq__, __ne__, __lt__, __le__, __gt__, __ge__ = eq, ne, lt, le, gt, ge
    not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge  # PyTorch's aliases
    isclose = compare.isclose
    allclose = compare.allclose
    equal = compare.equal
    logical_and = compare.logical_and
    logical_or = compare.logical_or
    logical_xor = compare.logical_xor
    logical_not = compare.logical_not

    # ---- in-place forms (``+=`` too: the tensor's own array is written) ---------------------
    def add_(self, other, alpha=1):
        value = other if alpha == 1 else arithmetic.mul(other, alpha)
        return inplace.inplace(self, arithmetic.add, value)

    def sub_(self, other, alpha=1):
        value = other if alpha == 1 else arithmetic.mul(other, alpha)
        return inplace.inplace(self, arithmetic.sub, value)

    def mul_(self, other):
        return inplace.inplace(self, arithmetic.mul, other)

    def div_(self, other):
        return inplace.inplace(self, arithmetic.div, other)

    def pow_(self, other):
        return inplace.inplace(self, arithmetic.pow, other)

    __iadd__, __isub__, __imul__, __itruediv__ = add_, sub_, mul_, div_

    def lerp_(self, end, weight):
        return inplace.inplace(self, arithmetic.lerp, end, weight)

    def copy_(self, src):
        return inplace.inplace(self, arithmetic.copy_from, src)

    def zero_(self):
        return inplace.inplace_fill(self, 0)

    fill_ = inplace.inplace_fill
    square_ = in_place(arithmetic.square)
    neg_ = in_place(arithmetic.neg)
    reciprocal_ = in_place(arithmetic.reciprocal)
